/**
 * The directive table ({@link IgvmDirectiveTable} in ./model.ts): building one, reading a row
 * as a {@link PageData}, and {@link directiveSegments}, the one walk over the directives in file
 * order that validation, the plans, inspection and the serializer share.
 *
 * Why PAGE_DATA is rows of a typed array: a file holds thousands of PAGE_DATA headers (one per
 * 4K page), and measuring it needs a few numbers from each. An object per header — plus its
 * data reference and its location — was most of the parse time of a large file: V8 runs that
 * loop once per process, mostly before optimizing it, and the young-generation GC copies every
 * live object. A row keeps the header's own layout, so the parser adds a run of checked
 * headers with one copy (a loop per row that splits them into one array per field cost ~2 %
 * of `igvm measure` of a 35 MB file; docs/performance.md). A row's data is 4K at its
 * file_offset in the table's `source` (what a parsed file has) or, for pages built in memory,
 * an entry of `data`.
 */
import type { ByteSource } from '../../bytes/source.js';
import { IgvmHeaderType, PAGE_SIZE_4K } from './defs.js';
import {
  CONTENT_SIZE, PAGE_DATA_HEADER_SIZE, PAGE_DATA_ROW_WORDS, PageDataWord as PD, VARIABLE_HEADER_SIZE, align8, contentLength, headerType,
} from './headers.js';
import type { HeaderLocation, IgvmData, IgvmDirectiveHeader, IgvmDirectiveRecord, IgvmDirectiveTable, PageData } from './model.js';

const MAX_U32 = 0xffff_ffff;
const TWO32 = 0x1_0000_0000;

function u32(field: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > MAX_U32) throw new RangeError(`PAGE_DATA ${field} must be an integer in 0..0xffffffff, got ${String(v)}`);
  return v;
}

/** Builds a table row by row and record by record, in file order. */
export class DirectiveTableBuilder {
  private rows = 0;
  private pages: Uint32Array;
  /** one entry per row once any row has data outside `source` */
  private data: Array<IgvmData | null> | null = null;
  private readonly records: IgvmDirectiveRecord[] = [];
  private readonly recordAt: number[] = [];

  /** `source`: the file the rows' file offsets point into (a parser's input), or null to take the first 4K file data added */
  constructor(private source: ByteSource | null = null, capacity = 64) {
    this.pages = new Uint32Array(capacity * PAGE_DATA_ROW_WORDS);
  }

  /** Room for `more` rows. */
  private reserve(more: number): void {
    const need = (this.rows + more) * PAGE_DATA_ROW_WORDS;
    if (need <= this.pages.length) return;
    const grown = new Uint32Array(Math.max(need, this.pages.length * 2));
    grown.set(this.pages.subarray(0, this.rows * PAGE_DATA_ROW_WORDS));
    this.pages = grown;
  }

  /** One row (a RangeError for a field the header cannot hold). */
  addPage(h: Omit<PageData, 'kind'>): void {
    if (!Number.isSafeInteger(h.gpa) || h.gpa < 0) throw new RangeError(`PAGE_DATA gpa must be an integer in 0..2^53, got ${String(h.gpa)}`);
    const d = h.data;
    const inSource = d !== null && d.kind === 'file' && d.length === PAGE_SIZE_4K && d.offset > 0 && d.offset <= MAX_U32 && (this.source === null || this.source === d.source);
    const mask = u32('compatibility_mask', h.compatibilityMask);
    const flags = u32('flags', h.flags);
    const dataType = u32('data_type', h.dataType);
    this.reserve(1);
    const p = this.rows++;
    const w = this.pages;
    const at = p * PAGE_DATA_ROW_WORDS;
    w[at + PD.Type] = IgvmHeaderType.PAGE_DATA;
    w[at + PD.Length] = CONTENT_SIZE[IgvmHeaderType.PAGE_DATA]!;
    w[at + PD.GpaLo] = h.gpa % TWO32;
    w[at + PD.GpaHi] = Math.floor(h.gpa / TWO32);
    w[at + PD.CompatibilityMask] = mask;
    w[at + PD.FileOffset] = inSource ? d.offset : 0;
    w[at + PD.Flags] = flags;
    w[at + PD.DataTypeReserved] = dataType;
    if (inSource) {
      this.source = d.source;
      this.data?.push(null);
      return;
    }
    if (d !== null && this.data === null) this.data = new Array<IgvmData | null>(p).fill(null);
    this.data?.push(d);
  }

