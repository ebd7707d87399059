/**
 * OVMF as igvmbuilder embeds it for QEMU and Vanadium (ovmf_firmware.rs): the footer table
 * (read by ../formats/ovmf/footer-table.ts) is walked from the footer backwards, and the
 * entries igvmbuilder knows fill in the `GuestFwInfoBlock` of the boot parameters.
 *
 * The metadata reached through an entry's u32 offset-from-end — "ASEV"
 * (../formats/ovmf/sev-metadata.ts: 1 MEM / 16 KERNEL_HASHES → pre-validated, 2 SECRETS,
 * 3 CPUID, 4 CAA → that page), "TDVF" (../formats/ovmf/tdx-metadata.ts; parsed, then ignored)
 * and "IGVM" (../formats/ovmf/igvm-metadata.ts: 0x100 parameter area (pre-validated), 0x101
 * memory map (offset inside the parameter area), 0x200 HOB area (pre-validated)) — is read
 * with igvmbuilder's checks (no version check), not with the measuring parsers'.
 *
 * Reset-vector entry (../formats/ovmf/igvm-metadata.ts): the firmware starts at vector − (size − 16) and its mask is replaced.
 * By default the firmware ends at 4 GiB and its mask is the requested mask & (SNP | NATIVE).
 * Contiguous or overlapping pre-validated regions merge; at most 8 regions.
 */
import type { Latin1Field, Layout, ScalarField } from '../bytes/layout.js';
import { copyBytes, type ByteSource } from '../bytes/source.js';
import { SEV_METADATA_OFFSET, TDX_METADATA_OFFSET, parseFooterTable } from '../formats/ovmf/footer-table.js';
import { OVMF_TABLE_FOOTER_GUID, SEV_METADATA_GUID, TDX_METADATA_OFFSET_GUID } from '../formats/ovmf/defs.js';
import {
  OVMF_IGVM_METADATA_GUID, OVMF_IGVM_METADATA_HEADER, OVMF_IGVM_METADATA_ITEM, OVMF_IGVM_METADATA_OFFSET, OVMF_RESET_VECTOR, OVMF_RESET_VECTOR_GUID,
} from '../formats/ovmf/igvm-metadata.js';
import { SEV_METADATA_HEADER, SEV_METADATA_SECTION } from '../formats/ovmf/sev-metadata.js';
import { TDVF_DESCRIPTOR, TDVF_SECTION } from '../formats/ovmf/tdx-metadata.js';
import type { IgvmData } from '../formats/igvm/model.js';
import { emptyFwInfo, MAX_PREVALIDATED_REGIONS, type GuestFwInfo } from './boot-params.js';
import { BuildError } from './errors.js';

export { OVMF_IGVM_METADATA_GUID, OVMF_RESET_VECTOR_GUID };

/** The three metadata kinds: the entry holding the offset, the descriptor, the item size. */
interface MetadataKind {
  readonly sig: string;
  readonly entry: Layout<{ offsetFromEnd: typeof SEV_METADATA_OFFSET.fields.offsetFromEnd }>;
  readonly descriptor: Layout<{ signature: Latin1Field; count: ScalarField<number> }>;
  readonly itemSize: number;
}
const ASEV: MetadataKind = { sig: 'ASEV', entry: SEV_METADATA_OFFSET, descriptor: SEV_METADATA_HEADER, itemSize: SEV_METADATA_SECTION.size };
const TDVF: MetadataKind = { sig: 'TDVF', entry: TDX_METADATA_OFFSET, descriptor: TDVF_DESCRIPTOR, itemSize: TDVF_SECTION.size };
const IGVM: MetadataKind = { sig: 'IGVM', entry: OVMF_IGVM_METADATA_OFFSET, descriptor: OVMF_IGVM_METADATA_HEADER, itemSize: OVMF_IGVM_METADATA_ITEM.size };

const SNP_MASK = 0x1;
const NATIVE_MASK = 0x2;

export interface OvmfFirmware {
  fwInfo: GuestFwInfo;
  /** the compatibility mask of the firmware pages */
  mask: number;
  /** one 4K page of data per directive, from `start` up */
  pages: Array<{ gpa: number; data: IgvmData }>;
  /** what igvmbuilder prints (merged pre-validated regions) */
  notes: string[];
}

