// IGVM benchmark, called by test/bench/run.mjs (and runnable alone: node test/bench/igvm-bench.mjs).
// Builds a ≥ 32 MiB IGVM file: the committed igvmbuilder sample qemu-snp-bldr.igvm plus a
// 32 MiB deterministic blob (SHAKE256) as 8192 SNP PAGE_DATA directives at GPA 0x20000000
// (512 MiB, unused by the sample), inserted before the VMSA so the VMSA stays last, written
// with the project's serializer. Then times `node dist/prelaunch.cjs igvm measure FILE` (and
// `igvm sign`) as whole processes, median of `runs` after one warm-up run; `bytes` is the
// file size. Reference: igvmmeasure takes 0.149 s on a 35.5 MB file (shared spec,
// performance-anchors.md).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/prelaunch.cjs');
const MiB = 1024 * 1024;
const BLOB_GPA = 0x2000_0000;

/** Write the benchmark IGVM to `file`; returns its launch digest (computed in process) and size. */
export async function makeBigIgvm(file, blobBytes = 32 * MiB) {
  const lib = await import(pathToFileURL(path.join(ROOT, 'dist/index.js')).href);
  const parsed = lib.parseIgvm(new Uint8Array(fs.readFileSync(path.join(ROOT, 'firmware-samples/igvm/builder/qemu-snp-bldr.igvm'))));
  const snp = parsed.file.platforms.find((p) => p.kind === 'supported-platform' && p.platformType === lib.IgvmPlatformType.SEV_SNP);
  const blob = new Uint8Array(createHash('shake256', { outputLength: blobBytes }).update('prelaunch/bench/igvm-32m').digest());
  const pages = [];
  for (let off = 0; off < blob.length; off += 4096) {
    pages.push({ kind: 'page-data', gpa: BLOB_GPA + off, compatibilityMask: snp.compatibilityMask, flags: 0, dataType: 0, data: { kind: 'bytes', bytes: blob.subarray(off, off + 4096) } });
  }
  const directives = [...parsed.file.directives];
  const vmsa = directives.findIndex((d) => d.kind === 'vp-context');
  directives.splice(vmsa < 0 ? directives.length : vmsa, 0, ...pages);
  const bytes = lib.serializeIgvm({ ...parsed.file, directives });
  fs.writeFileSync(file, bytes);
  const digest = lib.measureIgvm(lib.parseIgvm(bytes)).digest;
  return { size: bytes.length, digest: Buffer.from(digest).toString('hex').toUpperCase() };
}

function timeProcess(argv, runs, expectFirstLine) {
  const haveTime = fs.existsSync('/usr/bin/time');
  const walls = [];
  let rss = 0;
  for (let i = 0; i < runs + 1; i++) {
    const t0 = process.hrtime.bigint();
    const r = haveTime
      ? spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...argv], { encoding: 'utf8', maxBuffer: 64 * MiB })
      : spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 64 * MiB });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`prelaunch ${argv.slice(1).join(' ')} failed: ${r.stderr}`);
    if (expectFirstLine && r.stdout.split('\n')[0].trim() !== expectFirstLine) throw new Error(`unexpected output ${r.stdout.split('\n')[0]}`);
    if (i > 0) { // the first run warms the page cache
      walls.push(wall);
      if (haveTime) rss = Math.max(rss, Number(r.stderr.trim().split('\n').pop()) / 1024);
    }
  }
  walls.sort((a, b) => a - b);
  return { seconds: walls[Math.floor(walls.length / 2)], rssMiB: rss };
}

export async function benchIgvm({ runs = 9, tmp, sha384Floor } = {}) {
  if (!fs.existsSync(CLI)) throw new Error('build first: npm run build');
  const dir = tmp ?? fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-igvm-bench-'));
  try {
    const file = path.join(dir, 'bench-32m.igvm');
    const { size, digest } = await makeBigIgvm(file);
    const m = timeProcess([CLI, 'igvm', 'measure', file], runs, digest);
    const floor = sha384Floor ? `; SHA-384 floor alone: ${((size / 1e6 / sha384Floor) * 1000).toFixed(0)} ms` : '';
    const results = [{
      name: `IGVM measure, ${(size / 1e6).toFixed(1)} MB file (builder sample + 32 MiB page data), whole process`,
      bytes: size,
      seconds: m.seconds,
      note: `peak RSS ${m.rssMiB.toFixed(1)} MiB; igvmmeasure: 0.149 s on 35.5 MB${floor}`,
    }];
    const out = path.join(dir, 'bench-32m.signed.igvm');
    const key = path.join(ROOT, 'test/vectors/keys/igvm/id_key.pem');
    const s = timeProcess([CLI, 'igvm', 'sign', file, '--output', out, '--id-key', key], Math.min(runs, 5), digest);
    results.push({
      name: `IGVM sign, same ${(size / 1e6).toFixed(1)} MB file (measure + ID block + re-serialize), whole process`,
      bytes: size,
      seconds: s.seconds,
      note: `peak RSS ${s.rssMiB.toFixed(1)} MiB; the signed file is built in memory, as igvmmeasure does`,
    });
    return results;
  } finally {
    if (!tmp) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchIgvm({ runs: 5 })) {
    console.log(`${r.name}: ${(r.seconds * 1000).toFixed(1)} ms, ${(r.bytes / 1e6 / r.seconds).toFixed(0)} MB/s (${r.note})`);
  }
}
