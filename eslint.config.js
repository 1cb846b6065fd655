import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layer boundaries (DESIGN.md §1): core runs anywhere Node runs, the renderer talks only to the contract. */
const coreBoundary = {
  patterns: [
    { group: ['electron', 'electron/*'], message: 'core never imports electron: give core a port and implement it in electron/.' },
    { group: ['react', 'react-dom', 'react/*', '@xyflow/*', 'zustand', 'zustand/*'], message: 'core never imports UI libraries.' },
    { group: ['**/renderer/**', '**/electron/**'], message: 'core never imports from the renderer or the Electron shell.' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'scratch/**', 'resources/examples/**/data/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', TextDecoder: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // TypeScript checks undefined names itself (and knows Node's and the DOM's globals).
  { files: ['**/*.ts', '**/*.tsx'], rules: { 'no-undef': 'off' } },
  { files: ['core/**/*.ts'], rules: { 'no-restricted-imports': ['error', coreBoundary] } },
  // The Electron shell wires core's HostService to a window; it never reaches into the UI or the engine.
  {
    files: ['electron/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/renderer/**', 'react', 'react-dom', '**/core/src/engine/**', '**/core/src/compiler/**'], message: 'electron/ only binds the HostService (core/src/host) to IPC.' }] },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron', 'node:*', '**/core/src/engine/**', '**/core/src/compiler/**', '**/core/src/host/**'], message: 'the renderer reaches the engine only through the host contract.' },
          ],
        },
      ],
    },
  },
  // Renderer unit tests may read core's node catalogue (core/src/host/catalog.ts) to check the
  // generated forms against every real node; the renderer itself may not.
  {
    files: ['renderer/**/*.test.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['electron', '**/core/src/engine/**', '**/core/src/compiler/**'], message: 'renderer tests stay off the engine too.' }] }],
    },
  },
);
