import { defineConfig } from '@playwright/test';

// Playwright drives Debian's Chromium (apt-get install chromium): its own browser
// download (`npx playwright install`) is not available on these machines.
// The servers must already be running: scripts/test.sh starts one isolated
// stack (server, SQLite database, moto) per worker and names their URLs in
// GANTRY_E2E_URLS, space-separated. Worker N talks only to the N-th: Playwright
// sets TEST_PARALLEL_INDEX in each worker process before that worker loads this
// file, so `use.baseURL` (and `test.info().project.use.baseURL`, which the tests
// read for extra browser contexts) is that worker's server. The runner process
// itself has no index and sees the first URL, which it does not use.
const urls = (process.env.GANTRY_E2E_URLS ?? 'http://127.0.0.1:3100').split(/\s+/).filter(Boolean);
const parallelIndex = Number(process.env.TEST_PARALLEL_INDEX ?? '0');
const baseURL = urls[parallelIndex];
if (baseURL === undefined) {
  throw new Error(`worker ${parallelIndex} has no server: GANTRY_E2E_URLS names ${urls.length}`);
}

const launchOptions = {
  executablePath: process.env.E2E_CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  // One worker per server (GANTRY_E2E_URLS, from scripts/test.sh); files, not the
  // tests inside one file, are spread over them.
  workers: urls.length,
  retries: 0,
  reporter: 'list',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    browserName: 'chromium',
    headless: true,
    launchOptions,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: [
    { name: 'no-js', use: { javaScriptEnabled: false } },
    { name: 'hydrated', use: { javaScriptEnabled: true } },
  ],
});
