/**
 * SEV metadata ("ASEV"), located through the SEV_METADATA_OFFSET footer entry:
 * the entry holds the u32 distance from the end of the image to this header.
 *
 *   header (16 bytes): char[4] "ASEV", u32 size, u32 version (1), u32 item count
 *   item   (12 bytes): u32 GPA, u32 size, u32 type (see SevSectionType)
 */
import { ParseError } from '../../errors.js';
import { defineLayout, latin1, u32, type LayoutValue } from '../../bytes/layout.js';
import { copyBytes, type ByteSource } from '../../bytes/source.js';
import { sevSectionTypeName } from './defs.js';

/** OvmfPkg ResetVector `SEV_METADATA_HEADER` (OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm) */
export const SEV_METADATA_HEADER = defineLayout('SEV metadata header', { signature: latin1(4), size: u32, version: u32, count: u32 });
/** `SEV_METADATA_SECTION_DESC` */
export const SEV_METADATA_SECTION = defineLayout('SEV metadata section', { gpa: u32, size: u32, type: u32 });

export interface SevSection extends LayoutValue<typeof SEV_METADATA_SECTION> {
  typeName: string;
}

export interface SevMetadata {
  /** file offset of the header */
  offset: number;
  size: number;
  version: number;
  sections: SevSection[];
}

export function parseSevMetadata(src: ByteSource, offsetFromEnd: number, entryOffset: number): SevMetadata {
  const start = src.size - offsetFromEnd;
  if (offsetFromEnd <= 0 || start < 0 || start + SEV_METADATA_HEADER.size > src.size) {
    throw new ParseError('ERR_TRUNCATED', 'SEV_METADATA_OFFSET entry', entryOffset, `metadata offset ${offsetFromEnd} from the end points outside the ${src.size}-byte image`, src.name);
  }
  const hdr = SEV_METADATA_HEADER.decode(copyBytes(src.read(start, SEV_METADATA_HEADER.size)), 0, { base: start, source: src.name });
  if (hdr.signature !== 'ASEV') throw new ParseError('ERR_MALFORMED', 'SEV metadata header', start, `wrong signature ${JSON.stringify(hdr.signature)} (expected "ASEV")`, src.name);
  if (hdr.version !== 1) throw new ParseError('ERR_MALFORMED', 'SEV metadata header', start, `unsupported version ${hdr.version} (expected 1)`, src.name);
  const itemsAt = start + SEV_METADATA_HEADER.size;
  // check the declared count against the real length before reading (or allocating)
  if (hdr.count * SEV_METADATA_SECTION.size > src.size - itemsAt) {
    throw new ParseError('ERR_TRUNCATED', 'SEV metadata header', start, `${hdr.count} sections do not fit in the image`, src.name);
  }
  const items = copyBytes(src.read(itemsAt, hdr.count * SEV_METADATA_SECTION.size));
  const sections: SevSection[] = [];
  for (let i = 0; i < hdr.count; i++) {
    const s = SEV_METADATA_SECTION.decode(items, i * SEV_METADATA_SECTION.size, { base: itemsAt, source: src.name });
    sections.push({ ...s, typeName: sevSectionTypeName(s.type) });
  }
  return { offset: start, size: hdr.size, version: hdr.version, sections };
}
