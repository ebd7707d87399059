/**
 * IGVM parser: bytes → {@link IgvmFile}. Reads the fixed header and the variable-header
 * section (checked against the file's length before anything is read or allocated),
 * verifies the CRC, walks the headers in order, and references file data in place (page
 * contents are read later, a page at a time, by whoever needs them). Then runs
 * {@link validateIgvm}, the same check the serializer runs.
 *
 * Structural rules are igvm 0.4.0's `IgvmFile::new_from_binary`; see
 * ../../../docs/igvm.md for the list and for where this parser is stricter (it never
 * panics).
 */
import type { Layout, LayoutValue } from '../../bytes/layout.js';
import { asSource, type ByteSource, copyBytes } from '../../bytes/source.js';
import { crc32 } from '../../bytes/crc32.js';
import { ParseError } from '../../errors.js';
import {
  IGVM_MAGIC, IGVM_VHT_OPTIONAL_BIT, IgvmArchitecture, IgvmHeaderType, PAGE_SIZE_4K, PARAMETER_USAGE_TYPES,
  headerStage, headerTypeName, type HeaderStage, type IgvmFormatVersion,
} from './defs.js';
import { IgvmFormatError, type IgvmRule } from './errors.js';
import {
  FIXED_HEADER_CHECKSUM_OFFSET, FIXED_HEADER_OFFSETS as FH, FIXED_HEADER_V1_SIZE, FIXED_HEADER_V2_SIZE, IGVM_FIXED_HEADER, IGVM_FIXED_HEADER_V2,
} from './fixed-header.js';
import {
  CONTENT_SIZE, IGVM_VHS_ERROR_RANGE, IGVM_VHS_GUEST_POLICY, IGVM_VHS_PAGE_TABLE_RELOCATION, IGVM_VHS_PARAMETER,
  IGVM_VHS_CORIM_DATA, IGVM_VHS_PARAMETER_AREA, IGVM_VHS_PARAMETER_INSERT, IGVM_VHS_RELOCATABLE_REGION, IGVM_VHS_REQUIRED_MEMORY, IGVM_VHS_SNP_ID_BLOCK,
  IGVM_VHS_PAGE_DATA, IGVM_VHS_SUPPORTED_PLATFORM, IGVM_VHS_VBS_MEASUREMENT, IGVM_VHS_VP_CONTEXT, VARIABLE_HEADER_SIZE, PAGE_DATA_HEADER_SIZE, PageDataWord as PD, align8,
} from './headers.js';
import { DirectiveTableBuilder } from './directives.js';
import type {
  HeaderLocation, IgvmData, IgvmDirectiveHeader, IgvmFile, IgvmInitializationHeader, IgvmLayout, IgvmPlatformHeader,
} from './model.js';
import { checkPlatformHeader, validateIgvm, vpContextPlatform } from './validate.js';
import { CONTEXT_PAGE_SIZE, VBS_REGISTER_LIST_HEADER, VBS_REGISTER_SIZE, vbsRegisterCount } from './vp-context.js';

export interface IgvmParseOptions {
  /**
   * Skip (and keep as `unknown`, so they round-trip) headers whose type has the optional bit
   * (bit 31) set and that this parser does not know. igvm 0.4.0 rejects every such header.
   */
  allowUnknown?: boolean;
}

export interface IgvmFileInfo {
  size: number;
  formatVersion: IgvmFormatVersion;
  variableHeaderOffset: number;
  variableHeaderSize: number;
  /** where the file-data section starts */
  fileDataOffset: number;
  checksum: number;
}

export interface ParsedIgvm {
  file: IgvmFile;
  info: IgvmFileInfo;
  layout: IgvmLayout;
  /** the input, for reading page data */
  source: ByteSource;
}

