// `npm run lint`: ESLint's and typescript-eslint's recommended rules (syntax-level, no type
// information: fast), over the sources, tests and scripts. Kept modest on purpose: the type
// checker (`npm run typecheck`, strict) does the heavy lifting.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'firmware-samples/**', 'docs/**', 'test/vectors/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        process: 'readonly', Buffer: 'readonly', console: 'readonly', URL: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly', globalThis: 'readonly',
        SharedArrayBuffer: 'readonly', Atomics: 'readonly', structuredClone: 'readonly', performance: 'readonly', crypto: 'readonly',
        __dirname: 'readonly', __filename: 'readonly', require: 'readonly', module: 'writable',
      },
    },
    rules: {
      // unused names are errors, except deliberately ignored ones (_x) and rest siblings
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // tests patch parsed JSON documents and drive generic fuzz targets
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // CommonJS shims loaded by the bundle
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
