import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * The fast tier (`npm test`): everything in-process, no build needed. The end-to-end tier
 * (processes, the built executable, a browser) is vitest.e2e.config.ts (`npm run test:e2e`).
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.e2e.test.ts', 'test/**/*.slow.test.ts', 'node_modules/**'],
    globalSetup: ['test/support/shared-notice.ts'],
    testTimeout: 30000,
    // no firmware facts cache under $HOME: tests that test it give their own directory
    env: { PRELAUNCH_CACHE_DIR: 'off' },
    // worker threads sharing one module graph: each file re-importing and re-transforming
    // src/ cost more CPU than the tests (the tests keep no state between files)
    pool: 'threads',
    isolate: false,
    // vitest's default leaves one core free: on a 2-core machine that is one worker
    maxWorkers: availableParallelism(),
    minWorkers: 1,
  },
});
