/**
 * IGVM fixed header, at offset 0 of every IGVM file. All integers little-endian.
 *
 *   IGVM_FIXED_HEADER (format version 1, 24 bytes)
 *   0x00  4  magic                   0x4D564749 ("IGVM")
 *   0x04  4  format_version          1 or 2
 *   0x08  4  variable_header_offset  absolute file offset of the variable-header section
 *   0x0C  4  variable_header_size    its length in bytes
 *   0x10  4  total_file_size         must equal the file's length
 *   0x14  4  checksum                CRC-32 of the fixed header (this field as 0) followed
 *                                    by the whole variable-header section; file data excluded
 *
 *   IGVM_FIXED_HEADER_V2 (format version 2, 32 bytes): the v1 fields, then
 *   0x18  4  architecture            0 X64, 1 AArch64
 *   0x1C  4  page_size               4096 (the only size igvm 0.4.0 supports)
 *
 * The file data section is everything after the variable headers; headers point into the
 * file with absolute offsets.
 */
import { defineLayout, u32, type LayoutInput } from '../../bytes/layout.js';
import { IGVM_MAGIC } from './defs.js';

const V1_FIELDS = { magic: u32, formatVersion: u32, variableHeaderOffset: u32, variableHeaderSize: u32, totalFileSize: u32, checksum: u32 } as const;
export const IGVM_FIXED_HEADER = defineLayout('IGVM_FIXED_HEADER', V1_FIELDS);
export const IGVM_FIXED_HEADER_V2 = defineLayout('IGVM_FIXED_HEADER_V2', { ...V1_FIELDS, architecture: u32, pageSize: u32 });

export const FIXED_HEADER_V1_SIZE = IGVM_FIXED_HEADER.size;
export const FIXED_HEADER_V2_SIZE = IGVM_FIXED_HEADER_V2.size;
/** Each field's offset (the v2 ones too). */
export const FIXED_HEADER_OFFSETS = IGVM_FIXED_HEADER_V2.offsets;
export const FIXED_HEADER_CHECKSUM_OFFSET = FIXED_HEADER_OFFSETS.checksum;

export function fixedHeaderSize(formatVersion: number): number {
  return formatVersion === 2 ? FIXED_HEADER_V2_SIZE : FIXED_HEADER_V1_SIZE;
}

export function encodeFixedHeader(h: Omit<LayoutInput<typeof IGVM_FIXED_HEADER>, 'magic'> & { architecture?: number; pageSize?: number }): Uint8Array {
  const v1 = { ...h, magic: IGVM_MAGIC };
  return h.formatVersion === 2 ? IGVM_FIXED_HEADER_V2.encode({ ...v1, architecture: h.architecture ?? 0, pageSize: h.pageSize ?? 4096 }) : IGVM_FIXED_HEADER.encode(v1);
}
