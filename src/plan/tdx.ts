/**
 * TDVF → MRTD plan: the explicit list of what the TDX module will hash at launch, before any
 * hashing. QEMU (target/i386/kvm/tdx.c) walks the TDVF sections in table order: `tdx_finalize_vm`
 * points BFV/CFV sections at `image + DataOffset`, maps fresh zeroed memory for TD_HOB/TempMem
 * sections and accepts it in guest RAM (`tdx_accept_ram_range`), writes the TD HOB into the first
 * TD_HOB section (`tdvf_hob_create`, hw/i386/tdvf-hob.c), then `tdx_init_fw_mem_region` issues
 * one KVM_TDX_INIT_MEM_REGION per section, with KVM_TDX_MEASURE_MEMORY_REGION iff attribute
 * bit 0 (MR.EXTEND). Attribute bit 1 (PAGE.AUG) is never looked at: every section is PAGE.ADDed.
 * KVM (Linux arch/x86/kvm/vmx/tdx.c `tdx_gmem_post_populate`) adds each page from that source,
 * then extends its 16 chunks when asked. So:
 *
 * - BFV/CFV with MR.EXTEND: MemoryDataSize bytes of the image from DataOffset (bytes after the
 *   raw data are measured too);
 * - TD_HOB/TempMem with MR.EXTEND: zeros — for the first TD_HOB section, the TD HOB QEMU wrote
 *   there (which depends on the guest memory), then zeros — never file bytes;
 * - PAGE.AUG on a BFV/CFV/TD_HOB/TempMem section: ignored, with a warning (dstack-mr, td-shim's
 *   tee-info-hash and Fraunhofer calculate-tdx-mrs skip the PAGE.ADD but keep the MR.EXTEND: a
 *   value no QEMU+KVM launch produces);
 * - section types QEMU refuses (4+, td-shim/MigTD images; a warning says QEMU refuses them) are
 *   measured as td-shim loads them: PAGE.AUG adds nothing, MR.EXTEND content from the image.
 *
 * KVM decides the interleaving:
 *
 * - `single` (upstream KVM, QEMU ≥ 9 stacks): per page, PAGE.ADD then its 16 MR.EXTENDs.
 * - `two` (the KVM "v19" patch set with QEMU 8.2.x): per section, every PAGE.ADD, then every MR.EXTEND.
 *
 * Sizes are bounded before any operation is planned: image-backed sections by the image
 * (../formats/ovmf/tdx-metadata.ts), TD_HOB/TempMem by guest RAM ({@link checkTdvfGuestRam}).
 * Operations cover runs of consecutive pages so that a plan stays small and printable.
 */
import { zeroPaddedSource, type ByteSource } from '../bytes/source.js';
import { FirmwareError } from '../errors.js';
import type { OvmfImage } from '../formats/ovmf/parse.js';
import { QEMU_TDVF_SECTION_TYPES, qemuTdvfProblems, tdvfSectionFromImage, validateTdvfSections, type TdvfSection, type TdxMetadata } from '../formats/ovmf/tdx-metadata.js';
import { TDX_PAGE_SIZE } from '../formats/tdx/mrtd-records.js';
import { Q35_LOW_RAM_LIMIT, buildTdHob, q35MemorySplit, tdRamEntries } from '../formats/tdx/td-hob.js';

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

export interface TdxMrtdPlanOptions {
  /**
   * Guest memory in bytes (QEMU -m). Needed when a TD_HOB section has MR.EXTEND (QEMU extends
   * the TD HOB it writes, which lists the RAM) and when a TD_HOB/TempMem section lies above
   * q35's low RAM; when given, every such section is checked to lie in guest RAM.
   */
  memory?: number | null;
}

const hx = (n: number): string => `0x${n.toString(16)}`;

/** A section QEMU PAGE.ADDs from memory it maps itself (not the image): TD_HOB, TempMem, and a td-shim section added without content. */
function ramBacked(s: TdvfSection): boolean {
  if (tdvfSectionFromImage(s) || s.memoryDataSize === 0) return false;
  return s.type < QEMU_TDVF_SECTION_TYPES || !s.pageAug;
}

/**
 * Bound the sections whose memory does not come from the image by guest RAM, before planning:
 * QEMU maps MemoryDataSize bytes for each and accepts them in guest RAM (`tdx_accept_ram_range`
 * fails otherwise: "Failed to accept memory for TDVF section"). Without a memory size, such a
 * section must lie below {@link Q35_LOW_RAM_LIMIT}, the most RAM a q35 guest has below 4 GiB.
 */
