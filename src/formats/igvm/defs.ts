/**
 * IGVM spec constants (microsoft/igvm `igvm_defs`, version 0.4.0): magic, format versions,
 * variable-header type numbers and ranges, platform types, flags and data types.
 * Byte layouts are in ./fixed-header.ts and ./headers.ts; the in-memory model in ./model.ts.
 */

/** "IGVM" read as a little-endian u32. */
export const IGVM_MAGIC = 0x4d564749;
export const IGVM_FORMAT_VERSION_1 = 1;
export const IGVM_FORMAT_VERSION_2 = 2;
export type IgvmFormatVersion = 1 | 2;

export const PAGE_SIZE_4K = 4096;
export const PAGE_SIZE_2M = 2 * 1024 * 1024;

/** IGVM_FIXED_HEADER_V2.architecture */
export enum IgvmArchitecture {
  X64 = 0,
  AARCH64 = 1,
}

/** Bit 31 of a variable-header type: a loader may ignore a header it does not know. */
export const IGVM_VHT_OPTIONAL_BIT = 0x8000_0000;

export const IGVM_VHT_RANGE_PLATFORM = { first: 0x001, last: 0x100 } as const;
export const IGVM_VHT_RANGE_INIT = { first: 0x101, last: 0x200 } as const;
export const IGVM_VHT_RANGE_DIRECTIVE = { first: 0x301, last: 0x400 } as const;

export type HeaderStage = 'platform' | 'initialization' | 'directive';

/** The range a variable-header type lies in, or null (the optional bit is NOT stripped). */
export function headerStage(type: number): HeaderStage | null {
  if (type >= IGVM_VHT_RANGE_PLATFORM.first && type <= IGVM_VHT_RANGE_PLATFORM.last) return 'platform';
  if (type >= IGVM_VHT_RANGE_INIT.first && type <= IGVM_VHT_RANGE_INIT.last) return 'initialization';
  if (type >= IGVM_VHT_RANGE_DIRECTIVE.first && type <= IGVM_VHT_RANGE_DIRECTIVE.last) return 'directive';
  return null;
}

/** Variable-header types (IgvmVariableHeaderType). */
export enum IgvmHeaderType {
  SUPPORTED_PLATFORM = 0x001,
  GUEST_POLICY = 0x101,
  RELOCATABLE_REGION = 0x102,
  PAGE_TABLE_RELOCATION_REGION = 0x103,
  /** igvm HEAD (feature "corim"): a CoRIM document, IGVM_VHS_CORIM_DATA (./corim.ts) */
  CORIM_DOCUMENT = 0x104,
  /** igvm HEAD (feature "corim"): a COSE_Sign1 over the CoRIM document of the same mask, IGVM_VHS_CORIM_DATA */
  CORIM_SIGNATURE = 0x105,
  PARAMETER_AREA = 0x301,
  PAGE_DATA = 0x302,
  PARAMETER_INSERT = 0x303,
  VP_CONTEXT = 0x304,
  REQUIRED_MEMORY = 0x305,
  VP_COUNT_PARAMETER = 0x307,
  SRAT = 0x308,
  MADT = 0x309,
  MMIO_RANGES = 0x30a,
  SNP_ID_BLOCK = 0x30b,
  MEMORY_MAP = 0x30c,
  ERROR_RANGE = 0x30d,
  COMMAND_LINE = 0x30e,
  SLIT = 0x30f,
  PPTT = 0x310,
  VBS_MEASUREMENT = 0x311,
  DEVICE_TREE = 0x312,
  ENVIRONMENT_INFO_PARAMETER = 0x313,
}

/**
 * Header types defined after igvm 0.4.0 that prelaunch does not model (HEAD: CCA): known by
 * name, rejected like igvm 0.4.0 does. The CoRIM headers (HEAD, microsoft/igvm@e6c3ff1, feature
 * "corim") are modelled: IgvmHeaderType.CORIM_DOCUMENT / CORIM_SIGNATURE.
 */
export const IGVM_HEAD_ONLY_TYPES: Readonly<Record<number, string>> = {
  0x106: 'IGVM_VHT_CCA_POLICY',
};

export function headerTypeName(type: number): string {
  const base = (type & ~IGVM_VHT_OPTIONAL_BIT) >>> 0;
  const name = IgvmHeaderType[base] !== undefined ? `IGVM_VHT_${IgvmHeaderType[base]}` : IGVM_HEAD_ONLY_TYPES[base] ?? 'unknown type';
  const opt = type & IGVM_VHT_OPTIONAL_BIT ? ' with the optional bit' : '';
  return `${name}${opt} (0x${(type >>> 0).toString(16)})`;
}

