// @ts-check
/**
 * Lint: typescript-eslint's recommended rules (syntactic, not type-checked: `npx eslint .` stays a few
 * seconds) plus the rules that carry the architecture (issue 15):
 *
 *   - renderer/src may import from core only core/api/contract (the API's types), and never
 *     'electron' or Node's modules: it is a web page.
 *   - core never imports 'electron', React, renderer/ or electron/ code: it runs under plain Node.
 *   - core/drone, core/service and core/app never import 'pg' or a queue module (core/queue/pg,
 *     core/queue/remote): they use the GlobalQueue interface, opened by core/queue/modules.ts.
 *   - raw ipcMain / ipcRenderer only where Electron hands them out (electron/main.ts,
 *     electron/preload.ts), which pass them to the typed wrappers electron/ipc-main.ts and
 *     electron/ipc-renderer.ts; everything else goes through the wrappers.
 *   - React hooks: rules-of-hooks and exhaustive-deps, errors.
 *
 * Import cycles are checked by test/unit/import-cycles.test.ts (eslint-plugin-import-x's TypeScript
 * resolver needs a package with an install script, unrs-resolver).
 */
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { builtinModules } from 'node:module';

/** Everywhere but the two files Electron hands them to: the raw IPC objects. */
const RAW_IPC = {
  name: 'electron',
  importNames: ['ipcMain', 'ipcRenderer'],
  message:
    'Raw IPC only in electron/main.ts and electron/preload.ts, which pass it to the typed wrappers electron/ipc-main.ts / electron/ipc-renderer.ts; use those (handle/send, invoke/on).',
};

/** Node's built-in modules by bare name (`fs`, `path`); `node:*` is a pattern below. */
const NODE_BUILTINS = builtinModules.filter((m) => !m.startsWith('_') && !m.startsWith('node:'));

/** no-restricted-imports' options: one entry replaces another config's, so every scope lists RAW_IPC itself. */
function restrictImports({ paths = [], patterns = [] }) {
  return ['error', { paths, patterns }];
}

const RENDERER_IMPORTS = restrictImports({
  paths: [
    { name: 'electron', message: "The renderer is a web page: it reaches the main process only through window.swarmage (the contract's Bridge)." },
    ...NODE_BUILTINS.map((name) => ({ name, message: 'The renderer is a web page: no Node modules.' })),
  ],
  patterns: [
    {
      regex: '^(\\.\\./)+core/(?!api/contract(\\.js)?$)',
      message: 'The renderer may import from core only core/api/contract (issue 15): move what you need into the contract.',
    },
    { regex: '^(\\.\\./)+electron/', message: "The renderer must not import the Electron main process's or preload's code." },
    { regex: '^node:', message: 'The renderer is a web page: no Node modules.' },
  ],
});

const CORE_IMPORTS = restrictImports({
  paths: [{ name: 'electron', message: 'core runs under plain Node (CLI, server, tests): no Electron.' }],
  patterns: [
    { group: ['react', 'react/*', 'react-dom', 'react-dom/*', 'zustand', 'zustand/*'], message: 'core has no UI code: no React.' },
    { regex: '^(\\.\\./)+(renderer|electron)/', message: 'core must not depend on the app (renderer/ or electron/): the dependency goes the other way.' },
  ],
});

/** The drone and the app reach the global queue through its interface and modules.ts only (issue 21). */
const QUEUE_BLIND_IMPORTS = restrictImports({
  paths: [
    { name: 'electron', message: 'core runs under plain Node (CLI, server, tests): no Electron.' },
    { name: 'pg', message: 'The drone and the app know no database: they use the GlobalQueue interface (core/queue/globalQueue.ts).' },
  ],
  patterns: [
    { group: ['react', 'react/*', 'react-dom', 'react-dom/*', 'zustand', 'zustand/*'], message: 'core has no UI code: no React.' },
    { regex: '^(\\.\\./)+(renderer|electron)/', message: 'core must not depend on the app (renderer/ or electron/): the dependency goes the other way.' },
    {
      regex: '^(\\.\\./)+queue/(pg|remote)/',
      message: 'The drone and the app use the GlobalQueue interface; core/queue/modules.ts opens the module the config names (issue 21).',
    },
  ],
});

const OTHER_IMPORTS = restrictImports({ paths: [RAW_IPC] });

export default defineConfig(
  {
    ignores: [
      '**/node_modules/',
      'dist/',
      'build/',
      'release/',
      'test-results/',
      'bench/results/',
      'renderer/dist/',
      'demo/',
      '.scratch/',
      // Bundled output of scripts/build-preload.mjs and vite, wherever it lands.
      '**/*.cjs',
      // A worker module that fails to parse, on purpose (test/faults).
      'test/fixtures/workers/syntax-error.js',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      // `_`-prefixed arguments, caught errors and rest siblings are deliberately unused (the signature is
      // fixed by a caller, or a field is being left out of a copy).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-restricted-imports': OTHER_IMPORTS,
    },
  },

  // The layers.
  {
    files: ['renderer/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'no-restricted-imports': RENDERER_IMPORTS,
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: { 'no-restricted-imports': CORE_IMPORTS },
  },
  {
    files: ['core/drone/**/*.ts', 'core/service/**/*.ts', 'core/app/**/*.ts'],
    rules: { 'no-restricted-imports': QUEUE_BLIND_IMPORTS },
  },
  {
    // Raw IPC by any other road than an import (a namespace's or require()'s property) in the app's code.
    // Tests' fakes of Electron have these properties, so tests are left to the import rule.
    files: ['core/**/*.ts', 'electron/**/*.ts', 'renderer/src/**/*.{ts,tsx}', 'bench/**/*.ts', 'scripts/**/*.mjs'],
    ignores: ['electron/main.ts', 'electron/preload.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[property.name=/^ipc(Main|Renderer)$/]',
          message: RAW_IPC.message,
        },
      ],
    },
  },
  {
    // The local queue reads untyped rows from better-sqlite3 (`any` is its row type); the queries'
    // column lists are the types. Typed row interfaces would repeat them.
    files: ['core/queue/local/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Where Electron hands out ipcMain / ipcRenderer.
    files: ['electron/main.ts', 'electron/preload.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
