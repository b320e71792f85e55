/**
 * A real headless browser for checking the pages detsim writes: Debian's Chromium, driven by
 * playwright-core with the system executable (no browser download). Used by the browser tests
 * and the screenshot script; not by the CLI.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';

/** Where Chromium is: $DETSIM_CHROMIUM, else Debian's and Ubuntu's usual paths. */
export function chromiumPath(): string | null {
  const candidates = [process.env.DETSIM_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}

/** The flags a sandboxed CI machine with no network needs (no background calls home). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export async function launchChromium(): Promise<Browser> {
  const exe = chromiumPath();
  if (exe === null) throw new Error('no Chromium found: install it (Debian: apt-get install chromium) or set DETSIM_CHROMIUM to its path');
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: exe, args: CHROMIUM_ARGS });
}

export interface OpenedPage {
  page: Page;
  /** Console errors and uncaught exceptions of the page. */
  errors: string[];
  /** Every request the page made other than its own file (a self-contained page makes none). */
  requests: string[];
}

/** Opens a local HTML file at a viewport width, recording errors and any network request. */
export async function openPage(browser: Browser, file: string, width = 1280, height = 900): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  const requests: string[] = [];
  const own = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  // Offline: every request but the page itself is refused and recorded.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === own) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.goto(own, { waitUntil: 'load' });
  return { page, errors, requests };
}
