// The built-in page when the endpoint requires its Direct Line secret (`DirectLineSecret`):
// it asks for the secret, refuses a wrong one, and chats once given the right one.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { launchBrowser, saveBotLog, screenshot, startBot, withFailureScreenshots } from './lib.mjs';

const SECRET = 'a-local-direct-line-secret-for-tests';
let bot;
let browser;

before(async () => {
  bot = await startBot({ DirectLineSecret: SECRET });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await bot?.stop();
  saveBotLog(bot, 'secret');
});

test('with a secret configured, the page asks for it before chatting', () => withFailureScreenshots(browser, 'secret', async () => {
  // Without the secret, the endpoint refuses to start a conversation.
  const refused = await fetch(`${bot.origin}/v3/directline/conversations`, { method: 'POST' });
  assert.equal(refused.status, 401);

  const page = await browser.context.newPage();
  await page.goto(`${bot.origin}/chat`);
  await page.locator('#secret-form').waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal(await page.locator('#input').isDisabled(), true);

  await page.locator('#secret').fill('not-the-secret');
  await page.locator('#secret').press('Enter');
  await page.locator('#status', { hasText: 'not accepted' }).waitFor({ timeout: 10_000 });
  await screenshot(page, 'secret-prompt');

  await page.locator('#secret').fill(SECRET);
  await page.locator('#secret').press('Enter');
  await page.locator('li[data-role="bot"]', { hasText: 'Welcome to the proactive job bot' }).waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('#secret-form').isVisible(), false);
  await page.locator('#input').fill('show');
  await page.locator('#input').press('Enter');
  await page.locator('li[data-role="bot"]', { hasText: 'The job log is empty' }).waitFor({ timeout: 10_000 });
  assert.deepEqual(browser.external, []);
  await page.close();
}));
