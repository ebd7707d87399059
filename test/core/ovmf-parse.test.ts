/**
 * OVMF parsing: the footer table, SEV and TDX metadata of real and synthetic images, and
 * hostile images built here (sizes and offsets that point outside the file, huge counts),
 * which must fail with a ParseError and never read or allocate past the real length.
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bytesSource, type ByteSource } from '../../src/bytes/source.js';
import { StructWriter } from '../support/struct-writer.js';
import { ParseError, PrelaunchError } from '../../src/errors.js';
import {
  SEV_ES_RESET_BLOCK_GUID, SEV_HASH_TABLE_RV_GUID, SevSectionType, TDX_METADATA_OFFSET_GUID,
} from '../../src/formats/ovmf/defs.js';
import { directBootSupport, parseOvmf, type OvmfImage } from '../../src/formats/ovmf/parse.js';
import { buildImage, imageWithMetadata as imageWithMetadataOf, sevMetadata, u32s } from '../support/ovmf-image.js';

const sample = (rel: string): Uint8Array => new Uint8Array(fs.readFileSync(fileURLToPath(new URL(`../../firmware-samples/${rel}`, import.meta.url))));
const parse = (bytes: Uint8Array, name = 'img'): OvmfImage => parseOvmf(bytesSource(bytes, name));

function parseError(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(ParseError);
    return e as ParseError;
  }
  throw new Error('expected a ParseError, nothing was thrown');
}

// ---------------------------------------------------------------------------------------
// Builders for OVMF-like images: test/support/ovmf-image.ts
const imageWithMetadata = (meta: Uint8Array, metaAt = 0x1000, offsetFromEnd?: number): Uint8Array =>
  imageWithMetadataOf(meta, { metaAt, ...(offsetFromEnd !== undefined ? { offsetFromEnd } : {}) });

/** A ByteSource that records every read, to prove nothing reads (or sizes a buffer) past the end. */
function recordingSource(bytes: Uint8Array): { src: ByteSource; reads: Array<[number, number]> } {
  const inner = bytesSource(bytes, 'hostile.fd');
  const reads: Array<[number, number]> = [];
  return {
    reads,
    src: { name: inner.name, size: inner.size, read: (off, len) => (reads.push([off, len]), inner.read(off, len)) },
  };
}

// ---------------------------------------------------------------------------------------
describe('debian/OVMF.fd', () => {
  const img = parse(sample('debian/OVMF.fd'), 'OVMF.fd');

  it('ends at 4 GiB', () => {
    expect(img.size).toBe(0x200000);
    expect(img.gpa).toBe(0xffe00000);
  });

  it('has the five footer entries in on-disk order', () => {
    expect(img.table!.start).toBe(0x1fff58);
    expect(img.table!.size).toBe(136);
    expect(img.table!.entries.map((e) => [e.name, e.offset])).toEqual([
      ['TDX_METADATA_OFFSET', 0x1fff58],
      ['SEV_METADATA_OFFSET', 0x1fff6e],
      ['SEV_HASH_TABLE_RV', 0x1fff84],
      ['SEV_SECRET_BLOCK', 0x1fff9e],
      ['SEV_ES_RESET_BLOCK', 0x1fffb8],
    ]);
  });

  it('has reset EIP 0x80b004 and a hash table at GPA 0 (no direct boot)', () => {
    expect(img.resetEip).toBe(0x80b004);
    expect(img.hashTable).toEqual({ gpa: 0, size: 0 });
    expect(img.svsmInfoOffset).toBeNull();
    expect(directBootSupport(img)).toMatchObject({ snp: false, sev: false, reason: expect.stringMatching(/hash-table GPA is 0/) });
  });

  it('has five SEV metadata sections', () => {
    expect(img.sevMetadata!.offset).toBe(0x1ffad4);
    expect(img.sevMetadata!.version).toBe(1);
    expect(img.sevMetadata!.sections.map((s) => [s.gpa, s.size, s.typeName])).toEqual([
      [0x800000, 0x9000, 'SNP_SEC_MEM'],
      [0x80a000, 0x3000, 'SNP_SEC_MEM'],
      [0x80d000, 0x1000, 'SNP_SECRETS'],
      [0x80e000, 0x1000, 'CPUID'],
      [0x80f000, 0x11000, 'SNP_SEC_MEM'],
    ]);
  });

  it('has six TDX metadata sections', () => {
    const t = img.tdxMetadata!;
    expect(t.offset).toBe(0x1ff7c0);
    expect(t.sections.map((s) => [s.typeName, s.dataOffset, s.rawDataSize, s.memoryAddress, s.memoryDataSize, s.mrExtend])).toEqual([
      ['BFV', 0x20000, 0x1e0000, 0xffe20000, 0x1e0000, true],
      ['CFV', 0, 0x20000, 0xffe00000, 0x20000, false],
      ['TempMem', 0, 0, 0x810000, 0x10000, false],
      ['TempMem', 0, 0, 0x80b000, 0x2000, false],
      ['TD_HOB', 0, 0, 0x809000, 0x2000, false],
      ['TempMem', 0, 0, 0x800000, 0x6000, false],
    ]);
  });
});

