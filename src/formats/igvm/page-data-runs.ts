/**
 * A parsed file's PAGE_DATA headers, left in the header section until someone asks for the objects.
 *
 * A file holds thousands of PAGE_DATA headers (one per 4K page), and measuring it needs only a
 * few numbers from each. Building an object per header — plus its data reference and its
 * location — was most of the parse time of a large file: V8 runs that loop once per process,
 * mostly before optimizing it, and the young-generation GC copies every one of those live
 * objects (docs/performance.md). So the parser only checks each run of consecutive PAGE_DATA
 * headers and records where it is: the fields stay in the header section, read as 32-bit
 * words (PageDataWord in ./headers.ts; a run's headers have reserved 0, so their last word is
 * the data_type). The directives are kept in file order as segments: a run, or one other
 * header. `IgvmFile.directives` and `IgvmLayout.directives` are built from them the first
 * time anything reads them — exactly the objects the parser built before, in the same order —
 * and from then on they are plain arrays. Until then, `validateIgvm` and the SNP planner read
 * the runs directly ({@link directiveRuns}).
 *
 * Only the parser creates runs, and only from headers that its general path would accept and
 * turn into the same objects (4K of file data or none; see readPageDataRun in ./parse.ts).
 */
import type { ByteSource } from '../../bytes/source.js';
import { IgvmHeaderType, PAGE_SIZE_4K } from './defs.js';
import { PAGE_DATA_HEADER_SIZE, PageDataWord as PD } from './headers.js';
import type { IgvmDirectiveHeader, IgvmFile, PageData } from './model.js';
import type { HeaderLocation, IgvmLayout } from './validate.js';

/** Consecutive PAGE_DATA headers: `count` headers from word `word` of the section. */
export interface PageDataRun {
  run: true;
  word: number;
  count: number;
  /** header index (position among all variable headers) and absolute offset of the first */
  headerIndex: number;
  offset: number;
}
/** Any other directive header, as its model object. */
export interface DirectiveHeaderSegment {
  run: false;
  header: IgvmDirectiveHeader;
  location: HeaderLocation;
}
export type DirectiveSegment = PageDataRun | DirectiveHeaderSegment;

export interface DirectiveRuns {
  /** the variable-header section as 32-bit words (host order) */
  words: Uint32Array;
  /** the file, which the headers' file offsets point into */
  source: ByteSource;
  /** the directives in file order */
  segments: DirectiveSegment[];
}

const RUNS = new WeakMap<IgvmFile, DirectiveRuns>();

/**
 * The runs and segments of a parsed file whose `directives` nobody has read yet, or null
 * (a file built in memory, or one whose directives were read — and so may have been changed).
 */
export function directiveRuns(file: IgvmFile): DirectiveRuns | null {
  return RUNS.get(file) ?? null;
}

/** The `k`-th header of run `r`, as the model object the parser's general path makes for it. */
export function pageDataAt(runs: DirectiveRuns, r: PageDataRun, k: number): PageData {
  const w = runs.words;
  const at = r.word + k * PD.Count;
  const off = w[at + PD.FileOffset]!;
  return {
    kind: 'page-data',
    gpa: w[at + PD.GpaHi]! * 0x1_0000_0000 + w[at + PD.GpaLo]!,
    compatibilityMask: w[at + PD.CompatibilityMask]!,
    flags: w[at + PD.Flags]!,
    dataType: w[at + PD.DataTypeReserved]!,
    data: off === 0 ? null : { kind: 'file', source: runs.source, offset: off, length: PAGE_SIZE_4K },
  };
}

/** Where the `k`-th header of a run is. */
export function runLocation(r: PageDataRun, k: number): HeaderLocation {
  return { index: r.headerIndex + k, offset: r.offset + k * PAGE_DATA_HEADER_SIZE, type: IgvmHeaderType.PAGE_DATA };
}

/**
 * Make `file.directives` and `layout.directives` build themselves from `runs` when first read
 * (or replaced), and let {@link directiveRuns} return `runs` until `file.directives` is read.
 */
export function deferDirectives(file: IgvmFile, layout: IgvmLayout, runs: DirectiveRuns): void {
  RUNS.set(file, runs);
  let built: { directives: IgvmDirectiveHeader[]; locations: HeaderLocation[] } | null = null;
  const build = (): { directives: IgvmDirectiveHeader[]; locations: HeaderLocation[] } => {
    if (built) return built;
    const directives: IgvmDirectiveHeader[] = [];
    const locations: HeaderLocation[] = [];
    for (const s of runs.segments) {
      if (s.run) {
        for (let k = 0; k < s.count; k++) {
          directives.push(pageDataAt(runs, s, k));
          locations.push(runLocation(s, k));
        }
      } else {
        directives.push(s.header);
        locations.push(s.location);
      }
    }
    built = { directives, locations };
    return built;
  };
  // each becomes a plain data property once built (same place among the object's keys)
  const settle = <T extends object>(obj: T, value: unknown): void => {
    Object.defineProperty(obj, 'directives', { value, writable: true, enumerable: true, configurable: true });
  };
  Object.defineProperty(file, 'directives', {
    enumerable: true,
    configurable: true,
    get(this: IgvmFile) {
      RUNS.delete(file);
      const v = build().directives;
      settle(file, v);
      return v;
    },
    set(this: IgvmFile, v: IgvmDirectiveHeader[]) {
      RUNS.delete(file);
      settle(file, v);
    },
  });
  Object.defineProperty(layout, 'directives', {
    enumerable: true,
    configurable: true,
    get(this: IgvmLayout) {
      const v = build().locations;
      settle(layout, v);
      return v;
    },
    set(this: IgvmLayout, v: HeaderLocation[]) {
      settle(layout, v);
    },
  });
}
