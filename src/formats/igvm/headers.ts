/**
 * IGVM variable headers: the TLV wrapper and the content of every header type igvm 0.4.0
 * knows. All integers little-endian; "mask" is the u32 compatibility mask.
 *
 *   IGVM_VHS_VARIABLE_HEADER (8 bytes): 0 type u32 · 4 length u32 (content bytes only)
 *   followed by `length` content bytes; the next header starts at align8(8 + length).
 *
 *   SUPPORTED_PLATFORM 0x001 (16)      0 mask · 4 highest_vtl u8 · 5 platform_type u8 ·
 *                                      6 platform_version u16 · 8 shared_gpa_boundary u64
 *   GUEST_POLICY 0x101 (16)            0 policy u64 · 8 mask · 12 reserved u32 (= 0)
 *   RELOCATABLE_REGION 0x102 (48)      0 mask · 4 vp_index u16 · 6 vtl u8 · 7 flags u8 ·
 *                                      8 relocation_alignment u64 · 16 region_gpa u64 ·
 *                                      24 region_size u64 · 32 min_gpa u64 · 40 max_gpa u64
 *   PAGE_TABLE_RELOCATION 0x103 (32)   0 mask · 4 vp_index u16 · 6 vtl u8 · 7 reserved u8 (= 0) ·
 *                                      8 gpa u64 · 16 size u64 · 24 used_size u64
 *   PARAMETER_AREA 0x301 (16)          0 number_of_bytes u64 · 8 parameter_area_index u32 ·
 *                                      12 file_offset u32 (0 = zero-filled)
 *   PAGE_DATA 0x302 (24)               0 gpa u64 · 8 mask · 12 file_offset u32 (0 = no data) ·
 *                                      16 flags u32 · 20 data_type u16 · 22 reserved u16 (= 0)
 *   PARAMETER_INSERT 0x303 (16)        0 gpa u64 · 8 mask · 12 parameter_area_index u32
 *   VP_CONTEXT 0x304 (20, padded to 24) 0 gpa u64 · 8 mask · 12 file_offset u32 ·
 *                                      16 vp_index u16 · 18 reserved u16
 *   REQUIRED_MEMORY 0x305 (24)         0 gpa u64 · 8 mask · 12 number_of_bytes u32 ·
 *                                      16 flags u32 · 20 reserved u32 (= 0)
 *   parameter usages (8)               0 parameter_area_index u32 · 4 byte_offset u32
 *     VP_COUNT 0x307, SRAT 0x308, MADT 0x309, MMIO_RANGES 0x30A, MEMORY_MAP 0x30C,
 *     COMMAND_LINE 0x30E, SLIT 0x30F, PPTT 0x310, DEVICE_TREE 0x312, ENVIRONMENT_INFO 0x313
 *   ERROR_RANGE 0x30D (16)             0 gpa u64 · 8 mask · 12 size_bytes u32
 *   SNP_ID_BLOCK 0x30B (696)           0 mask · 4 author_key_enabled u8 · 5 reserved[3] ·
 *                                      8 ld[48] · 56 family_id[16] · 72 image_id[16] ·
 *                                      88 version u32 · 92 guest_svn u32 ·
 *                                      96 id_key_algorithm u32 · 100 author_key_algorithm u32 ·
 *                                      104 id_key_signature {r[72], s[72]} ·
 *                                      248 id_public_key {curve u32, reserved u32, qx[72], qy[72]} ·
 *                                      400 author_key_signature · 544 author_public_key
 *   VBS_MEASUREMENT 0x311 (864)        0 mask · 4 version · 8 product_id · 12 module_id ·
 *                                      16 security_version · 20 policy_flags ·
 *                                      24 boot_digest_algo · 28 signing_algo (all u32) ·
 *                                      32 boot_measurement_digest[64] · 96 signature[256] ·
 *                                      352 public_key[512]
 *
 * 64-bit values that may legitimately exceed 2^53 (policy, boundaries, relocation limits)
 * are decoded as two u32 halves and kept as bigint; GPAs and sizes become numbers.
 */
import { Parser, defineStruct } from '../../bytes/struct.js';
import { StructWriter } from '../../bytes/writer.js';
import { IgvmHeaderType } from './defs.js';
import type {
  ErrorRange, GuestPolicy, IgvmDirectiveHeader, IgvmInitializationHeader, IgvmPlatformHeader, PageData, PageTableRelocationRegion,
  ParameterArea, ParameterInsert, ParameterUsage, RelocatableRegion, RequiredMemory, SnpIdBlock, SupportedPlatform, VbsMeasurement, VpContext,
} from './model.js';

