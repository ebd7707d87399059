/**
 * The OVMF GUIDed footer table.
 *
 * Layout (all little-endian), counted back from the end of the image:
 *
 *   [len-32, len)      32 reserved bytes
 *   [len-48, len-32)   footer GUID 96b582de-1fb2-45f7-baea-a366c55a082d
 *   [len-50, len-48)   u16 total table size, footer entry (18 bytes) included
 *   below that         entries, read backwards: each is `data ‖ u16 size ‖ GUID`
 *                      where `size` counts data + 18
 *
 * No footer GUID means no table (not an error): plain firmware simply has none.
 */
import { guidFromBytes } from '../../bytes/guid.js';
import { bytes, defineLayout, reserved, u16, u32, type Fields, type Layout, type LayoutValue } from '../../bytes/layout.js';
import { ParseError } from '../../errors.js';
import { copyBytes, type ByteSource } from '../../bytes/source.js';
import { KNOWN_TABLE_ENTRIES, OVMF_TABLE_FOOTER_GUID } from './defs.js';

/** The trailer of every entry (the footer entry included): `size` counts the data and these 18 bytes. */
export const OVMF_TABLE_ENTRY_TRAILER = defineLayout('OVMF footer table entry', { size: u16, guid: bytes(16) });
/** The last 50 bytes of the image: the footer entry's trailer (size = the whole table), then 32 reserved bytes. */
export const OVMF_TABLE_FOOTER = defineLayout('OVMF footer table', { size: u16, guid: bytes(16), reserved: reserved(32) });

export const ENTRY_HEADER_SIZE = OVMF_TABLE_ENTRY_TRAILER.size;
const TAIL = OVMF_TABLE_FOOTER.size;

// The data of the entries QEMU, sev-snp-measure and igvmbuilder read (GUIDs in ./defs.ts):
/** SEV_ES_RESET_BLOCK: the AP reset EIP */
export const SEV_ES_RESET_BLOCK = defineLayout('SEV_ES_RESET_BLOCK entry', { resetEip: u32 });
/** SEV_HASH_TABLE_RV: where the kernel-hashes table goes */
export const SEV_HASH_TABLE_RV = defineLayout('SEV_HASH_TABLE_RV entry', { gpa: u32, size: u32 });
/** SEV_METADATA_OFFSET: the distance from the end of the image to the "ASEV" header */
export const SEV_METADATA_OFFSET = defineLayout('SEV_METADATA_OFFSET entry', { offsetFromEnd: u32 });
/** SVSM_INFO: the SVSM entry point's offset in an SVSM image */
export const SVSM_INFO = defineLayout('SVSM_INFO entry', { offset: u32 });
/** TDX_METADATA_OFFSET: the distance from the end of the image to the "TDVF" descriptor */
export const TDX_METADATA_OFFSET = defineLayout('TDX_METADATA_OFFSET entry', { offsetFromEnd: u32 });

export interface FooterEntry {
  guid: string;
  /** the entry's well-known name, or null */
  name: string | null;
  /** file offset of the entry's data */
  offset: number;
  /** the entry's data (without the 18-byte size+GUID trailer) */
  data: Uint8Array;
}

export interface FooterTable {
  /** file offset where the table starts (the first byte of the earliest entry) */
  start: number;
  /** total size as recorded in the footer, footer entry included */
  size: number;
  /** entries in on-disk order (lowest offset first) */
  entries: FooterEntry[];
}

export function parseFooterTable(src: ByteSource): FooterTable | null {
  const len = src.size;
  if (len < TAIL) return null;
  const footerAt = len - TAIL;
  const footer = OVMF_TABLE_FOOTER.decode(copyBytes(src.read(footerAt, TAIL)), 0, { base: footerAt, source: src.name });
  if (guidFromBytes(footer.guid) !== OVMF_TABLE_FOOTER_GUID) return null;
  const total = footer.size;
  if (total < ENTRY_HEADER_SIZE) {
    throw new ParseError('ERR_MALFORMED', 'OVMF footer table', footerAt, `table size ${total} is smaller than the 18-byte footer entry`, src.name);
  }
  const bodySize = total - ENTRY_HEADER_SIZE;
  const start = footerAt - bodySize;
  if (start < 0) {
    throw new ParseError('ERR_TRUNCATED', 'OVMF footer table', footerAt, `table size ${total} exceeds the ${len}-byte image`, src.name);
  }
  const body = copyBytes(src.read(start, bodySize));
  const entries: FooterEntry[] = [];
  let end = bodySize; // end of the next entry to read (exclusive), relative to `start`
  while (end >= ENTRY_HEADER_SIZE) {
    const trailer = OVMF_TABLE_ENTRY_TRAILER.decode(body, end - ENTRY_HEADER_SIZE, { base: start, source: src.name });
    const size = trailer.size;
    const at = start + end - ENTRY_HEADER_SIZE;
    if (size < ENTRY_HEADER_SIZE) {
      throw new ParseError('ERR_MALFORMED', 'OVMF footer table entry', at, `invalid entry size ${size} (an entry is at least 18 bytes)`, src.name);
    }
    if (size > end) {
      throw new ParseError('ERR_TRUNCATED', 'OVMF footer table entry', at, `entry size ${size} runs past the start of the table`, src.name);
    }
    const guid = guidFromBytes(trailer.guid);
    const dataStart = end - size;
    entries.push({ guid, name: KNOWN_TABLE_ENTRIES[guid] ?? null, offset: start + dataStart, data: body.slice(dataStart, end - 18) });
    end = dataStart;
  }
  entries.reverse();
  return { start, size: total, entries };
}

/**
 * The entry with this GUID. With duplicates, the one furthest from the footer wins,
 * as in sev-snp-measure and QEMU (later dictionary writes overwrite earlier ones).
 */
export function findEntry(table: FooterTable | null, guid: string): FooterEntry | undefined {
  return table?.entries.find((e) => e.guid === guid);
}

/** An entry's data, decoded as `layout` (ERR_TRUNCATED naming the entry if the data is shorter). */
export function decodeEntry<F extends Fields>(entry: FooterEntry, layout: Layout<F>, src: ByteSource): LayoutValue<Layout<F>> {
  return layout.decode(entry.data, 0, { base: entry.offset, source: src.name });
}
