/**
 * prelaunch CLI. Thin: each command maps flags to one library call and prints the result.
 * Command implementations are imported lazily so start-up stays fast.
 * Exit codes: 0 ok, 1 error, 2 usage error.
 */
import { CommanderError } from 'commander';
import { PrelaunchError } from '../errors.js';
import { GOLDEN_WORKER_ARG } from './golden-worker.js';
import { buildProgram } from './program.js';

/** the first argument of the build's code-cache run (scripts/make-code-cache.mjs) */
const CODE_CACHE_RUNS_ARG = '--prelaunch-code-cache-runs';

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(argv[0]);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2; // commander has already printed "error: …"
    }
    if (e instanceof PrelaunchError) {
      process.stderr.write(`error: ${e.message}\n`);
      return e.code === 'ERR_INVALID_OPTION' ? 2 : 1;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`error: internal error: ${msg.split('\n')[0]} (please report this)\n`);
    return 1;
  }
}

// `golden` runs artifacts on worker threads that re-enter this script with GOLDEN_WORKER_ARG
// (see commands/golden.ts); worker_threads itself is loaded only then (~1-3 ms of start-up).
if (process.argv[2] === GOLDEN_WORKER_ARG) {
  void import('./golden-worker-main.js').then((w) => w.runGoldenWorker());
} else if (process.argv[2] === CODE_CACHE_RUNS_ARG) {
  // `npm run build` (scripts/make-code-cache.mjs): several commands in one process, so that the
  // V8 code cache the launcher writes at exit holds the code each of them runs
  let runs: unknown = null;
  try {
    runs = JSON.parse(process.argv[3] ?? '');
  } catch {
    runs = null;
  }
  if (!Array.isArray(runs) || !runs.every((r) => Array.isArray(r) && r.every((a) => typeof a === 'string'))) {
    process.stderr.write(`error: ${CODE_CACHE_RUNS_ARG} is internal to npm run build (it takes a JSON list of argument lists)\n`);
    process.exitCode = 2;
  } else {
    void (async () => {
      for (const argv of runs as string[][]) {
        const code = await main(argv);
        if (code !== 0) process.exitCode = code;
      }
    })();
  }
} else {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
