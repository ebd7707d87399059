/**
 * A synthetic Hyper-V-style IGVM firmware file for `igvm build … --firmware FW.igvm hyper-v`
 * tests: the directive kinds igvm_firmware.rs (svsm@f4bc4bcd) handles, each in a form whose
 * effect the tests predict from that source. Written with prelaunch's own serializer (igvm
 * 0.4.0's layout); nothing here comes from another repository.
 *
 *   platforms   SEV_SNP mask 0x1 (and `extra` platforms)
 *   REQUIRED_MEMORY                      (ignored by igvmbuilder)
 *   PARAMETER_AREA 0 4K: VP_COUNT@0, ENVIRONMENT_INFO@4, inserted at 0x7000     → re-declared as area 4
 *   PARAMETER_AREA 1 8K: MEMORY_MAP@0, inserted at 0x5000                        → the fw info's memory map
 *   PARAMETER_AREA 2 4K: COMMAND_LINE@0, inserted with mask 0x8 (not the build's) → dropped
 *   PARAMETER_AREA 3 4K: no usage, inserted at 0x9000                            → dropped
 *   PARAMETER_AREA 6 4K: MADT@0, SRAT@0x800, inserted at 0xA000                  → re-declared as area 5
 *   PAGE_DATA 0x0 (data: RIP), 0x100000..0x102000 (data), 0x103000 (no data, UNMEASURED),
 *   0x104000 CPUID_DATA, 0x105000 SECRETS, 0x40000000 with mask 0x8 (not the build's)
 *   VP_CONTEXT SNP vp 0: a VMSA with the vTOM feature
 */
import { directiveTable } from '../../src/formats/igvm/directives.js';
import { IgvmArchitecture, IgvmHeaderType, IgvmPageDataType, IgvmPlatformType, PageDataFlags } from '../../src/formats/igvm/defs.js';
import type { IgvmDirectiveHeader, IgvmFile, IgvmPlatformHeader } from '../../src/formats/igvm/model.js';
import { serializeIgvm } from '../../src/formats/igvm/serialize.js';
import { encodeVmsa } from '../../src/formats/snp/vmsa.js';

export const HV_FW = {
  startRip: 0xfff0_1234n,
  vtom: 0x80_0000_0000n,
  cr0: 0x8000_0033n, cr3: 0x12_3000n, cr4: 0x640n, efer: 0x1d00n,
  gdtBase: 0x1_0000n, gdtLimit: 0x27, cs: 0x38, ds: 0x30,
  rsp: 0x8000n, rbx: 0x1111n, r15: 0xf15n,
  lowest: 0x10_0000, highest: 0x10_6000,
  secrets: 0x10_5000,
} as const;

export interface HvFirmwareOptions {
  /** directives inserted before the VP context */
  extra?: IgvmDirectiveHeader[];
  extraPlatforms?: IgvmPlatformHeader[];
  /** leave out the page at GPA 0 / the SNP VP context */
  noResetPage?: boolean;
  noContext?: boolean;
  vpIndex?: number;
  /** without the vTOM SEV feature */
  noVtom?: boolean;
  /** the mask of the pages, contexts and inserts meant for the build (default 0x1) */
  mask?: number;
}

const page = (seed: number): Uint8Array => {
  const b = new Uint8Array(4096);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
};

export function hvFirmwareVmsa(noVtom = false): Uint8Array {
  const v = new Uint8Array(4096);
  const d = new DataView(v.buffer);
  const u64 = (off: number, x: bigint): void => d.setBigUint64(off, x, true);
  d.setUint16(0x10, HV_FW.cs, true); // cs.selector
  d.setUint16(0x30, HV_FW.ds, true); // ds.selector
  d.setUint32(0x64, HV_FW.gdtLimit, true); // gdtr.limit
  u64(0x68, HV_FW.gdtBase); // gdtr.base
  u64(0xd0, HV_FW.efer);
  u64(0x148, HV_FW.cr4);
  u64(0x150, HV_FW.cr3);
  u64(0x158, HV_FW.cr0);
  u64(0x178, 0xdead_0000n); // rip: replaced by the reset page's
  u64(0x1d8, HV_FW.rsp);
  u64(0x318, HV_FW.rbx);
  u64(0x378, HV_FW.r15);
  u64(0x3b0, noVtom ? 0x1n : 0x3n); // SNP | vTOM
  u64(0x3c8, HV_FW.vtom);
  return v;
}

