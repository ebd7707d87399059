/**
 * The directive table ({@link IgvmDirectiveTable} in ./model.ts): building one, reading a row
 * as a {@link PageData}, and {@link visitDirectives}, the one walk over the directives in file
 * order that validation, the plans, inspection and the serializer share.
 *
 * Why PAGE_DATA is columns: a file holds thousands of PAGE_DATA headers (one per 4K page), and
 * measuring it needs a few numbers from each. An object per header — plus its data reference
 * and its location — was most of the parse time of a large file: V8 runs that loop once per
 * process, mostly before optimizing it, and the young-generation GC copies every live object
 * (docs/performance.md). Rows of typed arrays cost neither. A row's data is an offset into the
 * table's `source` (what a parsed file has: 4K of file data or none) or, for pages built in
 * memory, an entry of `data`.
 */
import type { ByteSource } from '../../bytes/source.js';
import { IgvmHeaderType, PAGE_SIZE_4K } from './defs.js';
import { PAGE_DATA_HEADER_SIZE, PageDataWord as PD, VARIABLE_HEADER_SIZE, align8, contentLength, headerType } from './headers.js';
import type { HeaderLocation, IgvmData, IgvmDirectiveHeader, IgvmDirectiveRecord, IgvmDirectiveTable, PageData } from './model.js';

const MAX_U32 = 0xffff_ffff;

/** Builds a table row by row and record by record, in file order. */
export class DirectiveTableBuilder {
  private rows = 0;
  private gpa: Float64Array;
  private mask: Uint32Array;
  private flags: Uint32Array;
  private dataType: Uint32Array;
  private fileOffset: Uint32Array;
  /** one entry per row once any row has data outside `source` */
  private data: Array<IgvmData | null> | null = null;
  private readonly records: IgvmDirectiveRecord[] = [];
  private readonly recordAt: number[] = [];

  /** `source`: the file the rows' file offsets point into (a parser's input), or null to take the first 4K file data added */
  constructor(private source: ByteSource | null = null, capacity = 64) {
    this.gpa = new Float64Array(capacity);
    this.mask = new Uint32Array(capacity);
    this.flags = new Uint32Array(capacity);
    this.dataType = new Uint32Array(capacity);
    this.fileOffset = new Uint32Array(capacity);
  }

  /** Room for `more` rows. */
  private reserve(more: number): void {
    const need = this.rows + more;
    if (need <= this.gpa.length) return;
    const cap = Math.max(need, this.gpa.length * 2);
    const grow = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a.subarray(0, this.rows));
      return b;
    };
    this.gpa = grow(this.gpa, (n) => new Float64Array(n));
    this.mask = grow(this.mask, (n) => new Uint32Array(n));
    this.flags = grow(this.flags, (n) => new Uint32Array(n));
    this.dataType = grow(this.dataType, (n) => new Uint32Array(n));
    this.fileOffset = grow(this.fileOffset, (n) => new Uint32Array(n));
  }

  addPage(h: Omit<PageData, 'kind'>): void {
    this.reserve(1);
    const p = this.rows++;
    this.gpa[p] = h.gpa;
    this.mask[p] = h.compatibilityMask;
    this.flags[p] = h.flags;
    this.dataType[p] = h.dataType;
    const d = h.data;
    if (d !== null && d.kind === 'file' && d.length === PAGE_SIZE_4K && d.offset > 0 && d.offset <= MAX_U32 && (this.source === null || this.source === d.source)) {
      this.source = d.source;
      this.fileOffset[p] = d.offset;
      this.data?.push(null);
      return;
    }
    this.fileOffset[p] = 0;
    if (d !== null && this.data === null) this.data = new Array<IgvmData | null>(p).fill(null);
    this.data?.push(d);
  }

  /**
   * `count` rows from whole PAGE_DATA headers read as 32-bit words (PageDataWord), from word
   * `word` on: the parser's runs. Their data is 4K at file_offset of this builder's source, or
   * none, and their reserved half-word is 0 (the parser checked both).
   */
  addPageHeaders(words: Uint32Array, word: number, count: number): void {
    this.reserve(count);
    const { gpa, mask, flags, dataType, fileOffset } = this;
    let p = this.rows;
    for (let k = 0, w = word; k < count; k++, w += PD.Count, p++) {
      gpa[p] = words[w + PD.GpaHi]! * 0x1_0000_0000 + words[w + PD.GpaLo]!;
      mask[p] = words[w + PD.CompatibilityMask]!;
      flags[p] = words[w + PD.Flags]!;
      dataType[p] = words[w + PD.DataTypeReserved]!;
      fileOffset[p] = words[w + PD.FileOffset]!;
    }
    if (this.data !== null) for (let k = 0; k < count; k++) this.data.push(null);
    this.rows = p;
  }

  /** Rows [from, to) of `t`, as they are. */
  addPagesOf(t: IgvmDirectiveTable, from: number, to: number): void {
    if (t.source !== null && t.source !== this.source && (this.source !== null || this.rows > 0)) {
      for (let p = from; p < to; p++) this.addPage(pageAt(t, p));
      return;
    }
    if (t.source !== null) this.source = t.source;
    const n = to - from;
    this.reserve(n);
    const at = this.rows;
    this.gpa.set(t.gpa.subarray(from, to), at);
    this.mask.set(t.compatibilityMask.subarray(from, to), at);
    this.flags.set(t.flags.subarray(from, to), at);
    this.dataType.set(t.dataType.subarray(from, to), at);
    this.fileOffset.set(t.fileOffset.subarray(from, to), at);
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
    const n = this.rows;
    return {
      gpa: this.gpa.subarray(0, n),
      compatibilityMask: this.mask.subarray(0, n),
      flags: this.flags.subarray(0, n),
      dataType: this.dataType.subarray(0, n),
      fileOffset: this.fileOffset.subarray(0, n),
      source: this.source,
      data: this.data,
      records: this.records,
      recordAt: Uint32Array.from(this.recordAt),
    };
  }
}

