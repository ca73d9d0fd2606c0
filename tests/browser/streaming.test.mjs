// `cargo run --example streaming`'s server in headless Chromium: a streamed answer grows in
// one bubble of the built-in chat page (at least three renderings of the growing text), then
// becomes exactly one final message with its citation, AI label and feedback buttons, whose
// thumbs up reaches the bot; and the official Web Chat shows the same answer growing in one
// bubble.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  launchBrowser, saveBotLog, screenshot, startBot, startStaticServer, STREAMING_BINARY, withFailureScreenshots,
} from './lib.mjs';

let bot;
let browser;
let pages;

const QUESTION = 'how does streaming work?';
const ANSWER_START = 'Here is what I found';

const WEBCHAT_PAGE = `<!doctype html><meta charset="utf-8"><title>Web Chat</title>
<style>html, body { height: 100%; margin: 0 } #webchat { height: 100% }</style>
<div id="webchat" role="main"></div>
<script src="/webchat.js"></script>
<script>
  const params = new URLSearchParams(location.search);
  const directLine = window.WebChat.createDirectLine({ domain: params.get('domain'), token: '' });
  window.WebChat.renderWebChat({ directLine, userID: params.get('user'), username: 'Tester' },
    document.getElementById('webchat'));
</script>`;

before(async () => {
  bot = await startBot({}, STREAMING_BINARY);
  browser = await launchBrowser();
  pages = await startStaticServer({ '/webchat.html': WEBCHAT_PAGE });
});

after(async () => {
  await browser?.close();
  await pages?.close();
  await bot?.stop();
  saveBotLog(bot, 'streaming');
});

/**
 * Records, in the page, every text the answer's bubble shows: a MutationObserver on the
 * whole document notes the text of the element `select()` finds whenever it changes.
 */