export function hvFirmwareFile(o: HvFirmwareOptions = {}): IgvmFile {
  const m = o.mask ?? 0x1;
  const reset = new Uint8Array(4096);
  new DataView(reset.buffer).setBigUint64(0, HV_FW.startRip, true);
  reset[100] = 0xcc;
  const usage = (type: IgvmHeaderType, parameterAreaIndex: number, byteOffset: number): IgvmDirectiveHeader => ({ kind: 'parameter-usage', type, parameterAreaIndex, byteOffset });
  const bytes = (b: Uint8Array) => ({ kind: 'bytes' as const, bytes: b });
  const d: IgvmDirectiveHeader[] = [
    { kind: 'required-memory', gpa: 0x100_0000, compatibilityMask: m, numberOfBytes: 0x10_0000, flags: 0 },
    { kind: 'parameter-area', numberOfBytes: 0x1000, parameterAreaIndex: 0, initialData: null },
    { kind: 'parameter-area', numberOfBytes: 0x2000, parameterAreaIndex: 1, initialData: null },
    { kind: 'parameter-area', numberOfBytes: 0x1000, parameterAreaIndex: 2, initialData: null },
    { kind: 'parameter-area', numberOfBytes: 0x1000, parameterAreaIndex: 3, initialData: null },
    { kind: 'parameter-area', numberOfBytes: 0x1000, parameterAreaIndex: 6, initialData: null },
    usage(IgvmHeaderType.VP_COUNT_PARAMETER, 0, 0),
    usage(IgvmHeaderType.MADT, 6, 0),
    usage(IgvmHeaderType.ENVIRONMENT_INFO_PARAMETER, 0, 4),
    usage(IgvmHeaderType.MEMORY_MAP, 1, 0),
    usage(IgvmHeaderType.COMMAND_LINE, 2, 0),
    usage(IgvmHeaderType.SRAT, 6, 0x800),
    { kind: 'parameter-insert', gpa: 0x7000, compatibilityMask: m, parameterAreaIndex: 0 },
    { kind: 'parameter-insert', gpa: 0x5000, compatibilityMask: m, parameterAreaIndex: 1 },
    { kind: 'parameter-insert', gpa: 0x8000, compatibilityMask: 0x8, parameterAreaIndex: 2 },
    { kind: 'parameter-insert', gpa: 0x9000, compatibilityMask: m, parameterAreaIndex: 3 },
    { kind: 'parameter-insert', gpa: 0xa000, compatibilityMask: m, parameterAreaIndex: 6 },
  ];
  if (!o.noResetPage) d.push({ kind: 'page-data', gpa: 0, compatibilityMask: m, flags: 0, dataType: IgvmPageDataType.NORMAL, data: bytes(reset) });
  for (let i = 0; i < 3; i++) d.push({ kind: 'page-data', gpa: 0x10_0000 + i * 0x1000, compatibilityMask: m, flags: 0, dataType: IgvmPageDataType.NORMAL, data: bytes(page(i)) });
  d.push({ kind: 'page-data', gpa: 0x10_3000, compatibilityMask: m, flags: PageDataFlags.UNMEASURED, dataType: IgvmPageDataType.NORMAL, data: null });
  d.push({ kind: 'page-data', gpa: 0x10_4000, compatibilityMask: m, flags: 0, dataType: IgvmPageDataType.CPUID_DATA, data: bytes(page(9)) });
  d.push({ kind: 'page-data', gpa: HV_FW.secrets, compatibilityMask: m, flags: 0, dataType: IgvmPageDataType.SECRETS, data: null });
  d.push({ kind: 'page-data', gpa: 0x4000_0000, compatibilityMask: 0x8, flags: 0, dataType: IgvmPageDataType.NORMAL, data: bytes(page(5)) });
  d.push(...(o.extra ?? []));
  if (!o.noContext) d.push({ kind: 'vp-context', gpa: 0xf000, compatibilityMask: 0x1, vpIndex: o.vpIndex ?? 0, data: bytes(hvFirmwareVmsa(o.noVtom)) });
  return {
    formatVersion: 1, architecture: IgvmArchitecture.X64, pageSize: 4096,
    platforms: [
      { kind: 'supported-platform', compatibilityMask: 0x1, highestVtl: 0, platformType: IgvmPlatformType.SEV_SNP, platformVersion: 1, sharedGpaBoundary: HV_FW.vtom },
      ...(o.extraPlatforms ?? []),
    ],
    initializations: [{ kind: 'guest-policy', policy: 0x30000n, compatibilityMask: 0x1 }],
    directives: directiveTable(d),
  };
}