export const VARIABLE_HEADER_SIZE = 8;
/** a whole PAGE_DATA header: IGVM_VHS_VARIABLE_HEADER + IGVM_VHS_PAGE_DATA (24 bytes, already 8-aligned) */
export const PAGE_DATA_HEADER_SIZE = 32;
/** a whole PAGE_DATA header in 32-bit words: a row of the directive table (./model.ts) */
export const PAGE_DATA_ROW_WORDS = PAGE_DATA_HEADER_SIZE / 4;
export const align8 = (n: number): number => (n + 7) & ~7;

// IGVM_VHS_VARIABLE_HEADER is read in place by the parser's header walk (two u32s; a file
// can hold thousands of headers, and a decode per header cost more than the walk itself).

/** The exact content length igvm 0.4.0 requires for each header type. */
export const CONTENT_SIZE: Readonly<Record<number, number>> = {
  [IgvmHeaderType.SUPPORTED_PLATFORM]: 16,
  [IgvmHeaderType.GUEST_POLICY]: 16,
  [IgvmHeaderType.RELOCATABLE_REGION]: 48,
  [IgvmHeaderType.PAGE_TABLE_RELOCATION_REGION]: 32,
  [IgvmHeaderType.PARAMETER_AREA]: 16,
  [IgvmHeaderType.PAGE_DATA]: 24,
  [IgvmHeaderType.PARAMETER_INSERT]: 16,
  [IgvmHeaderType.VP_CONTEXT]: 20,
  [IgvmHeaderType.REQUIRED_MEMORY]: 24,
  [IgvmHeaderType.VP_COUNT_PARAMETER]: 8,
  [IgvmHeaderType.SRAT]: 8,
  [IgvmHeaderType.MADT]: 8,
  [IgvmHeaderType.MMIO_RANGES]: 8,
  [IgvmHeaderType.SNP_ID_BLOCK]: 696,
  [IgvmHeaderType.MEMORY_MAP]: 8,
  [IgvmHeaderType.ERROR_RANGE]: 16,
  [IgvmHeaderType.COMMAND_LINE]: 8,
  [IgvmHeaderType.SLIT]: 8,
  [IgvmHeaderType.PPTT]: 8,
  [IgvmHeaderType.VBS_MEASUREMENT]: 864,
  [IgvmHeaderType.DEVICE_TREE]: 8,
  [IgvmHeaderType.ENVIRONMENT_INFO_PARAMETER]: 8,
};

type AnyHeader = IgvmPlatformHeader | IgvmInitializationHeader | IgvmDirectiveHeader;

/** The header-type number a model header is written with. */
export function headerType(h: AnyHeader): number {
  switch (h.kind) {
    case 'supported-platform': return IgvmHeaderType.SUPPORTED_PLATFORM;
    case 'guest-policy': return IgvmHeaderType.GUEST_POLICY;
    case 'relocatable-region': return IgvmHeaderType.RELOCATABLE_REGION;
    case 'page-table-relocation-region': return IgvmHeaderType.PAGE_TABLE_RELOCATION_REGION;
    case 'parameter-area': return IgvmHeaderType.PARAMETER_AREA;
    case 'page-data': return IgvmHeaderType.PAGE_DATA;
    case 'parameter-insert': return IgvmHeaderType.PARAMETER_INSERT;
    case 'vp-context': return IgvmHeaderType.VP_CONTEXT;
    case 'required-memory': return IgvmHeaderType.REQUIRED_MEMORY;
    case 'parameter-usage': return h.type;
    case 'error-range': return IgvmHeaderType.ERROR_RANGE;
    case 'snp-id-block': return IgvmHeaderType.SNP_ID_BLOCK;
    case 'vbs-measurement': return IgvmHeaderType.VBS_MEASUREMENT;
    case 'unknown': return h.type;
  }
}

/** The content length a model header is written with (the header takes align8(8 + it) bytes). */
export function contentLength(h: AnyHeader): number {
  return h.kind === 'unknown' ? h.content.length : CONTENT_SIZE[headerType(h)]!;
}

const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

// ---- decoding --------------------------------------------------------------------------

