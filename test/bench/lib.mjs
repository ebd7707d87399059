// The built library as one namespace for the benchmarks: the root entry plus every capability
// entry (the package splits its exports by capability; benchmarks reach across them).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function loadLib() {
  const lib = { ...(await import(pathToFileURL(path.join(ROOT, 'dist/index.js')).href)) };
  const dir = path.join(ROOT, 'dist/entries');
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
    Object.assign(lib, await import(pathToFileURL(path.join(dir, f)).href));
  }
  return lib;
}

const MiB = 1024 * 1024;
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The environment without NODE_EXTRA_CA_CERTS: Node parses that CA bundle before any script runs, which is not prelaunch's cost. */
export function withoutCaCerts() {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** One run: wall seconds (GNU time adds ~1 ms, the same for every command), stdout, peak RSS in MiB (NaN without GNU time). */
function run(cmd, argv, env) {
  const t0 = process.hrtime.bigint();
  const r = GNU_TIME
    ? spawnSync(GNU_TIME, ['-f', '%M', cmd, ...argv], { encoding: 'utf8', maxBuffer: 64 * MiB, env })
    : spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 * MiB, env });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr}`);
  const rss = GNU_TIME ? Number(r.stderr.trim().split('\n').pop()) / 1024 : NaN;
  return { wall, stdout: r.stdout, rss };
}

/**
 * Time each of `cmds` ({label, cmd, argv, env, expect}) `runs` times, taking turns (one warm-up
 * round first); median and minimum wall seconds for each, and ratios taken round by round.
 */
export function interleaved(cmds, runs) {
  const walls = cmds.map(() => []);
  const rss = cmds.map(() => 0);
  for (let i = 0; i < runs + 1; i++) {
    cmds.forEach((c, k) => {
      const r = run(c.cmd, c.argv, c.env);
      if (c.expect && r.stdout.split('\n').map((l) => l.trim()).filter(Boolean)[0] !== c.expect) {
        throw new Error(`${c.label}: unexpected output ${r.stdout.trim()}`);
      }
      if (i > 0) { walls[k].push(r.wall); rss[k] = Math.max(rss[k], r.rss); }
    });
  }
  // walls[k][i] / walls[j][i]: the same round, so slow spells of the machine cancel out
  return cmds.map((c, k) => {
    const ratioTo = (j) => median(walls[k].map((w, i) => w / walls[j][i]));
    return { label: c.label, median: median(walls[k]), min: Math.min(...walls[k]), rssMiB: rss[k], pairedRatio: ratioTo(0), ratioTo };
  });
}
