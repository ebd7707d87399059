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
 *   CORIM_DOCUMENT 0x104,              IGVM_VHS_CORIM_DATA: 0 mask · 4 file_offset u32 ·
 *   CORIM_SIGNATURE 0x105 (16)         8 size_bytes u32 · 12 reserved u32 (= 0)
 *                                      (igvm HEAD e6c3ff1, igvm_defs/src/lib.rs `IGVM_VHS_CORIM_DATA`)
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
 * Each is declared once below as a layout table (../../bytes/layout.ts), which gives its
 * decoder, its writer and its field offsets. 64-bit values that may legitimately exceed 2^53
 * (policy, boundaries, relocation limits) are bigints (`u64n`); GPAs and sizes are numbers
 * (`u64`: a value above 2^53 is refused, rule ValueOutOfRange).
 */
import { at, bytes, defineLayout, u16, u32, u64, u64n, u8, type Layout } from '../../bytes/layout.js';
import { IgvmHeaderType } from './defs.js';
import { dataLength, type IgvmDirectiveHeader, type IgvmInitializationHeader, type IgvmPlatformHeader } from './model.js';
import { IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY, IGVM_VHS_SNP_ID_BLOCK_SIGNATURE } from './snp-id-block.js';

export const IGVM_VHS_VARIABLE_HEADER = defineLayout('IGVM_VHS_VARIABLE_HEADER', { type: u32, length: u32 });
export const VARIABLE_HEADER_SIZE = IGVM_VHS_VARIABLE_HEADER.size;
export const align8 = (n: number): number => (n + 7) & ~7;

export const IGVM_VHS_SUPPORTED_PLATFORM = defineLayout('IGVM_VHS_SUPPORTED_PLATFORM', {
  compatibilityMask: u32, highestVtl: u8, platformType: u8, platformVersion: u16, sharedGpaBoundary: u64n,
});
export const IGVM_VHS_GUEST_POLICY = defineLayout('IGVM_VHS_GUEST_POLICY', { policy: u64n, compatibilityMask: u32, reserved: u32 });
export const IGVM_VHS_RELOCATABLE_REGION = defineLayout('IGVM_VHS_RELOCATABLE_REGION', {
  compatibilityMask: u32, vpIndex: u16, vtl: u8, flags: u8, relocationAlignment: u64n, relocationRegionGpa: u64n,
  relocationRegionSize: u64n, minimumRelocationGpa: u64n, maximumRelocationGpa: u64n,
});
export const IGVM_VHS_PAGE_TABLE_RELOCATION = defineLayout('IGVM_VHS_PAGE_TABLE_RELOCATION', {
  compatibilityMask: u32, vpIndex: u16, vtl: u8, reserved: u8, gpa: u64n, size: u64n, usedSize: u64n,
});
/** igvm_defs `IGVM_VHS_CORIM_DATA` (HEAD, feature "corim"): the document or signature bytes are file data. */
export const IGVM_VHS_CORIM_DATA = defineLayout('IGVM_VHS_CORIM_DATA', { compatibilityMask: u32, fileOffset: u32, sizeBytes: u32, reserved: u32 });
export const IGVM_VHS_PARAMETER_AREA = defineLayout('IGVM_VHS_PARAMETER_AREA', { numberOfBytes: u64, parameterAreaIndex: u32, fileOffset: u32 });
export const IGVM_VHS_PAGE_DATA = defineLayout('IGVM_VHS_PAGE_DATA', {
  gpa: u64, compatibilityMask: u32, fileOffset: u32, flags: u32, dataType: u16, reserved: u16,
});
export const IGVM_VHS_PARAMETER_INSERT = defineLayout('IGVM_VHS_PARAMETER_INSERT', { gpa: u64, compatibilityMask: u32, parameterAreaIndex: u32 });
export const IGVM_VHS_VP_CONTEXT = defineLayout('IGVM_VHS_VP_CONTEXT', { gpa: u64, compatibilityMask: u32, fileOffset: u32, vpIndex: u16, reserved: u16 });
export const IGVM_VHS_REQUIRED_MEMORY = defineLayout('IGVM_VHS_REQUIRED_MEMORY', {
  gpa: u64, compatibilityMask: u32, numberOfBytes: u32, flags: u32, reserved: u32,
});
export const IGVM_VHS_PARAMETER = defineLayout('IGVM_VHS_PARAMETER', { parameterAreaIndex: u32, byteOffset: u32 });
export const IGVM_VHS_ERROR_RANGE = defineLayout('IGVM_VHS_ERROR_RANGE', { gpa: u64, compatibilityMask: u32, sizeBytes: u32 });
export const IGVM_VHS_SNP_ID_BLOCK = defineLayout('IGVM_VHS_SNP_ID_BLOCK', {
  compatibilityMask: u32, authorKeyEnabled: u8, reserved: bytes(3), ld: bytes(48), familyId: bytes(16), imageId: bytes(16),
  version: u32, guestSvn: u32, idKeyAlgorithm: u32, authorKeyAlgorithm: u32,
  idKeySignature: at(104, bytes(IGVM_VHS_SNP_ID_BLOCK_SIGNATURE.size)), idPublicKey: at(248, bytes(IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY.size)),
  authorKeySignature: at(400, bytes(IGVM_VHS_SNP_ID_BLOCK_SIGNATURE.size)), authorPublicKey: at(544, bytes(IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY.size)),
});
export const IGVM_VHS_VBS_MEASUREMENT = defineLayout('IGVM_VHS_VBS_MEASUREMENT', {
  compatibilityMask: u32, version: u32, productId: u32, moduleId: u32, securityVersion: u32, policyFlags: u32, bootDigestAlgo: u32,
  signingAlgo: u32, bootMeasurementDigest: bytes(64), signature: bytes(256), publicKey: bytes(512),
});