export function parseIgvm(input: ByteSource | Uint8Array, options: IgvmParseOptions = {}): ParsedIgvm {
  const src = asSource(input);
  const name = src.name;
  const size = src.size;
  const fixedFail = (problem: string, offset = 0, rule: IgvmRule = 'InvalidFixedHeader'): never => {
    throw new IgvmFormatError({ structure: 'IGVM_FIXED_HEADER', offset }, problem, rule, { source: name });
  };

  // ---- fixed header
  if (size < FIXED_HEADER_V1_SIZE) fixedFail(`the file is ${size} bytes, shorter than the 24-byte fixed header`);
  const fixedV1 = copyBytes(src.read(0, FIXED_HEADER_V1_SIZE));
  const fh = IGVM_FIXED_HEADER.decode(fixedV1, 0, { source: name });
  if (fh.magic !== IGVM_MAGIC) fixedFail(`magic 0x${fh.magic.toString(16).padStart(8, '0')} is not "IGVM" (0x4d564749)`);
  if (fh.formatVersion !== 1 && fh.formatVersion !== 2) fixedFail(`format_version ${fh.formatVersion} is not 1 or 2`, FH.formatVersion);
  const formatVersion = fh.formatVersion as IgvmFormatVersion;
  let architecture: number = IgvmArchitecture.X64;
  let pageSize = PAGE_SIZE_4K;
  let fixed = fixedV1;
  if (formatVersion === 2) {
    if (size < FIXED_HEADER_V2_SIZE) fixedFail(`the file is ${size} bytes, shorter than the 32-byte v2 fixed header`);
    fixed = copyBytes(src.read(0, FIXED_HEADER_V2_SIZE));
    const tail = IGVM_FIXED_HEADER_V2.decode(fixed, 0, { source: name });
    if (tail.architecture !== IgvmArchitecture.X64 && tail.architecture !== IgvmArchitecture.AARCH64) {
      fixedFail(`architecture ${tail.architecture} is neither 0 (X64) nor 1 (AArch64)`, FH.architecture);
    }
    if (tail.pageSize !== PAGE_SIZE_4K) fixedFail(`page_size ${tail.pageSize} is not 4096`, FH.pageSize, 'UnsupportedPageSize');
    architecture = tail.architecture;
    pageSize = tail.pageSize;
  }
  if (fh.totalFileSize !== size) fixedFail(`total_file_size ${fh.totalFileSize} is not the file's length ${size}`, FH.totalFileSize);
  const vho = fh.variableHeaderOffset;
  const vhs = fh.variableHeaderSize;
  if (vho >= size) fixedFail(`variable_header_offset 0x${vho.toString(16)} lies past the end of the ${size}-byte file`, FH.variableHeaderOffset);
  // igvm 0.4.0 requires file data after the headers (offset + size < length), so a file
  // with no file data at all is invalid; this also bounds the read below by the file length
  if (vho + vhs >= size) fixedFail(`variable headers 0x${vho.toString(16)}+0x${vhs.toString(16)} reach the end of the ${size}-byte file (igvm 0.4.0 requires a file-data section)`, FH.variableHeaderSize);
  const fileDataOffset = vho + vhs;
  const section = copyBytes(src.read(vho, vhs));

  // ---- checksum: the fixed header with checksum 0, then the variable-header section
  const zeroed = fixed.slice();
  zeroed.fill(0, FIXED_HEADER_CHECKSUM_OFFSET, FIXED_HEADER_CHECKSUM_OFFSET + 4);
  const checksum = crc32(section, crc32(zeroed));
  if (checksum !== fh.checksum) {
    fixedFail(`checksum 0x${fh.checksum.toString(16).padStart(8, '0')} does not match the CRC-32 of the headers, 0x${checksum.toString(16).padStart(8, '0')}`, FIXED_HEADER_CHECKSUM_OFFSET, 'InvalidChecksum');
  }

  // ---- variable headers
  const platforms: IgvmPlatformHeader[] = [];
  const initializations: IgvmInitializationHeader[] = [];
  const layout: IgvmLayout = { variableHeaderOffset: vho, platforms: [], initializations: [], firstDirective: { index: 0, offset: 0 } };
  const cx = new HeaderReader(section, vho, fileDataOffset, src);
  // the directive table: PAGE_DATA rows (their data in src), the other directives as records
  const directives = new DirectiveTableBuilder(src, vhs >>> 5);
  let stage: HeaderStage = 'platform';
  let pos = 0;
  let index = 0;
  let firstDirective: { index: number; offset: number } | null = null;
  const push = (st: HeaderStage, h: IgvmPlatformHeader | IgvmInitializationHeader | IgvmDirectiveHeader, loc: HeaderLocation): void => {
    if (st === 'platform') { platforms.push(h as IgvmPlatformHeader); layout.platforms.push(loc); }
    else if (st === 'initialization') { initializations.push(h as IgvmInitializationHeader); layout.initializations.push(loc); }
    else {
      firstDirective ??= { index: loc.index, offset: loc.offset };
      directives.add(h as IgvmDirectiveHeader);
    }
  };
  while (pos < vhs) {
    const at = vho + pos;
    if (vhs - pos < VARIABLE_HEADER_SIZE) {
      throw new IgvmFormatError({ structure: `variable header #${index}`, offset: at }, `${vhs - pos} bytes left at the end of the variable-header section, fewer than an 8-byte header`, 'InvalidBinaryVariableHeaderSection', { source: name, truncated: true });
    }
    // IGVM_VHS_VARIABLE_HEADER (headers.ts): read in place, two u32s per header of thousands
    const type = cx.view.getUint32(pos, true);
    const length = cx.view.getUint32(pos + 4, true);
    if (type === IgvmHeaderType.PAGE_DATA) {
      const n = readPageDataRun(cx, directives, pos, vhs);
      if (n > 0) {
        firstDirective ??= { index, offset: at };
        stage = 'directive';
        pos += n * PAGE_DATA_HEADER_SIZE;
        index += n;
        continue;
      }
    }
    const loc: HeaderLocation = { index, offset: at, type };
    cx.loc = loc;
    const contentAt = pos + VARIABLE_HEADER_SIZE;
    cx.contentAt = contentAt;
    const room = vhs - contentAt;
    const typeStage = headerStage(type);
    const want = CONTENT_SIZE[type];

    if (typeStage === null || want === undefined) {
      // not a header igvm 0.4.0 knows
      const isOptional = (type & IGVM_VHT_OPTIONAL_BIT) !== 0;
      if (isOptional && options.allowUnknown) {
        if (length > room) cx.fail(`length ${length} runs past the end of the variable-header section (${room} bytes left)`, 'InvalidVariableHeaderSize', true);
        const skipStage: HeaderStage = headerStage((type & ~IGVM_VHT_OPTIONAL_BIT) >>> 0) ?? stage;
        if (STAGE_RANK[skipStage] < STAGE_RANK[stage]) cx.fail(`a ${skipStage} header after ${stage} headers`, 'InvalidBinaryVariableHeaderSection');
        stage = skipStage;
        const unknown = { kind: 'unknown' as const, type, content: section.slice(contentAt, contentAt + length) };
        push(stage, unknown, loc);
        pos += align8(VARIABLE_HEADER_SIZE + length);
        index++;
        continue;
      }
      if (typeStage === null) {
        cx.fail(
          isOptional
            ? 'the type has the optional bit (bit 31) set; igvm 0.4.0 does not skip optional headers (use --allow-unknown to skip it)'
            : 'the type is in no header range (platform 0x1-0x100, initialization 0x101-0x200, directive 0x301-0x400)',
          'InvalidBinaryVariableHeaderSection',
        );
      }
      cx.fail(`unknown ${typeStage} header type`, 'InvalidVariableHeaderType');
    }
    const st = typeStage!;
    if (STAGE_RANK[st] < STAGE_RANK[stage]) cx.fail(`a ${st} header after ${stage} headers (the order is platform, initialization, directive)`, 'InvalidBinaryVariableHeaderSection');
    stage = st;
    if (length !== want) cx.fail(`length ${length} is not ${want}, the size of ${headerTypeName(type)}`, 'InvalidVariableHeaderType');
    const need = type === IgvmHeaderType.VP_CONTEXT ? align8(want!) : want!;
    if (need > room) cx.fail(`its ${need} content bytes run past the end of the variable-header section (${room} bytes left)`, 'InvalidVariableHeaderSize', true);

    const h = decodeHeader(type, cx, platforms);
    // like igvm, a platform header is checked as soon as it is read (VP contexts depend on it)
    if (h.kind === 'supported-platform') checkPlatformHeader(h, architecture, cx.failer);
    push(stage, h, loc);
    pos += align8(VARIABLE_HEADER_SIZE + length);
    index++;
  }

  layout.firstDirective = firstDirective ?? { index, offset: vho + pos };
  const file: IgvmFile = { formatVersion, architecture, pageSize, platforms, initializations, directives: directives.finish() };
  validateIgvm(file, { layout, source: name });
  return {
    file,
    info: { size, formatVersion, variableHeaderOffset: vho, variableHeaderSize: vhs, fileDataOffset, checksum: fh.checksum },
    layout,
    source: src,
  };
}