/** The four parameter-usage headers' common content is IGVM_VHS_PARAMETER. */
export const PARAMETER_USAGE_TYPES: readonly IgvmHeaderType[] = [
  IgvmHeaderType.VP_COUNT_PARAMETER,
  IgvmHeaderType.SRAT,
  IgvmHeaderType.MADT,
  IgvmHeaderType.MMIO_RANGES,
  IgvmHeaderType.MEMORY_MAP,
  IgvmHeaderType.COMMAND_LINE,
  IgvmHeaderType.SLIT,
  IgvmHeaderType.PPTT,
  IgvmHeaderType.DEVICE_TREE,
  IgvmHeaderType.ENVIRONMENT_INFO_PARAMETER,
];

/** IGVM_VHS_SUPPORTED_PLATFORM.platform_type */
export enum IgvmPlatformType {
  NATIVE = 0x00,
  VSM_ISOLATION = 0x01,
  SEV_SNP = 0x02,
  TDX = 0x03,
  SEV = 0x04,
  SEV_ES = 0x05,
  CCA = 0x06,
}

export function platformTypeName(t: number): string {
  return IgvmPlatformType[t] ?? `unknown (${t})`;
}

/** Every platform type in igvm 0.4.0 has platform_version 1. */
export const IGVM_PLATFORM_VERSION = 1;

/** IGVM_VHS_PAGE_DATA.flags */
export const PageDataFlags = {
  IS_2MB_PAGE: 1 << 0,
  UNMEASURED: 1 << 1,
  SHARED: 1 << 2,
} as const;

/** IGVM_VHS_PAGE_DATA.data_type */
export enum IgvmPageDataType {
  NORMAL = 0,
  SECRETS = 1,
  CPUID_DATA = 2,
  CPUID_XF = 3,
}

/** IGVM_VHS_RELOCATABLE_REGION.flags */
export const RelocationFlags = {
  IS_VTL2: 1 << 0,
  APPLY_RIP: 1 << 1,
  APPLY_GDTR: 1 << 2,
} as const;

/** IGVM_VHS_REQUIRED_MEMORY.flags */
export const RequiredMemoryFlags = { VTL2_PROTECTABLE: 1 << 0 } as const;

/** The Hyper-V register names igvm 0.4.0 accepts in a VBS VP context (x64). */
export const VBS_X64_REGISTERS: Readonly<Record<number, string>> = {
  0x00020004: 'Rsp', 0x00020005: 'Rbp', 0x00020006: 'Rsi', 0x00020008: 'R8', 0x00020009: 'R9', 0x0002000a: 'R10',
  0x0002000b: 'R11', 0x0002000c: 'R12', 0x00020010: 'Rip', 0x00020011: 'Rflags', 0x00040000: 'Cr0', 0x00040002: 'Cr3',
  0x00040003: 'Cr4', 0x00060000: 'Es', 0x00060001: 'Cs', 0x00060002: 'Ss', 0x00060003: 'Ds', 0x00060004: 'Fs',
  0x00060005: 'Gs', 0x00060007: 'Tr', 0x00070000: 'Idtr', 0x00070001: 'Gdtr', 0x00080001: 'Efer', 0x00080004: 'Pat',
  0x0008000e: 'MtrrDefType', 0x00080010: 'MtrrPhysBase0', 0x00080011: 'MtrrPhysBase1', 0x00080012: 'MtrrPhysBase2',
  0x00080013: 'MtrrPhysBase3', 0x00080014: 'MtrrPhysBase4', 0x00080040: 'MtrrPhysMask0', 0x00080041: 'MtrrPhysMask1',
  0x00080042: 'MtrrPhysMask2', 0x00080043: 'MtrrPhysMask3', 0x00080044: 'MtrrPhysMask4', 0x00080070: 'MtrrFix64k00000',
  0x00080071: 'MtrrFix16k80000', 0x00080077: 'MtrrFix4kE0000', 0x00080078: 'MtrrFix4kE8000', 0x00080079: 'MtrrFix4kF0000',
  0x0008007a: 'MtrrFix4kF8000',
};
/** The Hyper-V register names igvm 0.4.0 accepts in a VBS VP context (AArch64). */
export const VBS_AARCH64_REGISTERS: Readonly<Record<number, string>> = {
  0x00020000: 'X0', 0x00020001: 'X1', 0x00020022: 'Pc', 0x00020023: 'Cpsr', 0x00040002: 'SctlrEl1', 0x00040005: 'Ttbr0El1',
  0x00040006: 'Ttbr1El1', 0x00040007: 'TcrEl1', 0x0004000b: 'MairEl1', 0x0004000c: 'VbarEl1',
};

/** SNP VMSA: the architectural structure igvm 0.4.0 models; the rest of the 4K page must be zero. */
export const SEV_VMSA_STRUCT_SIZE = 0x670;
/** IgvmNativeVpContextX64: the rest of its 4K page must be zero. */
export const NATIVE_VP_CONTEXT_SIZE = 232;
