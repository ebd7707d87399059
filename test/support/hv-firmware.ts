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