export function hvFirmwareBytes(o: HvFirmwareOptions = {}): Uint8Array {
  return serializeIgvm(hvFirmwareFile(o));
}

/*
 * The firmware layouts of the igvmbuilder reference runs (test/vectors/igvm-build-hyperv-firmware.json).
 * Each is described there and in docs/igvm-build.md; the run's files were written by igvm 0.4.0's
 * `IgvmFile::serialize`, and these functions rebuild them with prelaunch's own serializer (same
 * layout rules, see src/formats/igvm/serialize.ts) — the vectors test checks the sha256 of every
 * one against the file the reference run used, so a change here cannot silently move a case.
 */

/** 2^39: the vTOM of the reference firmware */
const REF_VTOM = 0x80_0000_0000n;

/** A data page: byte i = (13 i + seed) mod 256. */
function refPage(seed: number): Uint8Array {
  const b = new Uint8Array(4096);
  for (let i = 0; i < b.length; i++) b[i] = (i * 13 + seed) & 0xff;
  return b;
}

/** The reset page: the start RIP (u64) at offset 0, then bytes 0x90 ^ i at 8 + i for i < 56. */
function refResetPage(rip: bigint): Uint8Array {
  const p = new Uint8Array(4096);
  new DataView(p.buffer).setBigUint64(0, rip, true);
  for (let i = 0; i < 56; i++) p[8 + i] = 0x90 ^ i;
  return p;
}

/** The reference VMSA: distinct GPRs, CR*, GDTR and selectors; SNP (+ vTOM at `vtom` unless null). */
function refVmsa(vtom: bigint | null): Uint8Array {
  const seg = (selector: number, attrib: number, limit: number) => ({ selector, attrib, limit, base: 0n });
  const zero = seg(0, 0, 0);
  return encodeVmsa({
    es: zero, cs: seg(0x38, 0xa9b, 0xffff_ffff), ss: zero, ds: seg(0x30, 0xa93, 0), fs: zero, gs: zero,
    gdtr: { selector: 0, attrib: 0, limit: 0x3f, base: 0x10_1000n }, ldtr: zero, idtr: zero, tr: zero,
    vmpl: 0, cpl: 0, efer: 0x1d00n, cr4: 0x668n, cr3: 0x10_2000n, cr0: 0x8000_0033n, dr7: 0n, dr6: 0n,
    rflags: 2n, rip: 0xdead_beefn, // rip: replaced by the reset page's
    rsp: 0x10_8ff0n, rax: 1n, gPat: 0n, rcx: 0x4444n, rdx: 0x5555n, rbx: 0x3333n, rbp: 0x2222n, rsi: 0x6666n, rdi: 0x7777n,
    r8: 0x8n, r9: 0x9n, r10: 0x10n, r11: 0x11n, r12: 0x12n, r13: 0x13n, r14: 0x14n, r15: 0x15n,
    sevFeatures: vtom === null ? 0x1n : 0x3n, virtualTom: vtom ?? 0n, xcr0: 0n, mxcsr: 0, x87Fcw: 0,
  });
}

const refBytes = (b: Uint8Array) => ({ kind: 'bytes' as const, bytes: b });
const refPd = (gpa: number, mask: number, dataType: IgvmPageDataType, data: Uint8Array | null, flags = 0): IgvmDirectiveHeader =>
  ({ kind: 'page-data', gpa, compatibilityMask: mask, flags, dataType, data: data && refBytes(data) });