/** The table of `headers`, in their order. */
export function directiveTable(headers: Iterable<IgvmDirectiveHeader>): IgvmDirectiveTable {
  const b = new DirectiveTableBuilder();
  for (const h of headers) b.add(h);
  return b.finish();
}

/** How many directive headers the table holds. */
export function directiveCount(t: IgvmDirectiveTable): number {
  return t.gpa.length + t.records.length;
}

/** Row `p`'s data (null: none). */
export function pageDataOf(t: IgvmDirectiveTable, p: number): IgvmData | null {
  const off = t.fileOffset[p]!;
  if (off !== 0) return { kind: 'file', source: t.source!, offset: off, length: PAGE_SIZE_4K };
  return t.data?.[p] ?? null;
}

/** Row `p` as a model object (made afresh: changing it does not change the table). */
export function pageAt(t: IgvmDirectiveTable, p: number): PageData {
  return { kind: 'page-data', gpa: t.gpa[p]!, compatibilityMask: t.compatibilityMask[p]!, flags: t.flags[p]!, dataType: t.dataType[p]!, data: pageDataOf(t, p) };
}

/** Consecutive PAGE_DATA rows [from, to); row `from` is header #index at byte `offset`. */
export interface PageRows {
  from: number;
  to: number;
  index: number;
  offset: number;
}

/** Where row `p` of `rows` is. */
export function rowLocation(rows: PageRows, p: number): HeaderLocation {
  return { index: rows.index + (p - rows.from), offset: rows.offset + (p - rows.from) * PAGE_DATA_HEADER_SIZE, type: IgvmHeaderType.PAGE_DATA };
}

export interface DirectiveVisitor {
  /** consecutive PAGE_DATA headers: read their fields from the table's columns */
  pages(rows: PageRows): void;
  /** any other directive */
  record(h: IgvmDirectiveRecord, location: HeaderLocation): void;
}

/**
 * Visit the directives in file order: each stretch of PAGE_DATA rows between two records,
 * then the record. `first` is where the first directive header is (IgvmLayout.firstDirective);
 * the others follow it, each align8(8 + content length) bytes on.
 */
export function visitDirectives(t: IgvmDirectiveTable, first: { index: number; offset: number }, v: DirectiveVisitor): void {
  const rows = t.gpa.length;
  const records = t.records;
  const recordAt = t.recordAt;
  if (recordAt.length !== records.length || t.compatibilityMask.length !== rows || t.flags.length !== rows || t.dataType.length !== rows || t.fileOffset.length !== rows) {
    throw new RangeError('an IGVM directive table whose columns differ in length (make tables with directiveTable)');
  }
  let p = 0;
  let index = first.index;
  let offset = first.offset;
  for (let r = 0; r <= records.length; r++) {
    const to = r < records.length ? recordAt[r]! : rows;
    if (to < p || to > rows) throw new RangeError('an IGVM directive table whose records are out of order (make tables with directiveTable)');
    if (to > p) {
      v.pages({ from: p, to, index, offset });
      index += to - p;
      offset += (to - p) * PAGE_DATA_HEADER_SIZE;
      p = to;
    }
    if (r === records.length) break;
    const h = records[r]!;
    v.record(h, { index, offset, type: headerType(h) });
    index++;
    offset += align8(VARIABLE_HEADER_SIZE + contentLength(h));
  }
}

/** The directives as model objects, in file order (made afresh). */
export function directiveList(t: IgvmDirectiveTable): IgvmDirectiveHeader[] {
  const out: IgvmDirectiveHeader[] = [];
  visitDirectives(t, { index: 0, offset: 0 }, {
    pages: (rows) => { for (let p = rows.from; p < rows.to; p++) out.push(pageAt(t, p)); },
    record: (h) => { out.push(h); },
  });
  return out;
}

/** Where each directive is, in file order. */
export function directiveLocations(t: IgvmDirectiveTable, first: { index: number; offset: number }): HeaderLocation[] {
  const out: HeaderLocation[] = [];
  visitDirectives(t, first, {
    pages: (rows) => { for (let p = rows.from; p < rows.to; p++) out.push(rowLocation(rows, p)); },
    record: (_h, loc) => { out.push(loc); },
  });
  return out;
}
