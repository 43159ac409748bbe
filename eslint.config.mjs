// ESLint over every JavaScript file of clockface, run by the README's test command.
// The mobile clock and the admin script run in the browser as they are (no build step), so
// mistakes that a compiler would catch (a shadowed function name, an undefined variable, a
// name used before it is defined) are caught here instead.
import js from '@eslint/js';
import globals from 'globals';

const strict = {
  'no-shadow': ['error', { builtinGlobals: false, hoist: 'all' }],
  'no-undef': 'error',
  'no-unused-vars': ['error', { args: 'after-used', caughtErrors: 'none' }],
  'no-use-before-define': ['error', { functions: false, classes: true, variables: true }],
  'no-implicit-globals': 'error',
  'no-var': 'error',
  'prefer-const': 'error',
  eqeqeq: ['error', 'always'],
};

export default [
  { ignores: ['target/**', 'node_modules/**', 'clockface-data/**', 'clockface-demo-data/**'] },
  js.configs.recommended,
  {
    files: ['crates/web/clock/**/*.js'],
    ignores: ['crates/web/clock/sw.js'],
    languageOptions: { sourceType: 'module', ecmaVersion: 2024, globals: globals.browser },
    rules: strict,
  },
  {
    files: ['crates/web/clock/sw.js'],
    languageOptions: { sourceType: 'script', ecmaVersion: 2024, globals: globals.serviceworker },
    rules: strict,
  },
  {
    files: ['crates/web/assets/**/*.js'],
    languageOptions: { sourceType: 'script', ecmaVersion: 2024, globals: globals.browser },
    rules: strict,
  },
  {
    files: ['e2e/**/*.mjs', 'eslint.config.mjs', 'scripts/**/*.mjs'],
    languageOptions: { sourceType: 'module', ecmaVersion: 2024, globals: { ...globals.node } },
    rules: strict,
  },
];
