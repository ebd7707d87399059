/**
 * The argument a `golden` worker thread is started with (commands/golden.ts), so that the CLI
 * entry (bin.ts) knows it is a worker without loading node:worker_threads on every start.
 */
export const GOLDEN_WORKER_ARG = '--prelaunch-golden-worker';

let cliScript: string | null = null;

/** The executable's script, which worker threads re-enter (set by bin.ts; null in-process). */
export function setCliScript(script: string | null): void {
  cliScript = script;
}

/** The script worker threads run, or null when the program runs inside another (tests): then `golden` computes on this thread. */
export function goldenWorkerScript(): string | null {
  return cliScript;
}
