/**
 * The IGVM file model: what a file says, independent of where in the file each piece was
 * (like microsoft/igvm's `IgvmFile`, separate from the `igvm_defs` byte layouts in
 * ./fixed-header.ts and ./headers.ts). File data is referenced, not copied: a parsed
 * file's page contents stay in its ByteSource until someone reads them.
 *
 * The directives are one table ({@link IgvmDirectiveTable}): PAGE_DATA headers — thousands
 * per file, one per 4K page — as rows of a typed array, every other directive as a record, in
 * file order. ./directives.ts builds tables and walks them (`directiveSegments`, the one walk
 * validate, plan, inspect and serialize share).
 *
 * `parseIgvm` (./parse.ts) builds it, `validateIgvm` (./validate.ts) checks it, and
 * `serializeIgvm` (./serialize.ts) writes it; both parse and serialize run the same validate.
 */
import type { ByteSource } from '../../bytes/source.js';
import type { IgvmArchitecture, IgvmFormatVersion, IgvmHeaderType, IgvmPlatformType } from './defs.js';

/** Bytes a header carries in the file-data section. */
export type IgvmData =
  /** `length` bytes at absolute `offset` of a parsed file */
  | { kind: 'file'; source: ByteSource; offset: number; length: number }
  /** bytes built in memory (a builder, a signer) */
  | { kind: 'bytes'; bytes: Uint8Array };

export function dataLength(d: IgvmData): number {
  return d.kind === 'file' ? d.length : d.bytes.length;
}

/** Read `length` bytes at `offset` inside `d` (a copy is NOT made for file data: copy what you keep). */
export function readData(d: IgvmData, offset = 0, length = dataLength(d) - offset): Uint8Array {
  if (offset < 0 || length < 0 || offset + length > dataLength(d)) throw new RangeError('read past the end of IGVM data');
  return d.kind === 'file' ? d.source.read(d.offset + offset, length) : d.bytes.subarray(offset, offset + length);
}

// ---- platform headers ------------------------------------------------------------------

export interface SupportedPlatform {
  kind: 'supported-platform';
  compatibilityMask: number;
  highestVtl: number;
  platformType: IgvmPlatformType | number;
  platformVersion: number;
  sharedGpaBoundary: bigint;
}
/** A header skipped under `allowUnknown` (its type has the optional bit); kept so it round-trips. */
export interface UnknownHeader {
  kind: 'unknown';
  type: number;
  content: Uint8Array;
}
export type IgvmPlatformHeader = SupportedPlatform | UnknownHeader;

// ---- initialization headers ------------------------------------------------------------

export interface GuestPolicy {
  kind: 'guest-policy';
  policy: bigint;
  compatibilityMask: number;
}
export interface RelocatableRegion {
  kind: 'relocatable-region';
  compatibilityMask: number;
  vpIndex: number;
  vtl: number;
  /** RelocationFlags bits: IS_VTL2, APPLY_RIP, APPLY_GDTR */
  flags: number;
  relocationAlignment: bigint;
  relocationRegionGpa: bigint;
  relocationRegionSize: bigint;
  minimumRelocationGpa: bigint;
  maximumRelocationGpa: bigint;
}
export interface PageTableRelocationRegion {
  kind: 'page-table-relocation-region';
  compatibilityMask: number;
  vpIndex: number;
  vtl: number;
  gpa: bigint;
  size: bigint;
  usedSize: bigint;
}
/**
 * IGVM_VHT_CORIM_DOCUMENT (0x104, igvm HEAD feature "corim"): a CBOR CoRIM
 * (`tagged-unsigned-corim-map`, tag 501) for the platforms of `compatibilityMask`; at most one
 * per mask bit. `data` is its bytes in the file-data section (never empty: see ./corim.ts).
 */
export interface CorimDocument {
  kind: 'corim-document';
  compatibilityMask: number;
  data: IgvmData;
}
/**
 * IGVM_VHT_CORIM_SIGNATURE (0x105): a COSE_Sign1 (tag 18) with a detached payload, signing
 * the CORIM_DOCUMENT of the same mask bits, which comes before it; at most one per mask bit.
 */
export interface CorimSignature {
  kind: 'corim-signature';
  compatibilityMask: number;
  data: IgvmData;
}
export type IgvmInitializationHeader = GuestPolicy | RelocatableRegion | PageTableRelocationRegion | CorimDocument | CorimSignature | UnknownHeader;

// ---- directive headers -----------------------------------------------------------------

export interface ParameterArea {
  kind: 'parameter-area';
  numberOfBytes: number;
  parameterAreaIndex: number;
  /** null: the area starts zero-filled (file_offset 0) */
  initialData: IgvmData | null;
}
export interface PageData {
  kind: 'page-data';
  gpa: number;
  compatibilityMask: number;
  /** PageDataFlags bits (IS_2MB_PAGE, UNMEASURED, SHARED; reserved bits are kept as found) */
  flags: number;
  dataType: number;
  /** null: no data (file_offset 0), a page of zeros */
  data: IgvmData | null;
}
export interface ParameterInsert {
  kind: 'parameter-insert';
  gpa: number;
  compatibilityMask: number;
  parameterAreaIndex: number;
}
/**
 * VP_CONTEXT. What `data` holds depends on the platform whose mask equals
 * `compatibilityMask` exactly: an SNP/SEV-ES VMSA page, a native x64 context page, or a VBS
 * register list (see ./vp-context.ts).
 */
