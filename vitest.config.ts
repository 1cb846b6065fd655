import { defineConfig } from 'vitest/config';
import SlowestFirstSequencer from './test/support/sequencer.js';

export default defineConfig({
  test: {
    include: ['core/src/**/*.test.ts', 'test/**/*.test.ts', 'renderer/src/**/*.test.{ts,tsx}'],
    exclude: ['test/e2e/**', 'node_modules/**', 'dist/**'],
    globalSetup: ['test/support/global-setup.ts'],
    // A runtime folder per test file: what one file leaves for recovery never shows in another's runs.
    setupFiles: ['test/support/file-runtime.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each engine call starts a worker with its own DuckDB; two files at a time suit 2 cores.
    maxWorkers: 2,
    // The slowest files start first, so that no long file runs alone at the end.
    sequence: { sequencer: SlowestFirstSequencer },
  },
});
