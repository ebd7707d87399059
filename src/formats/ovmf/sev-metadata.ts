/**
 * SEV metadata ("ASEV"), located through the SEV_METADATA_OFFSET footer entry:
 * the entry holds the u32 distance from the end of the image to this header.
 *
 *   header (16 bytes): char[4] "ASEV", u32 size, u32 version (1), u32 item count
 *   item   (12 bytes): u32 GPA, u32 size, u32 type (see SevSectionType)
 */
import { defineLayout, latin1, u32, type LayoutValue } from '../../bytes/layout.js';
import type { ByteSource } from '../../bytes/source.js';
import { readMetadataTable } from './metadata-table.js';
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
  const t = readMetadataTable(src, offsetFromEnd, entryOffset, { entry: 'SEV_METADATA_OFFSET entry', signature: 'ASEV', header: SEV_METADATA_HEADER, item: SEV_METADATA_SECTION });
  const sections: SevSection[] = t.items.map((s) => ({ ...s, typeName: sevSectionTypeName(s.type) }));
  return { offset: t.start, size: t.header.size, version: t.header.version, sections };
}
