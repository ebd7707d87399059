/**
 * TDVF → MRTD plan: the explicit list of what the TDX module will hash at launch, before any
 * hashing. QEMU walks the TDVF sections in table order and issues one KVM_TDX_INIT_MEM_REGION
 * per section (measured iff MR.EXTEND); KVM decides the interleaving:
 *
 * - `single` (upstream KVM, QEMU ≥ 9 stacks): per page, PAGE.ADD then its 16 MR.EXTENDs.
 * - `two` (the KVM "v19" patch set with QEMU 8.2.x): per section, every PAGE.ADD, then every MR.EXTEND.
 *
 * PAGE.AUG sections produce no operation. MR.EXTEND content is MemoryDataSize bytes from
 * DataOffset in the image (QEMU maps the section at `image + DataOffset`, so bytes after the
 * raw data are measured too).
 *
 * Operations cover runs of consecutive pages so that a plan stays small and printable.
 */
import type { ByteSource } from '../bytes/source.js';
import { FirmwareError } from '../errors.js';
import type { OvmfImage } from '../formats/ovmf/parse.js';
import { validateTdvfSections, type TdxMetadata } from '../formats/ovmf/tdx-metadata.js';
import { TDX_PAGE_SIZE } from '../formats/tdx/mrtd-records.js';

export type TdxPageOrder = 'single' | 'two';
export const TDX_PAGE_ORDERS: readonly TdxPageOrder[] = ['single', 'two'];

export type TdxMrtdOp =
  /** TDH.MEM.PAGE.ADD for `pages` consecutive pages from `gpa` */
  | { kind: 'add'; section: number; gpa: number; pages: number }
  /** TDH.MR.EXTEND of every 256-byte chunk of `pages` pages, content from `source` at `offset` */
  | { kind: 'extend'; section: number; gpa: number; pages: number; source: ByteSource; offset: number }
  /** per page: PAGE.ADD, then its 16 MR.EXTENDs (single-pass) */
  | { kind: 'add+extend'; section: number; gpa: number; pages: number; source: ByteSource; offset: number };

export interface TdxMrtdPlan {
  kind: 'tdx-mrtd';
  order: TdxPageOrder;
  ops: TdxMrtdOp[];
}

/** The image's TDX metadata, validated; a {@link FirmwareError} when there is none. */
export function requireTdxMetadata(img: OvmfImage): TdxMetadata {
  if (!img.table) throw new FirmwareError(`${img.source.name}: no OVMF footer table, so no TDX metadata: not a TDVF image`);
  if (!img.tdxMetadata) throw new FirmwareError(`${img.source.name}: no TDX metadata (no TDX_METADATA_OFFSET entry in the footer table): this firmware cannot boot a TD`);
  validateTdvfSections(img.tdxMetadata, img.size, img.source.name);
  return img.tdxMetadata;
}

export function planTdxMrtd(img: OvmfImage, order: TdxPageOrder): TdxMrtdPlan {
  const meta = requireTdxMetadata(img);
  const ops: TdxMrtdOp[] = [];
  meta.sections.forEach((s, section) => {
    if (s.pageAug) return;
    const pages = s.memoryDataSize / TDX_PAGE_SIZE;
    if (pages === 0) return;
    const gpa = s.memoryAddress;
    if (!s.mrExtend) ops.push({ kind: 'add', section, gpa, pages });
    else if (order === 'single') ops.push({ kind: 'add+extend', section, gpa, pages, source: img.source, offset: s.dataOffset });
    else {
      ops.push({ kind: 'add', section, gpa, pages });
      ops.push({ kind: 'extend', section, gpa, pages, source: img.source, offset: s.dataOffset });
    }
  });
  return { kind: 'tdx-mrtd', order, ops };
}

/**
 * The page order a QEMU version implies (dstack-mr's rule): [8.0, 9.0) → two-pass (the QEMU
 * 8.2 TDX stacks with the KVM v19 patches), ≥ 9.0 → single-pass (upstream KVM). Older QEMU
 * has no TDX support. Returns null when `version` is not a version number.
 */
export function pageOrderForQemuVersion(version: string): TdxPageOrder | 'unsupported' | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+~.].*)?$/.exec(version.trim());
  if (!m) return null;
  const major = Number(m[1]);
  if (major < 8) return 'unsupported';
  return major < 9 ? 'two' : 'single';
}
