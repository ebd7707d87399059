/**
 * IGVM → VBS boot-digest plan, with the semantics of the igvm crate's measurer
 * (microsoft/igvm@e6c3ff1 igvm/src/measurement/vbs.rs `generate_vbs_measurement`; unreleased,
 * igvmmeasure has no VBS). M is the VSM_ISOLATION platform's mask; a directive with a mask is
 * skipped unless `mask & M == M`. In file order:
 *
 * - PAGE_DATA: must be NORMAL (the crate asserts: a panic; refused here); SHARED → skipped;
 *   one GPA page (page number gpa/4K) with metadata data_unmeasured = the UNMEASURED flag and
 *   the page's data (none when unmeasured, 4K of zeros without data). A 2 MB flag is one page.
 * - PARAMETER_AREA (no mask): its size is recorded. PARAMETER_INSERT: number_of_bytes/4K
 *   unmeasured pages from gpa/4K (acceptance 0). ERROR_RANGE: ceil(size/4K) unmeasured pages,
 *   acceptance readable|writable.
 * - VP_CONTEXT holding a VBS register list: its registers, kept for the end; after the last
 *   directive every list is measured in file order, register by register, as the crate
 *   re-encodes them (`X86Register::into_vbs_vp_context_reg`: a u64 register keeps the low 8
 *   bytes of its value, a table register (GDTR, IDTR) its limit and base, a segment register
 *   all 16 bytes; AArch64 registers are u64; the VTL is the context's).
 * - Everything else (SNP or native contexts, ID blocks, usages, REQUIRED_MEMORY): nothing.
 * The parameter pages a plan inserts may total at most {@link IGVM_VBS_PARAMETER_BYTES_LIMIT}
 * (as for TDX: ../plan/igvm-tdx.ts), so a 32-byte header cannot make it hash billions of pages.
 */
import { FirmwareError } from '../errors.js';
import { IgvmArchitecture, IgvmPageDataType, IgvmPlatformType, PAGE_SIZE_4K, PageDataFlags } from '../formats/igvm/defs.js';
import { directiveSegments, pageAt } from '../formats/igvm/directives.js';
import { readData, supportedPlatforms, type IgvmData, type IgvmFile } from '../formats/igvm/model.js';
import { headerLayout, vpContextPlatform, type IgvmLayout } from '../formats/igvm/validate.js';
import { decodeVbsRegisters } from '../formats/igvm/vp-context.js';
import { VbsPageMetadata } from '../formats/vbs/boot-measurement-chunk.js';

export type VbsOp =
  /** `pages` GPA-page chunks from `pageNumber`; `data`: the first page's contents (measured pages are one page each) */
  | { kind: 'gpa-pages'; section: number; pageNumber: number; pages: number; metadata: number; data: IgvmData | null }
  | { kind: 'register'; section: number; vtl: number; name: number; value: Uint8Array };

export interface VbsPlan {
  kind: 'vbs';
  ops: VbsOp[];
}

export interface IgvmVbsPlan {
  compatibilityMask: number;
  plan: VbsPlan;
}

/** The most parameter-area memory a VBS plan measures (4 GiB, 2^20 pages), as for TDX. */
export const IGVM_VBS_PARAMETER_BYTES_LIMIT = 2 ** 32;

/** Hyper-V x64 register names whose value is an HV_X64_TABLE_REGISTER (pad[3] u16, limit u16, base u64). */
const X64_TABLE_REGISTERS: ReadonlySet<number> = new Set([0x0007_0000 /* Idtr */, 0x0007_0001 /* Gdtr */]);
/** …and an HV_X64_SEGMENT_REGISTER (base u64, limit u32, selector u16, attributes u16): Es Cs Ss Ds Fs Gs Tr */
const X64_SEGMENT_REGISTERS: ReadonlySet<number> = new Set([0x6_0000, 0x6_0001, 0x6_0002, 0x6_0003, 0x6_0004, 0x6_0005, 0x6_0007]);

/** A register's value as the crate writes it back (registers.rs). */
export function normalizeVbsRegisterValue(architecture: number, name: number, value: Uint8Array): Uint8Array {
  const v = new Uint8Array(16);
  if (architecture === IgvmArchitecture.X64 && X64_SEGMENT_REGISTERS.has(name)) v.set(value.subarray(0, 16));
  else if (architecture === IgvmArchitecture.X64 && X64_TABLE_REGISTERS.has(name)) v.set(value.subarray(6, 16), 6);
  else v.set(value.subarray(0, 8));
  return v;
}