/** PAGE_DATA content size, and the high half of the first GPA that is not a safe integer (2^53) */
const PAGE_DATA_CONTENT = IGVM_VHS_PAGE_DATA.size;
const MAX_GPA_HI = 0x20_0000;

/** Uint32Array reads the host's byte order; the fast PAGE_DATA loop below needs little-endian. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The common case, thousands of PAGE_DATA headers in a row, checked in one small loop and
 * added to the table's columns in one more (./directives.ts): no object per header. The loop
 * runs once per process, mostly before V8 has optimized it, so it does as little as it can
 * per header: it reads the words it checks (PageDataWord in headers.ts gives where each field
 * is) with no calls. It takes only headers that the general path would accept and turn into
 * the same row, and stops at the first header that is anything else (another type, a bad
 * length, a reserved field, a data offset out of bounds, …), which the general path then
 * reads and reports. Returns how many headers it took, starting at `pos` (0 on a big-endian
 * host, where the general path reads every header).
 */
function readPageDataRun(cx: HeaderReader, table: DirectiveTableBuilder, pos: number, end: number): number {
  if (!LITTLE_ENDIAN_HOST || (pos & 3) !== 0) return 0;
  const words = cx.words;
  const firstData = cx.fileDataOffset;
  const lastData = cx.size - PAGE_SIZE_4K;
  const first = pos >>> 2;
  const last = (end >>> 2) - PD.Count;
  let w = first;
  for (; w <= last; w += PD.Count) {
    if (words[w + PD.Type] !== IgvmHeaderType.PAGE_DATA || words[w + PD.Length] !== PAGE_DATA_CONTENT) break;
    // data_type in the low half-word, reserved (must be 0) in the high one
    if (words[w + PD.GpaHi]! >= MAX_GPA_HI || words[w + PD.DataTypeReserved]! > 0xffff) break;
    const off = words[w + PD.FileOffset]!;
    if (off !== 0 && (off < firstData || off > lastData)) break;
  }
  const n = (w - first) / PD.Count;
  if (n > 0) table.addPageHeaders(words, first, n);
  return n;
}

