import { defineConfig } from 'vitest/config';

/**
 * The end-to-end tier (`npm run test:e2e`, after `npm run build`): the built executable as a
 * process (exit codes, the launcher and its code cache, pipes, FIFOs, signals, worker
 * threads) and the browser test (test/browser/browser.e2e.test.ts; `npm run test:browser`
 * runs it alone).
 */
export default defineConfig({
  test: {
    include: ['test/**/*.e2e.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 60000,
    pool: 'forks',
  },
});
