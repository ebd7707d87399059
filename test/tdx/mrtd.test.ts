import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/bytes/source.js';
import { toHex } from '../../src/bytes/hex.js';
import { ParseError, FirmwareError, PrelaunchError } from '../../src/errors.js';
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

/**
 * MRTD straight from the record layouts of the TDX module (TDH.MEM.PAGE.ADD: "MEM.PAGE.ADD",
 * GPA at byte 16, 128 bytes; TDH.MR.EXTEND: "MR.EXTEND", GPA at 16, 128 bytes, then the 256
 * content bytes — ../shared/spec/tdx-measure.md §3), single-pass, over a section list the test
 * writes out by hand. Independent of src/plan and src/measure.
 */
function specMrtdSingle(sections: Array<{ gpa: number; pages: number; content: Uint8Array | null }>): string {
  const h = createHash('sha384');
  const record = (tag: string, gpa: number): Buffer => {
    const b = Buffer.alloc(128);
    b.write(tag, 0, 'latin1');
    b.writeBigUInt64LE(BigInt(gpa), 16);
    return b;
  };
  for (const s of sections) {
    for (let p = 0; p < s.pages; p++) {
      const gpa = s.gpa + p * 4096;
      h.update(record('MEM.PAGE.ADD', gpa));
      if (!s.content) continue;
      for (let c = 0; c < 16; c++) {
        h.update(record('MR.EXTEND', gpa + c * 256));
        h.update(s.content.subarray(p * 4096 + c * 256, p * 4096 + (c + 1) * 256));
      }
    }
  }
  return h.digest('hex');
}
const vector = (id: string): string => VECTORS.mrtd.find((v) => v.id === id)!.value;
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as PrelaunchError).code;
  }
  return undefined;
};

describe('TDVF attributes as QEMU + KVM apply them (QEMU target/i386/kvm/tdx.c, Linux tdx_gmem_post_populate)', () => {
  it('PAGE.AUG on a BFV or TempMem section is ignored: every section is PAGE.ADDed (and extended with MR.EXTEND)', () => {
    // the synthetic image with bit 1 set on the extended BFV (0) and on a TempMem (2)
    const img = patched((v) => { v.setUint32(SEC(0) + 28, 3, true); v.setUint32(SEC(2) + 28, 2, true); });
    const m = computeMrtd(img);
    // QEMU never reads bit 1, so the launch is the plain image's (values agreed by 3 calculators)
    expect(toHex(m.single!)).toBe(vector('synthetic-plain-mrtd-single'));
    expect(toHex(m.two!)).toBe(vector('synthetic-plain-mrtd-two'));
    expect(m.warnings.filter((w) => /PAGE\.AUG.*QEMU ignores/.test(w)).map((w) => w.slice(0, 20))).toEqual(['section 0 (BFV) has ', 'section 2 (TempMem) ']);
    expect(m.warnings.find((w) => w.startsWith('section 0'))).toMatch(/PAGE\.ADDed and extended.*dstack-mr, td-shim tee-info-hash and Fraunhofer calculate-tdx-mrs/);
  });

  it('a TempMem section with MR.EXTEND extends the zeroed memory QEMU maps, not the file bytes at DataOffset', () => {
    // TempMem (2) extended, its DataOffset pointing at the CFV bytes of the file
    const bytes = patched((v) => { v.setUint32(SEC(2) + 28, 1, true); v.setUint32(SEC(2), 0x2000, true); });
    expect(bytes.subarray(0x2000, 0x3000).some((b) => b !== 0)).toBe(true);
    const expected = specMrtdSingle([
      { gpa: 0xffffc000, pages: 2, content: bytes.subarray(0, 0x2000) }, // BFV, MR.EXTEND
      { gpa: 0xffffb000, pages: 1, content: null }, // CFV
      { gpa: 0x800000, pages: 2, content: new Uint8Array(0x2000) }, // TempMem, MR.EXTEND: zeros
      { gpa: 0x809000, pages: 1, content: null }, // TD_HOB
    ]);
    const m = computeMrtd(bytes, { orders: ['single'] });
    expect(toHex(m.single!)).toBe(expected);
    expect(m.warnings.join('\n')).toMatch(/section 2 \(TempMem\) has MR\.EXTEND: QEMU extends the zeroed memory/);
  });

  it('a TD_HOB section with MR.EXTEND extends the TD HOB QEMU wrote there, and needs the memory size', () => {
    const b = readBytes(fw('debian/OVMF.fd'));
    const hobAttr = 0x1ff7d0 + 32 * 4 + 28; // section 4 is the TD_HOB (0x809000, 0x2000)
    new DataView(b.buffer).setUint32(hobAttr, 1, true);
    expect(codeOf(() => computeMrtd(b))).toBe('ERR_FIRMWARE_UNSUPPORTED');
    const img = parseOvmf(bytesSource(b));
    const op = planTdxMrtd(img, 'single', { memory: 2 ** 31 }).ops.find((o) => o.section === 4)!;
    expect(op.kind).toBe('add+extend');
    const mem = (op as { source: { read(o: number, l: number): Uint8Array } }).source.read(0, 0x2000).slice();
    // PHIT.EfiEndOfHobList: the GPA just past the end-of-list HOB
    const listEnd = Number(new DataView(mem.buffer).getBigUint64(0x30, true)) - 0x809000;
    // everything before the end-of-list HOB is what TDVF measures into RTMR0: a digest seen on hardware
    expect(createHash('sha384').update(mem.subarray(0, listEnd - 8)).digest('hex')).toBe(VECTORS.tdHob.find((h) => h.memory === 2 ** 31 && (h as { hardwareVerified?: boolean }).hardwareVerified)!.value);
    expect([...mem.subarray(listEnd - 8, listEnd)]).toEqual([0xff, 0xff, 8, 0, 0, 0, 0, 0]);
    expect(mem.subarray(listEnd).every((x) => x === 0)).toBe(true);
    const m = computeMrtd(b, { memory: 2 ** 31 });
    expect(toHex(m.single!)).not.toBe(vector('debian-ovmf-deb12u2-mrtd-single-pass'));
    expect(m.warnings.join('\n')).toMatch(/section 4 \(TD_HOB\) has MR\.EXTEND.*the TD HOB it writes/);
  });
});

