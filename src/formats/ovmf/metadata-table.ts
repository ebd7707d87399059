/**
 * The shape the OVMF reset vector's metadata tables share (SEV "ASEV", TDX "TDVF"): a footer
 * entry holds the u32 distance from the end of the image to a 16-byte header
 * { char[4] signature, u32 size, u32 version (1), u32 count }, followed by `count` fixed-size
 * items. The layouts themselves are declared in sev-metadata.ts and tdx-metadata.ts; this reads
 * any such table, checking the header and the item count against the image before reading.
 */
import { ParseError } from '../../errors.js';
import type { Fields, Layout, LayoutValue } from '../../bytes/layout.js';
import { copyBytes, type ByteSource } from '../../bytes/source.js';

interface TableHeader { signature: string; version: number; count: number }

export interface MetadataTable<H, I> {
  /** file offset of the header */
  start: number;
  header: H;
  items: I[];
}

export function readMetadataTable<HF extends Fields, IF extends Fields>(
  src: ByteSource,
  offsetFromEnd: number,
  entryOffset: number,
  spec: { entry: string; signature: string; header: Layout<HF>; item: Layout<IF>; check?: (h: LayoutValue<Layout<HF>>, start: number) => void },
): MetadataTable<LayoutValue<Layout<HF>>, LayoutValue<Layout<IF>>> {
  const { header, item } = spec;
  const start = src.size - offsetFromEnd;
  if (offsetFromEnd <= 0 || start < 0 || start + header.size > src.size) {
    throw new ParseError('ERR_TRUNCATED', spec.entry, entryOffset, `metadata offset ${offsetFromEnd} from the end points outside the ${src.size}-byte image`, src.name);
  }
  const h = header.decode(copyBytes(src.read(start, header.size)), 0, { base: start, source: src.name });
  const t = h as unknown as TableHeader;
  if (t.signature !== spec.signature) throw new ParseError('ERR_MALFORMED', header.name, start, `wrong signature ${JSON.stringify(t.signature)} (expected "${spec.signature}")`, src.name);
  if (t.version !== 1) throw new ParseError('ERR_MALFORMED', header.name, start, `unsupported version ${t.version} (expected 1)`, src.name);
  const itemsAt = start + header.size;
  // the declared count against the real length, before reading (or allocating)
  if (t.count * item.size > src.size - itemsAt) {
    throw new ParseError('ERR_TRUNCATED', header.name, start, `${t.count} sections do not fit in the image`, src.name);
  }
  spec.check?.(h, start);
  const raw = copyBytes(src.read(itemsAt, t.count * item.size));
  const items: Array<LayoutValue<Layout<IF>>> = [];
  for (let i = 0; i < t.count; i++) items.push(item.decode(raw, i * item.size, { base: itemsAt, source: src.name }));
  return { start, header: h, items };
}