describe('other Debian images', () => {
  it('OVMF_CODE_4M.fd has a reset block but no SEV or TDX metadata', () => {
    const img = parse(sample('debian/OVMF_CODE_4M.fd'));
    expect(img.resetEip).toBe(0x808004);
    expect(img.sevMetadata).toBeNull();
    expect(img.tdxMetadata).toBeNull();
    expect(img.table!.entries.map((e) => e.name)).toEqual(['SEV_HASH_TABLE_RV', 'SEV_SECRET_BLOCK', 'SEV_ES_RESET_BLOCK']);
  });
  it('OVMF_VARS_4M.fd has no footer table at all', () => {
    const img = parse(sample('debian/OVMF_VARS_4M.fd'));
    expect(img.table).toBeNull();
    expect(img.resetEip).toBeNull();
  });
});

describe('synthetic images', () => {
  it('badentry.fd: "invalid entry size"', () => {
    const e = parseError(() => parse(sample('synthetic/badentry.fd'), 'badentry.fd'));
    expect(e.code).toBe('ERR_MALFORMED');
    expect(e.structure).toBe('OVMF footer table entry');
    expect(e.message).toMatch(/^badentry\.fd: OVMF footer table entry at offset 0x3f5c: invalid entry size 4/);
  });
  it('nofooter.bin: no table, nothing else', () => {
    const img = parse(sample('synthetic/nofooter.bin'));
    expect(img).toMatchObject({ table: null, resetEip: null, hashTable: null, sevMetadata: null, tdxMetadata: null, svsmInfoOffset: null });
  });
  it.each([
    ['badsig.fd', /wrong signature "XSEV"/],
    ['badver.fd', /unsupported version 2/],
  ])('%s: ParseError naming the SEV metadata header', (f, msg) => {
    const e = parseError(() => parse(sample(`synthetic/${f}`)));
    expect(e.structure).toBe('SEV metadata header');
    expect(e.code).toBe('ERR_MALFORMED');
    expect(e.offset).toBe(0x3800);
    expect(e.message).toMatch(msg);
  });
  it('badtype.fd parses (the unknown type is the plan\'s problem)', () => {
    expect(parse(sample('synthetic/badtype.fd')).sevMetadata!.sections.some((s) => s.typeName === 'unknown (5)')).toBe(true);
  });
  it('amdsev.fd: AmdSevX64-like, direct boot for SNP and SEV', () => {
    const img = parse(sample('synthetic/amdsev.fd'));
    expect(img.resetEip).toBe(0x80b004);
    expect(img.hashTable).toEqual({ gpa: 0x810c00, size: expect.any(Number) });
    expect(img.sevMetadata!.sections.map((s) => s.type)).toContain(SevSectionType.SNP_KERNEL_HASHES);
    expect(directBootSupport(img)).toEqual({ snp: true, sev: true, reason: null });
  });
  it('eip.fd: AP reset EIP 0x1234abcd', () => {
    expect(parse(sample('synthetic/eip.fd')).resetEip).toBe(0x1234abcd);
  });
  it('svsm.bin: the SVSM_INFO entry', () => {
    expect(parse(sample('synthetic/svsm.bin')).svsmInfoOffset).toBe(0x40);
  });
  it('kh_noguid.fd / nometa.fd: direct-boot support explains what is missing', () => {
    expect(directBootSupport(parse(sample('synthetic/kh_noguid.fd'))).reason).toMatch(/no SEV hash-table entry/);
    expect(directBootSupport(parse(sample('synthetic/nometa.fd')))).toMatchObject({ snp: false, sev: true, reason: expect.stringMatching(/no SEV metadata/) });
  });
});