const refArea = (parameterAreaIndex: number, numberOfBytes: number): IgvmDirectiveHeader => ({ kind: 'parameter-area', numberOfBytes, parameterAreaIndex, initialData: null });
const refUse = (type: IgvmHeaderType, parameterAreaIndex: number, byteOffset: number): IgvmDirectiveHeader => ({ kind: 'parameter-usage', type, parameterAreaIndex, byteOffset });
const refIns = (gpa: number, compatibilityMask: number, parameterAreaIndex: number): IgvmDirectiveHeader => ({ kind: 'parameter-insert', gpa, compatibilityMask, parameterAreaIndex });
const refCtx = (vmsa: Uint8Array, vpIndex = 0): IgvmDirectiveHeader => ({ kind: 'vp-context', gpa: 0x1_f000, compatibilityMask: 1, vpIndex, data: refBytes(vmsa) });
const refSnpPlatform = (vtom: boolean): IgvmPlatformHeader =>
  ({ kind: 'supported-platform', compatibilityMask: 0x1, highestVtl: 0, platformType: IgvmPlatformType.SEV_SNP, platformVersion: 1, sharedGpaBoundary: vtom ? REF_VTOM : 0n });

function refFile(directives: IgvmDirectiveHeader[], o: { platforms?: IgvmPlatformHeader[]; policy?: boolean; v2?: boolean } = {}): IgvmFile {
  return {
    formatVersion: o.v2 ? 2 : 1, architecture: IgvmArchitecture.X64, pageSize: 4096,
    platforms: o.platforms ?? [refSnpPlatform(true)],
    initializations: o.policy ? [{ kind: 'guest-policy', policy: 0x30000n, compatibilityMask: 0x1 }] : [],
    directives: directiveTable(directives),
  };
}

/** fw-snp-vtom-full / -novtom-full / -vsm-2plat (see the vectors' "firmware" descriptions). */
function refFull(vtom: boolean, twoPlatforms: boolean): IgvmFile {
  const N = IgvmPageDataType.NORMAL;
  const d: IgvmDirectiveHeader[] = [
    { kind: 'required-memory', gpa: 0x20_0000, compatibilityMask: 1, numberOfBytes: 0x10_0000, flags: 0 },
    refArea(0, 0x1000), refArea(1, 0x3000), refArea(2, 0x1000), refArea(5, 0x2000), refArea(7, 0x1000),
    refUse(IgvmHeaderType.VP_COUNT_PARAMETER, 0, 0), refUse(IgvmHeaderType.MADT, 2, 0), refUse(IgvmHeaderType.ENVIRONMENT_INFO_PARAMETER, 0, 4),
    refUse(IgvmHeaderType.MEMORY_MAP, 1, 0), refUse(IgvmHeaderType.COMMAND_LINE, 5, 0), refUse(IgvmHeaderType.SRAT, 2, 0x800),
    refUse(IgvmHeaderType.DEVICE_TREE, 7, 0),
    refIns(0x1f_0000, 1, 0), refIns(0x1e_0000, 1, 1), refIns(0x1f_1000, 1, 2), refIns(0x1f_2000, 1, 5), // area 7 never inserted
    refPd(0, 1, N, refResetPage(0xfff0_0100n)),
  ];
  for (let i = 0; i < 6; i++) d.push(refPd(0x10_0000 + i * 0x1000, 1, N, refPage(i)));
  d.push(
    refPd(0x10_6000, 1, N, refPage(1)), // the same content as 0x101000
    refPd(0x10_7000, 1, N, null),
    refPd(0x10_8000, 1, N, null, PageDataFlags.UNMEASURED),
    refPd(0x11_0000, 1, IgvmPageDataType.CPUID_DATA, refPage(0x40)),
    refPd(0x11_1000, 1, IgvmPageDataType.CPUID_XF, refPage(0x41)),
    refPd(0x11_2000, 1, IgvmPageDataType.SECRETS, null),
    refPd(0xf_f000, 1, N, refPage(0x77)), // lower in GPA, later in the file
  );
  const platforms = [refSnpPlatform(vtom)];
  if (twoPlatforms) {
    platforms.push({ kind: 'supported-platform', compatibilityMask: 0x2, highestVtl: 2, platformType: IgvmPlatformType.VSM_ISOLATION, platformVersion: 1, sharedGpaBoundary: 0n });
    d.push(refPd(0x12_0000, 2, N, refPage(0x50)), refPd(0x12_1000, 3, N, refPage(0x51)), refIns(0x1f_3000, 2, 7));
  }
  d.push(refCtx(refVmsa(vtom ? REF_VTOM : null)));
  return refFile(d, { platforms, policy: true });
}

