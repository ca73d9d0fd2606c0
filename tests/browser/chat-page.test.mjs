// The built-in chat page (`/chat`) in headless Chromium against `cargo run --example
// proactive`'s server: the docs' two-window proactive scenario in two tabs (tab 1 on the
// WebSocket stream, tab 2 polling), then the page's rendering of cards, suggested actions,
// typing and untrusted text.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { jobNumber, launchBrowser, saveBotLog, screenshot, startBot, withFailureScreenshots } from './lib.mjs';

let bot;
let browser;

before(async () => {
  bot = await startBot();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await bot?.stop();
  saveBotLog(bot, 'chat-page');
});

const botMessage = (page, text) => page.locator('li[data-role="bot"]', { hasText: text });

async function say(page, text) {
  await page.locator('#input').fill(text);
  await page.locator('#input').press('Enter');
  // Sent once its echo came back from the endpoint.
  await page
    .locator('li[data-role="user"]:not(.sending)', { hasText: text })
    .last()
    .waitFor({ timeout: 10_000 });
}

async function openChat(query = '') {
  const page = await browser.context.newPage();
  await page.goto(`${bot.origin}/chat${query}`);
  await botMessage(page, 'Welcome to the proactive job bot').waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => document.body.dataset.status === 'Online', null, { timeout: 10_000 });
  return page;
}

test('two tabs: run twice in tab 1, show and done in tab 2, tab 1 hears of it', () => withFailureScreenshots(browser, 'two-tabs', async () => {
  const tab1 = await openChat();
  const tab2 = await openChat('?transport=polling');
  const conversation1 = await tab1.evaluate(() => document.body.dataset.conversationId);
  const conversation2 = await tab2.evaluate(() => document.body.dataset.conversationId);
  assert.ok(conversation1 && conversation2);
  assert.notEqual(conversation1, conversation2, 'each tab is its own conversation');

  // The welcome's markdown: a list with code spans.
  assert.ok(await tab1.locator('li[data-role="bot"] ul li code', { hasText: 'run' }).count() >= 1);

  await say(tab1, 'run');
  await botMessage(tab1, /Job \d+ started/).first().waitFor({ timeout: 10_000 });
  await say(tab1, 'run');
  await tab1.waitForFunction(
    () => [...document.querySelectorAll('li[data-role="bot"]')].filter((li) => /Job \d+ started/.test(li.textContent)).length === 2,
    null,
    { timeout: 10_000 },
  );
  const started = await botMessage(tab1, /Job \d+ started/).allTextContents();
  const [first, second] = started.map(jobNumber);
  assert.notEqual(first, second);

  await say(tab2, 'show');
  const table = tab2.locator('li[data-role="bot"] table').last();
  await table.waitFor({ timeout: 10_000 });
  assert.deepEqual(
    await table.locator('th').allTextContents(),
    ['Job number', 'Conversation ID', 'Completed'],
  );
  for (const number of [first, second]) {
    const row = table.locator('tr', { hasText: number });
    assert.deepEqual(await row.locator('td').allTextContents(), [number, conversation1, 'no']);
  }

  const botMessagesBefore = await tab1.locator('li[data-role="bot"]').count();
  await say(tab2, `done ${second}`);
  await botMessage(tab2, `Job ${second} is completing`).waitFor({ timeout: 10_000 });

  // Tab 1, idle, receives the proactive message: at once over its WebSocket (well within the
  // 5 s a client would hold a message that names an unknown replyToId).
  const proactive = botMessage(tab1, `Job ${second} is complete.`);
  await proactive.waitFor({ timeout: 4_000 });
  assert.equal(await tab1.locator('li[data-role="bot"]').count(), botMessagesBefore + 1);
  assert.equal(await tab2.locator('li', { hasText: `Job ${second} is complete.` }).count(), 0,
    'the notification goes to the conversation that started the job only');

  await screenshot(tab1, 'two-tabs-1-websocket');
  await screenshot(tab2, 'two-tabs-2-polling');

  // Completing it again is refused; the other job is still open.
  await say(tab2, `done ${second}`);
  await botMessage(tab2, `Job ${second} is already complete.`).waitFor({ timeout: 10_000 });
  await say(tab2, 'show');
  await tab2.waitForFunction(
    (n) => {
      const tables = document.querySelectorAll('li[data-role="bot"] table');
      const last = tables[tables.length - 1];
      return tables.length >= 2 && [...last.querySelectorAll('tr')].some((tr) => tr.textContent.includes(n) && tr.textContent.includes('yes'));
    },
    second,
    { timeout: 10_000 },
  );

  assert.deepEqual(browser.external, [], 'no request left this machine');
  assert.deepEqual(browser.consoleErrors, [], 'no script or policy errors');
  await tab1.close();
  await tab2.close();
}));