const STAGE_RANK: Readonly<Record<HeaderStage, number>> = { platform: 0, initialization: 1, directive: 2 };

/**
 * The header being read: where it is, and the checks and reads its decoder needs. One per
 * file, updated per header (a file can hold thousands of headers; no closures per header).
 */
class HeaderReader {
  readonly view: DataView;
  /** the section as 32-bit words (host byte order: see readPageDataRun) */
  readonly words: Uint32Array;
  readonly name: string;
  readonly size: number;
  loc: HeaderLocation = { index: 0, offset: 0, type: 0 };
  contentAt = 0;
  /** `fail` bound to this reader, for checks that take a callback */
  readonly failer = (problem: string, rule: IgvmRule): never => this.fail(problem, rule);
  constructor(
    readonly section: Uint8Array,
    readonly base: number,
    readonly fileDataOffset: number,
    readonly src: ByteSource,
  ) {
    this.view = new DataView(section.buffer, section.byteOffset, section.byteLength);
    this.words = new Uint32Array(section.buffer, section.byteOffset, section.byteLength >>> 2);
    this.name = src.name;
    this.size = src.size;
  }
  fail(problem: string, rule: IgvmRule, truncated = false): never {
    throw new IgvmFormatError(this.loc, problem, rule, { source: this.name, truncated });
  }
  /** the header's content, decoded with its layout */
  decode<L extends Layout>(layout: L): LayoutValue<L> {
    try {
      return layout.decode(this.section, this.contentAt, { base: this.base, source: this.name }) as LayoutValue<L>;
    } catch (e) {
      if (e instanceof ParseError) this.fail(e.message.slice(e.message.lastIndexOf(': ') + 2), 'ValueOutOfRange');
      throw e;
    }
  }
  /** a reference to `length` bytes at absolute `fileOffset`, checked against the file data section */
  dataRef(fileOffset: number, length: number, what: string): IgvmData {
    if (fileOffset < this.fileDataOffset) this.fail(`${what} file_offset 0x${fileOffset.toString(16)} lies before the file-data section at 0x${this.fileDataOffset.toString(16)}`, 'InvalidDataSize');
    if (length > this.size - fileOffset) this.fail(`${what}: ${length} bytes at file_offset 0x${fileOffset.toString(16)} run past the end of the ${this.size}-byte file`, 'InvalidDataSize', true);
    return { kind: 'file', source: this.src, offset: fileOffset, length };
  }
}