/** The minimal firmware (reset page with RIP 0x100010, one page, a vTOM VMSA) with `extra` before the VP context. */
function refMin(extra: IgvmDirectiveHeader[] = [], o: { vpIndex?: number; vtom?: bigint; v2?: boolean } = {}): IgvmFile {
  return refFile([
    refPd(0, 1, IgvmPageDataType.NORMAL, refResetPage(0x10_0010n)), refPd(0x10_0000, 1, IgvmPageDataType.NORMAL, refPage(9)),
    ...extra, refCtx(refVmsa(o.vtom ?? REF_VTOM), o.vpIndex ?? 0),
  ], { v2: o.v2 });
}

/** The firmware layouts of the reference run, by the name its vectors use. */
export const REFERENCE_FIRMWARE: Readonly<Record<string, () => IgvmFile>> = {
  'fw-snp-vtom-full': () => refFull(true, false),
  'fw-snp-novtom-full': () => refFull(false, false),
  'fw-snp-vsm-2plat': () => refFull(true, true),
  'fw-snp-vtom-min': () => refMin(),
  'fw-bad-memmap-offset': () => refFile([
    refArea(0, 0x1000), refUse(IgvmHeaderType.MEMORY_MAP, 0, 8), refIns(0x1e_0000, 1, 0),
    refPd(0, 1, IgvmPageDataType.NORMAL, refResetPage(0x10_0010n)), refPd(0x10_0000, 1, IgvmPageDataType.NORMAL, refPage(9)), refCtx(refVmsa(REF_VTOM)),
  ]),
  'fw-bad-no-reset': () => refFile([refPd(0x10_0000, 1, IgvmPageDataType.NORMAL, refPage(9)), refCtx(refVmsa(REF_VTOM))]),
  'fw-e-2mb': () => refMin([refPd(0x40_0000, 1, IgvmPageDataType.NORMAL, null, PageDataFlags.IS_2MB_PAGE)]),
  'fw-e-shared': () => refMin([refPd(0x10_1000, 1, IgvmPageDataType.NORMAL, refPage(3), PageDataFlags.SHARED)]),
  'fw-e-gpa0-nodata': () => refMin([refPd(0, 1, IgvmPageDataType.NORMAL, null)]),
  'fw-e-kernel-overlap': () => refMin([refPd(0x800_0000, 1, IgvmPageDataType.NORMAL, refPage(4))]),
  'fw-e-vp1': () => refMin([], { vpIndex: 1 }),
  'fw-e-mmio': () => refMin([refArea(0, 0x1000), refUse(IgvmHeaderType.MMIO_RANGES, 0, 0), refIns(0x1f_0000, 1, 0)]),
  'fw-e-memmap-shared': () => refMin([refArea(0, 0x1000), refUse(IgvmHeaderType.MEMORY_MAP, 0, 0), refUse(IgvmHeaderType.VP_COUNT_PARAMETER, 0, 8), refIns(0x1f_0000, 1, 0)]),
  'fw-e-area-order': () => refMin([
    refArea(9, 0x3000), refArea(3, 0x1000),
    refUse(IgvmHeaderType.DEVICE_TREE, 9, 0x10), refUse(IgvmHeaderType.COMMAND_LINE, 3, 0), refUse(IgvmHeaderType.VP_COUNT_PARAMETER, 9, 0),
    refIns(0x1f_0000, 1, 9), refIns(0x1e_0000, 1, 3),
  ]),
  'fw-e-secrets-high': () => refMin([
    refPd(0x7f0_0000, 1, IgvmPageDataType.SECRETS, null),
    refArea(0, 0x10_0000), refUse(IgvmHeaderType.MEMORY_MAP, 0, 0), refIns(0x1c_0000, 1, 0),
  ]),
  'fw-e-v2': () => refMin([], { v2: true }),
  'fw-e-vtom46': () => refMin([], { vtom: 0x4000_0000_0000n }),
  'pl-hv-firmware': () => hvFirmwareFile(),
  'pl-hv-firmware-novtom': () => hvFirmwareFile({ noVtom: true }),
};

export function referenceFirmwareBytes(name: string): Uint8Array {
  const make = REFERENCE_FIRMWARE[name];
  if (!make) throw new Error(`no reference firmware ${name}`);
  return serializeIgvm(make());
}
