/**
 * The argument a `golden` worker thread is started with (commands/golden.ts), so that the CLI
 * entry (main.ts) knows it is a worker without loading node:worker_threads on every start.
 */
export const GOLDEN_WORKER_ARG = '--prelaunch-golden-worker';
