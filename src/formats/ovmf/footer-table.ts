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
import { ParseError } from '../../errors.js';
import { copyBytes, type ByteSource } from '../../bytes/source.js';
import { KNOWN_TABLE_ENTRIES, OVMF_TABLE_FOOTER_GUID } from './defs.js';

export const ENTRY_HEADER_SIZE = 18;
const TAIL = 50; // 32 reserved + 16 GUID + 2 size

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
  const tail = copyBytes(src.read(len - TAIL, 18));
  if (guidFromBytes(tail, 2) !== OVMF_TABLE_FOOTER_GUID) return null;
  const total = tail[0]! | (tail[1]! << 8);
  const footerAt = len - TAIL;
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
    const size = body[end - 18]! | (body[end - 17]! << 8);
    const at = start + end - ENTRY_HEADER_SIZE;
    if (size < ENTRY_HEADER_SIZE) {
      throw new ParseError('ERR_MALFORMED', 'OVMF footer table entry', at, `invalid entry size ${size} (an entry is at least 18 bytes)`, src.name);
    }
    if (size > end) {
      throw new ParseError('ERR_TRUNCATED', 'OVMF footer table entry', at, `entry size ${size} runs past the start of the table`, src.name);
    }
    const guid = guidFromBytes(body, end - 16);
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

/** The u32 at `index*4` of an entry's data. */
export function entryU32(entry: FooterEntry, index: number, src: ByteSource): number {
  const off = index * 4;
  if (entry.data.length < off + 4) {
    throw new ParseError('ERR_TRUNCATED', `${entry.name ?? entry.guid} entry`, entry.offset, `needs ${off + 4} data bytes, has ${entry.data.length}`, src.name);
  }
  return new DataView(entry.data.buffer, entry.data.byteOffset).getUint32(off, true);
}
