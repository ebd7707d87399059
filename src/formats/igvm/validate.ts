/**
 * The one IGVM validation, run by the parser on every file it reads and by the serializer
 * before it writes anything: so the serializer cannot write a file the parser would reject.
 * The rules are igvm 0.4.0's (`IgvmFile::new` plus the per-header `validate`), which is what
 * COCONUT's igvmmeasure and igvmbuilder run; each error names the crate's rule.
 *
 * Where igvm 0.4.0 panics instead of returning an error (VBS contexts with mixed VTLs or a
 * vp_index other than 0, a relocation alignment of 0, a VP context with no file data) this
 * rejects the file with an error.
 */
import {
  IGVM_PLATFORM_VERSION, IgvmArchitecture, IgvmPageDataType, IgvmPlatformType, PAGE_SIZE_4K,
  VBS_AARCH64_REGISTERS, VBS_X64_REGISTERS, headerTypeName, platformTypeName,
} from './defs.js';
import { IgvmFormatError, type IgvmRule } from './errors.js';
import { FIXED_HEADER_OFFSETS as FH, fixedHeaderSize } from './fixed-header.js';
import { directiveSegments, pageAt, rowLocation } from './directives.js';
import { PageDataWord as PD, SNP_ID_BLOCK_ARRAYS, VARIABLE_HEADER_SIZE, VBS_MEASUREMENT_ARRAYS, align8, contentLength, headerType } from './headers.js';
import {
  dataLength, readData, supportedPlatforms,
  type HeaderLocation, type IgvmDirectiveRecord, type IgvmFile, type IgvmLayout, type PageData, type IgvmInitializationHeader,
  type IgvmPlatformHeader, type SupportedPlatform, type VpContext,
} from './model.js';
import { CONTEXT_PAGE_SIZE, VBS_REGISTER_LIST_HEADER, VBS_REGISTER_SIZE, decodeVbsRegisters, pageContextSize, vbsRegisterCount, vpContextKind, type VpContextKind } from './vp-context.js';
import { copyBytes } from '../../bytes/source.js';
import { corimDocumentProblem, corimSignatureProblem } from './corim.js';

export type { HeaderLocation, IgvmLayout };

type Fail = (problem: string, rule: IgvmRule) => never;

/** The layout the serializer writes: variable headers right after the fixed header, in model order. */
export function headerLayout(file: IgvmFile): IgvmLayout {
  const variableHeaderOffset = fixedHeaderSize(file.formatVersion);
  let offset = variableHeaderOffset;
  let index = 0;
  const place = (hs: Array<IgvmPlatformHeader | IgvmInitializationHeader>): HeaderLocation[] =>
    hs.map((h) => {
      const loc = { index: index++, offset, type: headerType(h) };
      offset += align8(VARIABLE_HEADER_SIZE + contentLength(h));
      return loc;
    });
  const platforms = place(file.platforms);
  const initializations = place(file.initializations);
  return { variableHeaderOffset, platforms, initializations, firstDirective: { index, offset } };
}

const popcount = (n: number): number => {
  let c = 0;
  for (let x = n >>> 0; x; x &= x - 1) c++;
  return c;
};
const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
const pageAligned = (n: number): boolean => n % PAGE_SIZE_4K === 0;

/** The kind of context a VP_CONTEXT with this mask holds, or null when no platform's mask equals it. */
export function vpContextPlatform(file: Pick<IgvmFile, 'platforms'>, mask: number): { platformType: number; kind: VpContextKind | null } | null {
  // igvm 0.4.0 maps each platform mask to its type; a later platform with the same mask wins
  let type: number | null = null;
  for (const p of supportedPlatforms(file)) if (p.compatibilityMask === mask) type = p.platformType;
  return type === null ? null : { platformType: type, kind: vpContextKind(type) };
}

export interface ValidateContext {
  /** where each header is; computed from the model when absent */
  layout?: IgvmLayout;
  /** a file name for messages */
  source?: string;
}

