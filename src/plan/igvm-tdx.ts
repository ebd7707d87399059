/**
 * IGVM → TDX MRTD plan, with the semantics of the igvm crate's measurer
 * (microsoft/igvm@e6c3ff1 `igvm/src/measurement/tdx.rs`; igvmmeasure has no TDX support).
 * M is the TDX platform's mask; a directive with a mask is skipped unless `mask & M == M`.
 *
 * - PAGE_DATA: SHARED → skipped; UNMEASURED → PAGE.ADD only; otherwise PAGE.ADD and 16
 *   MR.EXTENDs of its 4K (a page without data extends 4K of zeros). A 2 MB flag is one 4K page.
 * - PARAMETER_INSERT: PAGE.ADD only, for every 4K page of the area.
 * - VP contexts and everything else: nothing (TDX starts from an architectural state).
 * The engine is the core TDX one (../measure/tdx-engine.ts); the order is one PAGE.ADD then
 * its MR.EXTENDs per page.
 */
import { bytesSource, type ByteSource } from '../bytes/source.js';
import { FirmwareError } from '../errors.js';
import { IgvmPlatformType, PAGE_SIZE_4K, PageDataFlags } from '../formats/igvm/defs.js';
import { dataLength, readData, supportedPlatforms, type IgvmFile } from '../formats/igvm/model.js';
import { headerLayout, type IgvmLayout } from '../formats/igvm/validate.js';
import type { TdxMrtdOp, TdxMrtdPlan } from './tdx.js';

export interface IgvmTdxPlan {
  compatibilityMask: number;
  plan: TdxMrtdPlan;
}

const ZERO_PAGE: ByteSource = bytesSource(new Uint8Array(PAGE_SIZE_4K), '<zero page>');

export function planIgvmTdx(file: IgvmFile, options: { layout?: IgvmLayout } = {}): IgvmTdxPlan {
  const layout = options.layout ?? headerLayout(file);
  const plat = supportedPlatforms(file).find((p) => p.platformType === IgvmPlatformType.TDX);
  if (!plat) throw new FirmwareError('IGVM file is not compatible with the specified platform: it has no TDX platform header', { platform: 'tdx' });
  const m = plat.compatibilityMask;
  const ops: TdxMrtdOp[] = [];
  const areaSize = new Map<number, number>();
  file.directives.forEach((h, i) => {
    const section = layout.directives[i]?.index ?? i;
    if ('compatibilityMask' in h && (h.compatibilityMask & m) !== m) return;
    switch (h.kind) {
      case 'parameter-area':
        areaSize.set(h.parameterAreaIndex, h.numberOfBytes);
        return;
      case 'page-data': {
        if (h.flags & PageDataFlags.SHARED) return;
        if (h.flags & PageDataFlags.UNMEASURED) {
          ops.push({ kind: 'add', section, gpa: h.gpa, pages: 1 });
          return;
        }
        if (!h.data || dataLength(h.data) === 0) {
          ops.push({ kind: 'add+extend', section, gpa: h.gpa, pages: 1, source: ZERO_PAGE, offset: 0 });
        } else if (h.data.kind === 'file' && h.data.length === PAGE_SIZE_4K) {
          ops.push({ kind: 'add+extend', section, gpa: h.gpa, pages: 1, source: h.data.source, offset: h.data.offset });
        } else {
          const page = new Uint8Array(PAGE_SIZE_4K);
          page.set(readData(h.data).subarray(0, PAGE_SIZE_4K));
          ops.push({ kind: 'add+extend', section, gpa: h.gpa, pages: 1, source: bytesSource(page), offset: 0 });
        }
        return;
      }
      case 'parameter-insert': {
        const size = areaSize.get(h.parameterAreaIndex);
        if (size === undefined) throw new FirmwareError(`PARAMETER_INSERT #${section}: parameter area ${h.parameterAreaIndex} is not declared`, { headerIndex: section });
        if (size > 0) ops.push({ kind: 'add', section, gpa: h.gpa, pages: size / PAGE_SIZE_4K });
        return;
      }
      default:
        return;
    }
  });
  return { compatibilityMask: m, plan: { kind: 'tdx-mrtd', order: 'single', ops } };
}
