// `tpm predict` benchmark (measured boot, issue goal: within 1.5× of `openssl dgst -sha256
// -sha384` over the same bytes, as a whole process). Called by test/bench/run.mjs; runnable
// alone after `npm run build`: node test/bench/tpm-bench.mjs [--runs N].
// Inputs: Debian sid's OVMF_CODE_4M.fd (edk2 2026.08, bundled), a synthetic 12 MiB EFI-stub
// bzImage and a 30 MiB initrd (SHAKE256 filler), QEMU 11.1. Rows: the literal openssl command
// (OpenSSL 3 keeps only the last digest option: it computes SHA-384 alone), openssl computing
// both digests (two runs), `node -e 0`, and prelaunch without the firmware facts cache (the
// firmware's 16 MB DXE volume decompressed every run) and with it (decompressed once).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/prelaunch.cjs');
const MiB = 1024 * 1024;

/** A PE32+ EFI-stub bzImage of `size` bytes: headers, one section, then filler (hashed as trailing data). */
function bzImage(size) {
  const b = createHash('shake256', { outputLength: size }).update('prelaunch/bench/tpm-kernel').digest();
  b.fill(0, 0, 0x1f1);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x40, 0x3c);
  b.writeUInt32LE(0x4550, 0x40); // PE\0\0
  b.writeUInt16LE(0x8664, 0x44);
  b.writeUInt16LE(1, 0x46); // one section
  b.writeUInt16LE(240, 0x54);
  const opt = 0x58;
  b.writeUInt16LE(0x20b, opt);
  b.writeUInt32LE(0x5000, opt + 56); // SizeOfImage
  b.writeUInt32LE(0x1000, opt + 60); // SizeOfHeaders
  b.writeUInt32LE(16, opt + 108);
  b.fill(0, opt + 112, opt + 240); // no data directories (no certificate table)
  const sec = opt + 240;
  b.fill(0, sec, sec + 40);
  b.write('.text', sec, 'latin1');
  b.writeUInt32LE(0x4000, sec + 8);
  b.writeUInt32LE(0x1000, sec + 12);
  b.writeUInt32LE(0x4000, sec + 16);
  b.writeUInt32LE(0x1000, sec + 20);
  b[0x1f1] = 7;
  b.writeUInt16LE(0xaa55, 0x1fe);
  b.write('HdrS', 0x202, 'latin1');
  b.writeUInt16LE(0x020f, 0x206);
  b[0x211] = 0x01;
  b.writeUInt32LE(0x7fffffff, 0x22c);
  b.writeUInt16LE(0x7f, 0x236);
  return b;
}

function wall(cmd, argv, runs, env) {
  const walls = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: env ?? process.env });
    if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr}`);
    if (i > 0) walls.push(Number(process.hrtime.bigint() - t0) / 1e9); // the first warms the page cache (and fills the cache)
  }
  walls.sort((a, b) => a - b);
  return walls[Math.floor(walls.length / 2)];
}

export async function benchTpmPredict({ runs = 9, tmp } = {}) {
  const dir = fs.mkdtempSync(path.join(tmp ?? os.tmpdir(), 'tpm-bench-'));
  try {
    const kernel = path.join(dir, 'bzImage');
    const initrd = path.join(dir, 'initrd');
    fs.writeFileSync(kernel, bzImage(12 * MiB));
    fs.writeFileSync(initrd, createHash('shake256', { outputLength: 30 * MiB }).update('prelaunch/bench/tpm-initrd').digest());
    const argv = [CLI, 'tpm', 'predict', '--firmware', path.join(ROOT, 'firmware-samples/debian-sid/OVMF_CODE_4M.fd'), '--kernel', kernel, '--initrd', initrd,
      '--append', 'console=ttyS0', '--qemu-version', '11.1', '--memory', '1024', '--json'];
    const literal = wall('openssl', ['dgst', '-sha256', '-sha384', kernel, initrd], runs);
    const both = wall('sh', ['-c', `openssl dgst -sha256 "$0" "$1" >/dev/null && openssl dgst -sha384 "$0" "$1" >/dev/null`, kernel, initrd], runs);
    const node = wall(process.execPath, ['-e', '0'], runs);
    const cold = wall(process.execPath, argv, runs, { ...process.env, PRELAUNCH_CACHE_DIR: 'off' });
    const warm = wall(process.execPath, argv, runs, { ...process.env, PRELAUNCH_CACHE_DIR: path.join(dir, 'cache') });
    const vs = (s) => `${(s / literal).toFixed(2)}× the literal openssl command, ${(s / both).toFixed(2)}× openssl computing both digests`;
    return [
      { name: '`openssl dgst -sha256 -sha384` over a 12 MiB kernel + 30 MiB initrd (computes SHA-384 only)', seconds: literal },
      { name: 'openssl, SHA-256 then SHA-384 over the same bytes (two runs)', seconds: both },
      { name: '`node -e 0`', seconds: node, note: vs(node) },
      { name: 'tpm predict, Debian sid OVMF_CODE_4M + the same kernel and initrd, no firmware facts cache', seconds: cold, note: vs(cold) },
      { name: 'tpm predict, the same, firmware facts cached', seconds: warm, note: vs(warm) },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--runs');
  for (const r of await benchTpmPredict({ runs: i > 0 ? Number(process.argv[i + 1]) : 9 })) console.log(`- ${r.name}: ${(r.seconds * 1000).toFixed(1)} ms${r.note ? ` (${r.note})` : ''}`);
}