async function recordRenderings(page, select) {
  await page.evaluate((selectSource) => {
    // eslint-disable-next-line no-new-func
    const find = new Function(`return (${selectSource})`)();
    window.renderings = [];
    const note = () => {
      const text = find();
      if (text && text !== window.renderings[window.renderings.length - 1]) window.renderings.push(text);
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
  }, select.toString());
}

/**
 * The texts recorded before the final one: at least three, each longer than the one before.
 * `strict`: each also extends the one before (the chat page; Web Chat's markdown changes
 * quotes and spacing as the text completes, so there only the start is compared).
 */
function checkGrowth(renderings, final, strict) {
  const intermediate = renderings.map((t) => t.trim()).filter((t) => t && t !== final.trim());
  assert.ok(intermediate.length >= 3, `at least 3 intermediate renderings, saw ${JSON.stringify(renderings)}`);
  for (let i = 1; i < intermediate.length; i += 1) {
    assert.ok(intermediate[i].length > intermediate[i - 1].length, `the text grows: ${JSON.stringify(intermediate)}`);
    const extends_ = strict
      ? intermediate[i].startsWith(intermediate[i - 1])
      : intermediate[i].startsWith(ANSWER_START);
    assert.ok(extends_, `each rendering extends the last: ${JSON.stringify(intermediate)}`);
  }
}

test('the chat page grows the answer in one bubble, then shows one final message with its citation', (t) => withFailureScreenshots(browser, 'streaming-chat', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${bot.origin}/chat`);
  await page.locator('li[data-role="bot"]', { hasText: 'Ask me about streaming' }).waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => document.body.dataset.status === 'Online', null, { timeout: 10_000 });
  await recordRenderings(page, () => {
    const bubble = document.querySelector('li.streaming .bubble');
    return bubble ? bubble.textContent : '';
  });

  await page.locator('#input').fill(QUESTION);
  await page.locator('#input').press('Enter');
  // Growing: the bubble is marked as streaming while the text comes.
  await page.locator('li.streaming .bubble', { hasText: ANSWER_START }).waitFor({ timeout: 15_000 });
  await screenshot(page, 'streaming-chat-1-growing');
  const final = page.locator('li[data-role="bot"]:not(.streaming)', { hasText: ANSWER_START });
  await final.locator('.citations').waitFor({ timeout: 30_000 });
  await screenshot(page, 'streaming-chat-2-final');

  const finalText = (await final.locator('.bubble').textContent()).trim();
  assert.match(finalText, /\[1\]\.$/, 'the final text cites its source');
  const renderings = await page.evaluate(() => window.renderings);
  checkGrowth(renderings, finalText, true);
  t.diagnostic(`chat page: ${renderings.length} renderings of the answer before and with the final message`);
  // Exactly one bubble holds the answer: the updates replaced each other, and the final
  // message took the bubble over.
  assert.equal(await page.locator('li[data-role="bot"]', { hasText: ANSWER_START }).count(), 1);
  assert.equal(await page.locator('li.streaming').count(), 0);
  const citation = final.locator('.citations li');
  assert.equal(await citation.count(), 1);
  assert.match(await citation.textContent(), /\[1\] Streaming responses/);
  assert.equal(await citation.locator('a').getAttribute('href'), 'https://github.com/botbuilder-rs/botbuilder-rs/blob/main/docs/streaming.md');
  assert.equal(await final.locator('.ai-label').textContent(), 'AI generated');

  // The thumbs up reaches the bot as the feedback invoke, and is logged.
  await final.getByRole('button', { name: 'Helpful', exact: true }).click();
  await final.getByText('Thanks for the feedback.').waitFor({ timeout: 10_000 });
  assert.equal(await final.getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed'), 'true');
  const deadline = Date.now() + 5_000;
  while (!/feedback on an answer.*reaction=like/.test(bot.log()) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(bot.log(), /feedback on an answer.*reaction=like/);
  assert.deepEqual(browser.consoleErrors, []);
  assert.deepEqual(browser.external, [], 'the page made no request off this machine');
  await page.close();
}));

test('the official Web Chat shows the answer growing in one bubble', (t) => withFailureScreenshots(browser, 'streaming-webchat', async () => {
  const page = await browser.context.newPage();
  const query = new URLSearchParams({ domain: `${bot.origin}/v3/directline`, user: 'dl_streaming_1' });
  await page.goto(`${pages.origin}/webchat.html?${query}`);
  await page.getByText('Ask me about streaming', { exact: false }).first().waitFor({ timeout: 30_000 });
  await recordRenderings(page, () => {
    const bubbles = [...document.querySelectorAll('.webchat__bubble:not(.webchat__bubble--from-user) .webchat__bubble__content')]
      .filter((b) => b.textContent.includes('Here is what I found'));
    return bubbles.length ? bubbles[bubbles.length - 1].textContent : '';
  });
  const box = page.locator('.webchat__send-box-text-box__input, .webchat__send-box-text-box__text-area').first();
  await box.fill(QUESTION);
  await box.press('Enter');
  // The whole answer, ending with its citation marker.
  await page.waitForFunction(() => {
    const r = window.renderings;
    return r.length && /Teams, then one final message ends the stream/.test(r[r.length - 1]);
  }, null, { timeout: 30_000 });
  // Let the final message land.
  await page.waitForTimeout(1500);
  await screenshot(page, 'streaming-webchat');
  const renderings = await page.evaluate(() => window.renderings);
  checkGrowth(renderings.slice(0, -1), renderings[renderings.length - 1], false);
  t.diagnostic(`Web Chat: ${renderings.length} renderings of the answer`);
  const bubbles = page.locator('.webchat__bubble:not(.webchat__bubble--from-user)', { hasText: ANSWER_START });
  assert.equal(await bubbles.count(), 1, 'one bubble holds the answer');
  assert.equal(await page.getByText(/send failed/i).count(), 0);
  assert.deepEqual(browser.external, [], 'Web Chat, served locally, made no request off this machine');
  await page.close();
}));
