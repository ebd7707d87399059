// `prelaunch verify QUOTE` benchmark, called by test/bench/run.mjs (and runnable alone:
// node test/bench/tdx-verify-bench.mjs). One TDX quote verified as a whole process: start-up,
// quote parsing, the quote and QE report ECDSA P-256 signatures, the QE binding, the PCK chain
// (PKI.js) to the shipped Intel root; and the same with DCAP collateral (TCB info and QE identity
// signatures and chains, two CRLs, the TCB status). Goal (issue 15): a quote under 150 ms. With
// ../shared present it verifies a real v4 quote (exit 0); without, the synthetic one of
// test/verify/synthetic (test keys: the same work, but its chain is not Intel's, so exit 1).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/prelaunch.cjs');
const SHARED = path.resolve(ROOT, '../shared/oracles/verify');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function run(argv, runs, want) {
  const walls = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== want || JSON.parse(r.stdout).signatureValid !== true) throw new Error(`verify failed: ${r.stderr}`);
    if (i > 0) walls.push(wall);
  }
  return median(walls);
}

export async function benchTdxVerify({ runs = 9 } = {}) {
  const real = fs.existsSync(path.join(SHARED, 'tdx/tdx-v4-dcapqvl-sample/quote.bin'));
  const syn = path.join(ROOT, 'test/verify/synthetic');
  const quote = real ? path.join(SHARED, 'tdx/tdx-v4-dcapqvl-sample/quote.bin') : path.join(syn, 'tdx-quote-v4.bin');
  const coll = real ? ['--collateral', path.join(SHARED, 'tdx_collateral/b0c06f-2025-06.json'), '--at', '2025-07-01T00:00:00Z'] : ['--collateral', path.join(syn, 'tdx-collateral.json'), '--at', '2025-06-15T00:00:00Z'];
  const what = real ? 'a real v4 quote' : 'the synthetic v4 quote';
  const want = real ? 0 : 1;
  return [
    { name: `verify: one TDX quote, PCK chain to the Intel root, as a process (${what})`, seconds: run(['verify', quote, '--json'], runs, want), note: 'goal < 150 ms' },
    { name: `verify: the same with DCAP collateral and TCB status (${what})`, seconds: run(['verify', quote, ...coll, '--json'], runs, want) },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchTdxVerify({ runs: Number(process.argv[2] ?? 9) })) console.log(`${r.name}: ${(r.seconds * 1000).toFixed(1)} ms`);
}
