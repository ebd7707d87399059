// `prelaunch verify` benchmark, called by test/bench/run.mjs (and runnable alone:
// node test/bench/verify-bench.mjs). One SEV-SNP report with its VCEK, ASK and ARK verified as
// a whole process (start-up, PKI.js, four signature checks: the report's ECDSA P-384, ARK, ASK
// and VCEK RSA-PSS). Goal (issue 15): under 100 ms on the 2-vCPU benchmark VM. With ../shared
// present it verifies a real Milan report (exit 0); without, the synthetic one of
// test/verify/synthetic (test keys: the same work, but its ARK is not AMD's, so exit 1).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/prelaunch.cjs');
const SHARED = path.resolve(ROOT, '../shared/oracles/verify');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchSnpVerify({ runs = 9 } = {}) {
  const real = fs.existsSync(path.join(SHARED, 'snp/snp-milan-v3-microsoft/report.bin'));
  const syn = path.join(ROOT, 'test/verify/synthetic');
  const argv = real
    ? ['verify', path.join(SHARED, 'snp/snp-milan-v3-microsoft/report.bin'), '--cert', path.join(SHARED, 'snp/snp-milan-v3-microsoft/vcek.pem'), '--cert', path.join(SHARED, 'amd/milan_ask.pem'), '--cert', path.join(SHARED, 'amd/milan_ark.pem'), '--json']
    : ['verify', path.join(syn, 'report-v3-milan.bin'), '--cert', path.join(syn, 'vcek_milan.pem'), '--cert', path.join(syn, 'milan_ask.pem'), '--cert', path.join(syn, 'milan_ark.pem'), '--json'];
  const walls = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== (real ? 0 : 1) || JSON.parse(r.stdout).signatureValid !== true) throw new Error(`verify failed: ${r.stderr}`);
    if (i > 0) walls.push(wall);
  }
  return { name: `verify: one SEV-SNP report + VCEK/ASK/ARK chain, as a process (${real ? 'a real Milan v3 report' : 'the synthetic Milan v3 report'})`, seconds: median(walls), note: 'goal < 100 ms' };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchSnpVerify({ runs: Number(process.argv[2] ?? 9) });
  console.log(`${r.name}: ${(r.seconds * 1000).toFixed(1)} ms`);
}