  /**
   * `count` whole PAGE_DATA headers from word `word` of `words` (a header section read as
   * 32-bit words): the parser's runs, one copy. Their data is 4K at file_offset of this
   * builder's source, or none, and their reserved half-word is 0 (the parser checked both).
   */
  addPageHeaders(words: Uint32Array, word: number, count: number): void {
    this.reserve(count);
    this.pages.set(words.subarray(word, word + count * PAGE_DATA_ROW_WORDS), this.rows * PAGE_DATA_ROW_WORDS);
    if (this.data !== null) for (let k = 0; k < count; k++) this.data.push(null);
    this.rows += count;
  }

  /** Rows [from, to) of `t`, as they are. */
  addPagesOf(t: IgvmDirectiveTable, from: number, to: number): void {
    if (t.source !== null && this.source !== null && t.source !== this.source) {
      for (let p = from; p < to; p++) this.addPage(pageAt(t, p));
      return;
    }
    if (t.source !== null) this.source = t.source;
    const n = to - from;
    this.reserve(n);
    const at = this.rows;
    this.pages.set(t.pages.subarray(from * PAGE_DATA_ROW_WORDS, to * PAGE_DATA_ROW_WORDS), at * PAGE_DATA_ROW_WORDS);
    if (t.data !== null && this.data === null) this.data = new Array<IgvmData | null>(at).fill(null);
    if (this.data !== null) for (let p = from; p < to; p++) this.data.push(t.data?.[p] ?? null);
    this.rows += n;
  }

  addRecord(h: IgvmDirectiveRecord): void {
    this.records.push(h);
    this.recordAt.push(this.rows);
  }

  add(h: IgvmDirectiveHeader): void {
    if (h.kind === 'page-data') this.addPage(h);
    else this.addRecord(h);
  }

  /** The table (once: the builder is done with). */
  finish(): IgvmDirectiveTable {
    return {
      pages: this.pages.subarray(0, this.rows * PAGE_DATA_ROW_WORDS),
      source: this.source,
      data: this.data,
      records: this.records,
      recordAt: Uint32Array.from(this.recordAt),
    };
  }
}

/** The table of `headers`, in their order (a RangeError for a PAGE_DATA field the header cannot hold). */
export function directiveTable(headers: Iterable<IgvmDirectiveHeader>): IgvmDirectiveTable {
  const b = new DirectiveTableBuilder();
  for (const h of headers) b.add(h);
  return b.finish();
}

/** How many PAGE_DATA rows the table holds. */
export function pageCount(t: IgvmDirectiveTable): number {
  return t.pages.length / PAGE_DATA_ROW_WORDS;
}

/** How many directive headers the table holds. */
export function directiveCount(t: IgvmDirectiveTable): number {
  return pageCount(t) + t.records.length;
}

/** Row `p`'s GPA. */
export function pageGpa(t: IgvmDirectiveTable, p: number): number {
  const at = p * PAGE_DATA_ROW_WORDS;
  return t.pages[at + PD.GpaHi]! * TWO32 + t.pages[at + PD.GpaLo]!;
}

/** Row `p`'s data (null: none). */
export function pageDataOf(t: IgvmDirectiveTable, p: number): IgvmData | null {
  const off = t.pages[p * PAGE_DATA_ROW_WORDS + PD.FileOffset]!;
  if (off !== 0) return { kind: 'file', source: t.source!, offset: off, length: PAGE_SIZE_4K };
  return t.data?.[p] ?? null;
}

