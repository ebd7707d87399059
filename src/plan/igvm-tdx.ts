/**
 * IGVM → TDX MRTD plan, with the semantics of the igvm crate's measurer
 * (microsoft/igvm@e6c3ff1 `igvm/src/measurement/tdx.rs`; igvmmeasure has no TDX support).
 * M is the TDX platform's mask; a directive with a mask is skipped unless `mask & M == M`.
 *
 * - PAGE_DATA: SHARED → skipped; UNMEASURED → PAGE.ADD only; otherwise PAGE.ADD and 16
 *   MR.EXTENDs of its 4K (a page without data extends 4K of zeros). A 2 MB flag is one 4K page.
 * - PARAMETER_INSERT: PAGE.ADD only, for every 4K page of the area. The areas inserted may
 *   total at most {@link IGVM_TDX_PARAMETER_BYTES_LIMIT}, checked as each insert is planned.
 * - VP contexts and everything else: nothing (TDX starts from an architectural state).
 * Every other operation is one page per PAGE_DATA header, so the plan is bounded by the file.
 * The engine is the core TDX one (../measure/tdx-engine.ts); the order is one PAGE.ADD then
 * its MR.EXTENDs per page.
 */
import { bytesSource, type ByteSource } from '../bytes/source.js';
import { FirmwareError } from '../errors.js';
import { IgvmPlatformType, PAGE_SIZE_4K, PageDataFlags } from '../formats/igvm/defs.js';
import { directiveSegments, pageAt } from '../formats/igvm/directives.js';
import { dataLength, readData, supportedPlatforms, type IgvmFile } from '../formats/igvm/model.js';
import { headerLayout, type IgvmLayout } from '../formats/igvm/validate.js';
import type { TdxMrtdOp, TdxMrtdPlan } from './tdx.js';

export interface IgvmTdxPlan {
  compatibilityMask: number;
  plan: TdxMrtdPlan;
}

const ZERO_PAGE: ByteSource = bytesSource(new Uint8Array(PAGE_SIZE_4K), '<zero page>');

/**
 * The most parameter-area memory a TDX plan PAGE.ADDs (4 GiB, 2^20 page records). The IGVM
 * format addresses an area's contents with 32-bit byte offsets (IGVM_VHS_PARAMETER), and QEMU
 * allocates each area in host memory before inserting it (backends/igvm.c
 * `qigvm_directive_parameter_area`); a larger number_of_bytes is refused rather than planned
 * as billions of page records.
 */
export const IGVM_TDX_PARAMETER_BYTES_LIMIT = 2 ** 32;

/** TDX guest physical addresses have at most 52 bits (GPAW 52). */
const TDX_GPA_LIMIT = 2 ** 52;

function checkGpaRange(header: number, what: string, gpa: number, bytes: number): void {
  if (gpa + bytes > TDX_GPA_LIMIT) {
    throw new FirmwareError(`${what} #${header}: GPA 0x${gpa.toString(16)} + 0x${bytes.toString(16)} bytes runs past the 52-bit TDX guest physical address space`, { headerIndex: header, field: 'gpa', value: gpa, limit: TDX_GPA_LIMIT });
  }
}

export function planIgvmTdx(file: IgvmFile, options: { layout?: IgvmLayout } = {}): IgvmTdxPlan {
  const layout = options.layout ?? headerLayout(file);
  const plat = supportedPlatforms(file).find((p) => p.platformType === IgvmPlatformType.TDX);
  if (!plat) throw new FirmwareError('IGVM file is not compatible with the specified platform: it has no TDX platform header', { platform: 'tdx' });
  const m = plat.compatibilityMask;
  const ops: TdxMrtdOp[] = [];
  const areaSize = new Map<number, { bytes: number; header: number }>();
  let parameterBytes = 0;
  const t = file.directives;
  for (const rows of directiveSegments(t, layout.firstDirective)) {
    if (rows.kind === 'record') {
      const { header: h, location: loc } = rows;
      const section = loc.index;
      if ('compatibilityMask' in h && (h.compatibilityMask & m) !== m) continue;
      switch (h.kind) {
        case 'parameter-area':
          areaSize.set(h.parameterAreaIndex, { bytes: h.numberOfBytes, header: section });
          continue;
        case 'parameter-insert': {
          const area = areaSize.get(h.parameterAreaIndex);
          if (area === undefined) throw new FirmwareError(`PARAMETER_INSERT #${section}: parameter area ${h.parameterAreaIndex} is not declared`, { headerIndex: section });
          parameterBytes += area.bytes;
          if (parameterBytes > IGVM_TDX_PARAMETER_BYTES_LIMIT) {
            const what = parameterBytes === area.bytes ? `number_of_bytes 0x${area.bytes.toString(16)}` : `number_of_bytes 0x${area.bytes.toString(16)} brings the inserted parameter areas to 0x${parameterBytes.toString(16)} bytes, which`;
            throw new FirmwareError(`PARAMETER_AREA #${area.header} (index ${h.parameterAreaIndex}, inserted by PARAMETER_INSERT #${section}): ${what} exceeds the 0x${IGVM_TDX_PARAMETER_BYTES_LIMIT.toString(16)} bytes (4 GiB) of parameter areas prelaunch plans for TDX (one PAGE.ADD per page)`, { headerIndex: area.header, field: 'number_of_bytes', value: area.bytes, limit: IGVM_TDX_PARAMETER_BYTES_LIMIT });
          }
          checkGpaRange(section, 'PARAMETER_INSERT', h.gpa, area.bytes);
          if (area.bytes > 0) ops.push({ kind: 'add', section, gpa: h.gpa, pages: area.bytes / PAGE_SIZE_4K });
          continue;
        }
        default:
          continue;
      }
    }
    for (let p = rows.from, section = rows.index; p < rows.to; p++, section++) {
      const { gpa, compatibilityMask, flags, data } = pageAt(t, p);
      if ((compatibilityMask & m) !== m || flags & PageDataFlags.SHARED) continue;
      checkGpaRange(section, 'PAGE_DATA', gpa, PAGE_SIZE_4K);
      if (flags & PageDataFlags.UNMEASURED) {
        ops.push({ kind: 'add', section, gpa, pages: 1 });
        continue;
      }
      if (!data || dataLength(data) === 0) {
        ops.push({ kind: 'add+extend', section, gpa, pages: 1, source: ZERO_PAGE, offset: 0 });
      } else if (data.kind === 'file' && data.length === PAGE_SIZE_4K) {
        ops.push({ kind: 'add+extend', section, gpa, pages: 1, source: data.source, offset: data.offset });
      } else {
        const page = new Uint8Array(PAGE_SIZE_4K);
        page.set(readData(data).subarray(0, PAGE_SIZE_4K));
        ops.push({ kind: 'add+extend', section, gpa, pages: 1, source: bytesSource(page), offset: 0 });
      }
    }
  }
  return { compatibilityMask: m, plan: { kind: 'tdx-mrtd', order: 'single', ops } };
}
