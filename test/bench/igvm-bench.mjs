// IGVM benchmark, called by test/bench/run.mjs (and runnable alone: node test/bench/igvm-bench.mjs
// [--runs N] [--igvmmeasure PATH] [--igvmbuilder PATH]).
//
// The workload of ../shared/spec/performance-anchors.md: an IGVM of EDK2 + a 32 MiB filesystem,
// SNP + native, built the way igvmbuilder builds it —
//   prelaunch igvm build --sort --policy 0x30000 --snp --native --bldr bldr.bin --kernel kernel.elf
//     --firmware OVMF.fd --filesystem fs-32m.bin --output big.igvm qemu
// with the committed inputs (firmware-samples/) and the 32 MiB image SHAKE256("prelaunch/fs/fs-32m").
// The file (35.5 MB) and its digest are checked against the igvmbuilder/igvmmeasure vector
// qemu-32m-fw-native-sort in test/vectors/igvm-build-filesystem.json before anything is timed.
//
// Timed as whole processes, median (and minimum) of `runs` after one warm-up: `prelaunch igvm
// measure`, and igvmmeasure on the same file when its path is given (--igvmmeasure PATH or
// IGVMMEASURE=PATH; see docs/performance.md for how it was built here), run by run in turn so
// that both see the same machine; the ratio given is the median of the per-round ratios. When NODE_EXTRA_CA_CERTS is set (this workplace sets it to
// the system bundle, which every Node process then parses at start-up, +35-45 ms),
// prelaunch is timed with it and without it. Then `igvm build` (beside igvmbuilder, with
// --igvmbuilder PATH or IGVMBUILDER=PATH) and `igvm sign` (beside igvmmeasure sign), each
// output checked to be byte-identical to the reference tool's.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { interleaved, withoutCaCerts } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/prelaunch.cjs');
const CASE = 'qemu-32m-fw-native-sort';


/** Build the benchmark IGVM into `dir`; checks it against the igvmbuilder vector. */
export function makeBigIgvm(dir) {
  const vectors = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/vectors/igvm-build-filesystem.json'), 'utf8'));
  const c = vectors.cases.find((x) => x.name === CASE);
  const blob = path.join(dir, 'fs-32m.bin');
  fs.writeFileSync(blob, createHash('shake256', { outputLength: c.filesystem.size }).update(`prelaunch/fs/${c.filesystem.name}`, 'utf8').digest());
  const file = path.join(dir, 'bench-35m.igvm');
  const inputs = {
    '{bldr.bin}': path.join(ROOT, 'firmware-samples/igvm-inputs/bldr.bin'),
    '{kernel.elf}': path.join(ROOT, 'firmware-samples/igvm-inputs/kernel.elf'),
    '{OVMF.fd}': path.join(ROOT, 'firmware-samples/debian/OVMF.fd'),
    '{filesystem}': blob,
    OUT: file,
  };
  const argv = ['igvm', 'build', ...c.igvmbuilder.map((a) => inputs[a] ?? a)];
  const r = spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`igvm build failed: ${r.stderr}`);
  const bytes = fs.readFileSync(file);
  if (bytes.length !== c.output.size || createHash('sha256').update(bytes).digest('hex') !== c.output.sha256) {
    throw new Error(`the benchmark IGVM is not igvmbuilder's ${CASE}`);
  }
  return { file, size: bytes.length, digest: c.igvmmeasure, buildArgv: argv };
}

