// Build step (package.json "build", last): runs the CLI bundle with PRELAUNCH_CODE_CACHE_OUT
// set, so that the launcher (src/cli/launcher.ts) writes V8's code cache for the bundle at exit.
// Two caches: one from measuring a bundled OVMF (SEV-SNP) and a bundled IGVM file in one
// process, which every command but `verify` loads; one from verifying a synthetic SNP report
// and TDX quote, which `verify` loads. A cache holds the functions its runs compiled; a function
// no run called is compiled lazily, as without a cache.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mainRuns = [
  ['measure', '--mode', 'snp', '--vcpus', '2', '--vcpu-type', 'EPYC-v4', '--ovmf', 'firmware-samples/debian/OVMF.fd'],
  ['igvm', 'measure', 'firmware-samples/igvm/builder/qemu-snp-bldr.igvm'],
];
// `prelaunch verify` has its own cache (src/cli/launcher.ts): PKI.js and the verifiers would
// more than double the one every command loads
const verifyRuns = [
  // the synthetic report and chain (test keys: its ARK is not AMD's, so it exits 1 — after
  // every parse and signature check a real report takes)
  ['exit=1', 'verify', 'test/verify/synthetic/report-v3-milan.bin', '--cert', 'test/verify/synthetic/vcek_milan.pem', '--cert', 'test/verify/synthetic/milan_ask.pem', '--cert', 'test/verify/synthetic/milan_ark.pem', '--json'],
  // TDX: the synthetic quote and collateral (test keys: the chains are not Intel's, exit 1)
  ['exit=1', 'verify', 'test/verify/synthetic/tdx-quote-v4.bin', '--collateral', 'test/verify/synthetic/tdx-collateral.json', '--at', '2025-06-15T00:00:00Z', '--json'],
];
// a cache made by another Node (an earlier build) is dead weight in the package: remove it
for (const f of fs.readdirSync(path.join(ROOT, 'dist'))) if (/^prelaunch-main\.cjs\..*v8cache$/.test(f)) fs.rmSync(path.join(ROOT, 'dist', f));
function makeCache(runs, name) {
  const r = spawnSync(process.execPath, ['dist/prelaunch.cjs', '--prelaunch-code-cache-runs', JSON.stringify(runs)], {
    cwd: ROOT,
    env: { ...process.env, PRELAUNCH_CODE_CACHE_OUT: `dist/${name}.${process.versions.v8}.v8cache` },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    // the verify runs' expected `error:` lines are not shown unless the whole run failed
    process.stderr.write(r.stderr ?? '');
    console.error(`make-code-cache: the CLI run for ${name} failed (${r.status ?? r.signal})`);
    process.exit(1);
  }
}
makeCache(mainRuns, 'prelaunch-main.cjs');
makeCache(verifyRuns, 'prelaunch-main.cjs.verify');
