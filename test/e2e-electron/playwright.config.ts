import { defineConfig } from '@playwright/test';

/**
 * The desktop shell through Playwright's `_electron`. Needs the Electron binary, which CI here
 * cannot download (DESIGN.md §7): the tests skip when it is absent. Run with
 * `npm run test:electron` on a machine where `npm install` fetched Electron.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  timeout: 120_000,
  workers: 1,
  reporter: [['list']],
  outputDir: '../../test-results/e2e-electron',
});
