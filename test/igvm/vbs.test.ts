/**
 * `igvm measure --platform vbs`: the VBS boot digest as the igvm crate's measurer
 * (microsoft/igvm@e6c3ff1 igvm/src/measurement/vbs.rs) computes it.
 *
 * Vectors: (1) the crate's own digests recorded in ../shared/oracles/igvm/corpus.jsonl
 * (`cross_check_igvm_head`, copied into test/vectors/igvm-measure.json) for the two files with a
 * VSM_ISOLATION platform; (2) files built here (igvm build --vsm, with and without Hyper-V IGVM
 * firmware and a filesystem; a synthetic file with every kind of chunk and the register
 * re-encodings), checked against an independent straight-line transcription of vbs.rs below
 * (its own chunk encoding, no shared code with src/plan/igvm-vbs.ts or src/measure/vbs-engine.ts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes/hex.js';
import { bytesSource } from '../../src/bytes/source.js';
import { IgvmArchitecture, IgvmPageDataType, IgvmPlatformType, PageDataFlags, VBS_X64_REGISTERS } from '../../src/formats/igvm/defs.js';
import { directiveList, directiveTable } from '../../src/formats/igvm/directives.js';
import { readData, supportedPlatforms, type IgvmDirectiveHeader, type IgvmFile } from '../../src/formats/igvm/model.js';
import { parseIgvm } from '../../src/formats/igvm/parse.js';
import { serializeIgvm } from '../../src/formats/igvm/serialize.js';
import { vpContextPlatform } from '../../src/formats/igvm/validate.js';
import { hashBackend } from '../../src/hash/index.js';
import { buildIgvm, type IgvmBuildOptions } from '../../src/igvm-build/builder.js';
import { measureIgvm } from '../../src/measure/igvm.js';
import { runVbsPlan } from '../../src/measure/vbs-engine.js';
import { planIgvmVbs } from '../../src/plan/igvm-vbs.js';
import { expectCleanError, expectOk, runCliInProcess } from '../support/cli.js';
import { fuzzParams } from '../support/fuzz.js';
import { hvFirmwareBytes } from '../support/hv-firmware.js';
import { thrownPrelaunchError } from '../support/thrown.js';
import { igvmSamplePath } from '../support/igvm-samples.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const IN = path.join(ROOT, 'firmware-samples/igvm-inputs');

// ---- an independent transcription of vbs.rs `generate_vbs_measurement` ------------------------
function referenceVbsDigest(file: IgvmFile): string {
  const vsm = supportedPlatforms(file).find((p) => p.platformType === IgvmPlatformType.VSM_ISOLATION)!;
  const m = vsm.compatibilityMask;
  let digest = Buffer.alloc(32);
  const step = (...parts: Buffer[]): void => { digest = createHash('sha256').update(Buffer.concat([digest, ...parts])).digest(); };
  const gpaPage = (pageNumber: number, count: number, metadata: number, data: Buffer | null): void => {
    for (let i = 0; i < count; i++) {
      const chunk = Buffer.alloc(32);
      chunk.writeUInt32LE(4096 + 32, 0);
      chunk.writeUInt32LE(2, 4);
      chunk.writeBigUInt64LE(BigInt(metadata), 16);
      chunk.writeBigUInt64LE(BigInt(pageNumber + i), 24);
      const page = Buffer.alloc(4096);
      if (data && !(metadata & 4) && i === 0) data.copy(page, 0, 0, Math.min(4096, data.length));
      step(chunk, page);
    }
  };
  const areas = new Map<number, number>();
  const regs: Buffer[] = [];
  for (const d of directiveList(file.directives)) {
    if ('compatibilityMask' in d && (d.compatibilityMask & m) !== m) continue;
    if (d.kind === 'page-data') {
      if (d.dataType !== 0) throw new Error('assert_eq!(data_type, NORMAL)');
      if (d.flags & 4) continue;
      gpaPage(Math.floor(d.gpa / 4096), 1, d.flags & 2 ? 4 : 0, d.data ? Buffer.from(readData(d.data)) : null);
    } else if (d.kind === 'parameter-area') areas.set(d.parameterAreaIndex, d.numberOfBytes);
    else if (d.kind === 'parameter-insert') gpaPage(Math.floor(d.gpa / 4096), Math.floor(areas.get(d.parameterAreaIndex)! / 4096), 4, null);
    else if (d.kind === 'error-range') gpaPage(Math.floor(d.gpa / 4096), Math.ceil(d.sizeBytes / 4096), 7, null);
    else if (d.kind === 'vp-context' && vpContextPlatform(file, d.compatibilityMask)?.kind === 'vbs') {
      const blob = Buffer.from(readData(d.data));
      const n = blob.readUInt32LE(0);
      const vtl = blob[4]!;
      for (let i = 0; i < n; i++) {
        const r = blob.subarray(4 + 32 * i, 4 + 32 * (i + 1));
        const name = r.readUInt32LE(1);
        const reg = VBS_X64_REGISTERS[name] ?? '';
        const value = Buffer.alloc(16);
        if (/^(Es|Cs|Ss|Ds|Fs|Gs|Tr)$/.test(reg)) r.copy(value, 0, 16, 32); // HvX64SegmentRegister: all of it
        else if (reg === 'Gdtr' || reg === 'Idtr') r.copy(value, 6, 22, 32); // HvX64TableRegister: pad[3] dropped
        else r.copy(value, 0, 16, 24); // u64
        const chunk = Buffer.alloc(48);
        chunk.writeUInt32LE(48, 0);
        chunk.writeUInt32LE(0, 4);
        chunk[20] = vtl;
        chunk.writeUInt32LE(name, 28);
        value.copy(chunk, 32);
        regs.push(chunk);
      }
    }
  }
  for (const r of regs) step(r);
  return digest.toString('hex');
}

const vbsDigest = (f: IgvmFile | Uint8Array, backend: 'node' | 'noble' = 'node'): string => {
  const parsed = f instanceof Uint8Array ? parseIgvm(f) : null;
  const file = parsed ? parsed.file : (f as IgvmFile);
  return toHex(runVbsPlan(planIgvmVbs(file, parsed ? { layout: parsed.layout } : {}).plan, hashBackend(backend)));
};

// ---- (1) the igvm crate's recorded digests ----------------------------------------------------
interface Vector { file: string; flags: string[]; igvmCrate?: Array<{ platform?: string; digest?: string }> }
const VECTORS = (JSON.parse(fs.readFileSync(path.join(ROOT, 'test/vectors/igvm-measure.json'), 'utf8')) as { vectors: Vector[] }).vectors;

describe('igvm measure --platform vbs: the igvm crate\'s digests', () => {
  const seen = new Set<string>();
  const vbs = VECTORS.filter((v) => v.igvmCrate?.some((r) => r.platform === 'VSM_ISOLATION' && r.digest) && !seen.has(v.file) && seen.add(v.file));
  it('has both files with a VSM platform', () => expect(vbs.map((v) => path.basename(v.file)).sort()).toEqual(['hv-snp-tdp-vsm.igvm', 'upstream-test_data-vsm.igvm']));
  for (const v of vbs) {
    const file = igvmSamplePath(v.file);
    it.skipIf(!file)(v.file, () => {
      const want = v.igvmCrate!.find((r) => r.platform === 'VSM_ISOLATION')!.digest!;
      for (const backend of ['node', 'noble'] as const) expect(vbsDigest(new Uint8Array(fs.readFileSync(file!)), backend).toUpperCase()).toBe(want);
      expect(referenceVbsDigest(parseIgvm(new Uint8Array(fs.readFileSync(file!))).file).toUpperCase()).toBe(want); // the transcription agrees too
    });
  }
});

// ---- (2) files built here ---------------------------------------------------------------------
const kernel = new Uint8Array(fs.readFileSync(path.join(IN, 'kernel.elf')));
const bldr = new Uint8Array(fs.readFileSync(path.join(IN, 'bldr.bin')));
const stage1 = new Uint8Array(fs.readFileSync(path.join(IN, 'stage1.bin')));
const built = (o: Omit<IgvmBuildOptions, 'kernel'>): Uint8Array => serializeIgvm(buildIgvm({ kernel, ...o }).file);

describe('igvm measure --platform vbs: builds', () => {
  const cases: Array<[string, Omit<IgvmBuildOptions, 'kernel'>]> = [
    ['hyper-v --vsm', { hypervisor: 'hyper-v', vsm: true, sort: true }],
    ['hyper-v --snp --tdp --vsm, unsorted', { hypervisor: 'hyper-v', snp: true, tdp: true, vsm: true, tdxStage1: stage1, bldr, comport: 3 }],
    ['hyper-v --vsm with a filesystem', { hypervisor: 'hyper-v', vsm: true, sort: true, filesystem: bytesSource(new Uint8Array(10000).fill(0x5a), 'fs.bin') }],
  ];
  for (const [name, o] of cases) {
    it(name, () => {
      const bytes = built(o);
      expect(vbsDigest(bytes)).toBe(referenceVbsDigest(parseIgvm(bytes).file));
    });
  }
  it('with Hyper-V IGVM firmware: its CPUID page gets the VSM bit too, on which the crate asserts: refused', () => {
    const bytes = built({ hypervisor: 'hyper-v', snp: true, vsm: true, sort: true, bldr, firmware: bytesSource(hvFirmwareBytes(), 'fw.igvm') });
    expect(() => referenceVbsDigest(parseIgvm(bytes).file)).toThrow(/assert_eq/);
    const e = thrownPrelaunchError(() => vbsDigest(bytes));
    expect(e.code).toBe('ERR_FIRMWARE_UNSUPPORTED');
    expect(e.message).toMatch(/CPUID_DATA/);
  });
});

// ---- synthetic: every chunk kind, filtering and register re-encoding --------------------------
const reg = (name: number, value: Uint8Array, vtl = 2): Uint8Array => {
  const r = new Uint8Array(32);
  r[0] = vtl;
  new DataView(r.buffer).setUint32(1, name, true);
  r.set(value, 16);
  return r;
};
const filled = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
function vbsList(regs: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(4 + 32 * regs.length);
  new DataView(out.buffer).setUint32(0, regs.length, true);
  regs.forEach((r, i) => out.set(r, 4 + 32 * i));
  return out;
}
function synthFile(extra: IgvmDirectiveHeader[] = []): IgvmFile {
  const page = (gpa: number, mask: number, flags: number, data: Uint8Array | null, dataType = 0): IgvmDirectiveHeader => ({ kind: 'page-data', gpa, compatibilityMask: mask, flags, dataType, data: data && { kind: 'bytes', bytes: data } });
  const regs = vbsList([
    reg(0x7_0001, filled(16, 1)), // Gdtr, pad bytes set: dropped
    reg(0x2_0010, filled(16, 2)), // Rip, high 8 bytes set: dropped
    reg(0x6_0001, filled(16, 3)), // Cs: kept whole
    reg(0x2_0008, filled(16, 4)), // R8
  ]);
  return {
    formatVersion: 1, architecture: IgvmArchitecture.X64, pageSize: 4096,
    platforms: [
      { kind: 'supported-platform', compatibilityMask: 0x1, highestVtl: 2, platformType: IgvmPlatformType.VSM_ISOLATION, platformVersion: 1, sharedGpaBoundary: 0n },
      { kind: 'supported-platform', compatibilityMask: 0x2, highestVtl: 0, platformType: IgvmPlatformType.SEV_SNP, platformVersion: 1, sharedGpaBoundary: 0n },
    ],
    initializations: [],
    directives: directiveTable([
      { kind: 'parameter-area', numberOfBytes: 0x3000, parameterAreaIndex: 0, initialData: null },
      { kind: 'vp-context', gpa: 0, compatibilityMask: 0x1, vpIndex: 0, data: { kind: 'bytes', bytes: regs } },
      page(0x1000, 0x1, 0, filled(4096, 5)),
      page(0x2000, 0x3, 0, filled(4096, 6)), // mask ⊇ M: measured
      page(0x3000, 0x2, 0, filled(4096, 7)), // SNP only: skipped
      page(0x4000, 0x1, PageDataFlags.SHARED, filled(4096, 8)), // shared: skipped
      page(0x5000, 0x1, PageDataFlags.UNMEASURED, filled(4096, 9)), // unmeasured: no data
      page(0x6000, 0x1, 0, null), // zeros
      page(0x20_0000, 0x1, PageDataFlags.IS_2MB_PAGE, filled(4096, 10)), // one page
      page(0x7000, 0x2, 0, null, IgvmPageDataType.SECRETS), // another platform's SECRETS: skipped, no assert
      { kind: 'parameter-insert', gpa: 0x10_0000, compatibilityMask: 0x3, parameterAreaIndex: 0 },
      { kind: 'error-range', gpa: 0x30_0000, compatibilityMask: 0x1, sizeBytes: 0x1800 },
      { kind: 'vp-context', gpa: 0xf000, compatibilityMask: 0x2, vpIndex: 0, data: { kind: 'bytes', bytes: new Uint8Array(4096) } },
      ...extra,
    ]),
  };
}

describe('igvm measure --platform vbs: chunk kinds', () => {
  it('a file with every chunk kind equals the transcription', () => {
    const f = synthFile();
    const plan = planIgvmVbs(f).plan;
    expect(plan.ops.map((o) => o.kind === 'register' ? `reg ${o.name.toString(16)}` : `${o.pageNumber.toString(16)}×${o.pages} m${o.metadata}`)).toEqual([
      '1×1 m0', '2×1 m0', '5×1 m4', '6×1 m0', '200×1 m0', '100×3 m4', '300×2 m7', 'reg 70001', 'reg 20010', 'reg 60001', 'reg 20008',
    ]);
    const regs = plan.ops.filter((o) => o.kind === 'register');
    expect(toHex(regs[0]!.value)).toBe('000000000000' + toHex(filled(16, 1).subarray(6)));
    expect(toHex(regs[1]!.value)).toBe(toHex(filled(8, 2)) + '00'.repeat(8));
    expect(toHex(regs[2]!.value)).toBe(toHex(filled(16, 3)));
    expect(vbsDigest(f)).toBe(referenceVbsDigest(f));
    expect(vbsDigest(f, 'noble')).toBe(vbsDigest(f));
  });
  it('the same through a file on disk (parse → plan → engine), and the CLI', async () => {
    const bytes = serializeIgvm({ ...synthFile(), directives: directiveTable(directiveList(synthFile().directives).filter((d) => d.kind !== 'error-range')) });
    const want = referenceVbsDigest(parseIgvm(bytes).file);
    expect(toHex(measureIgvm(bytes, { platform: 'vbs' }).digest)).toBe(want);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-vbs-'));
    try {
      fs.writeFileSync(path.join(tmp, 'f.igvm'), bytes);
      expect(expectOk(await runCliInProcess(['igvm', 'measure', '--platform', 'vbs', path.join(tmp, 'f.igvm')]))).toBe(want.toUpperCase() + '\n');
      const j = JSON.parse(expectOk(await runCliInProcess(['igvm', 'measure', '--platform', 'vbs', '--json', path.join(tmp, 'f.igvm')])));
      expect(j).toMatchObject({ platform: 'vbs', compatibilityMask: '0x1', digest: want, semantics: 'igvm crate (microsoft/igvm measurement::vbs)', operations: 12 });
      expect(expectCleanError(await runCliInProcess(['igvm', 'measure', '--platform', 'vbs', '--check-kvm', path.join(tmp, 'f.igvm')]), 2, 'ERR_INVALID_OPTION')).toMatch(/--check-kvm: applies to SEV platforms only \(not vbs\)/);
      expect(expectCleanError(await runCliInProcess(['igvm', 'measure', '--platform', 'vbs', path.join(ROOT, 'firmware-samples/igvm/builder/qemu-snp-bldr.igvm')]), 1, 'ERR_FIRMWARE_UNSUPPORTED')).toMatch(/no VSM_ISOLATION/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
  it('a non-NORMAL page for the VBS platform is refused (the crate asserts)', () => {
    const e = thrownPrelaunchError(() => planIgvmVbs(synthFile([{ kind: 'page-data', gpa: 0x8000, compatibilityMask: 0x1, flags: 0, dataType: IgvmPageDataType.CPUID_DATA, data: null }])));
    expect(e.code).toBe('ERR_FIRMWARE_UNSUPPORTED');
    expect(e.message).toMatch(/PAGE_DATA #\d+: data type CPUID_DATA .* only NORMAL/);
  });
  it('a file without a VSM platform is refused', () => {
    const f = synthFile();
    const e = thrownPrelaunchError(() => planIgvmVbs({ ...f, platforms: f.platforms.slice(1) }));
    expect(e.code).toBe('ERR_FIRMWARE_UNSUPPORTED');
  });
  it('parameter areas beyond 4 GiB in total are refused, not hashed', () => {
    const f = synthFile([
      { kind: 'parameter-area', numberOfBytes: 2 ** 32, parameterAreaIndex: 1, initialData: null },
      { kind: 'parameter-insert', gpa: 0x1_0000_0000, compatibilityMask: 0x1, parameterAreaIndex: 1 },
    ]);
    expect(thrownPrelaunchError(() => planIgvmVbs(f)).message).toMatch(/4 GiB/);
  });
  it('property: random page sets measure as the transcription does', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ page: fc.integer({ min: 0, max: 0xfff }), mask: fc.constantFrom(1, 2, 3), flags: fc.constantFrom(0, 1, 2, 4, 6), data: fc.boolean(), seed: fc.integer({ min: 0, max: 255 }) }), { maxLength: 12 }),
      (pages) => {
        const base = synthFile();
        const extra: IgvmDirectiveHeader[] = pages.map((p) => ({ kind: 'page-data', gpa: 0x100_0000 + p.page * 4096, compatibilityMask: p.mask, flags: p.flags, dataType: 0, data: p.data ? { kind: 'bytes', bytes: filled(4096, p.seed) } : null }));
        const f = { ...base, directives: directiveTable([...directiveList(base.directives), ...extra]) };
        expect(vbsDigest(f)).toBe(referenceVbsDigest(f));
      },
    ), fuzzParams({ numRuns: 60 }));
  });
});

describe('VBS chunk layouts (vbs.rs, repr(C))', () => {
  it('sizes and offsets', async () => {
    const { VBS_CHUNK_HEADER, VBS_GPA_PAGE_CHUNK, VBS_REGISTER_CHUNK, VBS_GPA_PAGE_CHUNK_BYTES } = await import('../../src/formats/vbs/boot-measurement-chunk.js');
    expect([VBS_CHUNK_HEADER.size, VBS_GPA_PAGE_CHUNK.size, VBS_REGISTER_CHUNK.size, VBS_GPA_PAGE_CHUNK_BYTES]).toEqual([16, 32, 48, 4128]);
    expect([VBS_REGISTER_CHUNK.offsets.vtl, VBS_REGISTER_CHUNK.offsets.name, VBS_REGISTER_CHUNK.offsets.value]).toEqual([20, 28, 32]);
  });
});
