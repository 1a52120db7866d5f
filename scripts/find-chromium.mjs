// Finds a Chromium for the e2e tests: $CHROMIUM_PATH, then a system Chromium, then the browser
// Playwright installed itself. Shared by playwright.config.ts and scripts/ensure-browser.mjs.
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

/** System locations tried after $CHROMIUM_PATH, in order. */
export const SYSTEM_CHROMIUMS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/**
 * Returns { path, source } for the first usable browser, or null.
 * A $CHROMIUM_PATH that does not exist is an error, not something to silently skip.
 */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, but there is no file there.`);
    return { path: fromEnv, source: 'CHROMIUM_PATH' };
  }
  const system = SYSTEM_CHROMIUMS.find((candidate) => existsSync(candidate));
  if (system) return { path: system, source: 'system' };
  const bundled = (() => {
    try {
      return chromium.executablePath();
    } catch {
      return ''; // no Playwright browser registered on this machine
    }
  })();
  if (bundled && existsSync(bundled)) return { path: bundled, source: 'playwright' };
  return null;
}

export const HOW_TO_GET_CHROMIUM =
  'No Chromium found for the browser tests. Install one and retry: on Debian/Ubuntu `sudo apt-get install -y chromium`, ' +
  'or `npx playwright install chromium`, or set CHROMIUM_PATH to a Chromium/Chrome binary (WebGPU needs version 113 or later).';