export async function benchIgvm({ runs = 9, tmp, igvmmeasure = process.env.IGVMMEASURE ?? null, igvmbuilder = process.env.IGVMBUILDER ?? null } = {}) {
  if (!fs.existsSync(CLI)) throw new Error('build first: npm run build');
  const dir = tmp ?? fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-igvm-bench-'));
  try {
    const { file, size, digest, buildArgv } = makeBigIgvm(dir);
    const mb = (size / 1e6).toFixed(1);
    const caCerts = process.env.NODE_EXTRA_CA_CERTS;
    const cmds = [];
    if (igvmmeasure) cmds.push({ label: 'igvmmeasure', cmd: igvmmeasure, argv: [file, 'measure', '-b'], expect: digest });
    cmds.push({ label: 'prelaunch', cmd: process.execPath, argv: [CLI, 'igvm', 'measure', file], env: withoutCaCerts(), expect: digest });
    if (caCerts) cmds.push({ label: 'prelaunch, NODE_EXTRA_CA_CERTS set', cmd: process.execPath, argv: [CLI, 'igvm', 'measure', file], env: process.env, expect: digest });
    cmds.push({ label: 'node -e 0', cmd: process.execPath, argv: ['-e', '0'], env: withoutCaCerts() });
    const t = interleaved(cmds, runs);
    const ref = igvmmeasure ? t[0] : null;
    const results = t.map((x) => ({
      name: `IGVM measure, ${mb} MB (EDK2 + 32 MiB filesystem, SNP + native): ${x.label}${x.label === 'node -e 0' ? ' (start-up alone)' : ''}`,
      bytes: x.label === 'node -e 0' ? 0 : size,
      seconds: x.median,
      note: `min ${(x.min * 1000).toFixed(1)} ms, peak RSS ${x.rssMiB.toFixed(1)} MiB${ref && x !== ref && x.label !== 'node -e 0' ? `; ${x.pairedRatio.toFixed(2)}× igvmmeasure (median of the per-round ratios)` : ''}`,
    }));
    if (!igvmmeasure) results.push({ name: 'igvmmeasure (not run: give --igvmmeasure PATH)', bytes: 0, seconds: 0.149, note: 'the figure from the reference machine, performance-anchors.md' });

    const buildCmds = [{ label: 'prelaunch', cmd: process.execPath, argv: [CLI, ...buildArgv], env: withoutCaCerts() }];
    if (igvmbuilder) {
      const out = buildArgv.indexOf(file);
      const argv = buildArgv.slice(2).map((a, i) => (i === out - 2 ? path.join(dir, 'r.built.igvm') : a));
      buildCmds.unshift({ label: 'igvmbuilder', cmd: igvmbuilder, argv });
    }
    const bs = interleaved(buildCmds, Math.min(runs, 9));
    if (igvmbuilder && Buffer.compare(fs.readFileSync(path.join(dir, 'r.built.igvm')), fs.readFileSync(file)) !== 0) throw new Error('igvm build output differs from igvmbuilder');
    for (const x of bs) {
      results.push({
        name: `IGVM build of that file: ${x.label}`, bytes: size, seconds: x.median,
        note: `min ${(x.min * 1000).toFixed(1)} ms, peak RSS ${x.rssMiB.toFixed(1)} MiB${igvmbuilder && x.label === 'prelaunch' ? `; ${x.pairedRatio.toFixed(2)}× igvmbuilder (median of the per-round ratios); byte-identical output` : igvmbuilder ? '' : '; igvmbuilder: 0.21 s, 143 MiB on the reference machine'}`,
      });
    }
    const key = path.join(ROOT, 'test/vectors/keys/igvm/id_key.pem');
    const signCmds = [{ label: 'prelaunch', cmd: process.execPath, argv: [CLI, 'igvm', 'sign', file, '--output', path.join(dir, 'p.signed.igvm'), '--id-key', key], env: withoutCaCerts() }];
    if (igvmmeasure) signCmds.unshift({ label: 'igvmmeasure', cmd: igvmmeasure, argv: [file, 'sign', '--output', path.join(dir, 'r.signed.igvm'), '--id-key', key] });
    const s = interleaved(signCmds, Math.min(runs, 5));
    if (igvmmeasure && Buffer.compare(fs.readFileSync(path.join(dir, 'p.signed.igvm')), fs.readFileSync(path.join(dir, 'r.signed.igvm'))) !== 0) {
      throw new Error('igvm sign output differs from igvmmeasure sign');
    }
    for (const x of s) results.push({ name: `IGVM sign of that file: ${x.label}`, bytes: size, seconds: x.median, note: `min ${(x.min * 1000).toFixed(1)} ms, peak RSS ${x.rssMiB.toFixed(1)} MiB${igvmmeasure && x.label === 'prelaunch' ? `; ${x.pairedRatio.toFixed(2)}× igvmmeasure (median of the per-round ratios); byte-identical output` : ''}` });
    return results;
  } finally {
    if (!tmp) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1] || 0) || 9;
  const igvmmeasure = args.includes('--igvmmeasure') ? args[args.indexOf('--igvmmeasure') + 1] : undefined;
  const igvmbuilder = args.includes('--igvmbuilder') ? args[args.indexOf('--igvmbuilder') + 1] : undefined;
  for (const r of await benchIgvm({ runs, ...(igvmmeasure ? { igvmmeasure } : {}), ...(igvmbuilder ? { igvmbuilder } : {}) })) {
    console.log(`${r.name}: ${(r.seconds * 1000).toFixed(1)} ms${r.bytes ? `, ${(r.bytes / 1e6 / r.seconds).toFixed(0)} MB/s` : ''} (${r.note})`);
  }
}
