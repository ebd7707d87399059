/**
 * SMBIOS structures (DMTF DSP0134 §6.1.2), as QEMU serves them in fw_cfg
 * `etc/smbios/smbios-tables` and as edk2's SmbiosDxe lays them out in the structure table:
 *
 * SMBIOS_STRUCTURE (4 bytes): 0x00 u8 Type, 0x01 u8 Length (of the formatted area, ≥ 4),
 * 0x02 u16 Handle; then Length − 4 formatted bytes, then the string set: NUL-terminated
 * strings, ended by one more NUL (a structure without strings ends with two NULs).
 * Type 127 ends the table.
 */
import { defineLayout, u16, u8 } from '../../bytes/layout.js';
import { ParseError } from '../../errors.js';

export const SMBIOS_STRUCTURE = defineLayout('SMBIOS_STRUCTURE', { type: u8, length: u8, handle: u16 });
export const SMBIOS_TYPE_END_OF_TABLE = 127;

export interface SmbiosStructure {
  type: number;
  /** the formatted area's length */
  length: number;
  handle: number;
  /** offset in the blob */
  offset: number;
  /** the whole structure: formatted area, strings and the terminating NULs */
  bytes: Uint8Array;
}

/** The structures of a blob, in order, up to and including a type-127 structure (or the blob's end). */
export function splitSmbiosStructures(blob: Uint8Array, source?: string): SmbiosStructure[] {
  const out: SmbiosStructure[] = [];
  const ctx = source !== undefined ? { source } : {};
  for (let p = 0; p < blob.length; ) {
    const h = SMBIOS_STRUCTURE.decode(blob, p, ctx);
    if (h.length < SMBIOS_STRUCTURE.size) throw new ParseError('ERR_MALFORMED', 'SMBIOS_STRUCTURE', p, `Length ${h.length} is shorter than the 4-byte header`, source);
    let q = p + h.length;
    if (q + 2 > blob.length) throw new ParseError('ERR_TRUNCATED', 'SMBIOS_STRUCTURE', p, `type ${h.type}: the formatted area (${h.length} bytes) and its string set run past the end (${blob.length} bytes)`, source);
    // the string set ends at the first double NUL
    while (q + 1 < blob.length && !(blob[q] === 0 && blob[q + 1] === 0)) q++;
    if (q + 1 >= blob.length) throw new ParseError('ERR_TRUNCATED', 'SMBIOS_STRUCTURE', p, `type ${h.type}: its string set has no terminating double NUL`, source);
    q += 2;
    out.push({ type: h.type, length: h.length, handle: h.handle, offset: p, bytes: blob.subarray(p, q) });
    p = q;
    if (h.type === SMBIOS_TYPE_END_OF_TABLE) break;
  }
  return out;
}
