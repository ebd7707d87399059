import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/bytes/source.js';
import { toHex } from '../../src/bytes/hex.js';
import { ParseError, FirmwareError } from '../../src/errors.js';
import { parseOvmf } from '../../src/formats/ovmf/parse.js';
import { qemuTdvfProblems } from '../../src/formats/ovmf/tdx-metadata.js';
import { loadHashBackend, nodeBackend } from '../../src/hash/index.js';
import { computeMrtd } from '../../src/measure/tdx-mrtd.js';
import { planTdxMrtd, pageOrderForQemuVersion } from '../../src/plan/tdx.js';
import { tdxPlanStreamBytes } from '../../src/measure/tdx-engine.js';
import { HAVE_SHARED, SAMPLES, SHARED_SAMPLES, VECTORS, fw, readBytes } from './fixtures.js';

describe('MRTD', () => {
  for (const v of VECTORS.mrtd) {
    const file = SAMPLES[v.firmwareSha256] ?? SHARED_SAMPLES[v.firmwareSha256]!;
    const present = SAMPLES[v.firmwareSha256] !== undefined || (HAVE_SHARED && fs.existsSync(file));
    it.skipIf(!present)(`${v.id} (${v.order})`, () => {
      const got = computeMrtd(readBytes(file), { orders: [v.order] })[v.order]!;
      expect(toHex(got)).toBe(v.value);
    });
  }

  it('noble and node backends agree', async () => {
    const noble = await loadHashBackend('noble');
    const img = readBytes(fw('tdx/synthetic-plain.bin'));
    const a = computeMrtd(img, { hashBackend: noble });
    const b = computeMrtd(img, { hashBackend: nodeBackend });
    expect(toHex(a.single!)).toBe(toHex(b.single!));
    expect(toHex(a.two!)).toBe(toHex(b.two!));
  });

  it('plans: PAGE.AUG sections add nothing, non-extended sections only PAGE.ADD', () => {
    const img = parseOvmf(bytesSource(readBytes(fw('tdx/synthetic-pageaug.bin'))));
    const single = planTdxMrtd(img, 'single');
    expect(single.ops.map((o) => `${o.kind}@${o.gpa.toString(16)}x${o.pages}`)).toEqual(['add+extend@ffffc000x2', 'add@ffffb000x1', 'add@800000x2', 'add@809000x1']);
    const two = planTdxMrtd(img, 'two');
    expect(two.ops.map((o) => o.kind)).toEqual(['add', 'extend', 'add', 'add', 'add']);
    expect(tdxPlanStreamBytes(single)).toBe(tdxPlanStreamBytes(two));
    expect(qemuTdvfProblems(img.tdxMetadata!)).toEqual(['section 4: QEMU accepts only BFV, CFV, TD_HOB and TempMem sections (this is PermMem)']);
  });

  it('picks the page order from the QEMU version', () => {
    expect(pageOrderForQemuVersion('8.2.2')).toBe('two');
    expect(pageOrderForQemuVersion('9.2.1')).toBe('single');
    expect(pageOrderForQemuVersion('10.0.0')).toBe('single');
    expect(pageOrderForQemuVersion('7.2')).toBe('unsupported');
    expect(pageOrderForQemuVersion('latest')).toBeNull();
  });
});

/** The synthetic image with a patch applied: descriptor at 0x3010, sections from 0x3020. */
function patched(fn: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = readBytes(fw('tdx/synthetic-plain.bin'));
  fn(new DataView(b.buffer), b);
  return b;
}
const SEC = (i: number): number => 0x3020 + 32 * i;

describe('MRTD rejects bad TDVF metadata', () => {
  const cases: Array<[string, Uint8Array, RegExp, typeof ParseError | typeof FirmwareError]> = [
    ['no TDX metadata', readBytes(fw('synthetic/amdsev.fd')), /no TDX metadata/, FirmwareError],
    ['no footer table', readBytes(fw('synthetic/nofooter.bin')), /no OVMF footer table/, FirmwareError],
    ['bad signature', patched((v) => v.setUint32(0x3010, 0x46564458, true)), /wrong signature/, ParseError],
    ['bad version', patched((v) => v.setUint32(0x3018, 2, true)), /unsupported version 2/, ParseError],
    ['length mismatch', patched((v) => v.setUint32(0x3014, 16 + 32 * 3, true)), /does not match 4 sections/, ParseError],
    ['too many sections', patched((v) => v.setUint32(0x301c, 0x1000_0000, true)), /do not fit/, ParseError],
    ['overlapping sections', patched((v) => v.setUint32(SEC(3) + 8, 0x801000, true)), /overlaps section 2/, ParseError],
    ['raw > memory', patched((v) => v.setUint32(SEC(0) + 4, 0x3000, true)), /RawDataSize 0x3000 exceeds MemoryDataSize 0x2000/, ParseError],
    ['unaligned GPA', patched((v) => v.setUint32(SEC(2) + 8, 0x800100, true)), /not page aligned/, ParseError],
    ['raw data past the end', patched((v) => v.setUint32(SEC(1), 0x3800, true)), /runs past the end/, ParseError],
    ['extended content past the end', patched((v) => { v.setUint32(SEC(0), 0x3000, true); v.setUint32(SEC(0) + 4, 0x10, true); }), /MR\.EXTEND content/, ParseError],
  ];
  for (const [name, bytes, msg, cls] of cases) {
    it(name, () => {
      let err: unknown;
      try { computeMrtd(bytes); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(cls);
      expect((err as Error).message).toMatch(msg);
    });
  }
});
