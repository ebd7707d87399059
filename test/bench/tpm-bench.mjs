// `tpm predict` benchmark (measured boot, issue goal: within 1.5× of `openssl dgst -sha256
// -sha384` over the same bytes, as a whole process). Called by test/bench/run.mjs; runnable
// alone after `npm run build`: node test/bench/tpm-bench.mjs [--runs N].
// Inputs: Debian sid's OVMF_CODE_4M.fd (edk2 2026.08, bundled), a synthetic 12 MiB EFI-stub
// bzImage and a 30 MiB initrd (SHAKE256 filler), QEMU 11.1. Rows: the literal openssl command
// (OpenSSL 3 keeps only the last digest option: it computes SHA-384 alone), openssl computing
// both digests (two runs), `node -e 0`, and prelaunch with the firmware facts cache and without
// it (the firmware's 16 MB DXE volume decompressed every run). All run in turn, round by round;
// Node runs without NODE_EXTRA_CA_CERTS (plus one row with it, where the environment sets it).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleaved, withoutCaCerts } from './lib.mjs';

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

export async function benchTpmPredict({ runs = 9, tmp } = {}) {
  const dir = fs.mkdtempSync(path.join(tmp ?? os.tmpdir(), 'tpm-bench-'));
  try {
    const kernel = path.join(dir, 'bzImage');
    const initrd = path.join(dir, 'initrd');
    fs.writeFileSync(kernel, bzImage(12 * MiB));
    fs.writeFileSync(initrd, createHash('shake256', { outputLength: 30 * MiB }).update('prelaunch/bench/tpm-initrd').digest());
    const argv = [CLI, 'tpm', 'predict', '--firmware', path.join(ROOT, 'firmware-samples/debian-sid/OVMF_CODE_4M.fd'), '--kernel', kernel, '--initrd', initrd,
      '--append', 'console=ttyS0', '--qemu-version', '11.1', '--memory', '1024', '--json'];
    const cache = path.join(dir, 'cache');
    const cmds = [
      { label: '`openssl dgst -sha256 -sha384` over a 12 MiB kernel + 30 MiB initrd (OpenSSL 3 keeps the last digest option: SHA-384 only)', cmd: 'openssl', argv: ['dgst', '-sha256', '-sha384', kernel, initrd], env: process.env },
      { label: 'openssl computing both digests over the same bytes (`openssl dgst -sha256`, then `-sha384`)', cmd: 'sh', argv: ['-c', `openssl dgst -sha256 "$0" "$1" >/dev/null && openssl dgst -sha384 "$0" "$1" >/dev/null`, kernel, initrd], env: process.env },
      { label: '`node -e 0`, NODE_EXTRA_CA_CERTS unset', cmd: process.execPath, argv: ['-e', '0'], env: withoutCaCerts() },
      { label: 'tpm predict, Debian sid OVMF_CODE_4M + the same kernel and initrd, firmware facts cached (every run after the first on an image), NODE_EXTRA_CA_CERTS unset', cmd: process.execPath, argv, env: { ...withoutCaCerts(), PRELAUNCH_CACHE_DIR: cache } },
      { label: 'tpm predict, the same, no firmware facts cache (the first run on an image, or --no-cache), NODE_EXTRA_CA_CERTS unset', cmd: process.execPath, argv, env: { ...withoutCaCerts(), PRELAUNCH_CACHE_DIR: 'off' } },
    ];
    if (process.env.NODE_EXTRA_CA_CERTS) cmds.push({ label: 'tpm predict, cached, with this environment\'s NODE_EXTRA_CA_CERTS', cmd: process.execPath, argv, env: { ...process.env, PRELAUNCH_CACHE_DIR: cache } });
    const r = interleaved(cmds, runs);
    const vs = (x) => `${x.ratioTo(0).toFixed(2)}× the literal openssl command, **${x.ratioTo(1).toFixed(2)}× openssl computing both digests** (ratios taken round by round)`;
    return r.map((x, j) => ({ name: x.label, seconds: x.median, ...(j >= 2 ? { note: vs(x) } : {}) }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--runs');
  for (const r of await benchTpmPredict({ runs: i > 0 ? Number(process.argv[i + 1]) : 9 })) console.log(`- ${r.name}: ${(r.seconds * 1000).toFixed(1)} ms${r.note ? ` (${r.note})` : ''}`);
}