/** The content layout of each header type igvm 0.4.0 knows, and the CoRIM headers of igvm HEAD. */
export const CONTENT_LAYOUT: Readonly<Record<number, Layout>> = {
  [IgvmHeaderType.SUPPORTED_PLATFORM]: IGVM_VHS_SUPPORTED_PLATFORM,
  [IgvmHeaderType.GUEST_POLICY]: IGVM_VHS_GUEST_POLICY,
  [IgvmHeaderType.RELOCATABLE_REGION]: IGVM_VHS_RELOCATABLE_REGION,
  [IgvmHeaderType.PAGE_TABLE_RELOCATION_REGION]: IGVM_VHS_PAGE_TABLE_RELOCATION,
  [IgvmHeaderType.CORIM_DOCUMENT]: IGVM_VHS_CORIM_DATA,
  [IgvmHeaderType.CORIM_SIGNATURE]: IGVM_VHS_CORIM_DATA,
  [IgvmHeaderType.PARAMETER_AREA]: IGVM_VHS_PARAMETER_AREA,
  [IgvmHeaderType.PAGE_DATA]: IGVM_VHS_PAGE_DATA,
  [IgvmHeaderType.PARAMETER_INSERT]: IGVM_VHS_PARAMETER_INSERT,
  [IgvmHeaderType.VP_CONTEXT]: IGVM_VHS_VP_CONTEXT,
  [IgvmHeaderType.REQUIRED_MEMORY]: IGVM_VHS_REQUIRED_MEMORY,
  [IgvmHeaderType.VP_COUNT_PARAMETER]: IGVM_VHS_PARAMETER,
  [IgvmHeaderType.SRAT]: IGVM_VHS_PARAMETER,
  [IgvmHeaderType.MADT]: IGVM_VHS_PARAMETER,
  [IgvmHeaderType.MMIO_RANGES]: IGVM_VHS_PARAMETER,
  [IgvmHeaderType.SNP_ID_BLOCK]: IGVM_VHS_SNP_ID_BLOCK,
  [IgvmHeaderType.MEMORY_MAP]: IGVM_VHS_PARAMETER,
  [IgvmHeaderType.ERROR_RANGE]: IGVM_VHS_ERROR_RANGE,
  [IgvmHeaderType.COMMAND_LINE]: IGVM_VHS_PARAMETER,
  [IgvmHeaderType.SLIT]: IGVM_VHS_PARAMETER,
  [IgvmHeaderType.PPTT]: IGVM_VHS_PARAMETER,
  [IgvmHeaderType.VBS_MEASUREMENT]: IGVM_VHS_VBS_MEASUREMENT,
  [IgvmHeaderType.DEVICE_TREE]: IGVM_VHS_PARAMETER,
  [IgvmHeaderType.ENVIRONMENT_INFO_PARAMETER]: IGVM_VHS_PARAMETER,
};
/** The exact content length igvm 0.4.0 requires for each header type. */
export const CONTENT_SIZE: Readonly<Record<number, number>> = Object.fromEntries(Object.entries(CONTENT_LAYOUT).map(([t, l]) => [t, l.size]));

/** a whole PAGE_DATA header: IGVM_VHS_VARIABLE_HEADER + IGVM_VHS_PAGE_DATA (already 8-aligned) */
export const PAGE_DATA_HEADER_SIZE = VARIABLE_HEADER_SIZE + IGVM_VHS_PAGE_DATA.size;
/** a whole PAGE_DATA header in 32-bit words: a row of the directive table (./model.ts) */
export const PAGE_DATA_ROW_WORDS = PAGE_DATA_HEADER_SIZE / 4;

