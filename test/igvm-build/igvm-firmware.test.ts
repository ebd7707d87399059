/**
 * `igvm build … --firmware FW.igvm hyper-v`: Hyper-V IGVM firmware embedded as igvmbuilder
 * (svsm@f4bc4bcd tools/igvmbuilder/src/igvm_firmware.rs, igvm_builder.rs, boot_params.rs)
 * embeds it. The expected values here are derived by hand from that source for the synthetic
 * firmware in ../support/hv-firmware.ts (each expectation names the function it comes from),
 * and the output is read back with the parser — not with the builder's own code. Byte identity
 * with a real igvmbuilder run is checked by hyperv-firmware-vectors.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/bytes/source.js';
import { IgvmHeaderType, IgvmPageDataType, IgvmPlatformType, PageDataFlags } from '../../src/formats/igvm/defs.js';
import { directiveList } from '../../src/formats/igvm/directives.js';
import { readData, type IgvmDirectiveHeader, type PageData } from '../../src/formats/igvm/model.js';
import { parseIgvm } from '../../src/formats/igvm/parse.js';
import { serializeIgvm } from '../../src/formats/igvm/serialize.js';
import { buildIgvm, type IgvmBuildOptions } from '../../src/igvm-build/builder.js';
import { expectCleanError, expectOk, PROJECT, runCliInProcess } from '../support/cli.js';
import { HV_FW, hvFirmwareBytes, type HvFirmwareOptions } from '../support/hv-firmware.js';
import { thrownPrelaunchError as thrown } from '../support/thrown.js';

const IN = path.join(PROJECT, 'firmware-samples/igvm-inputs');
const OVMF = path.join(PROJECT, 'firmware-samples/debian/OVMF.fd');
const kernel = new Uint8Array(fs.readFileSync(path.join(IN, 'kernel.elf')));
const bldr = new Uint8Array(fs.readFileSync(path.join(IN, 'bldr.bin')));
const stage1 = new Uint8Array(fs.readFileSync(path.join(IN, 'stage1.bin')));
const fw = (o: HvFirmwareOptions = {}) => bytesSource(hvFirmwareBytes(o), 'fw.igvm');
const HV: Omit<IgvmBuildOptions, 'kernel'> = { hypervisor: 'hyper-v', sort: true, policy: 0x30000n, snp: true, bldr };

function buildAndParse(o: Omit<IgvmBuildOptions, 'kernel'>) {
  const r = buildIgvm({ kernel, ...o });
  const bytes = serializeIgvm(r.file);
  const parsed = parseIgvm(bytes);
  return { r, bytes, parsed, list: directiveList(parsed.file.directives) };
}
const pageAtGpa = (list: IgvmDirectiveHeader[], gpa: number): PageData[] => list.filter((d): d is PageData => d.kind === 'page-data' && d.gpa === gpa);
const u32 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const u16 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset).getUint16(off, true);
const u64 = (b: Uint8Array, off: number): bigint => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);

describe('igvm build hyper-v --firmware FW.igvm (igvm_firmware.rs)', () => {
  const { r, list, parsed } = buildAndParse({ ...HV, firmware: fw() });
  const bp = r.layout.bootParams;

  it('platform: highest VTL 2 (firmware present), shared GPA boundary = the firmware VMSA\'s virtual_tom', () => {
    expect(parsed.file.platforms).toEqual([expect.objectContaining({ platformType: IgvmPlatformType.SEV_SNP, compatibilityMask: 1, highestVtl: 2, sharedGpaBoundary: HV_FW.vtom })]);
    expect(r.layout.vtom).toBe(HV_FW.vtom);
  });

  it('non-page directives: REQUIRED_MEMORY, the firmware\'s parameter areas re-declared from index 4 (BTreeMap order), then the builder\'s', () => {
    const others = list.filter((d) => d.kind !== 'page-data' && !(d.kind === 'vp-context' && d.compatibilityMask === 1));
    const area = (i: number, n = 0x1000) => ({ kind: 'parameter-area', numberOfBytes: n, parameterAreaIndex: i, initialData: null });
    const use = (type: IgvmHeaderType, i: number, off: number) => ({ kind: 'parameter-usage', type, parameterAreaIndex: i, byteOffset: off });
    const ins = (gpa: number, i: number) => ({ kind: 'parameter-insert', gpa, compatibilityMask: 1, parameterAreaIndex: i });
    expect(others.slice(0, 10)).toEqual([
      { kind: 'required-memory', gpa: 0x800_0000, compatibilityMask: 1, numberOfBytes: 0x100_0000, flags: 0 },
      // original area 0 (VP_COUNT, ENVIRONMENT_INFO) → 4; area 1 (memory map) → fw info;
      // area 2 (inserted for mask 0x8 only) and 3 (no usage) vanish; area 6 (MADT, SRAT) → 5
      area(4), use(IgvmHeaderType.VP_COUNT_PARAMETER, 4, 0), use(IgvmHeaderType.ENVIRONMENT_INFO_PARAMETER, 4, 4), ins(0x7000, 4),
      area(5), use(IgvmHeaderType.MADT, 5, 0), use(IgvmHeaderType.SRAT, 5, 0x800), ins(0xa000, 5),
      area(1),
    ]);
    // the builder's inserts follow the boot-parameter pages, one page further on (the guest context page)
    expect(others.filter((d) => d.kind === 'parameter-insert').slice(2)).toEqual([ins(bp + 0x4000, 1), ins(bp + 0x3000, 2), ins(bp + 0x5000, 3), ins(bp + 0x2000, 0)]);
  });

  it('pages: NORMAL/CPUID kept with the build\'s mask (flags, type, data as found); the reset page, SECRETS and other-mask pages dropped', () => {
    for (let i = 0; i < 3; i++) {
      const [p] = pageAtGpa(list, 0x10_0000 + i * 0x1000);
      expect(p).toMatchObject({ compatibilityMask: 1, flags: 0, dataType: IgvmPageDataType.NORMAL });
      expect(readData(p!.data!)[0]).toBe(i & 0xff);
    }
    expect(pageAtGpa(list, 0x10_3000)).toEqual([expect.objectContaining({ flags: PageDataFlags.UNMEASURED, data: null, compatibilityMask: 1 })]);
    expect(pageAtGpa(list, 0x10_4000)).toEqual([expect.objectContaining({ dataType: IgvmPageDataType.CPUID_DATA, compatibilityMask: 1 })]);
    expect(pageAtGpa(list, 0)).toEqual([]);
    expect(pageAtGpa(list, HV_FW.secrets)).toEqual([]);
    expect(pageAtGpa(list, 0x4000_0000)).toEqual([]);
  });

  it('the InitialGuestContext page (bootdefs layout) one page after the BootParamBlock: VMSA registers, RIP from the reset page', () => {
    const [p] = pageAtGpa(list, bp + 0x1000);
    expect(p?.compatibilityMask).toBe(1);
    const g = readData(p!.data!);
    expect([u64(g, 0), u64(g, 8), u64(g, 0x10), u64(g, 0x18), u64(g, 0x20)]).toEqual([HV_FW.cr0, HV_FW.cr3, HV_FW.cr4, HV_FW.efer, HV_FW.gdtBase]);
    expect([u32(g, 0x28), u16(g, 0x2c), u16(g, 0x2e)]).toEqual([HV_FW.gdtLimit, HV_FW.cs, HV_FW.ds]);
    expect(u64(g, 0x30)).toBe(HV_FW.startRip);
    expect([u64(g, 0x50), u64(g, 0x58), u64(g, 0xb0)]).toEqual([HV_FW.rbx, HV_FW.rsp, HV_FW.r15]);
    expect(g.subarray(0xb8).every((b) => b === 0)).toBe(true);
  });

  it('the BootParamBlock: 6 parameter pages, guest context at +4K, the firmware info (finalize_fw_info with a boot loader)', () => {
    const [p] = pageAtGpa(list, bp);
    const b = readData(p!.data!);
    expect([u32(b, 0), u32(b, 4), u32(b, 8), u32(b, 0x10), u32(b, 0x18), u32(b, 0x1c)]).toEqual([0x6000, 0x2000, 0x3000, 0x5000, 0x4000, 0x1000]);
    const f = 0x28;
    expect([u32(b, f), u32(b, f + 4), u64(b, f + 8), b[f + 0x10]]).toEqual([HV_FW.lowest, HV_FW.highest - HV_FW.lowest, HV_FW.vtom, 1]);
    expect([u32(b, f + 0x18), u32(b, f + 0x1c), u32(b, f + 0x20), u32(b, f + 0x24), u32(b, f + 0x28)]).toEqual([HV_FW.secrets, HV_FW.secrets + 0x1000, 0, 0x5000, 0x2000]);
    const bldrEnd = r.layout.bldr!.end;
    expect(bldrEnd).toBe(0x1c000);
    expect([u32(b, f + 0x2c), u32(b, f + 0x30), u32(b, f + 0x34), u32(b, f + 0x38), u32(b, f + 0x3c)]).toEqual([2, 0, 0x10000, bldrEnd, HV_FW.lowest - bldrEnd]);
  });

  it('the SNP VMSA takes the firmware\'s vTOM (sev_features bit 1, virtual_tom, RSI = vTOM >> 32)', () => {
    const vmsa = list.find((d) => d.kind === 'vp-context' && d.compatibilityMask === 1);
    const v = readData((vmsa as { data: Parameters<typeof readData>[0] }).data);
    expect(u64(v, 0x3b0) & 2n).toBe(2n);
    expect(u64(v, 0x3c8)).toBe(HV_FW.vtom);
    expect(u64(v, 0x330)).toBe(HV_FW.vtom >> 32n);
  });

  it('without a boot loader: one pre-validated region [0, firmware start)', () => {
    const { list: l, r: r2 } = buildAndParse({ hypervisor: 'hyper-v', snp: true, firmware: fw() });
    const b = readData(pageAtGpa(l, r2.layout.bootParams)[0]!.data!);
    expect([u32(b, 0x28 + 0x2c), u32(b, 0x28 + 0x30), u32(b, 0x28 + 0x34)]).toEqual([1, 0, HV_FW.lowest]);
  });

  it('SNP + TDP + VSM: what igvmbuilder keeps gets the full mask 0x15', () => {
    const { list: l, parsed: p } = buildAndParse({ ...HV, tdp: true, vsm: true, tdxStage1: stage1, comport: 3, firmware: fw() });
    expect(p.file.platforms.map((x) => (x as { highestVtl: number }).highestVtl)).toEqual([2, 2, 2]);
    expect(pageAtGpa(l, 0x10_0000)[0]?.compatibilityMask).toBe(0x15);
    expect(l.filter((d) => d.kind === 'parameter-insert' && d.parameterAreaIndex >= 4).map((d) => (d as { compatibilityMask: number }).compatibilityMask)).toEqual([0x15, 0x15]);
  });

  it('is deterministic', () => {
    expect(Buffer.compare(buildAndParse({ ...HV, firmware: fw() }).bytes, buildAndParse({ ...HV, firmware: fw() }).bytes)).toBe(0);
  });
});

describe('igvm build hyper-v --firmware: what igvmbuilder refuses', () => {
  const area7 = { kind: 'parameter-area', numberOfBytes: 0x1000, parameterAreaIndex: 7, initialData: null } as const;
  const vbs = new Uint8Array(4 + 32);
  new DataView(vbs.buffer).setUint32(0, 1, true);
  new DataView(vbs.buffer).setUint32(5, 0x20010, true); // Rip
  const cases: Array<[string, Omit<IgvmBuildOptions, 'kernel'>, RegExp, string]> = [
    ['an MMIO_RANGES usage', { ...HV, firmware: fw({ extra: [area7, { kind: 'parameter-usage', type: IgvmHeaderType.MMIO_RANGES, parameterAreaIndex: 7, byteOffset: 0 }] }) }, /unsupported directives: MMIO_RANGES/, 'ERR_FIRMWARE_UNSUPPORTED'],
    ['a VBS VP context', {
      ...HV, firmware: fw({
        extraPlatforms: [{ kind: 'supported-platform', compatibilityMask: 0x10, highestVtl: 0, platformType: IgvmPlatformType.VSM_ISOLATION, platformVersion: 1, sharedGpaBoundary: 0n }],
        extra: [{ kind: 'vp-context', gpa: 0, compatibilityMask: 0x10, vpIndex: 0, data: { kind: 'bytes', bytes: vbs } }],
      }),
    }, /unsupported directives: a VBS VP context/, 'ERR_FIRMWARE_UNSUPPORTED'],
    ['an ERROR_RANGE', { ...HV, firmware: fw({ extra: [{ kind: 'error-range', gpa: 0x20_0000, compatibilityMask: 1, sizeBytes: 0x1000 }] }) }, /unsupported directives: ERROR_RANGE/, 'ERR_FIRMWARE_UNSUPPORTED'],
    ['no page at GPA 0', { ...HV, firmware: fw({ noResetPage: true }) }, /does not contain starting RIP/, 'ERR_MALFORMED'],
    ['no SNP VP context', { ...HV, firmware: fw({ noContext: true }) }, /does not contain guest context/, 'ERR_MALFORMED'],
    ['a VP context for vp 1', { ...HV, firmware: fw({ vpIndex: 1 }) }, /index > 0/, 'ERR_MALFORMED'],
    ['a memory map at a non-zero offset', { ...HV, firmware: fw({ extra: [area7, { kind: 'parameter-usage', type: IgvmHeaderType.MEMORY_MAP, parameterAreaIndex: 7, byteOffset: 8 }] }) }, /non-zero offset/, 'ERR_MALFORMED'],
    ['a memory map sharing its area', {
      ...HV, firmware: fw({ extra: [area7, { kind: 'parameter-usage', type: IgvmHeaderType.VP_COUNT_PARAMETER, parameterAreaIndex: 7, byteOffset: 0 }, { kind: 'parameter-usage', type: IgvmHeaderType.MEMORY_MAP, parameterAreaIndex: 7, byteOffset: 0 }] }),
    }, /Memory map inhabits a parameter area with other parameters/, 'ERR_MALFORMED'],
    ['firmware over the kernel region', { ...HV, firmware: fw({ extra: [{ kind: 'page-data', gpa: 0x800_0000, compatibilityMask: 1, flags: 0, dataType: 0, data: null }] }) }, /Firmware region overlaps kernel region/, 'ERR_MALFORMED'],
    ['firmware under the boot loader\'s end', { ...HV, firmware: fw({ extra: [{ kind: 'page-data', gpa: 0x1_8000, compatibilityMask: 1, flags: 0, dataType: 0, data: null }] }) }, /Boot loader overlaps firmware image/, 'ERR_MALFORMED'],
    ['no vTOM and no boot loader for SNP', { hypervisor: 'hyper-v', snp: true, firmware: fw({ noVtom: true }) }, /--bldr required/, 'ERR_MALFORMED'],
    // masks are not remapped: the firmware's SNP context (mask 0x1) shares no bit with a VSM-only build
    ['a VSM-only build of SNP firmware', { hypervisor: 'hyper-v', vsm: true, firmware: fw({ mask: 0x11 }) }, /does not contain guest context/, 'ERR_MALFORMED'],
    ['no page for the build\'s platforms', { hypervisor: 'hyper-v', vsm: true, firmware: fw() }, /no page for this build/, 'ERR_MALFORMED'],
    ['a file that is not IGVM', { ...HV, firmware: bytesSource(bldr, 'bldr.bin') }, /magic/, 'ERR_MALFORMED'],
  ];
  for (const [name, o, re, code] of cases) {
    it(name, () => {
      const e = thrown(() => buildIgvm({ kernel, ...o }));
      expect(e.message).toMatch(re);
      expect(e.code).toBe(code);
    });
  }
});

describe('igvm build hyper-v --firmware (CLI)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-hvfw-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const t = (n: string): string => path.join(tmp, n);
  fs.writeFileSync(t('fw.igvm'), hvFirmwareBytes());
  const base = ['igvm', 'build', '--sort', '--policy', '0x30000', '--snp', '--bldr', path.join(IN, 'bldr.bin'), '--kernel', path.join(IN, 'kernel.elf')];

  it('builds the same file as the library, and measures it', async () => {
    const out = expectOk(await runCliInProcess([...base, '--firmware', t('fw.igvm'), '--output', t('out.igvm'), '--measure', 'hyper-v']));
    expect(out).toMatch(/^SEV_SNP\s+0x1\s+[0-9A-F]{96}$/m);
    const lib = serializeIgvm(buildIgvm({ kernel, ...HV, firmware: bytesSource(hvFirmwareBytes(), 'fw.igvm') }).file);
    expect(Buffer.compare(fs.readFileSync(t('out.igvm')), lib)).toBe(0);
  });
  it('--measure with --vsm: the VSM line says why there is no VBS digest (the firmware\'s CPUID page gets the VSM bit)', async () => {
    const out = expectOk(await runCliInProcess([...base, '--vsm', '--firmware', t('fw.igvm'), '--output', t('v.igvm'), '--measure', 'hyper-v']));
    expect(out).toMatch(/^SEV_SNP\s+0x1\s+[0-9A-F]{96}$/m);
    expect(out).toMatch(/^VSM_ISOLATION\s+0x10\s+no VBS digest: PAGE_DATA #\d+: data type CPUID_DATA/m);
    expect(fs.existsSync(t('v.igvm'))).toBe(true);
  });
  it('refuses an OVMF image for hyper-v, and an IGVM file for qemu', async () => {
    expect(expectCleanError(await runCliInProcess([...base, '--firmware', OVMF, '--output', t('x.igvm'), 'hyper-v']), 1, 'ERR_MALFORMED')).toMatch(/--firmware: .* is an OVMF\/UEFI firmware image, not IGVM firmware/);
    expect(expectCleanError(await runCliInProcess([...base, '--firmware', t('fw.igvm'), '--output', t('x.igvm'), 'qemu']), 1, 'ERR_MALFORMED')).toMatch(/--firmware: .* is an IGVM file, not an OVMF image/);
    expect(fs.existsSync(t('x.igvm'))).toBe(false);
  });
  it('an unsupported directive: one error line, no output', async () => {
    fs.writeFileSync(t('bad.igvm'), hvFirmwareBytes({ extra: [{ kind: 'error-range', gpa: 0x20_0000, compatibilityMask: 1, sizeBytes: 0x1000 }] }));
    expect(expectCleanError(await runCliInProcess([...base, '--firmware', t('bad.igvm'), '--output', t('y.igvm'), 'hyper-v']), 1, 'ERR_FIRMWARE_UNSUPPORTED')).toMatch(/firmware: IGVM firmware file contains unsupported directives/);
    expect(fs.existsSync(t('y.igvm'))).toBe(false);
  });
});

describe('InitialGuestContext (bootdefs, repr(C, packed))', () => {
  it('is 184 bytes, rip at 0x30, r15 at 0xB0', async () => {
    const { INITIAL_GUEST_CONTEXT } = await import('../../src/igvm-build/initial-guest-context.js');
    expect([INITIAL_GUEST_CONTEXT.size, INITIAL_GUEST_CONTEXT.offsets.gdtLimit, INITIAL_GUEST_CONTEXT.offsets.rip, INITIAL_GUEST_CONTEXT.offsets.r15]).toEqual([184, 0x28, 0x30, 0xb0]);
  });
});