export function validateIgvm(file: IgvmFile, ctx: ValidateContext = {}): void {
  const layout = ctx.layout ?? headerLayout(file);
  const source = ctx.source;
  const fail = (loc: HeaderLocation, problem: string, rule: IgvmRule): never => {
    throw new IgvmFormatError(loc, problem, rule, source !== undefined ? { source } : {});
  };
  const fileFail = (problem: string, rule: IgvmRule, offset = 0): never => {
    throw new IgvmFormatError({ structure: 'IGVM file', offset }, problem, rule, source !== undefined ? { source } : {});
  };

  // ---- revision
  if (file.formatVersion !== 1 && file.formatVersion !== 2) fileFail(`format_version ${String(file.formatVersion)} is not 1 or 2`, 'InvalidFixedHeader', FH.formatVersion);
  if (file.formatVersion === 2 && file.architecture !== IgvmArchitecture.X64 && file.architecture !== IgvmArchitecture.AARCH64) {
    fileFail(`architecture ${file.architecture} is neither 0 (X64) nor 1 (AArch64)`, 'InvalidFixedHeader', FH.architecture);
  }
  if (file.formatVersion === 1 && (file.architecture !== IgvmArchitecture.X64 || file.pageSize !== PAGE_SIZE_4K)) {
    fileFail('a format version 1 file is X64 with 4K pages', 'InvalidFixedHeader', FH.formatVersion);
  }
  if (file.pageSize !== PAGE_SIZE_4K) fileFail(`page_size ${file.pageSize} is not 4096`, 'UnsupportedPageSize', FH.pageSize);
  const arch = file.formatVersion === 2 ? file.architecture : IgvmArchitecture.X64;

  // ---- platforms
  const seenTypes = new Map<number, number>();
  let platformCount = 0;
  file.platforms.forEach((p, i) => {
    const loc = layout.platforms[i]!;
    if (p.kind === 'unknown') return;
    platformCount++;
    checkPlatformHeader(p, arch, (problem, rule) => fail(loc, problem, rule));
    if (seenTypes.has(p.platformType)) fail(loc, `a second ${platformTypeName(p.platformType)} platform header (the first is header #${seenTypes.get(p.platformType)})`, 'MultiplePlatformHeadersWithSameIsolation');
    seenTypes.set(p.platformType, loc.index);
  });
  if (platformCount === 0) fileFail('the file has no SUPPORTED_PLATFORM header', 'NoPlatformHeaders', layout.variableHeaderOffset);

  // ---- initialization headers
  let pageTableMasks = 0;
  const usedVpIdents: Array<{ mask: number; vpIndex: number; vtl: number; loc: HeaderLocation }> = [];
  const relocRegions = new Map<number, Array<[bigint, bigint]>>();
  const pageTableRegions: Array<{ mask: number; gpa: bigint; size: bigint }> = [];
  const checkOverlap = (loc: HeaderLocation, mask: number, start: bigint, size: bigint): void => {
    for (let bit = 0; bit < 32; bit++) {
      const m = (1 << bit) >>> 0;
      if (!(mask & m)) continue;
      const list = relocRegions.get(m) ?? [];
      const end = start + size - 1n;
      if (list.some(([s, e]) => start <= e && s <= end)) fail(loc, `region ${hex(start)}..${hex(end)} overlaps another relocation region for mask bit ${hex(m)}`, 'RelocationRegionsOverlap');
      list.push([start, end]);
      relocRegions.set(m, list);
    }
  };
  const PAGE = BigInt(PAGE_SIZE_4K);
  // igvm HEAD igvm/src/lib.rs `IgvmFile::validate_initialization_headers`: one CoRIM document
  // and one signature per mask bit (corim_document_seen / corim_document_signature_seen), the
  // signature after its document; checked bit by bit from bit 0 (extract_individual_masks)
  let corimDocBits = 0;
  let corimSigBits = 0;
  file.initializations.forEach((h, i) => {
    const loc = layout.initializations[i]!;
    switch (h.kind) {
      case 'guest-policy':
      case 'unknown':
        return;
      case 'corim-document':
      case 'corim-signature': {
        const doc = h.kind === 'corim-document';
        // prelaunch's own rules (./corim.ts; the crate's validate() leaves these as TODOs)
        const bad = (doc ? corimDocumentProblem : corimSignatureProblem)(readData(h.data));
        if (bad) throw new IgvmFormatError(loc, bad.problem, doc ? 'InvalidCorimDocument' : 'InvalidCorimSignature', { ...(source !== undefined ? { source } : {}), truncated: bad.truncated });
        for (let bit = 0; bit < 32; bit++) {
          const m = (1 << bit) >>> 0;
          if (!(h.compatibilityMask & m)) continue;
          if (doc) {
            if (corimDocBits & m) fail(loc, `a second CoRIM document for mask bit ${hex(m)}`, 'MultipleCorimDocuments');
            corimDocBits |= m;
          } else {
            if (corimSigBits & m) fail(loc, `a second CoRIM signature for mask bit ${hex(m)}`, 'MultipleCorimSignatures');
            corimSigBits |= m;
            if (!(corimDocBits & m)) fail(loc, `a CoRIM signature for mask bit ${hex(m)} with no CoRIM document for that bit before it`, 'MissingCorimDocument');
          }
        }
        return;
      }
      case 'relocatable-region': {
        if (h.vtl > 2) fail(loc, `vtl ${h.vtl} is not 0, 1 or 2`, 'InvalidVtl');
        if (h.relocationRegionSize % PAGE !== 0n) fail(loc, `relocation_region_size ${hex(h.relocationRegionSize)} is not a multiple of 4K`, 'RelocationSize');
        if (h.relocationAlignment % PAGE !== 0n) fail(loc, `relocation_alignment ${hex(h.relocationAlignment)} is not a multiple of 4K`, 'RelocationAlignment');
        if (h.relocationAlignment === 0n) fail(loc, 'relocation_alignment is 0 (igvm 0.4.0 divides by it and panics)', 'RelocationAlignment');
        for (const [name, v] of [['relocation_region_gpa', h.relocationRegionGpa], ['minimum_relocation_gpa', h.minimumRelocationGpa], ['maximum_relocation_gpa', h.maximumRelocationGpa]] as const) {
          if (v % h.relocationAlignment !== 0n) fail(loc, `${name} ${hex(v)} is not a multiple of relocation_alignment ${hex(h.relocationAlignment)}`, 'RelocationAddress');
        }
        if (h.relocationRegionSize === 0n) fail(loc, 'relocation_region_size is 0', 'RelocationSize');
        checkOverlap(loc, h.compatibilityMask, h.relocationRegionGpa, h.relocationRegionSize);
        usedVpIdents.push({ mask: h.compatibilityMask, vpIndex: h.vpIndex, vtl: h.vtl, loc });
        return;
      }
      case 'page-table-relocation-region': {
        if (h.vtl > 2) fail(loc, `vtl ${h.vtl} is not 0, 1 or 2`, 'InvalidVtl');
        if (h.gpa % PAGE !== 0n) fail(loc, `gpa ${hex(h.gpa)} is not 4K-aligned`, 'UnalignedAddress');
        if (h.size % PAGE !== 0n) fail(loc, `size ${hex(h.size)} is not a multiple of 4K`, 'UnalignedSize');
        if (h.usedSize % PAGE !== 0n) fail(loc, `used_size ${hex(h.usedSize)} is not a multiple of 4K`, 'UnalignedSize');
        if (h.usedSize > h.size) fail(loc, `used_size ${hex(h.usedSize)} exceeds size ${hex(h.size)}`, 'InvalidPageTableRegionSize');
        if (h.size === 0n) fail(loc, 'size is 0', 'UnalignedSize');
        if (h.compatibilityMask & pageTableMasks) fail(loc, `a second page-table relocation header for mask ${hex(h.compatibilityMask & pageTableMasks)}`, 'MultiplePageTableRelocationHeaders');
        pageTableMasks |= h.compatibilityMask;
        checkOverlap(loc, h.compatibilityMask, h.gpa, h.size);
        usedVpIdents.push({ mask: h.compatibilityMask, vpIndex: h.vpIndex, vtl: h.vtl, loc });
        pageTableRegions.push({ mask: h.compatibilityMask, gpa: h.gpa, size: h.size });
        return;
      }
    }
  });

  // ---- directives
  const areas = new Map<number, 'allocated' | 'inserted'>();
  const checkPageData = (h: PageData, loc: HeaderLocation): void => {
    if (!pageAligned(h.gpa)) fail(loc, `gpa ${hex(h.gpa)} is not 4K-aligned`, 'UnalignedAddress');
    if (h.dataType > IgvmPageDataType.CPUID_XF) fail(loc, `data_type ${h.dataType} is not NORMAL (0), SECRETS (1), CPUID_DATA (2) or CPUID_XF (3)`, 'InvalidPageDataType');
    if (h.data && dataLength(h.data) > PAGE_SIZE_4K) fail(loc, `page data is ${dataLength(h.data)} bytes, more than 4K`, 'InvalidDataSize');
  };
  const checkRecord = (h: IgvmDirectiveRecord, loc: HeaderLocation): void => {
    switch (h.kind) {
      case 'parameter-area': {
        if (!pageAligned(h.numberOfBytes)) fail(loc, `number_of_bytes ${hex(h.numberOfBytes)} is not a multiple of 4K`, 'UnalignedSize');
        if (h.initialData && dataLength(h.initialData) > h.numberOfBytes) fail(loc, `initial data (${dataLength(h.initialData)} bytes) is larger than the area`, 'InvalidDataSize');
        if (areas.has(h.parameterAreaIndex)) fail(loc, `parameter_area_index ${h.parameterAreaIndex} is declared twice`, 'InvalidParameterAreaIndex');
        areas.set(h.parameterAreaIndex, 'allocated');
        return;
      }
      case 'parameter-usage': {
        const st = areas.get(h.parameterAreaIndex);
        if (st !== 'allocated') fail(loc, `parameter_area_index ${h.parameterAreaIndex} ${st === 'inserted' ? 'was already inserted' : 'names no PARAMETER_AREA declared before it'}`, 'InvalidParameterAreaIndex');
        return;
      }
      case 'parameter-insert': {
        if (!pageAligned(h.gpa)) fail(loc, `gpa ${hex(h.gpa)} is not 4K-aligned`, 'UnalignedAddress');
        const st = areas.get(h.parameterAreaIndex);
        if (st !== 'allocated') fail(loc, `parameter_area_index ${h.parameterAreaIndex} ${st === 'inserted' ? 'was already inserted' : 'names no PARAMETER_AREA declared before it'}`, 'InvalidParameterAreaIndex');
        areas.set(h.parameterAreaIndex, 'inserted');
        const g = BigInt(h.gpa);
        if (pageTableRegions.some((r) => (r.mask & h.compatibilityMask) !== 0 && g >= r.gpa && g < r.gpa + r.size)) {
          fail(loc, `gpa ${hex(h.gpa)} lies inside a page-table relocation region`, 'ParameterInsertInsidePageTableRegion');
        }
        return;
      }
      case 'vp-context': {
        const kind = checkVpContext(file, h, arch, (p, r) => fail(loc, p, r));
        if (kind === 'vbs') {
          const regs = decodeVbsRegisters(copyBytes(readData(h.data)));
          const vtl = regs[0]!.vtl;
          for (let k = usedVpIdents.length - 1; k >= 0; k--) {
            const id = usedVpIdents[k]!;
            if ((id.mask & h.compatibilityMask) !== 0 && id.vpIndex === 0 && id.vtl === vtl) usedVpIdents.splice(k, 1);
          }
        }
        return;
      }
      case 'required-memory': {
        if (!pageAligned(h.gpa)) fail(loc, `gpa ${hex(h.gpa)} is not 4K-aligned`, 'UnalignedAddress');
        if (!pageAligned(h.numberOfBytes)) fail(loc, `number_of_bytes ${hex(h.numberOfBytes)} is not a multiple of 4K`, 'UnalignedSize');
        return;
      }
      case 'error-range': {
        if (!pageAligned(h.gpa)) fail(loc, `gpa ${hex(h.gpa)} is not 4K-aligned`, 'UnalignedAddress');
        return;
      }
      case 'snp-id-block': {
        for (const [k, n] of Object.entries(SNP_ID_BLOCK_ARRAYS)) {
          if ((h as unknown as Record<string, Uint8Array>)[k]!.length !== n) fail(loc, `${k} must be ${n} bytes`, 'InvalidSnpIdBlock');
        }
        return;
      }
      case 'vbs-measurement': {
        for (const [k, n] of Object.entries(VBS_MEASUREMENT_ARRAYS)) {
          if ((h as unknown as Record<string, Uint8Array>)[k]!.length !== n) fail(loc, `${k} must be ${n} bytes`, 'InvalidVbsMeasurement');
        }
        return;
      }
      case 'unknown':
        return;
    }
  };
  // PAGE_DATA rows (thousands per file) are tested in line, in one plain loop over the rows
  // (it runs once per process, mostly before V8 optimizes it); a row that breaks a rule is
  // checked, and reported, as the object it stands for. A GPA is 4K-aligned when its low word
  // is, and a row with a file offset has 4K of data.
  const t = file.directives;
  for (const rows of directiveSegments(t, layout.firstDirective)) {
    if (rows.kind === 'record') {
      checkRecord(rows.header, rows.location);
      continue;
    }
    const { pages: w, data } = t;
    // the loop reads locals only (each module-constant read is bytecode of its own)
    const words = PD.Count, gpaLo = PD.GpaLo, dataType = PD.DataTypeReserved, low = PAGE_SIZE_4K - 1, maxType = IgvmPageDataType.CPUID_XF;
    for (let p = rows.from, at = p * words; p < rows.to; p++, at += words) {
      if ((w[at + gpaLo]! & low) === 0 && w[at + dataType]! <= maxType) {
        if (data === null) continue;
        const d = data[p];
        if (!d || dataLength(d) <= PAGE_SIZE_4K) continue;
      }
      checkPageData(pageAt(t, p), rowLocation(rows, p));
    }
  }
  const orphan = usedVpIdents[0];
  if (orphan) fail(orphan.loc, `no VBS VP context for vp_index ${orphan.vpIndex}, VTL ${orphan.vtl}`, 'NoMatchingVpContext');
}

