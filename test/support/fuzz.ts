/**
 * Seeds and budgets of the property-based tests (fast-check). `npm test` runs a short, fixed
 * budget with a fixed seed (deterministic); `npm run fuzz` (scripts/fuzz.mjs) sets
 * PRELAUNCH_FUZZ_RUNS (a multiplier) and a fresh PRELAUNCH_FUZZ_SEED. A failure prints the seed
 * and the fast-check path; replay with
 *   PRELAUNCH_FUZZ_SEED=<seed> npx vitest run <test file>
 * (add PRELAUNCH_FUZZ_PATH=<path> to jump straight to the shrunk case).
 */
import type { Parameters } from 'fast-check';
import * as path from 'node:path';
import { expect } from 'vitest';

export const FUZZ_SEED = process.env.PRELAUNCH_FUZZ_SEED !== undefined ? Number(process.env.PRELAUNCH_FUZZ_SEED) : 0x5eed;
const SCALE = process.env.PRELAUNCH_FUZZ_RUNS !== undefined ? Number(process.env.PRELAUNCH_FUZZ_RUNS) : 1;
const PATH = process.env.PRELAUNCH_FUZZ_PATH;

export function fuzzParams<T>(p: { numRuns: number } & Parameters<T>): Parameters<T> {
  return {
    ...p,
    seed: FUZZ_SEED,
    numRuns: Math.max(1, Math.round(p.numRuns * SCALE)),
    ...(PATH !== undefined ? { path: PATH } : {}),
    endOnFailure: SCALE > 1, // the long runs report the first failure unshrunk (shrinking can take long)
    reporter: (details) => {
      if (!details.failed) return;
      const testPath = expect.getState().testPath;
      const file = testPath ? path.relative(process.cwd(), testPath) : '<test file>';
      const name = expect.getState().currentTestName;
      throw new Error(
        `property failed after ${details.numRuns} runs (seed ${details.seed}, path ${details.counterexamplePath ?? '-'}): ${String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance).slice(0, 2000)}\n` +
          `counterexample: ${JSON.stringify(details.counterexample, (_, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : typeof v === 'bigint' ? `${v}n` : v))?.slice(0, 500)}\n` +
          `replay: PRELAUNCH_FUZZ_SEED=${details.seed} PRELAUNCH_FUZZ_PATH=${details.counterexamplePath ?? ''} npx vitest run ${file}${name ? ` -t '${name.replace(/'/g, '.').split(' > ').pop()}'` : ''}`,
      );
    },
  };
}
