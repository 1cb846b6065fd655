import { defineConfig } from '@playwright/test';

/**
 * Studio end-to-end tests: Debian's Chromium (DESIGN.md §7) against `caudal serve` with the real
 * engine. Each test file starts its own server on a free port in a temporary workspace
 * (test/e2e/fixtures.ts). Build first: `npm run build && npm run build:studio`.
 */
export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  timeout: 180_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results/e2e',
  use: { actionTimeout: 20_000 },
});