/** The rules one SUPPORTED_PLATFORM header must meet on its own (igvm checks them as it reads the header). */
export function checkPlatformHeader(p: SupportedPlatform, arch: number, fail: Fail): void {
  if (popcount(p.compatibilityMask) !== 1) fail(`compatibility_mask ${hex(p.compatibilityMask)} must have exactly one bit set`, 'InvalidCompatibilityMask');
  if (p.highestVtl !== 0 && p.highestVtl !== 2) fail(`highest_vtl ${p.highestVtl} must be 0 or 2`, 'InvalidVtl');
  const known = [IgvmPlatformType.NATIVE, IgvmPlatformType.VSM_ISOLATION, IgvmPlatformType.SEV_SNP, IgvmPlatformType.TDX, IgvmPlatformType.SEV, IgvmPlatformType.SEV_ES];
  if (!known.includes(p.platformType)) fail(`platform_type ${p.platformType} (${platformTypeName(p.platformType)}) is not supported by igvm 0.4.0`, 'InvalidPlatformType');
  if (p.platformVersion !== IGVM_PLATFORM_VERSION) fail(`platform_version ${p.platformVersion} must be 1 for ${platformTypeName(p.platformType)}`, 'InvalidPlatformVersion');
  if ((p.platformType === IgvmPlatformType.NATIVE || p.platformType === IgvmPlatformType.VSM_ISOLATION) && p.sharedGpaBoundary !== 0n) {
    fail(`shared_gpa_boundary ${hex(p.sharedGpaBoundary)} must be 0 for ${platformTypeName(p.platformType)}`, 'InvalidSharedGpaBoundary');
  }
  if (p.platformType !== IgvmPlatformType.VSM_ISOLATION && arch !== IgvmArchitecture.X64) {
    fail(`${platformTypeName(p.platformType)} needs an X64 file (architecture is ${arch})`, 'PlatformArchUnsupported');
  }
}