test('the page renders hero cards, suggested actions, typing and untrusted text safely', () => withFailureScreenshots(browser, 'page-rendering', async () => {
  const page = await browser.context.newPage();
  // Polling, with made-up bot activities added to the endpoint's real answers, one per poll.
  const extra = [
    { type: 'typing', id: 'x-typing', from: { id: 'bot', role: 'bot' } },
    {
      type: 'message',
      id: 'x-card',
      from: { id: 'bot', role: 'bot' },
      text: 'Here is a **card** with <img src=x onerror="window.__xss = 1"> text & more',
      attachments: [{
        contentType: 'application/vnd.microsoft.card.hero',
        content: {
          title: 'Jobs',
          subtitle: 'Proactive demo',
          text: 'Pick _one_ of [these](javascript:alert(1)) or see [the docs](https://example.invalid/docs).',
          images: [{ url: 'data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', alt: 'a pixel' }],
          buttons: [{ type: 'imBack', title: 'Show jobs', value: 'show' }],
        },
      }],
      suggestedActions: { actions: [{ type: 'imBack', title: 'Run a job', value: 'run' }] },
    },
  ];
  await page.route('**/v3/directline/conversations/*/activities?*', async (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    const response = await route.fetch();
    const body = await response.json();
    if (body.activities.length === 0 && extra.length > 0 && body.watermark !== '0') {
      body.activities.push(extra.shift());
    }
    return route.fulfill({ response, json: body });
  });
  await page.goto(`${bot.origin}/chat?transport=polling`);
  await botMessage(page, 'Welcome').waitFor({ timeout: 15_000 });

  await page.locator('#typing', { hasText: 'Bot is typing' }).waitFor({ timeout: 10_000 });
  await screenshot(page, 'page-typing');

  const card = page.locator('li[data-id="x-card"]');
  await card.waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#typing').textContent(), '', 'a message ends the typing indicator');
  // Untrusted text is shown, not run; markdown basics are rendered.
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.match(await card.locator('.bubble').first().textContent(), /<img src=x onerror=/);
  assert.equal(await card.locator('.bubble strong').textContent(), 'card');
  assert.equal(await card.locator('.card-title').textContent(), 'Jobs');
  assert.equal(await card.locator('.card-subtitle').textContent(), 'Proactive demo');
  assert.equal(await card.locator('.card-text em').textContent(), 'one');
  assert.equal(await card.locator('.card-text a').count(), 1, 'a javascript: link is not a link');
  assert.equal(await card.locator('.card-text a').getAttribute('href'), 'https://example.invalid/docs');
  assert.equal(await card.locator('img').getAttribute('alt'), 'a pixel');
  await screenshot(page, 'page-hero-card');

  // A suggested action sends its value, and goes away.
  await page.locator('#suggested button', { hasText: 'Run a job' }).click();
  await botMessage(page, /Job \d+ started/).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#suggested button').count(), 0);
  // A card button too.
  await card.locator('button', { hasText: 'Show jobs' }).click();
  await page.locator('li[data-role="bot"] table').waitFor({ timeout: 10_000 });
  await screenshot(page, 'page-actions');

  assert.deepEqual(browser.external, [], 'no request left this machine');
  await page.close();
}));