export function planIgvmVbs(file: IgvmFile, options: { layout?: IgvmLayout } = {}): IgvmVbsPlan {
  const layout = options.layout ?? headerLayout(file);
  const plat = supportedPlatforms(file).find((p) => p.platformType === IgvmPlatformType.VSM_ISOLATION);
  if (!plat) throw new FirmwareError('IGVM file is not compatible with the specified platform: it has no VSM_ISOLATION (VBS) platform header', { platform: 'vbs' });
  const m = plat.compatibilityMask;
  const ops: VbsOp[] = [];
  const registers: VbsOp[] = [];
  const areaSize = new Map<number, number>();
  let parameterBytes = 0;
  const t = file.directives;
  for (const s of directiveSegments(t, layout.firstDirective)) {
    if (s.kind === 'pages') {
      for (let p = s.from, section = s.index; p < s.to; p++, section++) {
        const h = pageAt(t, p);
        if ((h.compatibilityMask & m) !== m) continue;
        if (h.dataType !== IgvmPageDataType.NORMAL) {
          throw new FirmwareError(`PAGE_DATA #${section}: data type ${IgvmPageDataType[h.dataType] ?? h.dataType} in the VBS platform's pages; the igvm crate's VBS measurer accepts only NORMAL pages (it asserts), so no VBS digest is defined`, { headerIndex: section, field: 'data_type', value: h.dataType });
        }
        if (h.flags & PageDataFlags.SHARED) continue;
        const unmeasured = (h.flags & PageDataFlags.UNMEASURED) !== 0;
        ops.push({ kind: 'gpa-pages', section, pageNumber: Math.floor(h.gpa / PAGE_SIZE_4K), pages: 1, metadata: unmeasured ? VbsPageMetadata.DATA_UNMEASURED : 0, data: unmeasured ? null : h.data });
      }
      continue;
    }
    const h = s.header;
    const section = s.location.index;
    if ('compatibilityMask' in h && (h.compatibilityMask & m) !== m) continue;
    switch (h.kind) {
      case 'parameter-area':
        if (areaSize.has(h.parameterAreaIndex)) throw new FirmwareError(`PARAMETER_AREA #${section}: parameter area ${h.parameterAreaIndex} is declared twice (the VBS measurer's InvalidParameterAreaIndex)`, { headerIndex: section });
        areaSize.set(h.parameterAreaIndex, h.numberOfBytes);
        break;
      case 'parameter-insert': {
        const bytes = areaSize.get(h.parameterAreaIndex);
        if (bytes === undefined) throw new FirmwareError(`PARAMETER_INSERT #${section}: parameter area ${h.parameterAreaIndex} is not declared (the VBS measurer's InvalidParameterAreaIndex)`, { headerIndex: section });
        parameterBytes += bytes;
        if (parameterBytes > IGVM_VBS_PARAMETER_BYTES_LIMIT) {
          throw new FirmwareError(`PARAMETER_INSERT #${section}: the parameter areas inserted reach 0x${parameterBytes.toString(16)} bytes, more than the 0x${IGVM_VBS_PARAMETER_BYTES_LIMIT.toString(16)} bytes (4 GiB) prelaunch measures for VBS (one chunk per page)`, { headerIndex: section, field: 'number_of_bytes', value: bytes, limit: IGVM_VBS_PARAMETER_BYTES_LIMIT });
        }
        const pages = Math.floor(bytes / PAGE_SIZE_4K);
        if (pages > 0) ops.push({ kind: 'gpa-pages', section, pageNumber: Math.floor(h.gpa / PAGE_SIZE_4K), pages, metadata: VbsPageMetadata.DATA_UNMEASURED, data: null });
        break;
      }
      case 'error-range': {
        const pages = Math.ceil(h.sizeBytes / PAGE_SIZE_4K);
        if (pages > 0) ops.push({ kind: 'gpa-pages', section, pageNumber: Math.floor(h.gpa / PAGE_SIZE_4K), pages, metadata: VbsPageMetadata.READABLE | VbsPageMetadata.WRITABLE | VbsPageMetadata.DATA_UNMEASURED, data: null });
        break;
      }
      case 'vp-context': {
        if (vpContextPlatform(file, h.compatibilityMask)?.kind !== 'vbs') break;
        const regs = decodeVbsRegisters(readData(h.data).slice());
        // the crate's context has one VTL (the parser refuses mixed VTLs); each register is written back with it
        const vtl = regs[0]?.vtl ?? 0;
        for (const r of regs) registers.push({ kind: 'register', section, vtl, name: r.name, value: normalizeVbsRegisterValue(file.architecture, r.name, r.value) });
        break;
      }
      default:
        break;
    }
  }
  ops.push(...registers);
  return { compatibilityMask: m, plan: { kind: 'vbs', ops } };
}