export interface VpContext {
  kind: 'vp-context';
  gpa: number;
  compatibilityMask: number;
  vpIndex: number;
  data: IgvmData;
}
export interface RequiredMemory {
  kind: 'required-memory';
  gpa: number;
  compatibilityMask: number;
  numberOfBytes: number;
  /** RequiredMemoryFlags bits */
  flags: number;
}
/** The parameter-usage headers (VP_COUNT, SRAT, MADT, MMIO_RANGES, MEMORY_MAP, COMMAND_LINE, SLIT, PPTT, DEVICE_TREE, ENVIRONMENT_INFO). */
export interface ParameterUsage {
  kind: 'parameter-usage';
  type: IgvmHeaderType;
  parameterAreaIndex: number;
  byteOffset: number;
}
export interface ErrorRange {
  kind: 'error-range';
  gpa: number;
  compatibilityMask: number;
  sizeBytes: number;
}
export interface SnpIdBlock {
  kind: 'snp-id-block';
  compatibilityMask: number;
  authorKeyEnabled: number;
  /** 3 bytes, kept as found (igvm 0.4.0 keeps and writes them) */
  reserved: Uint8Array;
  /** the expected launch digest, 48 bytes */
  ld: Uint8Array;
  familyId: Uint8Array;
  imageId: Uint8Array;
  version: number;
  guestSvn: number;
  idKeyAlgorithm: number;
  authorKeyAlgorithm: number;
  /** IGVM_VHS_SNP_ID_BLOCK_SIGNATURE: r[72] ‖ s[72], little-endian */
  idKeySignature: Uint8Array;
  /** IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY: curve u32 ‖ reserved u32 ‖ qx[72] ‖ qy[72] */
  idPublicKey: Uint8Array;
  authorKeySignature: Uint8Array;
  authorPublicKey: Uint8Array;
}
export interface VbsMeasurement {
  kind: 'vbs-measurement';
  compatibilityMask: number;
  version: number;
  productId: number;
  moduleId: number;
  securityVersion: number;
  policyFlags: number;
  bootDigestAlgo: number;
  signingAlgo: number;
  bootMeasurementDigest: Uint8Array;
  signature: Uint8Array;
  publicKey: Uint8Array;
}
export type IgvmDirectiveHeader =
  | ParameterArea
  | PageData
  | ParameterInsert
  | VpContext
  | RequiredMemory
  | ParameterUsage
  | ErrorRange
  | SnpIdBlock
  | VbsMeasurement
  | UnknownHeader;

/** A directive header other than PAGE_DATA: a record of the directive table. */
export type IgvmDirectiveRecord = Exclude<IgvmDirectiveHeader, PageData>;

/**
 * The directive headers in file order, as one table: PAGE_DATA headers as rows of a typed
 * array, every other directive as a record, and `recordAt` placing the records among the rows.
 *
 * A row is the PAGE_DATA header as the file lays it out, in 32-bit words (host order):
 * PAGE_DATA_ROW_WORDS words, field `f` of row `p` at `pages[p * PAGE_DATA_ROW_WORDS +
 * PageDataWord.f]` (./headers.ts): type, length, gpa (low, high), compatibility_mask,
 * file_offset, flags, data_type (its reserved high half is 0). So a parser's run of headers is
 * one copy, and the loops over thousands of rows read typed arrays, no objects.
 *
 * Plain data: copying or spreading it changes nothing. Build one with `directiveTable`
 * (./directives.ts); only that and the parser make tables.
 */
export interface IgvmDirectiveTable {
  /** the PAGE_DATA rows (see above) */
  readonly pages: Uint32Array;
  /** the file the rows' file offsets point into (4K of data at each); null when no row has one */
  readonly source: ByteSource | null;
  /** the data of the rows with file_offset 0 (null: no data, a page of zeros); null when none has any */
  readonly data: ReadonlyArray<IgvmData | null> | null;
  /** every directive that is not PAGE_DATA, in file order */
  readonly records: readonly IgvmDirectiveRecord[];
  /** `recordAt[r]`: how many PAGE_DATA rows come before `records[r]` in the file */
  readonly recordAt: Uint32Array;
}

export interface IgvmFile {
  formatVersion: IgvmFormatVersion;
  /** v2 only; v1 files are X64 */
  architecture: IgvmArchitecture | number;
  /** v2 only; v1 files use 4096 */
  pageSize: number;
  platforms: IgvmPlatformHeader[];
  initializations: IgvmInitializationHeader[];
  directives: IgvmDirectiveTable;
}

/** Where a header is (or would be) in the file. */
export interface HeaderLocation {
  /** position in the variable-header section, counting from 0 across all three stages */
  index: number;
  /** absolute byte offset of its IGVM_VHS_VARIABLE_HEADER */
  offset: number;
  /** the type as written (including an optional bit) */
  type: number;
}
/**
 * Where a file's headers are. The directives follow each other from `firstDirective` (each
 * takes align8(8 + its content length) bytes); `directiveSegments` gives each one's location.
 */
export interface IgvmLayout {
  variableHeaderOffset: number;
  platforms: HeaderLocation[];
  initializations: HeaderLocation[];
  /** the index and offset of the first directive header (where it would be when there is none) */
  firstDirective: { index: number; offset: number };
}

/** The compatibility mask of a header, or null for headers without one. */
export function headerMask(h: IgvmPlatformHeader | IgvmInitializationHeader | IgvmDirectiveHeader): number | null {
  switch (h.kind) {
    case 'parameter-area':
    case 'parameter-usage':
    case 'unknown':
      return null;
    default:
      return h.compatibilityMask;
  }
}

export function supportedPlatforms(file: Pick<IgvmFile, 'platforms'>): SupportedPlatform[] {
  return file.platforms.filter((p): p is SupportedPlatform => p.kind === 'supported-platform');
}
