// End-to-end tests in a real Chromium with WebGPU. Machines without a GPU get WebGPU through
// SwiftShader (a software Vulkan), which is slow but computes the same way a GPU does.
import { defineConfig } from '@playwright/test';
// @ts-expect-error: a plain .mjs module shared with scripts/ensure-browser.mjs, without types.
import { findChromium, HOW_TO_GET_CHROMIUM } from './scripts/find-chromium.mjs';

const browser = findChromium() as { path: string; source: string } | null;
if (!browser) throw new Error(HOW_TO_GET_CHROMIUM);

/** The Chromium binary the tests run. */
export const CHROMIUM_PATH = browser.path;

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
// Parallel e2e runs on one machine (several working sessions) each set their own port and build folder.
const PORT = Number(process.env.E2E_PORT ?? 5179);
const DIST = process.env.E2E_DIST ?? 'dist';

/** Flags that give headless Chromium WebGPU without a GPU, and keep it off the network. */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  ...(isRoot ? ['--no-sandbox'] : []),
];

export default defineConfig({
  testDir: 'e2e',
  timeout: 180_000,
  expect: { timeout: 120_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    headless: true,
    launchOptions: { executablePath: browser.path, args: CHROMIUM_ARGS },
    trace: 'retain-on-failure',
  },
  webServer: {
    // The production build, as users get it (React's development mode is several times slower and
    // would make the responsiveness check measure the dev tooling).
    command: `npx vite build --logLevel warn --outDir ${DIST} && npx vite preview --outDir ${DIST} --port ${PORT} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
  },
});