export const IGVM_VHS_SUPPORTED_PLATFORM = defineStruct<{ compatibilityMask: number; highestVtl: number; platformType: number; platformVersion: number; boundaryLo: number; boundaryHi: number }>(
  'IGVM_VHS_SUPPORTED_PLATFORM',
  new Parser().uint32le('compatibilityMask').uint8('highestVtl').uint8('platformType').uint16le('platformVersion').uint32le('boundaryLo').uint32le('boundaryHi'),
);
export const IGVM_VHS_GUEST_POLICY = defineStruct<{ policyLo: number; policyHi: number; compatibilityMask: number; reserved: number }>(
  'IGVM_VHS_GUEST_POLICY',
  new Parser().uint32le('policyLo').uint32le('policyHi').uint32le('compatibilityMask').uint32le('reserved'),
);
export const IGVM_VHS_RELOCATABLE_REGION = defineStruct<{ compatibilityMask: number; vpIndex: number; vtl: number; flags: number; alignLo: number; alignHi: number; gpaLo: number; gpaHi: number; sizeLo: number; sizeHi: number; minLo: number; minHi: number; maxLo: number; maxHi: number }>(
  'IGVM_VHS_RELOCATABLE_REGION',
  new Parser().uint32le('compatibilityMask').uint16le('vpIndex').uint8('vtl').uint8('flags')
    .uint32le('alignLo').uint32le('alignHi').uint32le('gpaLo').uint32le('gpaHi').uint32le('sizeLo').uint32le('sizeHi')
    .uint32le('minLo').uint32le('minHi').uint32le('maxLo').uint32le('maxHi'),
);
export const IGVM_VHS_PAGE_TABLE_RELOCATION = defineStruct<{ compatibilityMask: number; vpIndex: number; vtl: number; reserved: number; gpaLo: number; gpaHi: number; sizeLo: number; sizeHi: number; usedLo: number; usedHi: number }>(
  'IGVM_VHS_PAGE_TABLE_RELOCATION',
  new Parser().uint32le('compatibilityMask').uint16le('vpIndex').uint8('vtl').uint8('reserved')
    .uint32le('gpaLo').uint32le('gpaHi').uint32le('sizeLo').uint32le('sizeHi').uint32le('usedLo').uint32le('usedHi'),
);
export const IGVM_VHS_PARAMETER_AREA = defineStruct<{ numberOfBytes: number; parameterAreaIndex: number; fileOffset: number }>(
  'IGVM_VHS_PARAMETER_AREA',
  new Parser().uint64le('numberOfBytes').uint32le('parameterAreaIndex').uint32le('fileOffset'),
);
/**
 * IGVM_VHS_PAGE_DATA is the header a file holds thousands of (one per 4K page), so it is read
 * in place from a DataView instead of through binary-parser: binary-parser's generated code
 * makes a DataView, a BigInt and a dictionary-mode result object on every call, ~3× the
 * cost, which for an 8,000-page file was a tenth of `igvm measure` (docs/performance.md).
 */
export interface RawPageData { gpaLo: number; gpaHi: number; compatibilityMask: number; fileOffset: number; flags: number; dataType: number; reserved: number }
/** Byte offsets of IGVM_VHS_PAGE_DATA's fields in its content (all little-endian). */
export enum PageDataField {
  /** u64, read as two u32 halves */
  GpaLo = 0,
  GpaHi = 4,
  CompatibilityMask = 8,
  /** u32; 0 = no data */
  FileOffset = 12,
  Flags = 16,
  /** u16 */
  DataType = 20,
  /** u16 */
  Reserved = 22,
}
/**
 * A whole PAGE_DATA header (IGVM_VHS_VARIABLE_HEADER + IGVM_VHS_PAGE_DATA) as eight 32-bit
 * words: the parser's fast loop reads runs of them this way. The content's fields are
 * PageDataField's, from word 2 on; data_type and reserved share the last word, data_type in
 * its low half.
 */
