/**
 * The MRTD engine: executes a {@link TdxMrtdPlan} as the TDX module does — one sequential
 * SHA-384 over PAGE.ADD and MR.EXTEND records (layouts in ../formats/tdx/mrtd-records.ts).
 *
 * Records are assembled in one reusable scratch buffer and handed to the hasher in large
 * batches (32 pages): page contents are copied once from the source into a staging area, then
 * spread into place with `copyWithin`; record tags stay in place between batches, so per
 * record only the GPA is written. The hot loop allocates nothing per record.
 */
import type { HashBackend } from '../hash/backend.js';
import {
  MRTD_RECORD_GPA, MRTD_RECORD_SIZE, MR_EXTEND_CHUNK, MR_EXTEND_CHUNKS_PER_PAGE, MR_EXTEND_SIZE, PAGE_ADD_EXTEND_SIZE, TDX_PAGE_SIZE,
  writeMrExtend, writePageAdd,
} from '../formats/tdx/mrtd-records.js';
import type { TdxMrtdOp, TdxMrtdPlan } from '../plan/tdx.js';

/** pages assembled per hasher update */
const BATCH_PAGES = 32;
const RECORDS_SIZE = BATCH_PAGES * PAGE_ADD_EXTEND_SIZE;
const STAGE_SIZE = BATCH_PAGES * TDX_PAGE_SIZE;

/** Bytes an operation appends to the MRTD stream. */
export function tdxOpStreamBytes(op: TdxMrtdOp): number {
  const perPage = op.kind === 'add' ? MRTD_RECORD_SIZE : op.kind === 'extend' ? MR_EXTEND_CHUNKS_PER_PAGE * MR_EXTEND_SIZE : PAGE_ADD_EXTEND_SIZE;
  return op.pages * perPage;
}

/** Bytes the whole plan hashes (what a throughput figure should be computed on). */
export function tdxPlanStreamBytes(plan: TdxMrtdPlan): number {
  return plan.ops.reduce((n, op) => n + tdxOpStreamBytes(op), 0);
}

type Layout = 'add' | 'add+extend' | 'extend';

/**
 * The scratch buffer: record headers sit at fixed positions for a given layout, so their tags
 * are written once per layout change and each record only gets its GPA; content is copied from
 * a staging area with `copyWithin`. Every operation starts at the beginning of the buffer.
 */
class RecordBuffer {
  readonly buf = new Uint8Array(RECORDS_SIZE + STAGE_SIZE);
  readonly view = new DataView(this.buf.buffer);
  private layout: Layout | null = null;
  use(layout: Layout): void {
    if (this.layout === layout) return;
    const { buf, view } = this;
    buf.fill(0, 0, RECORDS_SIZE);
    if (layout === 'add') for (let at = 0; at + MRTD_RECORD_SIZE <= RECORDS_SIZE; at += MRTD_RECORD_SIZE) writePageAdd(buf, view, at, 0);
    else {
      const perPage = layout === 'add+extend' ? PAGE_ADD_EXTEND_SIZE : PAGE_ADD_EXTEND_SIZE - MRTD_RECORD_SIZE;
      for (let page = 0; page < BATCH_PAGES; page++) {
        let at = page * perPage;
        if (layout === 'add+extend') {
          writePageAdd(buf, view, at, 0);
          at += MRTD_RECORD_SIZE;
        }
        for (let c = 0; c < MR_EXTEND_CHUNKS_PER_PAGE; c++, at += MR_EXTEND_SIZE) writeMrExtend(buf, view, at, 0);
      }
    }
    this.layout = layout;
  }
}

export function runTdxMrtdPlan(plan: TdxMrtdPlan, backend: HashBackend): Uint8Array {
  const hasher = backend.create('sha384');
  const rb = new RecordBuffer();
  const { buf, view } = rb;
  const GPA = MRTD_RECORD_GPA;

  for (const op of plan.ops) {
    rb.use(op.kind);
    if (op.kind === 'add') {
      const perBatch = RECORDS_SIZE / MRTD_RECORD_SIZE;
      for (let p = 0; p < op.pages; ) {
        const n = Math.min(perBatch, op.pages - p);
        for (let k = 0; k < n; k++) GPA.write(view, k * MRTD_RECORD_SIZE, op.gpa + (p + k) * TDX_PAGE_SIZE);
        hasher.update(buf.subarray(0, n * MRTD_RECORD_SIZE));
        p += n;
      }
      continue;
    }
    const withAdd = op.kind === 'add+extend';
    const perPage = withAdd ? PAGE_ADD_EXTEND_SIZE : PAGE_ADD_EXTEND_SIZE - MRTD_RECORD_SIZE;
    for (let p = 0; p < op.pages; ) {
      const n = Math.min(BATCH_PAGES, op.pages - p);
      buf.set(op.source.read(op.offset + p * TDX_PAGE_SIZE, n * TDX_PAGE_SIZE), RECORDS_SIZE);
      let pos = 0;
      for (let k = 0; k < n; k++) {
        const gpa = op.gpa + (p + k) * TDX_PAGE_SIZE;
        if (withAdd) {
          GPA.write(view, pos, gpa);
          pos += MRTD_RECORD_SIZE;
        }
        let stage = RECORDS_SIZE + k * TDX_PAGE_SIZE;
        for (let c = 0; c < MR_EXTEND_CHUNKS_PER_PAGE; c++) {
          GPA.write(view, pos, gpa + c * MR_EXTEND_CHUNK);
          buf.copyWithin(pos + MRTD_RECORD_SIZE, stage, stage + MR_EXTEND_CHUNK);
          stage += MR_EXTEND_CHUNK;
          pos += MR_EXTEND_SIZE;
        }
      }
      hasher.update(buf.subarray(0, pos));
      p += n;
    }
  }
  return hasher.digest();
}
