/**
 * TDX metadata ("TDVF" descriptor), located through the TDX_METADATA_OFFSET footer entry
 * (u32 distance from the end of the image to the descriptor).
 *
 *   descriptor (16 bytes): char[4] "TDVF", u32 length (16 + 32·n), u32 version (1), u32 n
 *   section    (32 bytes): u32 data offset, u32 raw data size, u64 memory address (GPA),
 *                          u64 memory data size, u32 type, u32 attributes
 *
 * Types: 0 BFV, 1 CFV, 2 TD_HOB, 3 TempMem, 4 PermMem, 5 Payload, 6 PayloadParam (td-shim:
 * 7 TD_INFO, 8 TD_PARAMS). Attributes: bit 0 MR.EXTEND (content measured into MRTD), bit 1
 * PAGE.AUG (memory added after launch: no PAGE.ADD record — but QEMU ignores the bit for the
 * types 0–3 it accepts and PAGE.ADDs them all; see ../../plan/tdx.ts).
 *
 * {@link parseTdxMetadata} decodes; {@link validateTdvfSections} applies the rules every TDX
 * loader needs (QEMU hw/i386/tdvf.c: raw ≤ memory size, page alignment, raw data inside the
 * image; plus no overlapping GPA ranges); {@link qemuTdvfProblems} lists what upstream QEMU
 * would additionally refuse (section types other than 0–3, raw-size rules per type, no TD_HOB).
 */
import { ParseError } from '../../errors.js';
import { defineLayout, latin1, u32, u64, type LayoutValue } from '../../bytes/layout.js';
import type { ByteSource } from '../../bytes/source.js';
import { readMetadataTable } from './metadata-table.js';
import { PAGE_SIZE, TDVF_ATTR_MR_EXTEND, TDVF_ATTR_PAGE_AUG, TDVF_SECTION_TYPES } from './defs.js';

/** TDVF design guide §11.1 `TDX_METADATA_DESCRIPTOR` */
export const TDVF_DESCRIPTOR = defineLayout('TDVF descriptor', { signature: latin1(4), length: u32, version: u32, count: u32 });
/** TDVF design guide §11.1 `TDX_METADATA_SECTION` */
export const TDVF_SECTION = defineLayout('TDVF section', {
  dataOffset: u32, rawDataSize: u32, memoryAddress: u64, memoryDataSize: u64, type: u32, attributes: u32,
});

export interface TdvfSection extends LayoutValue<typeof TDVF_SECTION> {
  typeName: string;
  mrExtend: boolean;
  pageAug: boolean;
}

export interface TdxMetadata {
  offset: number;
  length: number;
  version: number;
  sections: TdvfSection[];
}

export function parseTdxMetadata(src: ByteSource, offsetFromEnd: number, entryOffset: number): TdxMetadata {
  const t = readMetadataTable(src, offsetFromEnd, entryOffset, {
    entry: 'TDX_METADATA_OFFSET entry', signature: 'TDVF', header: TDVF_DESCRIPTOR, item: TDVF_SECTION,
    check: (d, start) => {
      if (d.length !== TDVF_DESCRIPTOR.size + TDVF_SECTION.size * d.count) {
        throw new ParseError('ERR_MALFORMED', 'TDVF descriptor', start, `length ${d.length} does not match ${d.count} sections (expected ${16 + 32 * d.count})`, src.name);
      }
    },
  });
  const sections: TdvfSection[] = t.items.map((s) => ({
    ...s,
    typeName: TDVF_SECTION_TYPES[s.type] ?? `unknown (${s.type})`,
    mrExtend: (s.attributes & TDVF_ATTR_MR_EXTEND) !== 0,
    pageAug: (s.attributes & TDVF_ATTR_PAGE_AUG) !== 0,
  }));
  return { offset: t.start, length: t.header.length, version: t.header.version, sections };
}

const hx = (n: number): string => `0x${n.toString(16)}`;

/**
 * The first GPA no TDVF section may reach: 2^51, the shared bit of a TD with the widest (52-bit)
 * guest physical address width. Linux `tdx_vcpu_init_mem_region` (arch/x86/kvm/vmx/tdx.c)
 * refuses a KVM_TDX_INIT_MEM_REGION whose start or end GPA is not private.
 */
export const TDX_PRIVATE_GPA_LIMIT = 2 ** 51;

/** Section types QEMU measures (hw/i386/tdvf.c accepts no others). */
export const QEMU_TDVF_SECTION_TYPES = 4;

/**
 * Whether the section's memory is copied from the image (at DataOffset, MemoryDataSize bytes):
 * BFV and CFV under QEMU (`tdx_finalize_vm`), and, for the types QEMU refuses, an MR.EXTEND
 * section that is not PAGE.AUG (as td-shim loads it). TD_HOB and TempMem get fresh zeroed
 * memory from QEMU, whatever their attributes.
 */
export function tdvfSectionFromImage(s: Pick<TdvfSection, 'type' | 'mrExtend' | 'pageAug'>): boolean {
  if (s.type <= 1) return true;
  if (s.type < QEMU_TDVF_SECTION_TYPES) return false;
  return s.mrExtend && !s.pageAug;
}