describe('hostile images built here', () => {
  it('the builder makes images the parser reads back', () => {
    const img = parse(imageWithMetadata(sevMetadata([[0x800000, 0x1000, 1], [0x801000, 0x1000, 3]])));
    expect(img.resetEip).toBe(0x80b004);
    expect(img.sevMetadata!.sections.map((s) => s.typeName)).toEqual(['SNP_SEC_MEM', 'CPUID']);
  });

  it('an entry larger than the whole table', () => {
    const bytes = buildImage(0x1000, [{ guid: SEV_ES_RESET_BLOCK_GUID, data: u32s(0x80b004), size: 200 }]);
    const e = parseError(() => parse(bytes));
    expect(e.code).toBe('ERR_TRUNCATED');
    expect(e.structure).toBe('OVMF footer table entry');
    expect(e.message).toMatch(/entry size 200 runs past the start of the table/);
  });

  it('a table larger than the file', () => {
    const e = parseError(() => parse(buildImage(0x1000, [], { total: 0xffff })));
    expect(e.code).toBe('ERR_TRUNCATED');
    expect(e.structure).toBe('OVMF footer table');
    expect(e.offset).toBe(0x1000 - 50);
    expect(e.message).toMatch(/table size 65535 exceeds the 4096-byte image/);
  });

  it('a table smaller than its own footer entry', () => {
    const e = parseError(() => parse(buildImage(0x1000, [], { total: 17 })));
    expect(e.code).toBe('ERR_MALFORMED');
  });

  it('an entry too small to hold its own header', () => {
    const e = parseError(() => parse(buildImage(0x1000, [{ guid: SEV_ES_RESET_BLOCK_GUID, data: u32s(1), size: 17 }])));
    expect(e.message).toMatch(/invalid entry size 17/);
  });

  it('an entry whose data is too short for its u32', () => {
    const e = parseError(() => parse(buildImage(0x1000, [{ guid: SEV_ES_RESET_BLOCK_GUID, data: new Uint8Array(2) }])));
    expect(e.code).toBe('ERR_TRUNCATED');
    expect(e.structure).toBe('SEV_ES_RESET_BLOCK entry');
  });

  it.each([
    ['past the start of the file', 0x4000 + 0x100],
    ['at 0', 0],
    ['at u32 max', 0xffffffff],
    ['so close to the end that the header does not fit', 8],
  ])('a metadata offset pointing outside the file (%s)', (_what, offsetFromEnd) => {
    const e = parseError(() => parse(imageWithMetadata(sevMetadata([]), 0x1000, offsetFromEnd)));
    expect(e.code).toBe('ERR_TRUNCATED');
    expect(e.structure).toBe('SEV_METADATA_OFFSET entry');
  });

  it('a 0xFFFFFFFF section count errors without reading or allocating past the file', () => {
    const { src, reads } = recordingSource(imageWithMetadata(sevMetadata([[0x800000, 0x1000, 1]], { count: 0xffffffff })));
    let err: unknown;
    try {
      parseOvmf(src);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect(err).toMatchObject({ code: 'ERR_TRUNCATED', structure: 'SEV metadata header', offset: 0x1000 });
    expect((err as Error).message).toMatch(/4294967295 sections do not fit/);
    for (const [off, len] of reads) expect(off + len).toBeLessThanOrEqual(src.size);
  });

  it('a section count one too large for the file', () => {
    // metadata at the very end region: 2 real sections, count 3 would run past the end
    const size = 0x4000;
    const metaAt = size - 50 - 2 * 22 - (16 + 24); // just below the table
    const meta = sevMetadata([[0x800000, 0x1000, 1], [0x801000, 0x1000, 2]]);
    const ok = imageWithMetadata(meta, metaAt);
    expect(parse(ok).sevMetadata!.sections).toHaveLength(2);
    // the count may reach into the table bytes (still inside the file) but not past the end
    const tooMany = Math.floor((size - metaAt - 16) / 12) + 1;
    const e = parseError(() => parse(imageWithMetadata(sevMetadata([[0x800000, 0x1000, 1], [0x801000, 0x1000, 2]], { count: tooMany }), metaAt)));
    expect(e.structure).toBe('SEV metadata header');
  });

  function tdvf(count: number, o: { length?: number; sections?: Uint8Array[] } = {}): Uint8Array {
    const secs = o.sections ?? [];
    const w = new StructWriter(16 + 32 * secs.length);
    w.put(0, new TextEncoder().encode('TDVF')).u32(4, o.length ?? 16 + 32 * count).u32(8, 1).u32(12, count);
    secs.forEach((s, i) => w.put(16 + 32 * i, s));
    return w.bytes;
  }
  function tdxImage(desc: Uint8Array, at = 0x1000): Uint8Array {
    const size = 0x4000;
    const img = buildImage(size, [{ guid: TDX_METADATA_OFFSET_GUID, data: u32s(size - at) }]);
    img.set(desc, at);
    return img;
  }
  const tdvfSection = (addr: bigint): Uint8Array => new StructWriter(32).u32(0, 0).u32(4, 0x1000).u64(8, addr).u64(16, 0x1000).u32(24, 0).u32(28, 1).bytes;

  it('TDVF: a 0xFFFFFFFF section count errors without reading past the file', () => {
    const { src, reads } = recordingSource(tdxImage(tdvf(0xffffffff)));
    expect(() => parseOvmf(src)).toThrow(expect.objectContaining({ code: 'ERR_TRUNCATED', structure: 'TDVF descriptor' }));
    for (const [off, len] of reads) expect(off + len).toBeLessThanOrEqual(src.size);
  });

  it('TDVF: a length that disagrees with the count, a wrong signature, a 64-bit address beyond 2^53', () => {
    expect(parseError(() => parse(tdxImage(tdvf(1, { length: 99, sections: [tdvfSection(0xffe00000n)] })))).code).toBe('ERR_MALFORMED');
    const bad = tdvf(0);
    bad[0] = 0x58;
    expect(parseError(() => parse(tdxImage(bad))).message).toMatch(/wrong signature/);
    expect(parseError(() => parse(tdxImage(tdvf(1, { sections: [tdvfSection(1n << 60n)] })))).structure).toBe('TDVF section');
    expect(parse(tdxImage(tdvf(1, { sections: [tdvfSection(0xffe00000n)] }))).tdxMetadata!.sections[0]).toMatchObject({ memoryAddress: 0xffe00000, mrExtend: true, typeName: 'BFV' });
  });

  it('the first of duplicate entries wins (as in sev-snp-measure and QEMU)', () => {
    const img = parse(buildImage(0x1000, [
      { guid: SEV_HASH_TABLE_RV_GUID, data: u32s(0x810000, 176) },
      { guid: SEV_HASH_TABLE_RV_GUID, data: u32s(0x820000, 176) },
    ]));
    expect(img.table!.entries).toHaveLength(2);
    expect(img.hashTable).toEqual({ gpa: 0x810000, size: 176 });
  });
});

describe('truncations and corruptions of OVMF.fd\'s tail', () => {
  const full = sample('debian/OVMF.fd');
  const ref = parse(full);
  const tail = (k: number): Uint8Array => full.subarray(full.length - k);
  // distances from the end: the table starts 168 bytes before the end, the SEV metadata 1324, the TDVF descriptor 2112
  it.each([
    [49, 'none'],
    [50, 'OVMF footer table'],
    [167, 'OVMF footer table'],
    [168, 'SEV_METADATA_OFFSET entry'],
    [1323, 'SEV_METADATA_OFFSET entry'],
    [1324, 'TDX_METADATA_OFFSET entry'],
    [2111, 'TDX_METADATA_OFFSET entry'],
    [2112, 'ok'],
    [4096, 'ok'],
  ])('the last %i bytes: %s', (k, outcome) => {
    if (outcome === 'none') {
      expect(parse(tail(k)).table).toBeNull();
    } else if (outcome === 'ok') {
      const img = parse(tail(k));
      expect(img.resetEip).toBe(ref.resetEip);
      expect(img.sevMetadata!.sections).toEqual(ref.sevMetadata!.sections);
      expect(img.tdxMetadata!.sections).toEqual(ref.tdxMetadata!.sections);
      expect(img.table!.entries.map((e) => e.data)).toEqual(ref.table!.entries.map((e) => e.data));
    } else {
      const e = parseError(() => parse(tail(k)));
      expect(e.structure).toBe(outcome);
      expect(e.code).toBe('ERR_TRUNCATED');
    }
  });

  it('every tail length from 0 to 2200 bytes either parses or fails with a PrelaunchError', () => {
    for (let k = 0; k <= 2200; k++) {
      try {
        parse(tail(k));
      } catch (e) {
        expect(e, `tail ${k}`).toBeInstanceOf(PrelaunchError);
      }
    }
  });

  it('cutting 1..200 bytes off the end loses the footer table (not an error)', () => {
    for (let cut = 1; cut <= 200; cut++) {
      try {
        expect(parse(full.subarray(0, full.length - cut)).table, `cut ${cut}`).toBeNull();
      } catch (e) {
        expect(e, `cut ${cut}`).toBeInstanceOf(PrelaunchError);
      }
    }
  });

  it('3000 random corruptions of the last 2200 bytes never escape as anything but a PrelaunchError', () => {
    let seed = 0x2545f491;
    const rand = (n: number): number => {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
      return seed % n;
    };
    const base = tail(2200);
    let failures = 0;
    for (let i = 0; i < 3000; i++) {
      const b = base.slice();
      for (let j = 0, n = 1 + rand(4); j < n; j++) {
        // aim most flips at the table and the metadata length/count fields
        const at = rand(3) === 0 ? rand(b.length) : b.length - 1 - rand(200);
        b[at] = rand(3) === 0 ? 0xff : rand(256);
      }
      const { src, reads } = recordingSource(b);
      try {
        parseOvmf(src);
      } catch (e) {
        failures++;
        expect(e, `iteration ${i}`).toBeInstanceOf(PrelaunchError);
      }
      for (const [off, len] of reads) expect(off + len).toBeLessThanOrEqual(b.length);
    }
    expect(failures).toBeGreaterThan(100); // the corruptions do hit the structures
  });
});
