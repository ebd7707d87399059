/**
 * The SNP launch-digest engine: executes a {@link SnpPlan} the way the AMD secure
 * processor does at SNP_LAUNCH_UPDATE — for each page, `LD = SHA-384(PAGE_INFO)`.
 */
import type { HashBackend } from '../hash/backend.js';
import { LD_SIZE, PAGE_INFO, PAGE_INFO_SIZE, SnpPageType } from '../formats/snp/page-info.js';
import type { SnpPageOp, SnpPlan } from '../plan/ops.js';

const ZERO48 = new Uint8Array(LD_SIZE);
const { digestCur: DIGEST_CUR, contents: CONTENTS } = PAGE_INFO.offsets;
const LENGTH = PAGE_INFO.field('length');
const PAGE_TYPE = PAGE_INFO.field('pageType');
const GPA = PAGE_INFO.field('gpa');

export const PAGE = 4096;

/** What the engine reports for each page when tracing. */
export interface SnpTraceEvent {
  index: number;
  op: SnpPageOp;
  /** the CONTENTS field hashed into PAGE_INFO (48 zero bytes for non-data pages) */
  contents: Uint8Array;
  /** the launch digest after this page */
  digest: Uint8Array;
}

/**
 * A running SNP launch digest. PAGE_INFO lives in one reusable 0x70-byte buffer: only the
 * CONTENTS, PAGE_TYPE and GPA fields change from page to page, and DIGEST_CUR is rewritten
 * with each new digest. Both hashes of a page are written straight into that buffer
 * ({@link HashBackend.hashInto}), so the hot loop allocates no digest buffers.
 */
export class SnpLaunchDigest {
  private readonly info = new Uint8Array(PAGE_INFO_SIZE);
  private readonly view = new DataView(this.info.buffer);
  constructor(private readonly backend: HashBackend, initial?: Uint8Array | null) {
    if (initial) {
      if (initial.length !== LD_SIZE) throw new RangeError('an SNP launch digest is 48 bytes');
      this.info.set(initial, DIGEST_CUR);
    }
    LENGTH.write(this.view, 0, PAGE_INFO_SIZE);
  }
  /** Extend with one page. `contents` is the page's SHA-384, or null for a page measured as zero. */
  update(gpa: number, type: SnpPageType, contents: Uint8Array | null): void {
    if (contents) this.info.set(contents, CONTENTS);
    else this.info.fill(0, CONTENTS, CONTENTS + LD_SIZE);
    this.extend(gpa, type);
  }
  /** Extend with one page whose 4 KiB of bytes are `page` (hashed into CONTENTS in place). */
  updatePage(gpa: number, type: SnpPageType, page: Uint8Array): void {
    this.backend.hashInto('sha384', page, this.info, CONTENTS);
    this.extend(gpa, type);
  }
  private extend(gpa: number, type: SnpPageType): void {
    PAGE_TYPE.write(this.view, 0, type);
    GPA.write(this.view, 0, gpa);
    this.backend.hashInto('sha384', this.info, this.info, DIGEST_CUR);
  }
  /** A copy of the CONTENTS field of the last page. */
  contents(): Uint8Array {
    return this.info.slice(CONTENTS, CONTENTS + LD_SIZE);
  }
  /** A copy of the current digest. */
  digest(): Uint8Array {
    return this.info.slice(DIGEST_CUR, DIGEST_CUR + LD_SIZE);
  }
}

/**
 * Hashes planner-built pages (VMSAs, the kernel-hashes page, a zero page), caching them by
 * identity so that e.g. 64 identical AP VMSAs are hashed once. (Pages streamed from an input
 * are hashed in place by {@link SnpLaunchDigest.updatePage}.)
 */
export class PageHasher {
  private readonly cache = new WeakMap<Uint8Array, Uint8Array>();
  constructor(private readonly backend: HashBackend) {}
  hash(bytes: Uint8Array): Uint8Array {
    let d = this.cache.get(bytes);
    if (!d) {
      d = this.backend.hash('sha384', bytes);
      this.cache.set(bytes, d);
    }
    return d;
  }
}

export function runSnpPlan(plan: SnpPlan, backend: HashBackend, onOp?: (e: SnpTraceEvent) => void): Uint8Array {
  const ld = new SnpLaunchDigest(backend, plan.initialDigest);
  const pages = new PageHasher(backend);
  const ops = plan.ops;
  let index = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const c = op.content;
    const n = op.pages;
    if (n !== undefined) {
      // a run of identical pages (ops.ts): content is null or planner-built bytes
      if (c !== null && c.kind === 'source') throw new RangeError(`${op.label}: a run of pages cannot stream its content`);
      const contents = c === null ? null : pages.hash(c.bytes);
      for (let k = 0; k < n; k++, index++) {
        const gpa = op.gpa + k * PAGE;
        ld.update(gpa, op.type, contents);
        if (onOp) onOp({ index, op: { gpa, type: op.type, content: c, label: op.pageLabel ? op.pageLabel(k) : op.label }, contents: c ? ld.contents() : ZERO48, digest: ld.digest() });
      }
      continue;
    }
    if (c === null) ld.update(op.gpa, op.type, null);
    else if (c.kind === 'source') ld.updatePage(op.gpa, op.type, c.source.read(c.offset, PAGE));
    else ld.update(op.gpa, op.type, pages.hash(c.bytes));
    if (onOp) onOp({ index, op, contents: c ? ld.contents() : ZERO48, digest: ld.digest() });
    index++;
  }
  return ld.digest();
}