export function checkTdvfGuestRam(meta: TdxMetadata, memory: number | null, sourceName?: string): void {
  const prefix = sourceName ? `${sourceName}: ` : '';
  if (memory !== null) tdRamEntries(meta, memory); // TD_HOB and TempMem, as QEMU carves them out
  const split = memory !== null ? q35MemorySplit(memory) : null;
  meta.sections.forEach((s, i) => {
    if (!ramBacked(s)) return;
    const start = s.memoryAddress;
    const end = start + s.memoryDataSize;
    const what = `TDVF section ${i} (${s.typeName}) at ${hx(start)}`;
    const data = { section: i, field: 'MemoryDataSize', value: s.memoryDataSize };
    if (split === null) {
      if (end > Q35_LOW_RAM_LIMIT) {
        throw new FirmwareError(`${prefix}${what}: MemoryDataSize ${hx(s.memoryDataSize)} ends at ${hx(end)}, above ${hx(Q35_LOW_RAM_LIMIT)}, the most RAM a q35 guest has below 4 GiB; QEMU maps this section in guest RAM, so give the guest memory size (--memory) to check it fits`, { ...data, limit: Q35_LOW_RAM_LIMIT });
      }
      return;
    }
    const inLow = end <= split.below4g;
    const inHigh = start >= 0x1_0000_0000 && end <= 0x1_0000_0000 + split.above4g;
    if (!inLow && !inHigh) {
      throw new FirmwareError(`${prefix}${what}: MemoryDataSize ${hx(s.memoryDataSize)} (to ${hx(end)}) is not inside guest RAM with ${memory} bytes of memory (QEMU: "Failed to accept memory for TDVF section")`, { ...data, limit: memory });
    }
  });
}

/**
 * What the MRTD of this TDVF needs said next to it: sections upstream QEMU refuses, PAGE.AUG
 * bits QEMU ignores, and TD_HOB/TempMem sections whose zeroed memory (not file bytes) is extended.
 */
export function tdvfMrtdWarnings(meta: TdxMetadata): string[] {
  const out = qemuTdvfProblems(meta).map((p) => `upstream QEMU would refuse this firmware: ${p}`);
  meta.sections.forEach((s, i) => {
    if (s.type >= QEMU_TDVF_SECTION_TYPES) return;
    if (s.pageAug) {
      out.push(`section ${i} (${s.typeName}) has attribute bit 1 (PAGE.AUG), which QEMU ignores: it is PAGE.ADDed${s.mrExtend ? ' and extended' : ''} like any ${s.typeName} section (tdx_init_fw_mem_region); dstack-mr, td-shim tee-info-hash and Fraunhofer calculate-tdx-mrs skip its PAGE.ADD records and predict an MRTD no QEMU+KVM launch produces`);
    }
    if (s.mrExtend && !tdvfSectionFromImage(s)) {
      out.push(`section ${i} (${s.typeName}) has MR.EXTEND: QEMU extends the zeroed memory it maps there${s.type === 2 ? ' (with the TD HOB it writes)' : ''}, not the file's bytes (tdx_finalize_vm)`);
    }
  });
  return out;
}

export function planTdxMrtd(img: OvmfImage, order: TdxPageOrder, opts: TdxMrtdPlanOptions = {}): TdxMrtdPlan {
  const meta = requireTdxMetadata(img);
  const memory = opts.memory ?? null;
  checkTdvfGuestRam(meta, memory, img.source.name);
  const firstHob = meta.sections.findIndex((s) => s.type === 2);
  /** where the extended bytes of section `i` come from */
  const content = (s: TdvfSection, i: number): { source: ByteSource; offset: number } => {
    if (tdvfSectionFromImage(s)) return { source: img.source, offset: s.dataOffset };
    if (i !== firstHob) return { source: zeroPaddedSource(new Uint8Array(0), s.memoryDataSize, `<zeroed ${s.typeName} section ${i}>`), offset: 0 };
    if (memory === null) {
      throw new FirmwareError(`${img.source.name}: TDVF section ${i} (TD_HOB) has MR.EXTEND: QEMU extends the TD HOB it writes there, which lists the guest RAM; give the guest memory size (--memory)`, { section: i });
    }
    return { source: zeroPaddedSource(buildTdHob(meta, memory).list, s.memoryDataSize, `<TD HOB in section ${i}>`), offset: 0 };
  };
  const ops: TdxMrtdOp[] = [];
  meta.sections.forEach((s, section) => {
    // td-shim: memory accepted after launch; QEMU refuses these types (a warning says so)
    if (s.pageAug && s.type >= QEMU_TDVF_SECTION_TYPES) return;
    const pages = s.memoryDataSize / TDX_PAGE_SIZE;
    if (pages === 0) return;
    const gpa = s.memoryAddress;
    if (!s.mrExtend) {
      ops.push({ kind: 'add', section, gpa, pages });
      return;
    }
    const { source, offset } = content(s, section);
    if (order === 'single') ops.push({ kind: 'add+extend', section, gpa, pages, source, offset });
    else {
      ops.push({ kind: 'add', section, gpa, pages });
      ops.push({ kind: 'extend', section, gpa, pages, source, offset });
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
