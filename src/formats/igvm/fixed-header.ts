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
import { Parser, defineStruct } from '../../bytes/struct.js';
import { StructWriter } from '../../bytes/writer.js';
import { IGVM_MAGIC } from './defs.js';

export const FIXED_HEADER_V1_SIZE = 24;
export const FIXED_HEADER_V2_SIZE = 32;
export const FIXED_HEADER_CHECKSUM_OFFSET = 0x14;

export interface RawFixedHeader {
  magic: number;
  formatVersion: number;
  variableHeaderOffset: number;
  variableHeaderSize: number;
  totalFileSize: number;
  checksum: number;
}
export interface RawFixedHeaderV2Tail { architecture: number; pageSize: number }

export const IGVM_FIXED_HEADER = defineStruct<RawFixedHeader>(
  'IGVM_FIXED_HEADER',
  new Parser()
    .uint32le('magic')
    .uint32le('formatVersion')
    .uint32le('variableHeaderOffset')
    .uint32le('variableHeaderSize')
    .uint32le('totalFileSize')
    .uint32le('checksum'),
);
/** The 8 bytes IGVM_FIXED_HEADER_V2 adds at offset 0x18. */
export const IGVM_FIXED_HEADER_V2_TAIL = defineStruct<RawFixedHeaderV2Tail>(
  'IGVM_FIXED_HEADER_V2',
  new Parser().uint32le('architecture').uint32le('pageSize'),
);

export function fixedHeaderSize(formatVersion: number): number {
  return formatVersion === 2 ? FIXED_HEADER_V2_SIZE : FIXED_HEADER_V1_SIZE;
}

export function encodeFixedHeader(h: Omit<RawFixedHeader, 'magic'> & Partial<RawFixedHeaderV2Tail>): Uint8Array {
  const w = new StructWriter(fixedHeaderSize(h.formatVersion));
  w.u32(0x00, IGVM_MAGIC).u32(0x04, h.formatVersion).u32(0x08, h.variableHeaderOffset).u32(0x0c, h.variableHeaderSize)
    .u32(0x10, h.totalFileSize).u32(0x14, h.checksum);
  if (h.formatVersion === 2) w.u32(0x18, h.architecture ?? 0).u32(0x1c, h.pageSize ?? 4096);
  return w.bytes;
}