export enum PageDataWord {
  Type = 0,
  Length = 1,
  /** where the content starts (after the 8-byte IGVM_VHS_VARIABLE_HEADER) */
  Content = 2,
  GpaLo = Content + (PageDataField.GpaLo >>> 2),
  GpaHi = Content + (PageDataField.GpaHi >>> 2),
  CompatibilityMask = Content + (PageDataField.CompatibilityMask >>> 2),
  FileOffset = Content + (PageDataField.FileOffset >>> 2),
  Flags = Content + (PageDataField.Flags >>> 2),
  DataTypeReserved = Content + (PageDataField.DataType >>> 2),
  /** words per header */
  Count = 8,
}
/** Decode the PAGE_DATA content at `at`. (The parser's header loop reads the same fields in line.) */
export function decodePageData(view: DataView, at: number): RawPageData {
  return {
    gpaLo: view.getUint32(at + PageDataField.GpaLo, true),
    gpaHi: view.getUint32(at + PageDataField.GpaHi, true),
    compatibilityMask: view.getUint32(at + PageDataField.CompatibilityMask, true),
    fileOffset: view.getUint32(at + PageDataField.FileOffset, true),
    flags: view.getUint32(at + PageDataField.Flags, true),
    dataType: view.getUint16(at + PageDataField.DataType, true),
    reserved: view.getUint16(at + PageDataField.Reserved, true),
  };
}
export const IGVM_VHS_PARAMETER_INSERT = defineStruct<{ gpa: number; compatibilityMask: number; parameterAreaIndex: number }>(
  'IGVM_VHS_PARAMETER_INSERT',
  new Parser().uint64le('gpa').uint32le('compatibilityMask').uint32le('parameterAreaIndex'),
);
export const IGVM_VHS_VP_CONTEXT = defineStruct<{ gpa: number; compatibilityMask: number; fileOffset: number; vpIndex: number; reserved: number }>(
  'IGVM_VHS_VP_CONTEXT',
  new Parser().uint64le('gpa').uint32le('compatibilityMask').uint32le('fileOffset').uint16le('vpIndex').uint16le('reserved'),
);
export const IGVM_VHS_REQUIRED_MEMORY = defineStruct<{ gpa: number; compatibilityMask: number; numberOfBytes: number; flags: number; reserved: number }>(
  'IGVM_VHS_REQUIRED_MEMORY',
  new Parser().uint64le('gpa').uint32le('compatibilityMask').uint32le('numberOfBytes').uint32le('flags').uint32le('reserved'),
);
export const IGVM_VHS_PARAMETER = defineStruct<{ parameterAreaIndex: number; byteOffset: number }>(
  'IGVM_VHS_PARAMETER',
  new Parser().uint32le('parameterAreaIndex').uint32le('byteOffset'),
);
export const IGVM_VHS_ERROR_RANGE = defineStruct<{ gpa: number; compatibilityMask: number; sizeBytes: number }>(
  'IGVM_VHS_ERROR_RANGE',
  new Parser().uint64le('gpa').uint32le('compatibilityMask').uint32le('sizeBytes'),
);
const bytesField = (p: Parser, name: string, length: number): Parser => p.buffer(name, { length, clone: true });
export const IGVM_VHS_SNP_ID_BLOCK = defineStruct<{
  compatibilityMask: number; authorKeyEnabled: number; reserved: Uint8Array; ld: Uint8Array; familyId: Uint8Array; imageId: Uint8Array;
  version: number; guestSvn: number; idKeyAlgorithm: number; authorKeyAlgorithm: number;
  idKeySignature: Uint8Array; idPublicKey: Uint8Array; authorKeySignature: Uint8Array; authorPublicKey: Uint8Array;
}>(
  'IGVM_VHS_SNP_ID_BLOCK',
  [
    (p: Parser) => p.uint32le('compatibilityMask').uint8('authorKeyEnabled'),
    (p: Parser) => bytesField(p, 'reserved', 3),
    (p: Parser) => bytesField(p, 'ld', 48),
    (p: Parser) => bytesField(p, 'familyId', 16),
    (p: Parser) => bytesField(p, 'imageId', 16),
    (p: Parser) => p.uint32le('version').uint32le('guestSvn').uint32le('idKeyAlgorithm').uint32le('authorKeyAlgorithm'),
    (p: Parser) => bytesField(p, 'idKeySignature', 144),
    (p: Parser) => bytesField(p, 'idPublicKey', 152),
    (p: Parser) => bytesField(p, 'authorKeySignature', 144),
    (p: Parser) => bytesField(p, 'authorPublicKey', 152),
  ].reduce((p, f) => f(p), new Parser()),
);
export const IGVM_VHS_VBS_MEASUREMENT = defineStruct<{
  compatibilityMask: number; version: number; productId: number; moduleId: number; securityVersion: number; policyFlags: number;
  bootDigestAlgo: number; signingAlgo: number; bootMeasurementDigest: Uint8Array; signature: Uint8Array; publicKey: Uint8Array;
}>(
  'IGVM_VHS_VBS_MEASUREMENT',
  bytesField(bytesField(bytesField(
    new Parser().uint32le('compatibilityMask').uint32le('version').uint32le('productId').uint32le('moduleId')
      .uint32le('securityVersion').uint32le('policyFlags').uint32le('bootDigestAlgo').uint32le('signingAlgo'),
    'bootMeasurementDigest', 64), 'signature', 256), 'publicKey', 512),
);

export { u64 as joinU64 };

// ---- encoding --------------------------------------------------------------------------

const lo32 = (v: bigint): number => Number(v & 0xffff_ffffn);
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffff_ffffn);

