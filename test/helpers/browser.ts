// A real browser for the web pages (issue 17.8): Debian's chromium, driven by playwright-core with
// executablePath, so nothing is ever downloaded. Every page of a context runs behind a route that
// lets through only the gatehouse web origin; anything else is aborted and recorded, so a test can
// assert that no request left the machine (the machines that run gatehouse may have no internet).
// Missing chromium: the tests skip with the reason, except under CI, where they fail (.ci/run
// installs it, so a missing one is a broken install, not a choice), as with the real CLIs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DEADLINE_MS = 10_000;

/** Debian's /usr/bin/chromium, else the first `chromium` on PATH. */
export function findChromium(): string | undefined {
  const candidates = ['/usr/bin/chromium', ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'chromium'))];
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

const CHROMIUM_PATH = findChromium();
const MISSING = 'chromium is not installed (/usr/bin/chromium or on PATH): apt-get install chromium to run the browser tests';

/** For node:test's `skip`: false, or why the browser tests do not run. Under CI never skipped: launch fails instead. */
export const browserSkip: false | string = CHROMIUM_PATH || process.env.CI ? false : MISSING;

/**
 * Chromium for pages on `host` (the gatehouse web listener's). --no-sandbox: CI runs as root, where
 * chromium refuses its sandbox. The resolver rule makes every other name unresolvable, so even the
 * browser's own traffic, which no page route sees, cannot leave the machine.
 */
export async function launchBrowser(host = '127.0.0.1'): Promise<Browser> {
  if (!CHROMIUM_PATH) throw new Error(MISSING);
  const args = ['--no-sandbox', `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${host}`];
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args, timeout: DEADLINE_MS });
}

export interface WebTab {
  context: BrowserContext;
  page: Page;
  /** Every request that was not for `origin` (each aborted before it left), as "METHOD url". */
  offsite: string[];
  /** Uncaught script errors and Content-Security-Policy refusals: a page our CSP breaks fails here. */
  errors: string[];
  /** Fails when any request went anywhere but the gatehouse web origin, or a page hit an error or the CSP. */
  assertClean(): void;
  close(): Promise<void>;
}

/**
 * A fresh context (its own cookie jar: one per user) with one page at 1280x800. Every request,
 * from the page or a worker, goes through the route: only `origin` is let through.
 */
export async function openTab(browser: Browser, origin: string): Promise<WebTab> {
  const home = new URL(origin).origin;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
  context.setDefaultTimeout(DEADLINE_MS);
  context.setDefaultNavigationTimeout(DEADLINE_MS);
  const offsite: string[] = [];
  await context.route(
    () => true,
    async (route) => {
      const request = route.request();
      const url = request.url();
      if (isHome(url, home)) return route.continue();
      offsite.push(`${request.method()} ${url}`);
      return route.abort('blockedbyclient');
    },
  );
  // WebSockets do not pass through route(): record any, none is expected.
  await context.routeWebSocket(
    () => true,
    (ws) => {
      offsite.push(`WEBSOCKET ${ws.url()}`);
      return ws.close();
    },
  );
  const errors: string[] = [];
  context.on('weberror', (e) => errors.push(`${e.page()?.url() ?? ''}: ${e.error().message}`));
  context.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) errors.push(`${m.page()?.url() ?? ''}: ${m.text()}`);
  });
  const page = await context.newPage();
  return {
    context,
    page,
    offsite,
    errors,
    assertClean() {
      assert.deepEqual(offsite, [], `requests that would have left the machine: ${offsite.join(', ')}`);
      assert.deepEqual(errors, [], `script errors or CSP refusals: ${errors.join('; ')}`);
    },
    close: () => context.close(),
  };
}

/** data: and blob: never leave the page; everything else must be for the gatehouse web origin. */
function isHome(url: string, home: string): boolean {
  if (url.startsWith('data:') || url.startsWith('blob:')) return true;
  try {
    return new URL(url).origin === home;
  } catch {
    return false;
  }
}

/**
 * With GATEHOUSE_SCREENSHOTS=1, saves the page as docs/screenshots/<name>.png (the README shows
 * them); otherwise nothing, so an ordinary run (CI) never rewrites tracked files.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.GATEHOUSE_SCREENSHOTS !== '1') return;
  const dir = path.join(ROOT, 'docs', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), type: 'png', animations: 'disabled' });
}
