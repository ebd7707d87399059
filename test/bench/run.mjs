#!/usr/bin/env node
// prelaunch benchmarks: `npm run bench` (builds first). Prints a markdown report: the
// hashing floor (openssl speed), then each workload with its median wall time and peak RSS,
// next to the floor or the reference tool measured in the same run. Inputs are generated
// into a temporary directory and removed afterwards. Numbers go into docs/performance.md.
//
//   node test/bench/run.mjs [--runs N] [--quick] [--reference PATH_TO_sev-snp-measure.py] [--igvmmeasure PATH] [--igvmbuilder PATH]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLib } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/prelaunch.cjs');
const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 0) || (args.includes('--quick') ? 3 : 9);
const REFERENCE = args.includes('--reference') ? args[args.indexOf('--reference') + 1] : process.env.SEV_SNP_MEASURE ?? null;
const IGVMMEASURE = args.includes('--igvmmeasure') ? args[args.indexOf('--igvmmeasure') + 1] : process.env.IGVMMEASURE ?? null;
const IGVMBUILDER = args.includes('--igvmbuilder') ? args[args.indexOf('--igvmbuilder') + 1] : process.env.IGVMBUILDER ?? null;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const fmt = (s) => `${(s * 1000).toFixed(1)} ms`;
const mib = (m) => (Number.isFinite(m) ? `${m.toFixed(1)} MiB` : 'n/a');

/** Run a command RUNS times; median wall seconds and max peak RSS (KiB) via GNU time. */
const HAVE_GNU_TIME = fs.existsSync('/usr/bin/time');