function decodeHeader(type: number, cx: HeaderReader, platforms: IgvmPlatformHeader[]): IgvmPlatformHeader | IgvmInitializationHeader | IgvmDirectiveHeader {
  const reservedZero = (r: { reserved: number }): void => {
    if (r.reserved !== 0) cx.fail(`reserved is 0x${r.reserved.toString(16)}, must be 0`, 'ReservedNotZero');
  };
  switch (type) {
    case IgvmHeaderType.SUPPORTED_PLATFORM:
      return { kind: 'supported-platform', ...cx.decode(IGVM_VHS_SUPPORTED_PLATFORM) };
    case IgvmHeaderType.GUEST_POLICY: {
      const { reserved, ...r } = cx.decode(IGVM_VHS_GUEST_POLICY);
      reservedZero({ reserved });
      return { kind: 'guest-policy', ...r };
    }
    case IgvmHeaderType.RELOCATABLE_REGION:
      return { kind: 'relocatable-region', ...cx.decode(IGVM_VHS_RELOCATABLE_REGION) };
    case IgvmHeaderType.PAGE_TABLE_RELOCATION_REGION: {
      const { reserved, ...r } = cx.decode(IGVM_VHS_PAGE_TABLE_RELOCATION);
      reservedZero({ reserved });
      return { kind: 'page-table-relocation-region', ...r };
    }
    case IgvmHeaderType.CORIM_DOCUMENT:
    case IgvmHeaderType.CORIM_SIGNATURE: {
      // igvm HEAD igvm/src/lib.rs `IgvmInitializationHeader::new_from_binary_split`: reserved
      // must be 0, then size_bytes at file_offset (extract_file_data: InvalidDataSize past the
      // end). The crate reads file_offset 0 as an empty document, which it would write back
      // with a non-zero offset; an empty document is not CBOR, so it is refused here.
      const doc = type === IgvmHeaderType.CORIM_DOCUMENT;
      const { reserved, fileOffset, sizeBytes, compatibilityMask } = cx.decode(IGVM_VHS_CORIM_DATA);
      reservedZero({ reserved });
      const what = doc ? 'CoRIM document' : 'CoRIM signature';
      if (fileOffset === 0) cx.fail(`file_offset is 0: the ${what} has no data (size_bytes ${sizeBytes})`, doc ? 'InvalidCorimDocument' : 'InvalidCorimSignature');
      return { kind: doc ? 'corim-document' : 'corim-signature', compatibilityMask, data: cx.dataRef(fileOffset, sizeBytes, what) };
    }
    case IgvmHeaderType.PARAMETER_AREA: {
      const r = cx.decode(IGVM_VHS_PARAMETER_AREA);
      return { kind: 'parameter-area', numberOfBytes: r.numberOfBytes, parameterAreaIndex: r.parameterAreaIndex, initialData: r.fileOffset === 0 ? null : cx.dataRef(r.fileOffset, r.numberOfBytes, 'parameter area') };
    }
    case IgvmHeaderType.PAGE_DATA: {
      const r = cx.decode(IGVM_VHS_PAGE_DATA);
      // igvm 0.4.0 reads exactly 4K, even for a 2 MB page
      const data = r.fileOffset === 0 ? null : cx.dataRef(r.fileOffset, PAGE_SIZE_4K, 'page data');
      reservedZero(r);
      return { kind: 'page-data', gpa: r.gpa, compatibilityMask: r.compatibilityMask, flags: r.flags, dataType: r.dataType, data };
    }
    case IgvmHeaderType.PARAMETER_INSERT: {
      const r = cx.decode(IGVM_VHS_PARAMETER_INSERT);
      return { kind: 'parameter-insert', gpa: r.gpa, compatibilityMask: r.compatibilityMask, parameterAreaIndex: r.parameterAreaIndex };
    }
    case IgvmHeaderType.VP_CONTEXT: {
      const r = cx.decode(IGVM_VHS_VP_CONTEXT);
      const plat = vpContextPlatform({ platforms }, r.compatibilityMask);
      if (!plat || !plat.kind) {
        cx.fail(`compatibility_mask 0x${r.compatibilityMask.toString(16)} is not exactly the mask of a platform with VP contexts (SEV_SNP, SEV_ES, NATIVE, SEV, VSM_ISOLATION)`, 'InvalidVpContextPlatformType');
      }
      if (r.fileOffset === 0) cx.fail('file_offset is 0: a VP context needs its data', 'InvalidDataSize');
      let length = CONTEXT_PAGE_SIZE;
      if (plat!.kind === 'vbs') {
        // register_count, then count × 32 bytes: checked against the file before anything is read
        cx.dataRef(r.fileOffset, VBS_REGISTER_LIST_HEADER, 'VBS register list');
        const count = vbsRegisterCount(copyBytes(cx.src.read(r.fileOffset, VBS_REGISTER_LIST_HEADER)));
        length = VBS_REGISTER_LIST_HEADER + count * VBS_REGISTER_SIZE;
      }
      return { kind: 'vp-context', gpa: r.gpa, compatibilityMask: r.compatibilityMask, vpIndex: r.vpIndex, data: cx.dataRef(r.fileOffset, length, 'VP context') };
    }
    case IgvmHeaderType.REQUIRED_MEMORY: {
      const { reserved, ...r } = cx.decode(IGVM_VHS_REQUIRED_MEMORY);
      reservedZero({ reserved });
      return { kind: 'required-memory', ...r };
    }
    case IgvmHeaderType.ERROR_RANGE: {
      const r = cx.decode(IGVM_VHS_ERROR_RANGE);
      return { kind: 'error-range', gpa: r.gpa, compatibilityMask: r.compatibilityMask, sizeBytes: r.sizeBytes };
    }
    // the layouts' byte arrays are copies
    case IgvmHeaderType.SNP_ID_BLOCK:
      return { kind: 'snp-id-block', ...cx.decode(IGVM_VHS_SNP_ID_BLOCK) };
    case IgvmHeaderType.VBS_MEASUREMENT:
      return { kind: 'vbs-measurement', ...cx.decode(IGVM_VHS_VBS_MEASUREMENT) };
    default: {
      if (!PARAMETER_USAGE_TYPES.includes(type)) cx.fail('unknown header type', 'InvalidVariableHeaderType');
      const r = cx.decode(IGVM_VHS_PARAMETER);
      return { kind: 'parameter-usage', type: type as IgvmHeaderType, parameterAreaIndex: r.parameterAreaIndex, byteOffset: r.byteOffset };
    }
  }
}