/** Row `p` as a model object (made afresh: changing it does not change the table). */
export function pageAt(t: IgvmDirectiveTable, p: number): PageData {
  const at = p * PAGE_DATA_ROW_WORDS;
  const w = t.pages;
  return { kind: 'page-data', gpa: pageGpa(t, p), compatibilityMask: w[at + PD.CompatibilityMask]!, flags: w[at + PD.Flags]!, dataType: w[at + PD.DataTypeReserved]!, data: pageDataOf(t, p) };
}

/** Consecutive PAGE_DATA rows [from, to); row `from` is header #index at byte `offset`. */
export interface PageRows {
  kind: 'pages';
  from: number;
  to: number;
  index: number;
  offset: number;
}
/** Any other directive, and where it is. */
export interface RecordSegment {
  kind: 'record';
  header: IgvmDirectiveRecord;
  location: HeaderLocation;
}
export type DirectiveSegment = PageRows | RecordSegment;

/** Where row `p` of `rows` is. */
export function rowLocation(rows: PageRows, p: number): HeaderLocation {
  return { index: rows.index + (p - rows.from), offset: rows.offset + (p - rows.from) * PAGE_DATA_HEADER_SIZE, type: IgvmHeaderType.PAGE_DATA };
}

/**
 * The directives in file order, as segments: each stretch of PAGE_DATA rows between two
 * records (read the fields from the table's rows), then the record. `first` is where the first
 * directive header is (IgvmLayout.firstDirective); the others follow it, each align8(8 +
 * content length) bytes on. The one walk over a table: a consumer loops over the segments in
 * its own function, and over a stretch's rows in line.
 */
export function directiveSegments(t: IgvmDirectiveTable, first: { index: number; offset: number }): DirectiveSegment[] {
  const rows = pageCount(t);
  const records = t.records;
  const recordAt = t.recordAt;
  if (!Number.isInteger(rows) || recordAt.length !== records.length || (t.data !== null && t.data.length !== rows)) {
    throw new RangeError('an IGVM directive table whose parts differ in length (make tables with directiveTable)');
  }
  const out: DirectiveSegment[] = [];
  let p = 0;
  let index = first.index;
  let offset = first.offset;
  for (let r = 0; r <= records.length; r++) {
    const to = r < records.length ? recordAt[r]! : rows;
    if (to < p || to > rows) throw new RangeError('an IGVM directive table whose records are out of order (make tables with directiveTable)');
    if (to > p) {
      out.push({ kind: 'pages', from: p, to, index, offset });
      index += to - p;
      offset += (to - p) * PAGE_DATA_HEADER_SIZE;
      p = to;
    }
    if (r === records.length) break;
    const h = records[r]!;
    out.push({ kind: 'record', header: h, location: { index, offset, type: headerType(h) } });
    index++;
    offset += align8(VARIABLE_HEADER_SIZE + contentLength(h));
  }
  return out;
}

/** The directives as model objects, in file order (made afresh). */
export function directiveList(t: IgvmDirectiveTable): IgvmDirectiveHeader[] {
  const out: IgvmDirectiveHeader[] = [];
  for (const s of directiveSegments(t, { index: 0, offset: 0 })) {
    if (s.kind === 'record') out.push(s.header);
    else for (let p = s.from; p < s.to; p++) out.push(pageAt(t, p));
  }
  return out;
}

/** Where each directive is, in file order. */
export function directiveLocations(t: IgvmDirectiveTable, first: { index: number; offset: number }): HeaderLocation[] {
  const out: HeaderLocation[] = [];
  for (const s of directiveSegments(t, first)) {
    if (s.kind === 'record') out.push(s.location);
    else for (let p = s.from; p < s.to; p++) out.push(rowLocation(s, p));
  }
  return out;
}