function timeCommand(cmd, argv, opts = {}) {
  const walls = [];
  let rss = 0;
  for (let i = 0; i < RUNS + 1; i++) {
    const t0 = process.hrtime.bigint();
    // GNU time reports the peak RSS; without it, only wall time is measured
    const r = HAVE_GNU_TIME
      ? spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...argv], { encoding: 'utf8', maxBuffer: 64 * MiB, cwd: opts.cwd })
      : spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 * MiB, cwd: opts.cwd });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr}`);
    const kib = HAVE_GNU_TIME ? Number(r.stderr.trim().split('\n').pop()) : NaN;
    if (i > 0) { walls.push(wall); rss = Math.max(rss, kib); } // first run warms the page cache
    if (opts.expect && r.stdout.trim() !== opts.expect) throw new Error(`unexpected output ${r.stdout.trim()}`);
  }
  return { wall: median(walls), rssMiB: rss / 1024 };
}

function opensslSpeed(alg, bytes) {
  const out = execFileSync('openssl', ['speed', '-seconds', '2', '-evp', alg, '-bytes', String(bytes)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const line = out.trim().split('\n').pop();
  const k = parseFloat(line.trim().split(/\s+/).pop()); // "1234.56k" = kB/s (1000 bytes)
  return (k * 1000) / 1e6; // MB/s
}

/** The conformance corpus's deterministic inputs: a SHAKE256 stream (kernels get a bzImage-like header). */
function shakeFile(file, seed, size, bzimage = false) {
  const b = createHash('shake256', { outputLength: size }).update(seed, 'utf8').digest();
  if (bzimage) { b[0x1fe] = 0x55; b[0x1ff] = 0xaa; b.write('HdrS', 0x202, 'latin1'); b.writeUInt16LE(0x020f, 0x206); }
  fs.writeFileSync(file, b);
}

const report = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-bench-'));
try {
  if (!fs.existsSync(CLI)) throw new Error('build first: npm run build');
  const cpu = (os.cpus()[0]?.model ?? 'unknown').trim();
  report.push(`# prelaunch benchmark — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}, node ${process.version}, median of ${RUNS} runs`);
  report.push('');

  // 1. the hashing floor
  const sha384 = opensslSpeed('sha384', 4096);
  const sha256 = opensslSpeed('sha256', 16384);
  report.push('| floor | throughput |', '|---|---|');
  report.push(`| openssl speed -evp sha384 -bytes 4096 | ${sha384.toFixed(0)} MB/s |`);
  report.push(`| openssl speed -evp sha256 -bytes 16384 | ${sha256.toFixed(0)} MB/s |`);
  report.push('');

  // 2. in-process engine throughput (no process start-up)
  const lib = await loadLib();
  const fw = new Uint8Array(fs.readFileSync(path.join(ROOT, 'firmware-samples/synthetic/amdsev.fd')));
  const big = new Uint8Array(32 * MiB);
  big.set(fw, big.length - fw.length);
  for (const name of ['node', 'noble']) {
    const backend = await lib.loadHashBackend(name);
    const size = name === 'noble' ? 4 * MiB : big.length;
    const img = big.subarray(big.length - size);
    const times = [];
    for (let i = 0; i < (name === 'noble' ? 3 : RUNS); i++) {
      const t0 = process.hrtime.bigint();
      lib.snpOvmfHash(img, backend);
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    const mbs = size / 1e6 / median(times);
    report.push(`- SNP page loop, ${size / MiB} MiB firmware (SHA-384 per page + PAGE_INFO chain), ${name} backend: **${mbs.toFixed(0)} MB/s**${name === 'node' ? ` (${((mbs / sha384) * 100).toFixed(0)}% of the openssl floor)` : ''}`);
  }
  report.push('');

  // 3. one SNP digest of a 2 MiB OVMF, as a process
  const ovmf = path.join(ROOT, 'firmware-samples/debian/OVMF.fd');
  const snpArgs = ['--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--ovmf', ovmf];
  const expect1 = '11570979c77a0adb515761a702527c8b9e11554e730552621d950988613a3a75c6ff1703f540bd22a9beede8fe7a97e3';
  const rows = [['workload', 'tool', 'median wall', 'peak RSS']];
  const nodeStart = timeCommand(process.execPath, ['-e', '0']);
  rows.push(['`node -e 0` (start-up baseline)', 'node', fmt(nodeStart.wall), `${mib(nodeStart.rssMiB)}`]);
  const one = timeCommand(process.execPath, [CLI, 'measure', ...snpArgs], { expect: expect1 });
  rows.push(['SNP, Debian OVMF.fd (2 MiB), 1 vCPU', 'prelaunch', fmt(one.wall), `${mib(one.rssMiB)}`]);
  if (REFERENCE) {
    const py = timeCommand('python3', ['-c', 'pass']);
    rows.push(['`python3 -c pass` (start-up baseline)', 'python3', fmt(py.wall), `${mib(py.rssMiB)}`]);
    const ref = timeCommand('python3', [REFERENCE, ...snpArgs], { expect: expect1 });
    rows.push(['SNP, Debian OVMF.fd (2 MiB), 1 vCPU', 'sev-snp-measure (same machine, same run)', fmt(ref.wall), `${mib(ref.rssMiB)}`]);
  }
  const code4m = path.join(ROOT, 'firmware-samples/debian/OVMF_CODE_4M.fd');
  const v64 = timeCommand(process.execPath, [CLI, 'measure', '--mode', 'snp', '--vcpus', '64', '--vcpu-type', 'EPYC-v4', '--ovmf', code4m]);
  rows.push(['SNP, OVMF_CODE_4M.fd, 64 vCPUs', 'prelaunch', fmt(v64.wall), `${mib(v64.rssMiB)}`]);

  // 4. direct boot with a 256 MiB initrd: streamed, against openssl dgst over the same bytes
  if (!args.includes('--quick')) {
    const fw4 = path.join(tmp, 'amdsev_4m.fd');
    const prefix = createHash('shake256', { outputLength: 4 * MiB - fw.length }).update('snp-oracle/fw/amdsev_4m.fd/prefix', 'utf8').digest();
    fs.writeFileSync(fw4, Buffer.concat([prefix, fw]));
    const kernel = path.join(tmp, 'kernel_5m.bin');
    shakeFile(kernel, 'snp-oracle/kernel_5m', 5 * MiB + 123, true);
    const initrd = path.join(tmp, 'initrd_256m.bin');
    shakeFile(initrd, 'snp-oracle/initrd_256m', 256 * MiB);
    const dgst = timeCommand('openssl', ['dgst', '-sha256', fw4, kernel, initrd]);
    rows.push(['`openssl dgst -sha256` over firmware + kernel + 256 MiB initrd (floor)', 'openssl', fmt(dgst.wall), `${mib(dgst.rssMiB)}`]);
    const db = timeCommand(process.execPath, [CLI, 'measure', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', fw4, '--kernel', kernel, '--initrd', initrd, '--append', 'console=ttyS0 loglevel=7'],
      { expect: 'd47ff65a78ba0191745e999c283319a737b5af85020f3eea09b92695ed5239cec24745ee01cc8444454a582d60ecb9b3' });
    rows.push(['SNP, 4 MiB AmdSev-like firmware + 5 MiB kernel + 256 MiB initrd', 'prelaunch', `${fmt(db.wall)} (${(db.wall / dgst.wall).toFixed(2)}× openssl)`, `${mib(db.rssMiB)}`]);
    if (REFERENCE) {
      const ref = timeCommand('python3', [REFERENCE, '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', fw4, '--kernel', kernel, '--initrd', initrd, '--append', 'console=ttyS0 loglevel=7']);
      rows.push(['SNP, same direct-boot inputs', 'sev-snp-measure (same run)', fmt(ref.wall), `${mib(ref.rssMiB)}`]);
    }
    const sev = timeCommand(process.execPath, [CLI, 'measure', '--mode', 'sev', '--ovmf', fw4, '--kernel', kernel, '--initrd', initrd]);
    rows.push(['SEV, same inputs (one SHA-256 stream + kernel hashes)', 'prelaunch', fmt(sev.wall), `${mib(sev.rssMiB)}`]);
  }
  report.push(`| ${rows[0].join(' | ')} |`, `|${rows[0].map(() => '---').join('|')}|`);
  for (const r of rows.slice(1)) report.push(`| ${r.join(' | ')} |`);
  report.push('');

  // 5. benchmarks contributed by other capabilities (each exports bench*() → {name, bytes, seconds, note?})
  for (const f of fs.readdirSync(path.dirname(fileURLToPath(import.meta.url))).filter((f) => /-bench\.mjs$/.test(f)).sort()) {
    const mod = await import(path.join(path.dirname(fileURLToPath(import.meta.url)), f));
    for (const [name, fn] of Object.entries(mod)) {
      if (typeof fn !== 'function' || !name.startsWith('bench')) continue;
      const r = await fn({ runs: RUNS, tmp, sha384Floor: sha384, igvmmeasure: IGVMMEASURE, igvmbuilder: IGVMBUILDER });
      for (const x of [].concat(r)) {
        const mbs = x.bytes ? ` — ${(x.bytes / 1e6 / x.seconds).toFixed(0)} MB/s${x.bytes ? `, ${((x.bytes / 1e6 / x.seconds / sha384) * 100).toFixed(0)}% of the sha384 floor` : ''}` : '';
        report.push(`- ${x.name}: ${fmt(x.seconds)}${mbs}${x.note ? ` (${x.note})` : ''}`);
      }
    }
  }
  console.log(report.join('\n'));
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
