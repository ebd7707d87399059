#!/usr/bin/env node
// The long fuzz run (docs/fuzzing.md): the property tests of test/fuzz and test/core/schemas
// with PRELAUNCH_FUZZ_RUNS times their npm-test budget and a fresh seed (printed first), in a
// heap of 512 MB so that an allocation driven by an unchecked size crashes instead of
// swapping, and under a watchdog: a case running longer than --hang seconds is reported
// (target and input) and the run killed.
//
//   npm run fuzz                          # runs x200, fresh seed
//   npm run fuzz -- --runs 1000 --seed 42 # more, or replay a seed
//   npm run fuzz -- -t measureIgvm        # one target (vitest -t)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const seed = Number(opt('--seed', process.env.PRELAUNCH_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31)));
const runs = Number(opt('--runs', process.env.PRELAUNCH_FUZZ_RUNS ?? 200));
const hangSeconds = Number(opt('--hang', 60));
const dir = mkdtempSync(path.join(tmpdir(), 'prelaunch-fuzz-'));
const current = path.join(dir, 'current');
console.log(`fuzz: seed ${seed}, ${runs}x the npm-test budget, 512 MB heap, hang after ${hangSeconds} s of one case`);
console.log(`replay: npm run fuzz -- --seed ${seed} --runs ${runs}`);

const child = spawn('npx', ['vitest', 'run', 'test/fuzz', 'test/core/schemas.test.ts', '--testTimeout=0', '--pool=forks', '--reporter=verbose', ...args], {
  stdio: 'inherit',
  detached: true,
  env: {
    ...process.env,
    PRELAUNCH_FUZZ_SEED: String(seed),
    PRELAUNCH_FUZZ_RUNS: String(runs),
    PRELAUNCH_FUZZ_CURRENT: current,
    PRELAUNCH_FUZZ_CASE_MS: String(hangSeconds * 1000),
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=512`.trim(),
  },
});
let last = '';
let since = Date.now();
const watchdog = setInterval(() => {
  let now = '';
  try { now = readFileSync(current, 'utf8'); } catch { /* not started */ }
  if (now !== last) { last = now; since = Date.now(); return; }
  if (now && Date.now() - since > hangSeconds * 1000) {
    console.error(`\nfuzz: HANG (no progress for ${hangSeconds} s) in ${now.trim()}\nreplay: npm run fuzz -- --seed ${seed} --runs ${runs}`);
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    clearInterval(watchdog);
    process.exitCode = 3;
  }
}, 1000);
child.on('exit', (code, signal) => {
  clearInterval(watchdog);
  rmSync(dir, { recursive: true, force: true });
  if (process.exitCode === 3) return;
  if (code !== 0) {
    console.error(`\nfuzz: FAILED (${signal ?? `exit ${code}`})${signal || code > 1 ? ` — a crash (out of memory?) in: ${last.trim() || 'unknown'}` : ''}\nreplay: npm run fuzz -- --seed ${seed} --runs ${runs}`);
    process.exitCode = code || 1;
  } else {
    console.log(`fuzz: passed (seed ${seed})`);
  }
});