describe('TDVF sizes are bounded before planning (no hang from one field)', () => {
  const cases: Array<[string, Uint8Array, string, RegExp, number | undefined]> = [
    // a TempMem section of 2^50 bytes above 4 GiB: 2^38 page records before the bound
    ['a TempMem section of 2^50 bytes, no memory size', patched((v) => { v.setUint32(SEC(2) + 8, 0, true); v.setUint32(SEC(2) + 12, 1, true); v.setUint32(SEC(2) + 16, 0, true); v.setUint32(SEC(2) + 20, 0x4_0000, true); }), 'ERR_FIRMWARE_UNSUPPORTED', /TDVF section 2 \(TempMem\) at 0x100000000: MemoryDataSize 0x4000000000000 ends at 0x4000100000000, above 0xb0000000.*--memory/, undefined],
    ['the same with a 4 GiB guest', patched((v) => { v.setUint32(SEC(2) + 8, 0, true); v.setUint32(SEC(2) + 12, 1, true); v.setUint32(SEC(2) + 16, 0, true); v.setUint32(SEC(2) + 20, 0x4_0000, true); }), 'ERR_FIRMWARE_UNSUPPORTED', /not inside guest RAM with 4294967296 bytes/, 2 ** 32],
    // a non-extended CFV of 2^51 - 2^32 bytes: QEMU would copy it from the 16 KiB image
    ['a CFV larger than the image', patched((v) => { v.setUint32(SEC(1) + 8, 0, true); v.setUint32(SEC(1) + 16, 0, true); v.setUint32(SEC(1) + 20, 0x7_fff0, true); }), 'ERR_MALFORMED', /CFV section: content 0x2000\+0x7fff000000000 runs past the end of the 16384-byte image \(QEMU copies/, undefined],
    ['a GPA range reaching 2^51', patched((v) => { v.setUint32(SEC(2) + 8, 0xffff_f000, true); v.setUint32(SEC(2) + 12, 0x7_ffff, true); }), 'ERR_MALFORMED', /MemoryAddress 0x7fffffffff000 \+ MemoryDataSize 0x2000 reaches 0x8000000000000/, undefined],
    ['a TD_HOB above q35 low RAM', patched((v) => v.setUint32(SEC(3) + 8, 0xb000_0000, true)), 'ERR_FIRMWARE_UNSUPPORTED', /TDVF section 3 \(TD_HOB\) at 0xb0000000/, undefined],
  ];
  for (const [name, bytes, code, msg, memory] of cases) {
    it(name, () => {
      let err: unknown;
      try { computeMrtd(bytes, { memory }); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(PrelaunchError);
      expect((err as PrelaunchError).code).toBe(code);
      expect((err as Error).message).toMatch(msg);
    });
  }
  it('a guest memory size no TD can have', () => {
    expect(codeOf(() => computeMrtd(readBytes(fw('tdx/synthetic-plain.bin')), { memory: 2 ** 51 }))).toBe('ERR_INVALID_OPTION');
    expect(toHex(computeMrtd(readBytes(fw('tdx/synthetic-plain.bin')), { memory: 2 ** 40, orders: ['single'] }).single!)).toBe(vector('synthetic-plain-mrtd-single'));
  });
});