export function encodeSupportedPlatform(h: SupportedPlatform): Uint8Array {
  return new StructWriter(16).u32(0, h.compatibilityMask).u8(4, h.highestVtl).u8(5, h.platformType).u16(6, h.platformVersion)
    .u32(8, lo32(h.sharedGpaBoundary)).u32(12, hi32(h.sharedGpaBoundary)).bytes;
}
export function encodeGuestPolicy(h: GuestPolicy): Uint8Array {
  return new StructWriter(16).u32(0, lo32(h.policy)).u32(4, hi32(h.policy)).u32(8, h.compatibilityMask).bytes;
}
export function encodeRelocatableRegion(h: RelocatableRegion): Uint8Array {
  return new StructWriter(48).u32(0, h.compatibilityMask).u16(4, h.vpIndex).u8(6, h.vtl).u8(7, h.flags)
    .u64(8, h.relocationAlignment).u64(16, h.relocationRegionGpa).u64(24, h.relocationRegionSize)
    .u64(32, h.minimumRelocationGpa).u64(40, h.maximumRelocationGpa).bytes;
}
export function encodePageTableRelocation(h: PageTableRelocationRegion): Uint8Array {
  return new StructWriter(32).u32(0, h.compatibilityMask).u16(4, h.vpIndex).u8(6, h.vtl).u64(8, h.gpa).u64(16, h.size).u64(24, h.usedSize).bytes;
}
export function encodeParameterArea(h: ParameterArea, fileOffset: number): Uint8Array {
  return new StructWriter(16).u64(0, h.numberOfBytes).u32(8, h.parameterAreaIndex).u32(12, fileOffset).bytes;
}
export function encodePageData(h: PageData, fileOffset: number): Uint8Array {
  return new StructWriter(24).u64(0, h.gpa).u32(8, h.compatibilityMask).u32(12, fileOffset).u32(16, h.flags).u16(20, h.dataType).bytes;
}
export function encodeParameterInsert(h: ParameterInsert): Uint8Array {
  return new StructWriter(16).u64(0, h.gpa).u32(8, h.compatibilityMask).u32(12, h.parameterAreaIndex).bytes;
}
export function encodeVpContext(h: VpContext, fileOffset: number): Uint8Array {
  return new StructWriter(20).u64(0, h.gpa).u32(8, h.compatibilityMask).u32(12, fileOffset).u16(16, h.vpIndex).bytes;
}
export function encodeRequiredMemory(h: RequiredMemory): Uint8Array {
  return new StructWriter(24).u64(0, h.gpa).u32(8, h.compatibilityMask).u32(12, h.numberOfBytes).u32(16, h.flags).bytes;
}
export function encodeParameterUsage(h: ParameterUsage): Uint8Array {
  return new StructWriter(8).u32(0, h.parameterAreaIndex).u32(4, h.byteOffset).bytes;
}
export function encodeErrorRange(h: ErrorRange): Uint8Array {
  return new StructWriter(16).u64(0, h.gpa).u32(8, h.compatibilityMask).u32(12, h.sizeBytes).bytes;
}
export function encodeSnpIdBlock(h: SnpIdBlock): Uint8Array {
  return new StructWriter(696).u32(0, h.compatibilityMask).u8(4, h.authorKeyEnabled).put(5, h.reserved).put(8, h.ld).put(56, h.familyId)
    .put(72, h.imageId).u32(88, h.version).u32(92, h.guestSvn).u32(96, h.idKeyAlgorithm).u32(100, h.authorKeyAlgorithm)
    .put(104, h.idKeySignature).put(248, h.idPublicKey).put(400, h.authorKeySignature).put(544, h.authorPublicKey).bytes;
}
export function encodeVbsMeasurement(h: VbsMeasurement): Uint8Array {
  return new StructWriter(864).u32(0, h.compatibilityMask).u32(4, h.version).u32(8, h.productId).u32(12, h.moduleId)
    .u32(16, h.securityVersion).u32(20, h.policyFlags).u32(24, h.bootDigestAlgo).u32(28, h.signingAlgo)
    .put(32, h.bootMeasurementDigest).put(96, h.signature).put(352, h.publicKey).bytes;
}

/** Size of the fixed byte arrays in the SNP ID block and VBS measurement headers (validate checks them). */
export const SNP_ID_BLOCK_ARRAYS = { reserved: 3, ld: 48, familyId: 16, imageId: 16, idKeySignature: 144, idPublicKey: 152, authorKeySignature: 144, authorPublicKey: 152 } as const;
export const VBS_MEASUREMENT_ARRAYS = { bootMeasurementDigest: 64, signature: 256, publicKey: 512 } as const;
