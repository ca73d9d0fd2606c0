// Shared helpers of the browser tests: start the flagship example's server on a free port,
// launch Debian's Chromium (never a downloaded browser) through playwright-core, serve pages
// from node_modules on another origin, and keep every request of a page on this machine.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const BOT_BINARY = process.env.BOT_BINARY || join(repoRoot, 'target', 'debug', 'examples', 'proactive');
export const STREAMING_BINARY = process.env.STREAMING_BINARY || join(repoRoot, 'target', 'debug', 'examples', 'streaming');
export const SIGN_IN_BINARY = process.env.SIGN_IN_BINARY || join(repoRoot, 'target', 'debug', 'examples', 'sign_in');
export const SCREENSHOTS = process.env.SCREENSHOT_DIR || join(repoRoot, 'target', 'browser-screenshots');

// The flags the machine needs: no GPU, no sandbox (root), and no background traffic to
// the internet (the network is closed; such connections only fail).
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A TCP port on 127.0.0.1 that nothing listens on. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createNetServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `cargo run --example proactive`'s binary (or `binary`, another example's) with an
 * in-memory store on a free port and waits for its health route. Returns { origin, stop, log }.
 */
export async function startBot(extraEnv = {}, binary = BOT_BINARY) {
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: run \`cargo build --example ${binary.split('/').pop()}\` first`);
  }
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(binary, [], {
    cwd: repoRoot,
    env: {
      ...process.env, PORT: String(port), HOST: '127.0.0.1', BOT_STORAGE: 'memory', RUST_LOG: 'info', NO_COLOR: '1', ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`the bot exited (${JSON.stringify(exited)}) before answering:\n${log}`);
    try {
      const response = await fetch(`${origin}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the bot did not answer ${origin}/healthz within 30 s:\n${log}`);
    }
    await sleep(100);
  }
  const stop = async () => {
    if (exited) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(timer);
  };
  return { origin, stop, log: () => log };
}

/**
 * Launches headless Chromium with a fresh profile. Every request a page makes must stay on
 * 127.0.0.1: anything else is aborted and recorded in `external`.
 */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'botbuilder-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 900, height: 760 },
    timeout: 60_000,
  });
  const external = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') {
      return route.continue();
    }
    external.push(route.request().url());
    return route.abort();
  });
  const consoleErrors = [];
  context.on('page', (page) => watchPage(page, consoleErrors));
  for (const page of context.pages()) watchPage(page, consoleErrors);
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, external, consoleErrors, close };
}

function watchPage(page, consoleErrors) {
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
}

/** Saves a full-page screenshot under target/browser-screenshots/. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Serves files from this folder's node_modules (and the HTML pages below) on another origin
 * than the bot's, so every Direct Line call from those pages is cross-origin (CORS).
 */
export async function startStaticServer(pages) {
  const files = {
    '/directline.js': join(here, 'node_modules', 'botframework-directlinejs', 'dist', 'directline.js'),
    '/webchat.js': join(here, 'node_modules', 'botframework-webchat', 'dist', 'webchat.js'),
  };
  const server = createServer((request, response) => {
    const path = new URL(request.url, 'http://127.0.0.1').pathname;
    if (pages[path]) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(pages[path]);
      return;
    }
    if (files[path]) {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      response.end(readFileSync(files[path]));
      return;
    }
    response.writeHead(404);
    response.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, close: () => new Promise((r) => server.close(r)) };
}

/** The number in "Job 1732581234567 started. ..." */
export function jobNumber(text) {
  const match = /Job (\d+) started/.exec(text);
  if (!match) throw new Error(`no job number in ${JSON.stringify(text)}`);
  return match[1];
}

/**
 * Runs a test body; when it fails, saves a screenshot of every open page
 * (`<name>-failure-<n>.png`) before passing the error on.
 */
export async function withFailureScreenshots(browser, name, body) {
  try {
    await body();
  } catch (error) {
    const pages = browser.context.pages();
    for (const [index, page] of pages.entries()) {
      try {
        const path = await screenshot(page, `${name}-failure-${index + 1}`);
        console.error(`screenshot of ${page.url()} on failure: ${path}`);
      } catch {
        // a closed page
      }
    }
    throw error;
  }
}

/** Writes the bot's output next to the screenshots, for a failing run to be read. */
export function saveBotLog(bot, name) {
  if (!bot) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  writeFileSync(join(SCREENSHOTS, `${name}-bot.log`), bot.log());
}
