// `cargo run --example sign_in` in headless Chromium: the built-in chat page signs the user in
// through the local sign-in page (a development stand-in for the Bot Framework token service),
// the bot calls the stand-in profile API with the test token, then signs the user out.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { SIGN_IN_BINARY, launchBrowser, saveBotLog, screenshot, startBot, withFailureScreenshots } from './lib.mjs';

let bot;
let browser;

before(async () => {
  bot = await startBot({}, SIGN_IN_BINARY);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await bot?.stop();
  saveBotLog(bot, 'sign-in');
});

const botMessage = (page, text) => page.locator('li[data-role="bot"]', { hasText: text });

async function say(page, text) {
  await page.locator('#input').fill(text);
  await page.locator('#input').press('Enter');
  await page
    .locator('li[data-role="user"]:not(.sending)', { hasText: text })
    .last()
    .waitFor({ timeout: 10_000 });
}

test('sign in on the local page, call the API with the token, sign out', () => withFailureScreenshots(browser, 'sign-in', async () => {
  const chat = await browser.context.newPage();
  await chat.goto(`${bot.origin}/chat`);
  await botMessage(chat, 'to see who you are').waitFor({ timeout: 15_000 });
  await chat.waitForFunction(() => document.body.dataset.status === 'Online', null, { timeout: 10_000 });

  // `me` before signing in: a sign-in card with a button.
  await say(chat, 'me');
  const button = chat.locator('li[data-role="bot"] button.action', { hasText: 'Sign in' }).last();
  await button.waitFor({ timeout: 10_000 });
  await screenshot(chat, 'sign-in-card');

  // The button opens the sign-in page in a new tab.
  const [signInPage] = await Promise.all([
    browser.context.waitForEvent('page', { timeout: 10_000 }),
    button.click(),
  ]);
  await signInPage.waitForLoadState();
  assert.ok(signInPage.url().startsWith(`${bot.origin}/signin?state=`), signInPage.url());
  await signInPage.locator('#name').fill('Ada Lovelace');
  await signInPage.locator('#sign-in').click();
  const codeOutput = signInPage.locator('#magic-code');
  await codeOutput.waitFor({ timeout: 10_000 });
  const code = (await codeOutput.textContent()).trim();
  assert.match(code, /^\d{6}$/);
  await screenshot(signInPage, 'sign-in-page-code');
  await signInPage.close();

  // The code, typed into the chat, signs the user in; the bot calls the API with the token.
  await say(chat, code);
  await botMessage(chat, 'You are signed in.').waitFor({ timeout: 10_000 });
  await botMessage(chat, 'You are Ada Lovelace.').waitFor({ timeout: 10_000 });

  // Signed in: `me` answers at once.
  const before = await botMessage(chat, 'You are Ada Lovelace.').count();
  await say(chat, 'me');
  await chat.waitForFunction(
    (n) => [...document.querySelectorAll('li[data-role="bot"]')].filter((li) => li.textContent.includes('You are Ada Lovelace.')).length === n + 1,
    before,
    { timeout: 10_000 },
  );

  await say(chat, 'logout');
  await botMessage(chat, 'You are signed out.').waitFor({ timeout: 10_000 });
  await screenshot(chat, 'sign-in-done');

  assert.deepEqual(browser.external, [], 'every request stayed on 127.0.0.1');
  assert.deepEqual(browser.consoleErrors, []);
}));
