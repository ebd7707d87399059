/**
 * The process entry of the `prelaunch` executable (bundled as dist/prelaunch-main.cjs, loaded
 * by the launcher): process.argv in, process.exitCode out. The program itself is ./main.ts.
 */
import { GOLDEN_WORKER_ARG, setCliScript } from './golden-worker.js';
import { main } from './main.js';

/** the first argument of the build's code-cache run (scripts/make-code-cache.mjs) */
const CODE_CACHE_RUNS_ARG = '--prelaunch-code-cache-runs';

// `golden` runs artifacts on worker threads that re-enter this script with GOLDEN_WORKER_ARG
// (see commands/golden.ts); worker_threads itself is loaded only then (~1-3 ms of start-up).
setCliScript(process.argv[1] ?? null);
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
      for (const run of runs as string[][]) {
        // `exit=N` first: the run is expected to exit N (a verify of synthetic evidence exits 1)
        const expected = run[0]?.startsWith('exit=') ? Number(run[0].slice(5)) : 0;
        const code = await main(expected ? run.slice(1) : run);
        if (code !== expected) process.exitCode = code || 1;
      }
    })();
  }
} else {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