const INPUT = 'firmware';
const hex = (n: number): string => `0x${n.toString(16)}`;

function addPrevalidated(fw: GuestFwInfo, base: number, size: number, notes: string[]): void {
  const end = base + size;
  const hit = fw.prevalidated.find((r) => r.base <= end && r.base + r.size >= base);
  if (hit) {
    const start = Math.min(hit.base, base);
    const len = Math.max(hit.base + hit.size, end) - start;
    if (len > 0xffff_ffff) throw new BuildError(INPUT, `OVMF pre-validated area [${hex(base)}-${hex(end)}] merge overflow`);
    notes.push(`Region [${hex(base)}-${hex(end)}] merged with existing pre-validated area [${hex(hit.base)}-${hex(hit.base + hit.size)}] -> [${hex(start)}-${hex(start + len)}]`);
    hit.base = start;
    hit.size = len;
  } else {
    if (fw.prevalidated.length >= MAX_PREVALIDATED_REGIONS) throw new BuildError(INPUT, `OVMF metadata defines too many memory regions (at most ${MAX_PREVALIDATED_REGIONS})`);
    fw.prevalidated.push({ base, size });
  }
}

function metadata(src: ByteSource, body: Uint8Array, kind: MetadataKind, entryOffset: number, each: (bytes: Uint8Array, at: number) => void): void {
  const { sig, itemSize } = kind;
  if (body.length !== kind.entry.size) throw new BuildError(INPUT, `OVMF ${sig} metadata entry at offset ${hex(entryOffset)} is ${body.length} bytes, expected ${kind.entry.size}`);
  const fromEnd = kind.entry.decode(body, 0, { base: entryOffset, source: src.name }).offsetFromEnd;
  const at = src.size - fromEnd;
  const descriptor = kind.descriptor;
  if (at < 0) throw new BuildError(INPUT, `OVMF ${sig} metadata offset ${fromEnd} from the end is outside the ${src.size}-byte image`);
  if (at + descriptor.size > src.size) throw new BuildError(INPUT, `OVMF ${sig} metadata descriptor at ${hex(at)} is truncated`);
  const d = descriptor.decode(copyBytes(src.read(at, descriptor.size)), 0, { base: at, source: src.name });
  if (d.signature !== sig) throw new BuildError(INPUT, `OVMF metadata signature mismatch at ${hex(at)}: ${JSON.stringify(d.signature)}, expected "${sig}"`);
  let pos = at + descriptor.size;
  for (let i = 0; i < d.count; i++) {
    if (pos + itemSize > src.size) throw new BuildError(INPUT, `OVMF ${sig} metadata entry ${i} at ${hex(pos)} runs past the end of the image`);
    each(copyBytes(src.read(pos, itemSize)), pos);
    pos += itemSize;
  }
}

