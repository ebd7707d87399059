// TDX MRTD benchmark, called by test/bench/run.mjs (and runnable alone: node test/bench/tdx-bench.mjs).
// A synthetic 4 MiB TDVF (one 4 MiB MR.EXTEND BFV, plus TD_HOB and TempMem) is measured in
// process; `bytes` is the length of the MRTD stream hashed (PAGE.ADD + MR.EXTEND records and
// content, ~1.53x the firmware size), so MB/s compares directly with `openssl speed -evp sha384`.
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { loadLib } from './lib.mjs';

const MiB = 1024 * 1024;

/** A 4 MiB TDVF image: SHAKE256 filler, a TDVF descriptor in the last page, an OVMF footer table. */
export function syntheticTdvf4m(lib) {
  const size = 4 * MiB;
  const img = new Uint8Array(createHash('shake256', { outputLength: size }).update('prelaunch/bench/tdvf-4m').digest());
  const v = new DataView(img.buffer);
  const desc = size - 0x1000;
  const sections = [
    // dataOffset, raw, gpa, mem, type, attributes
    [0, size, 0xffc0_0000, size, 0, 1], // BFV, MR.EXTEND
    [0, 0, 0x80_9000, 0x2000, 2, 0], // TD_HOB
    [0, 0, 0x81_0000, 0x1_0000, 3, 0], // TempMem
  ];
  img.set([0x54, 0x44, 0x56, 0x46], desc); // "TDVF"
  v.setUint32(desc + 4, 16 + 32 * sections.length, true);
  v.setUint32(desc + 8, 1, true);
  v.setUint32(desc + 12, sections.length, true);
  sections.forEach(([off, raw, gpa, mem, type, attr], i) => {
    const at = desc + 16 + 32 * i;
    v.setUint32(at, off, true);
    v.setUint32(at + 4, raw, true);
    v.setBigUint64(at + 8, BigInt(gpa), true);
    v.setBigUint64(at + 16, BigInt(mem), true);
    v.setUint32(at + 24, type, true);
    v.setUint32(at + 28, attr, true);
  });
  // footer table: [TDX metadata offset entry: u32 ‖ u16 22 ‖ GUID] [u16 40 ‖ footer GUID] [32 reserved]
  img.fill(0, size - 32);
  img.set(lib.guidToBytes('96b582de-1fb2-45f7-baea-a366c55a082d'), size - 48);
  v.setUint16(size - 50, 40, true);
  img.set(lib.guidToBytes('e47a6535-984a-4798-865e-4685a7bf8ec2'), size - 66);
  v.setUint16(size - 68, 22, true);
  v.setUint32(size - 72, size - desc, true);
  return img;
}

export async function benchTdx({ runs = 9, sha384Floor } = {}) {
  const lib = await loadLib();
  const img = syntheticTdvf4m(lib);
  const parsed = lib.parseOvmf(lib.bytesSource(img));
  const bytes = lib.tdxPlanStreamBytes(lib.planTdxMrtd(parsed, 'single'));
  const times = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = process.hrtime.bigint();
    lib.computeMrtd(img, { orders: ['single'] });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (i > 0) times.push(s); // the first run warms up the JIT
  }
  times.sort((a, b) => a - b);
  const seconds = times[Math.floor(times.length / 2)];
  const note = sha384Floor ? `${((bytes / 1e6 / seconds / sha384Floor) * 100).toFixed(0)}% of the floor; goal: within 1.25x of it` : 'MRTD stream bytes';
  return { name: `TDX MRTD, 4 MiB TDVF, single-pass (${(bytes / MiB).toFixed(2)} MiB hashed stream)`, bytes, seconds, note };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchTdx();
  console.log(`${r.name}: ${(r.seconds * 1000).toFixed(1)} ms, ${(r.bytes / 1e6 / r.seconds).toFixed(0)} MB/s`);
}