/** File offset of section `index`'s 32-byte entry. */
export function tdvfSectionOffset(meta: TdxMetadata, index: number): number {
  return meta.offset + TDVF_DESCRIPTOR.size + index * TDVF_SECTION.size;
}

/**
 * Check the section table against the image it came from. Throws a {@link ParseError} naming
 * the section's entry offset for: RawDataSize > MemoryDataSize, a GPA or memory size that is not
 * page aligned, a GPA range reaching {@link TDX_PRIVATE_GPA_LIMIT}, raw data past the end of the
 * image, image-backed content past the end of the image, and two sections whose GPA ranges
 * overlap. Image-backed: a BFV or CFV section (QEMU `tdx_finalize_vm` points it at
 * `image + DataOffset`, and KVM copies all MemoryDataSize bytes into the TD, measured or not),
 * and an MR.EXTEND section of another type that is not PAGE.AUG (td-shim). So every size that
 * makes the plan read the image is bounded by the image; TD_HOB/TempMem sizes are bounded by
 * guest RAM (../../plan/tdx.ts).
 */
export function validateTdvfSections(meta: TdxMetadata, imageSize: number, sourceName?: string): void {
  const err = (i: number, problem: string): ParseError => new ParseError('ERR_MALFORMED', `TDVF section ${i}`, tdvfSectionOffset(meta, i), problem, sourceName);
  meta.sections.forEach((s, i) => {
    const what = `${s.typeName} section`;
    if (s.rawDataSize > s.memoryDataSize) throw err(i, `${what}: RawDataSize ${hx(s.rawDataSize)} exceeds MemoryDataSize ${hx(s.memoryDataSize)}`);
    if (s.memoryAddress % PAGE_SIZE !== 0) throw err(i, `${what}: MemoryAddress ${hx(s.memoryAddress)} is not page aligned`);
    if (s.memoryDataSize % PAGE_SIZE !== 0) throw err(i, `${what}: MemoryDataSize ${hx(s.memoryDataSize)} is not page aligned`);
    if (s.memoryAddress + s.memoryDataSize >= TDX_PRIVATE_GPA_LIMIT) {
      throw err(i, `${what}: MemoryAddress ${hx(s.memoryAddress)} + MemoryDataSize ${hx(s.memoryDataSize)} reaches ${hx(TDX_PRIVATE_GPA_LIMIT)} (2^51, the shared bit of the widest TDX guest physical address width): KVM_TDX_INIT_MEM_REGION takes private GPAs only`);
    }
    if (s.dataOffset + s.rawDataSize > imageSize) throw err(i, `${what}: raw data ${hx(s.dataOffset)}+${hx(s.rawDataSize)} runs past the end of the ${imageSize}-byte image`);
    if (tdvfSectionFromImage(s) && s.dataOffset + s.memoryDataSize > imageSize) {
      throw err(i, s.mrExtend
        ? `${what}: MR.EXTEND content ${hx(s.dataOffset)}+${hx(s.memoryDataSize)} runs past the end of the ${imageSize}-byte image`
        : `${what}: content ${hx(s.dataOffset)}+${hx(s.memoryDataSize)} runs past the end of the ${imageSize}-byte image (QEMU copies MemoryDataSize bytes from the image at DataOffset into the TD)`);
    }
  });
  const ranges = meta.sections.map((s, i) => ({ i, start: s.memoryAddress, end: s.memoryAddress + s.memoryDataSize })).filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  for (let k = 1; k < ranges.length; k++) {
    const a = ranges[k - 1]!;
    const b = ranges[k]!;
    if (b.start < a.end) {
      const [first, second] = a.i < b.i ? [a, b] : [b, a];
      throw err(second.i, `${meta.sections[second.i]!.typeName} section ${hx(second.start)}..${hx(second.end)} overlaps section ${first.i} (${meta.sections[first.i]!.typeName} ${hx(first.start)}..${hx(first.end)})`);
    }
  }
}

/**
 * What upstream QEMU (hw/i386/tdvf.c, tdx.c) would refuse in this table, although the TDX module
 * itself would measure it (td-shim and MigTD images use such sections). Empty for OVMF builds.
 */
export function qemuTdvfProblems(meta: TdxMetadata): string[] {
  const out: string[] = [];
  if (meta.sections.length < 2) out.push(`QEMU requires at least 2 sections (has ${meta.sections.length})`);
  meta.sections.forEach((s, i) => {
    if (s.type > 3) out.push(`section ${i}: QEMU accepts only BFV, CFV, TD_HOB and TempMem sections (this is ${s.typeName})`);
    else if (s.type <= 1 && s.rawDataSize === 0) out.push(`section ${i}: QEMU requires raw data in a ${s.typeName} section`);
    else if (s.type >= 2 && s.rawDataSize !== 0) out.push(`section ${i}: QEMU requires RawDataSize 0 in a ${s.typeName} section`);
  });
  const hobs = meta.sections.filter((s) => s.type === 2).length;
  if (hobs === 0) out.push('QEMU requires a TD_HOB section (it builds the TD HOB there)');
  return out;
}
