/**
 * TDX metadata ("TDVF" descriptor), located through the TDX_METADATA_OFFSET footer entry
 * (u32 distance from the end of the image to the descriptor).
 *
 *   descriptor (16 bytes): char[4] "TDVF", u32 length (16 + 32·n), u32 version (1), u32 n
 *   section    (32 bytes): u32 data offset, u32 raw data size, u64 memory address (GPA),
 *                          u64 memory data size, u32 type, u32 attributes
 */
import { ParseError } from '../../errors.js';
import { Parser, decodeStruct, defineStruct } from '../../bytes/struct.js';
import type { ByteSource } from '../../bytes/source.js';
import { TDVF_ATTR_MR_EXTEND, TDVF_ATTR_PAGE_AUG, TDVF_SECTION_TYPES } from './defs.js';

interface RawDescriptor { signature: string; length: number; version: number; count: number }
interface RawSection { dataOffset: number; rawDataSize: number; memoryAddress: number; memoryDataSize: number; type: number; attributes: number }

export const TDVF_DESCRIPTOR = defineStruct<RawDescriptor>(
  'TDVF descriptor',
  new Parser().string('signature', { length: 4, encoding: 'latin1' }).uint32le('length').uint32le('version').uint32le('count'),
);
export const TDVF_SECTION = defineStruct<RawSection>(
  'TDVF section',
  new Parser().uint32le('dataOffset').uint32le('rawDataSize').uint64le('memoryAddress').uint64le('memoryDataSize').uint32le('type').uint32le('attributes'),
);

export interface TdvfSection extends RawSection {
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
  const start = src.size - offsetFromEnd;
  if (offsetFromEnd <= 0 || start < 0 || start + TDVF_DESCRIPTOR.size > src.size) {
    throw new ParseError('ERR_TRUNCATED', 'TDX_METADATA_OFFSET entry', entryOffset, `metadata offset ${offsetFromEnd} from the end points outside the ${src.size}-byte image`, src.name);
  }
  const d = decodeStruct(TDVF_DESCRIPTOR, src.read(start, TDVF_DESCRIPTOR.size).slice(), 0, { base: start, source: src.name });
  if (d.signature !== 'TDVF') throw new ParseError('ERR_MALFORMED', 'TDVF descriptor', start, `wrong signature ${JSON.stringify(d.signature)} (expected "TDVF")`, src.name);
  if (d.version !== 1) throw new ParseError('ERR_MALFORMED', 'TDVF descriptor', start, `unsupported version ${d.version} (expected 1)`, src.name);
  const secAt = start + TDVF_DESCRIPTOR.size;
  if (d.count * TDVF_SECTION.size > src.size - secAt) {
    throw new ParseError('ERR_TRUNCATED', 'TDVF descriptor', start, `${d.count} sections do not fit in the image`, src.name);
  }
  if (d.length !== TDVF_DESCRIPTOR.size + TDVF_SECTION.size * d.count) {
    throw new ParseError('ERR_MALFORMED', 'TDVF descriptor', start, `length ${d.length} does not match ${d.count} sections (expected ${16 + 32 * d.count})`, src.name);
  }
  const raw = src.read(secAt, d.count * TDVF_SECTION.size).slice();
  const sections: TdvfSection[] = [];
  for (let i = 0; i < d.count; i++) {
    const s = decodeStruct(TDVF_SECTION, raw, i * TDVF_SECTION.size, { base: secAt, source: src.name });
    sections.push({
      ...s,
      typeName: TDVF_SECTION_TYPES[s.type] ?? `unknown (${s.type})`,
      mrExtend: (s.attributes & TDVF_ATTR_MR_EXTEND) !== 0,
      pageAug: (s.attributes & TDVF_ATTR_PAGE_AUG) !== 0,
    });
  }
  return { offset: start, length: d.length, version: d.version, sections };
}
