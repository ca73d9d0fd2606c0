// The official clients against the local Direct Line endpoint of `cargo run --example
// proactive`'s server, in headless Chromium, from pages on another origin (so every call is
// cross-origin: CORS is exercised for real):
// - `botframework-directlinejs` (the protocol client inside Web Chat), in polling mode and in
//   WebSocket mode: start, send, the echo, the reply naming it, a proactive message;
// - the full `botframework-webchat` bundle, served from node_modules (no CDN), with the
//   WebSocket stream in one tab and `webSocket: false` in the other: the two-tab scenario.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  jobNumber, launchBrowser, saveBotLog, screenshot, startBot, startStaticServer, withFailureScreenshots,
} from './lib.mjs';

let bot;
let browser;
let pages;

const DIRECTLINE_PAGE = `<!doctype html><meta charset="utf-8"><title>directlinejs</title>
<script src="/directline.js"></script>
<script>
  window.startClient = (domain, webSocket, userId) => {
    const client = new DirectLine.DirectLine({ domain, webSocket, pollingInterval: 500, token: '' });
    window.activities = [];
    window.statuses = [];
    client.connectionStatus$.subscribe((s) => window.statuses.push(s));
    client.activity$.subscribe((a) => window.activities.push(a));
    window.post = (text) => new Promise((resolve, reject) => {
      client.postActivity({ type: 'message', text, from: { id: userId, name: 'Tester' } })
        .subscribe(resolve, reject);
    });
    window.client = client;
  };
</script>`;

const WEBCHAT_PAGE = `<!doctype html><meta charset="utf-8"><title>Web Chat</title>
<style>html, body { height: 100%; margin: 0 } #webchat { height: 100% }</style>
<div id="webchat" role="main"></div>
<script src="/webchat.js"></script>
<script>
  const params = new URLSearchParams(location.search);
  const directLine = window.WebChat.createDirectLine({
    domain: params.get('domain'),
    token: '',
    webSocket: params.get('webSocket') !== 'false',
  });
  window.WebChat.renderWebChat({ directLine, userID: params.get('user'), username: 'Tester' },
    document.getElementById('webchat'));
</script>`;

before(async () => {
  bot = await startBot();
  browser = await launchBrowser();
  pages = await startStaticServer({ '/directline.html': DIRECTLINE_PAGE, '/webchat.html': WEBCHAT_PAGE });
});

after(async () => {
  await browser?.close();
  await pages?.close();
  await bot?.stop();
  saveBotLog(bot, 'official-clients');
});

async function directLineClient(webSocket, userId) {
  const page = await browser.context.newPage();
  await page.goto(`${pages.origin}/directline.html`);
  await page.evaluate(([domain, ws, user]) => window.startClient(domain, ws, user),
    [`${bot.origin}/v3/directline`, webSocket, userId]);
  return page;
}

/** Waits until the client received an activity matching `predicate` (evaluated in the page). */
function waitForActivity(page, predicate, arg, timeout = 10_000) {
  return page.waitForFunction(
    ([source, value]) => {
      // eslint-disable-next-line no-new-func
      const test = new Function('a', 'value', `return (${source})(a, value)`);
      return window.activities.find((a) => test(a, value)) || null;
    },
    [predicate.toString(), arg],
    { timeout },
  ).then((handle) => handle.jsonValue());
}

for (const webSocket of [false, true]) {
  const mode = webSocket ? 'WebSocket' : 'polling';
  test(`botframework-directlinejs (${mode}) holds a conversation with the endpoint`, () => withFailureScreenshots(browser, `directlinejs-${mode}`, async () => {
    const user = `dl_js_${mode}`;
    const page = await directLineClient(webSocket, user);
    await waitForActivity(page, (a) => /Welcome to the proactive job bot/.test(a.text || ''));
    const id = await page.evaluate(() => window.post('run'));
    assert.ok(id, 'postActivity answered with the activity id');

    const echo = await waitForActivity(page, (a, value) => a.id === value, id);
    assert.equal(echo.from.id, user, 'the echo comes back as the user');
    assert.equal(echo.text, 'run');
    const reply = await waitForActivity(page, (a, value) => a.replyToId === value, id);
    assert.match(reply.text, /^Job \d+ started/);
    assert.ok(Date.parse(reply.timestamp) > Date.parse(echo.timestamp));

    // Another client (the other transport) completes the job: this one is told, unprompted.
    const other = await directLineClient(!webSocket, `${user}_other`);
    await waitForActivity(other, (a) => /Welcome/.test(a.text || ''));
    const number = jobNumber(reply.text);
    await other.evaluate((text) => window.post(text), `done ${number}`);
    const proactive = await waitForActivity(page, (a, n) => a.text === `Job ${n} is complete.`, number);
    assert.equal(proactive.replyToId, undefined, 'a proactive message names no activity');

    // Online (2) all along: never expired, ended or failed.
    const statuses = await page.evaluate(() => window.statuses);
    assert.deepEqual(statuses.filter((s) => s > 2), [], `connection statuses ${statuses}`);
    await page.close();
    await other.close();
  }));
}

async function webChat(webSocket, user) {
  const page = await browser.context.newPage();
  const query = new URLSearchParams({ domain: `${bot.origin}/v3/directline`, webSocket: String(webSocket), user });
  await page.goto(`${pages.origin}/webchat.html?${query}`);
  await page.getByText('Welcome to the proactive job bot', { exact: false }).first().waitFor({ timeout: 30_000 });
  return page;
}

async function webChatSay(page, text) {
  const box = page.locator('.webchat__send-box-text-box__input, .webchat__send-box-text-box__text-area').first();
  await box.fill(text);
  await box.press('Enter');
}

test('the official Web Chat holds the two-tab conversation (WebSocket and webSocket: false)', () => withFailureScreenshots(browser, 'webchat', async () => {
  const tab1 = await webChat(true, 'dl_webchat_1');
  const tab2 = await webChat(false, 'dl_webchat_2');

  await webChatSay(tab1, 'run');
  const started = tab1.getByText(/Job \d+ started/).first();
  await started.waitFor({ timeout: 15_000 });
  const number = jobNumber(await started.textContent());
  // Web Chat shows "Send failed" when the echo does not come back.
  assert.equal(await tab1.getByText(/send failed/i).count(), 0);

  await webChatSay(tab2, 'show');
  await tab2.locator('table').first().waitFor({ timeout: 15_000 });
  assert.ok(await tab2.locator('td', { hasText: number }).count() >= 1, 'the job is in the table');
  await webChatSay(tab2, `done ${number}`);
  await tab2.getByText(`Job ${number} is completing`).first().waitFor({ timeout: 15_000 });

  // Within 4 s: Web Chat would hold a message naming an unknown replyToId for 5 s.
  await tab1.getByText(`Job ${number} is complete.`).first().waitFor({ timeout: 4_000 });
  await screenshot(tab1, 'webchat-1-websocket');
  await screenshot(tab2, 'webchat-2-polling');
  assert.equal(await tab2.getByText(/send failed/i).count(), 0);
  assert.deepEqual(browser.external, [], 'Web Chat, served locally, made no request off this machine');
  await tab1.close();
  await tab2.close();
}));
