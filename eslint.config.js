// Lint rules: typescript-eslint's recommended set, React hooks rules for the page, and the
// architecture's import boundaries (the page never imports the engine's runtime code).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'playwright-report/', 'public/', 'scripts/pretrain/.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/app/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // The page talks to the engine only through the worker protocol; type imports are fine, and so
      // are the settings table, the shared names, the budget arithmetic, the paired statistics and the adapter specs (plain data and functions, no tfjs).
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/engine/*', '!**/engine/settings', '!**/engine/catalog', '!**/engine/families', '!**/engine/budget', '!**/engine/stats', '!**/engine/memory', '!**/engine/adapters', '**/engine/adapters/*', '!**/engine/adapters/registry', '@tensorflow/*'], message: 'The page must not run the engine: send a command to the worker (src/worker/protocol.ts).', allowTypeImports: true }, { regex: 'engine/adapters(/index)?$', message: 'The page must not build adapters (tfjs): the adapter specs are in engine/adapters/registry.', allowTypeImports: true }] }],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    ignores: ['src/engine/**/*.test.ts', 'src/engine/testing/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/app/*', '**/worker/*', '**/cli/*', 'react', 'react-dom', 'zustand', 'node:*'], message: 'The engine is plain TypeScript over tfjs: no UI, no worker, no Node APIs.' }] }],
    },
  },
);