/** Checks one VP_CONTEXT against its platform; returns what it holds. */
function checkVpContext(file: IgvmFile, h: VpContext, arch: number, fail: Fail): VpContextKind {
  const plat = vpContextPlatform(file, h.compatibilityMask);
  if (!plat || !plat.kind) {
    fail(
      plat
        ? `compatibility_mask ${hex(h.compatibilityMask)} is the ${platformTypeName(plat.platformType)} platform, which has no VP contexts`
        : `compatibility_mask ${hex(h.compatibilityMask)} is not exactly one platform's mask`,
      'InvalidVpContextPlatformType',
    );
  }
  const kind = plat!.kind!;
  const len = dataLength(h.data);
  if (kind === 'vbs') {
    if (len < VBS_REGISTER_LIST_HEADER) fail('the VBS register list is missing', 'InvalidDataSize');
    const blob = copyBytes(readData(h.data));
    const count = vbsRegisterCount(blob);
    if (len !== VBS_REGISTER_LIST_HEADER + count * VBS_REGISTER_SIZE) fail(`the VBS register list is ${len} bytes, not 4 + 32 × ${count}`, 'InvalidDataSize');
    if (count === 0) fail('the VBS VP context has no registers', 'NoVbsVpContextRegisters');
    if (h.vpIndex !== 0) fail(`vp_index ${h.vpIndex}: igvm 0.4.0 supports VBS contexts only for vp_index 0 (it asserts)`, 'InvalidVbsVpContext');
    const regs = decodeVbsRegisters(blob);
    const vtl = regs[0]!.vtl;
    if (regs.some((r) => r.vtl !== vtl)) fail('registers for more than one VTL in one VBS VP context (igvm 0.4.0 asserts)', 'InvalidVbsVpContext');
    if (vtl > 2) fail(`vtl ${vtl} is not 0, 1 or 2`, 'InvalidVtl');
    const names = arch === IgvmArchitecture.X64 ? VBS_X64_REGISTERS : VBS_AARCH64_REGISTERS;
    const bad = regs.find((r) => names[r.name] === undefined);
    if (bad) fail(`register name ${hex(bad.name)} is not supported`, arch === IgvmArchitecture.X64 ? 'UnsupportedX64Register' : 'UnsupportedAArch64Register');
    return kind;
  }
  if (len !== CONTEXT_PAGE_SIZE) fail(`the context page is ${len} bytes, not 4096`, 'InvalidDataSize');
  if (kind === 'snp-vmsa' && !pageAligned(h.gpa)) fail(`gpa ${hex(h.gpa)} is not 4K-aligned`, 'UnalignedAddress');
  if (kind === 'native' && arch !== IgvmArchitecture.X64) fail('a native x64 VP context in a non-X64 file', 'InvalidHeaderArch');
  const structSize = pageContextSize(kind);
  const tail = readData(h.data, structSize, CONTEXT_PAGE_SIZE - structSize);
  const nz = tail.findIndex((b) => b !== 0);
  if (nz >= 0) {
    fail(
      kind === 'snp-vmsa'
        ? `VMSA byte 0x${(structSize + nz).toString(16)} is not zero (igvm 0.4.0 models 0x670 bytes of the VMSA; the rest of the page must be zero)`
        : `native context byte 0x${(structSize + nz).toString(16)} is not zero (the context is ${structSize} bytes; the rest of the page must be zero)`,
      kind === 'snp-vmsa' ? 'InvalidVmsa' : 'InvalidContext',
    );
  }
  return kind;
}

export { headerTypeName };