/**
 * A whole PAGE_DATA header as 32-bit words, from the two layouts above: the parser's fast loop
 * reads runs of headers this way, and the directive table keeps them so. The 64-bit gpa is two
 * words; data_type and reserved share the last word, data_type in its low half.
 */
export const PageDataWord = (() => {
  const vh = IGVM_VHS_VARIABLE_HEADER.offsets;
  const pd = IGVM_VHS_PAGE_DATA.offsets;
  const word = (byteOffset: number): number => {
    if (byteOffset % 4 !== 0) throw new TypeError('IGVM_VHS_PAGE_DATA: a field the word view reads is not 4-aligned');
    return byteOffset / 4;
  };
  const content = (f: keyof typeof pd): number => word(VARIABLE_HEADER_SIZE + pd[f]);
  if (pd.reserved !== pd.dataType + 2) throw new TypeError('IGVM_VHS_PAGE_DATA: reserved is not the high half of data_type\'s word');
  return Object.freeze({
    Type: word(vh.type), Length: word(vh.length),
    GpaLo: content('gpa'), GpaHi: content('gpa') + 1, CompatibilityMask: content('compatibilityMask'),
    FileOffset: content('fileOffset'), Flags: content('flags'), DataTypeReserved: content('dataType'),
    /** words per header */
    Count: PAGE_DATA_ROW_WORDS,
  });
})();

type AnyHeader = IgvmPlatformHeader | IgvmInitializationHeader | IgvmDirectiveHeader;

/** The header-type number a model header is written with. */
export function headerType(h: AnyHeader): number {
  switch (h.kind) {
    case 'supported-platform': return IgvmHeaderType.SUPPORTED_PLATFORM;
    case 'guest-policy': return IgvmHeaderType.GUEST_POLICY;
    case 'relocatable-region': return IgvmHeaderType.RELOCATABLE_REGION;
    case 'page-table-relocation-region': return IgvmHeaderType.PAGE_TABLE_RELOCATION_REGION;
    case 'corim-document': return IgvmHeaderType.CORIM_DOCUMENT;
    case 'corim-signature': return IgvmHeaderType.CORIM_SIGNATURE;
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

/**
 * A header's content bytes, through its layout. `fileOffset` is where its data was written
 * (0: none); reserved fields are written as 0, except the SNP ID block's, kept as found.
 */
export function encodeContent(h: AnyHeader, fileOffset = 0): Uint8Array {
  switch (h.kind) {
    case 'supported-platform': return IGVM_VHS_SUPPORTED_PLATFORM.encode(h);
    case 'guest-policy': return IGVM_VHS_GUEST_POLICY.encode({ ...h, reserved: 0 });
    case 'relocatable-region': return IGVM_VHS_RELOCATABLE_REGION.encode(h);
    case 'page-table-relocation-region': return IGVM_VHS_PAGE_TABLE_RELOCATION.encode({ ...h, reserved: 0 });
    case 'corim-document':
    case 'corim-signature': return IGVM_VHS_CORIM_DATA.encode({ compatibilityMask: h.compatibilityMask, fileOffset, sizeBytes: dataLength(h.data), reserved: 0 });
    case 'parameter-area': return IGVM_VHS_PARAMETER_AREA.encode({ ...h, fileOffset });
    case 'page-data': return IGVM_VHS_PAGE_DATA.encode({ ...h, fileOffset, reserved: 0 });
    case 'parameter-insert': return IGVM_VHS_PARAMETER_INSERT.encode(h);
    case 'vp-context': return IGVM_VHS_VP_CONTEXT.encode({ ...h, fileOffset, reserved: 0 });
    case 'required-memory': return IGVM_VHS_REQUIRED_MEMORY.encode({ ...h, reserved: 0 });
    case 'parameter-usage': return IGVM_VHS_PARAMETER.encode(h);
    case 'error-range': return IGVM_VHS_ERROR_RANGE.encode(h);
    case 'snp-id-block': return IGVM_VHS_SNP_ID_BLOCK.encode(h);
    case 'vbs-measurement': return IGVM_VHS_VBS_MEASUREMENT.encode(h);
    case 'unknown': return h.content;
  }
}

const byteArrays = (l: Layout): Readonly<Record<string, number>> =>
  Object.fromEntries(Object.entries(l.fields).filter(([, f]) => f.kind === 'bytes').map(([k, f]) => [k, f.size]));
/** Size of the fixed byte arrays in the SNP ID block and VBS measurement headers (validate checks them). */
export const SNP_ID_BLOCK_ARRAYS = byteArrays(IGVM_VHS_SNP_ID_BLOCK);
export const VBS_MEASUREMENT_ARRAYS = byteArrays(IGVM_VHS_VBS_MEASUREMENT);
