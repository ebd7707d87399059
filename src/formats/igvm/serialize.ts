/**
 * IGVM serializer: {@link IgvmFile} → bytes, laid out exactly as igvm 0.4.0's
 * `IgvmFile::serialize` does, so a file that crate wrote parses and re-serializes to the
 * same bytes:
 * - the fixed header (24 bytes for v1, 32 for v2), then the variable headers in model order
 *   (platforms, initializations, directives), each padded to 8 bytes, then the file data;
 * - file data is appended in header order and de-duplicated: a blob equal to an earlier one
 *   gets the earlier one's file_offset; empty data is written as file_offset 0;
 * - page data shorter than 4K, VMSA/native context pages and parameter-area initial data
 *   are zero-padded (to 4K, 4K and number_of_bytes);
 * - total_file_size and the CRC-32 checksum (fixed header with checksum 0 + variable
 *   headers) are filled in last.
 * It runs {@link validateIgvm} first, so it cannot write a file the parser would reject.
 *
 * With `preserve` (see {@link reserializeIgvm}), data that still lives in the parsed file is
 * not re-laid out: that file's whole data section is copied as it is and its offsets are
 * kept (shifted if the header section changed size), so a file another writer laid out
 * differently also comes back byte for byte. Any other data is appended after it.
 */
import { crc32, crc32ForMany } from '../../bytes/crc32.js';
import type { ByteSource } from '../../bytes/source.js';
import type { ParsedIgvm } from './parse.js';
import { IgvmFormatError } from './errors.js';
import { encodeFixedHeader, fixedHeaderSize, FIXED_HEADER_CHECKSUM_OFFSET } from './fixed-header.js';
import { VARIABLE_HEADER_SIZE, align8, encodeContent } from './headers.js';
import { PAGE_SIZE_4K } from './defs.js';
import { directiveSegments, pageAt, pageCount, pageDataOf } from './directives.js';
import { PAGE_DATA_HEADER_SIZE, contentLength, headerType } from './headers.js';
import { dataLength, readData, type IgvmData, type IgvmDirectiveHeader, type IgvmFile, type IgvmInitializationHeader, type IgvmPlatformHeader } from './model.js';
import { headerLayout, validateIgvm, vpContextPlatform } from './validate.js';
import { equalBytes } from '../../bytes/hex.js';

const MAX_U32 = 0xffff_ffff;

/**
 * File-data section builder with igvm's de-duplication by exact content. The blobs are
 * written straight into the output file's buffer, after room for the headers (and a kept
 * data section): a file has thousands of 4K pages, and a buffer for each, or a second copy of
 * the whole file, cost more in allocation, page faults and GC than anything else in `igvm
 * sign`/`igvm build`. Blobs are keyed by length and CRC-32 to find equal ones.
 */
class FileData {
  /** the preserved data section of a parsed file */
  kept: { source: ByteSource; from: number; length: number; shift: number } | null = null;
  /** the whole output file: [0, start) is the caller's, the file data follows */
  private buf: Uint8Array;
  private used = 0;
  /** length:crc → file offsets of the blobs with that key */
  private readonly seen = new Map<string, number[]>();
  private readonly crc = crc32ForMany();
  /** `start`: the file offset of the first blob; `expected`: the bytes the caller expects to add (before de-duplication) */
  constructor(readonly start: number, expected = 0) {
    this.buf = new Uint8Array(start + Math.min(Math.max(expected, 1 << 16), 1 << 28));
  }
  get length(): number {
    return this.used;
  }
  /** The output file: the caller fills [0, start) (valid until the next add). */
  output(): Uint8Array {
    return this.buf.subarray(0, this.start + this.used);
  }
  /** Append `d` zero-padded to `size` bytes (or find an equal earlier blob); returns its file offset. */
  add(d: IgvmData, size: number): number {
    const len = dataLength(d);
    if (len > size) throw new RangeError(`IGVM data of ${len} bytes does not fit in ${size}`);
    const at = this.start + this.used;
    if (at > MAX_U32) throw new RangeError('IGVM file data does not fit in a u32 file offset');
    if (at + size > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, at + size));
      grown.set(this.buf.subarray(0, at));
      this.buf = grown;
    }
    // the buffer past the last blob is all zero, so the padding is already there
    this.buf.set(readData(d), at);
    const blob = this.buf.subarray(at, at + size);
    const key = `${size}:${this.crc(blob)}`;
    const list = this.seen.get(key);
    if (list) {
      for (const o of list) {
        if (equalBytes(this.buf.subarray(o, o + size), blob)) {
          blob.fill(0, 0, len);
          return o;
        }
      }
    }
    if (list) list.push(at);
    else this.seen.set(key, [at]);
    this.used += size;
    return at;
  }
}

export interface SerializeOptions {
  /** keep the data section of this parsed file in place (see the module comment) */
  preserve?: { source: ByteSource; fileDataOffset: number };
}

/** Write a parsed file back with its data section untouched: byte-identical when nothing changed. */
export function reserializeIgvm(parsed: ParsedIgvm): Uint8Array {
  return serializeIgvm(parsed.file, { preserve: { source: parsed.source, fileDataOffset: parsed.info.fileDataOffset } });
}

