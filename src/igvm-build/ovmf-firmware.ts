/**
 * OVMF as igvmbuilder embeds it for QEMU and Vanadium (ovmf_firmware.rs): the footer table
 * (read by ../formats/ovmf/footer-table.ts) is walked from the footer backwards, and the
 * entries igvmbuilder knows fill in the `GuestFwInfoBlock` of the boot parameters.
 *
 * Metadata reached through an entry's u32 offset-from-end (a 16-byte descriptor, then
 * `count` entries):
 *
 *   descriptor   0x00 signature[4] · 0x04 length u32 · 0x08 version u32 · 0x0C count u32
 *   "ASEV" item  {base u32, len u32, type u32}      1 MEM / 16 KERNEL_HASHES → pre-validated
 *                                                    2 SECRETS, 3 CPUID, 4 CAA → that page
 *   "TDVF" item  {raw_offset u32, raw_size u32, mem_address u64, mem_size u64, type u32, attributes u32}
 *                (parsed, then ignored)
 *   "IGVM" item  {start u32, len u32, type u32}      0x100 parameter area (pre-validated),
 *                0x101 memory map (offset inside the parameter area), 0x200 HOB area (pre-validated)
 *
 * Reset-vector entry 813d7b2c-9558-4d88-8b31-1427a85abe69 (8 bytes): {vector_address u32,
 * compatibility_mask u32}; the firmware starts at vector − (size − 16) and its mask is replaced.
 * By default the firmware ends at 4 GiB and its mask is the requested mask & (SNP | NATIVE).
 * Contiguous or overlapping pre-validated regions merge; at most 8 regions.
 */
import { Parser, decodeStruct, defineStruct } from '../bytes/struct.js';
import { copyBytes, type ByteSource } from '../bytes/source.js';
import { parseFooterTable } from '../formats/ovmf/footer-table.js';
import { OVMF_TABLE_FOOTER_GUID, SEV_METADATA_GUID, TDX_METADATA_OFFSET_GUID } from '../formats/ovmf/defs.js';
import type { IgvmData } from '../formats/igvm/model.js';
import { emptyFwInfo, MAX_PREVALIDATED_REGIONS, type GuestFwInfo } from './boot-params.js';
import { BuildError } from './errors.js';

export const OVMF_IGVM_METADATA_GUID = '784fa70e-3176-4677-8a20-04b68699e374';
export const OVMF_RESET_VECTOR_GUID = '813d7b2c-9558-4d88-8b31-1427a85abe69';

const DESCRIPTOR = defineStruct<{ sig: string; length: number; version: number; count: number }>(
  'OVMF metadata descriptor', new Parser().string('sig', { length: 4, encoding: 'latin1' }).uint32le('length').uint32le('version').uint32le('count'));
const ITEM12 = defineStruct<{ a: number; b: number; type: number }>('OVMF metadata entry', new Parser().uint32le('a').uint32le('b').uint32le('type'));
const TDX_ITEM_SIZE = 32;

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

function metadata(src: ByteSource, body: Uint8Array, sig: string, entryOffset: number, each: (bytes: Uint8Array, at: number) => void, itemSize: number): void {
  if (body.length !== 4) throw new BuildError(INPUT, `OVMF ${sig} metadata entry at offset ${hex(entryOffset)} is ${body.length} bytes, expected 4`);
  const fromEnd = new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true);
  const at = src.size - fromEnd;
  if (at < 0) throw new BuildError(INPUT, `OVMF ${sig} metadata offset ${fromEnd} from the end is outside the ${src.size}-byte image`);
  if (at + DESCRIPTOR.size > src.size) throw new BuildError(INPUT, `OVMF ${sig} metadata descriptor at ${hex(at)} is truncated`);
  const d = decodeStruct(DESCRIPTOR, copyBytes(src.read(at, DESCRIPTOR.size)), 0, { base: at, source: src.name });
  if (d.sig !== sig) throw new BuildError(INPUT, `OVMF metadata signature mismatch at ${hex(at)}: ${JSON.stringify(d.sig)}, expected "${sig}"`);
  let pos = at + DESCRIPTOR.size;
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
        metadata(src, e.data, 'ASEV', e.offset, (b, at) => {
          const it = decodeStruct(ITEM12, b, 0, { base: at, source: src.name });
          if (it.type === 1 || it.type === 16) addPrevalidated(fw, it.a, it.b, notes);
          else if (it.type === 2) fw.secretsPage = it.a;
          else if (it.type === 3) fw.cpuidPage = it.a;
          else if (it.type === 4) fw.caaPage = it.a;
        }, ITEM12.size);
        break;
      case TDX_METADATA_OFFSET_GUID:
        metadata(src, e.data, 'TDVF', e.offset, () => {}, TDX_ITEM_SIZE);
        break;
      case OVMF_IGVM_METADATA_GUID:
        paramArea = null;
        metadata(src, e.data, 'IGVM', e.offset, (b, at) => {
          const it = decodeStruct(ITEM12, b, 0, { base: at, source: src.name });
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
        }, ITEM12.size);
        break;
      case OVMF_RESET_VECTOR_GUID: {
        if (e.data.length !== 8) throw new BuildError(INPUT, `OVMF reset-vector entry at offset ${hex(e.offset)} is ${e.data.length} bytes, expected 8`);
        const v = new DataView(e.data.buffer, e.data.byteOffset, 8);
        const vector = v.getUint32(0, true);
        if (fw.size < 16) throw new BuildError(INPUT, 'OVMF firmware is too small');
        const start = vector - (fw.size - 16);
        if (start < 0) throw new BuildError(INPUT, `OVMF reset vector ${hex(vector)} is invalid for a ${fw.size}-byte image`);
        fw.start = start;
        fwMask = v.getUint32(4, true);
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