/** Parse OVMF for `mask` (the builder's platforms) and make its page directives. */
export function parseOvmfFirmware(src: ByteSource, mask: number): OvmfFirmware {
  const size = src.size;
  if (size === 0) throw new BuildError(INPUT, 'OVMF firmware is empty');
  if (size > 0xffff_ffff) throw new BuildError(INPUT, `OVMF firmware is too large: ${size} bytes do not fit below 4 GiB`);
  if (size < 32 + 18) throw new BuildError(INPUT, 'OVMF firmware file is too small to hold a footer table');
  const fw = emptyFwInfo();
  fw.start = 0x1_0000_0000 - size;
  fw.size = size;
  let fwMask = mask & (SNP_MASK | NATIVE_MASK);
  const notes: string[] = [];
  const table = parseFooterTable(src);
  if (!table) throw new BuildError(INPUT, `OVMF table footer not found (no GUID ${OVMF_TABLE_FOOTER_GUID} 48 bytes before the end): not an OVMF image with a reset-vector table`);
  let paramArea: { start: number; len: number } | null = null;
  for (const e of [...table.entries].reverse()) {
    switch (e.guid) {
      case SEV_METADATA_GUID:
        metadata(src, e.data, ASEV, e.offset, (b, at) => {
          const it = SEV_METADATA_SECTION.decode(b, 0, { base: at, source: src.name });
          if (it.type === 1 || it.type === 16) addPrevalidated(fw, it.gpa, it.size, notes);
          else if (it.type === 2) fw.secretsPage = it.gpa;
          else if (it.type === 3) fw.cpuidPage = it.gpa;
          else if (it.type === 4) fw.caaPage = it.gpa;
        });
        break;
      case TDX_METADATA_OFFSET_GUID:
        metadata(src, e.data, TDVF, e.offset, () => {});
        break;
      case OVMF_IGVM_METADATA_GUID:
        paramArea = null;
        metadata(src, e.data, IGVM, e.offset, (b, at) => {
          const { start: a, len: b2, type } = OVMF_IGVM_METADATA_ITEM.decode(b, 0, { base: at, source: src.name });
          const it = { a, b: b2, type };
          if (it.type === 0x100) {
            if (paramArea) throw new BuildError(INPUT, 'Found multiple IGVM param areas in the OVMF IGVM metadata');
            addPrevalidated(fw, it.a, it.b, notes);
            paramArea = { start: it.a, len: it.b };
          } else if (it.type === 0x101) {
            const pa = paramArea as { start: number; len: number } | null;
            if (!pa) throw new BuildError(INPUT, 'IGVM param area not found before the IGVM memory map in the OVMF metadata');
            const addr = pa.start + it.a;
            if (addr > 0xffff_ffff) throw new BuildError(INPUT, 'IGVM memory map area exceeds 32 bits');
            fw.memoryMapAddress = addr;
            fw.memoryMapSize = it.b;
            if (!(pa.start <= addr && addr + it.b <= pa.start + pa.len)) throw new BuildError(INPUT, 'IGVM memory map not included in IGVM param area');
            fw.memoryMapPrevalidated = 1;
          } else if (it.type === 0x200) addPrevalidated(fw, it.a, it.b, notes);
        });
        break;
      case OVMF_RESET_VECTOR_GUID: {
        if (e.data.length !== OVMF_RESET_VECTOR.size) throw new BuildError(INPUT, `OVMF reset-vector entry at offset ${hex(e.offset)} is ${e.data.length} bytes, expected ${OVMF_RESET_VECTOR.size}`);
        const rv = OVMF_RESET_VECTOR.decode(e.data, 0, { base: e.offset, source: src.name });
        const vector = rv.vectorAddress;
        if (fw.size < 16) throw new BuildError(INPUT, 'OVMF firmware is too small');
        const start = vector - (fw.size - 16);
        if (start < 0) throw new BuildError(INPUT, `OVMF reset vector ${hex(vector)} is invalid for a ${fw.size}-byte image`);
        fw.start = start;
        fwMask = rv.compatibilityMask;
        break;
      }
      default:
        break;
    }
  }
  // checks: the flash range 3-4 GiB, no overlapping pre-validated regions
  const FLASH = 0xc000_0000;
  if (!(FLASH <= fw.start && fw.start + fw.size <= 0x1_0000_0000)) {
    throw new BuildError(INPUT, `OVMF firmware [${hex(fw.start)}-${hex(fw.start + fw.size)}) is not located in the expected flash range 0xc0000000-0x100000000 (3-4 GiB)`);
  }
  fw.prevalidated.forEach((r, i) => {
    for (const o of fw.prevalidated.slice(0, i)) {
      if (r.base < o.base + o.size && r.base + r.size > o.base) {
        throw new BuildError(INPUT, `OVMF pre-validated regions overlap: [${hex(r.base)}-${hex(r.base + r.size)}] | [${hex(o.base)}-${hex(o.base + o.size)}]`);
      }
    }
  });
  if ((fwMask & mask) === 0) throw new BuildError(INPUT, 'OVMF file incompatible with the specified platform(s)');
  const pages: OvmfFirmware['pages'] = [];
  for (let off = 0; off < size; off += 4096) {
    pages.push({ gpa: fw.start + off, data: { kind: 'file', source: src, offset: off, length: Math.min(4096, size - off) } });
  }
  return { fwInfo: fw, mask: fwMask, pages, notes };
}