export function serializeIgvm(file: IgvmFile, options: SerializeOptions = {}): Uint8Array {
  const layout = headerLayout(file);
  validateIgvm(file, { layout });

  const fixedSize = fixedHeaderSize(file.formatVersion);
  const t = file.directives;
  let vhEnd = layout.firstDirective.offset + pageCount(t) * PAGE_DATA_HEADER_SIZE;
  for (const r of t.records) vhEnd += align8(VARIABLE_HEADER_SIZE + contentLength(r));
  const variableHeaderSize = vhEnd - fixedSize;
  const section = new Uint8Array(variableHeaderSize);
  const view = new DataView(section.buffer);
  const keep = options.preserve;
  const kept = keep ? { source: keep.source, from: keep.fileDataOffset, length: keep.source.size - keep.fileDataOffset, shift: vhEnd - keep.fileDataOffset } : null;
  const data = new FileData(vhEnd + (kept?.length ?? 0), expectedDataSize(file, kept !== null));
  if (kept) data.kept = kept;

  const write = (h: IgvmPlatformHeader | IgvmInitializationHeader | IgvmDirectiveHeader, offset: number): void => {
    const at = offset - fixedSize;
    const content = contentOf(h, data, file);
    view.setUint32(at, headerType(h), true);
    view.setUint32(at + 4, content.length, true);
    section.set(content, at + VARIABLE_HEADER_SIZE);
  };
  file.platforms.forEach((h, i) => write(h, layout.platforms[i]!.offset));
  file.initializations.forEach((h, i) => write(h, layout.initializations[i]!.offset));
  for (const rows of directiveSegments(t, layout.firstDirective)) {
    if (rows.kind === 'record') {
      const { header: h, location: loc } = rows;
      write(h, loc.offset);
      continue;
    }
    for (let p = rows.from, at = rows.offset; p < rows.to; p++, at += PAGE_DATA_HEADER_SIZE) write(pageAt(t, p), at);
  }

  const total = vhEnd + (kept?.length ?? 0) + data.length;
  if (total > MAX_U32) {
    throw new IgvmFormatError({ structure: 'IGVM file', offset: 0 }, `the file would be ${total} bytes, more than total_file_size can hold`, 'TotalFileSizeTooLarge');
  }
  const fixed = encodeFixedHeader({
    formatVersion: file.formatVersion, variableHeaderOffset: fixedSize, variableHeaderSize, totalFileSize: total, checksum: 0,
    architecture: file.architecture, pageSize: file.pageSize,
  });
  const checksum = crc32(section, crc32(fixed));
  new DataView(fixed.buffer).setUint32(FIXED_HEADER_CHECKSUM_OFFSET, checksum, true);

  const out = data.output();
  out.set(fixed, 0);
  out.set(section, fixedSize);
  if (kept) {
    for (let at = 0; at < kept.length; at += 1 << 20) out.set(kept.source.read(kept.from + at, Math.min(1 << 20, kept.length - at)), vhEnd + at);
  }
  return out;
}

/** Upper bound of the file data the directives add (4K per page or context; 0 when a parsed file's data is kept). */
function expectedDataSize(file: IgvmFile, keeping: boolean): number {
  if (keeping) return 0;
  const t = file.directives;
  let n = 0;
  for (const h of file.initializations) if (h.kind === 'corim-document' || h.kind === 'corim-signature') n += dataLength(h.data);
  for (let p = 0, rows = pageCount(t); p < rows; p++) if (pageDataOf(t, p) !== null) n += PAGE_SIZE_4K;
  for (const h of t.records) {
    if (h.kind === 'vp-context') n += Math.max(PAGE_SIZE_4K, dataLength(h.data));
    else if (h.kind === 'parameter-area' && h.initialData) n += h.numberOfBytes;
  }
  return n;
}

/** A header's content bytes; with `data`, its file data is written and the offset filled in. */
function contentOf(h: IgvmPlatformHeader | IgvmInitializationHeader | IgvmDirectiveHeader, data?: FileData, file?: IgvmFile): Uint8Array {
  const put = (d: IgvmData | null, size?: number): number => {
    if (!data || !d || dataLength(d) === 0) return 0;
    const k = data.kept;
    if (k && d.kind === 'file' && d.source === k.source && d.offset >= k.from && (size === undefined || dataLength(d) === size)) return d.offset + k.shift;
    return data.add(d, size ?? dataLength(d));
  };
  switch (h.kind) {
    case 'parameter-area': return encodeContent(h, put(h.initialData, h.numberOfBytes));
    case 'page-data': return encodeContent(h, put(h.data, PAGE_SIZE_4K));
    // igvm HEAD `IgvmInitializationHeader::write_binary_header`: the bytes as they are, through
    // the same de-duplicating FileDataSerializer, before any directive's data
    case 'corim-document':
    case 'corim-signature': return encodeContent(h, put(h.data));
    case 'vp-context': {
      // VMSA and native contexts are 4K pages; a VBS register list is written as is
      const kind = file ? vpContextPlatform(file, h.compatibilityMask)?.kind : null;
      return encodeContent(h, put(h.data, kind === 'vbs' ? undefined : PAGE_SIZE_4K));
    }
    default: return encodeContent(h);
  }
}
