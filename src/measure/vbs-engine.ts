/**
 * The VBS boot-digest engine: executes a {@link VbsPlan} as the igvm crate's `VbsDigestor`
 * does (microsoft/igvm@e6c3ff1 igvm/src/measurement/vbs.rs): per chunk,
 * `digest = SHA-256(digest ‖ chunk [‖ 4K payload])`, from 32 zero bytes. Chunk layouts are in
 * ../formats/vbs/boot-measurement-chunk.ts.
 *
 * One scratch buffer holds `digest ‖ chunk ‖ page`; the digest is written back into its head
 * (`hashInto`), so the loop allocates nothing per page.
 */
import type { HashBackend } from '../hash/backend.js';
import { dataLength, readData } from '../formats/igvm/model.js';
import {
  VBS_CHUNK_HEADER, VBS_GPA_PAGE_CHUNK, VBS_GPA_PAGE_CHUNK_BYTES, VBS_PAGE_SIZE, VBS_REGISTER_CHUNK, VbsChunkType,
} from '../formats/vbs/boot-measurement-chunk.js';
import type { VbsPlan } from '../plan/igvm-vbs.js';

const DIGEST = 32;
const METADATA = VBS_GPA_PAGE_CHUNK.field('metadata');
const PAGE_NUMBER = VBS_GPA_PAGE_CHUNK.field('pageNumber');

export function runVbsPlan(plan: VbsPlan, backend: HashBackend): Uint8Array {
  const buf = new Uint8Array(DIGEST + VBS_GPA_PAGE_CHUNK_BYTES);
  const view = new DataView(buf.buffer);
  const chunkAt = DIGEST;
  const pageAt = DIGEST + VBS_GPA_PAGE_CHUNK.size;
  const pageChunk = buf.subarray(0, DIGEST + VBS_GPA_PAGE_CHUNK_BYTES);
  const header = (byteCount: number, type: number): void => VBS_CHUNK_HEADER.encodeInto({ byteCount, type }, buf, chunkAt);
  for (const op of plan.ops) {
    if (op.kind === 'register') {
      VBS_REGISTER_CHUNK.encodeInto({ header: { byteCount: VBS_REGISTER_CHUNK.size, type: VbsChunkType.VP_REGISTER }, vtl: op.vtl, name: op.name, value: op.value }, buf, chunkAt);
      backend.hashInto('sha256', buf.subarray(0, DIGEST + VBS_REGISTER_CHUNK.size), buf, 0);
      continue;
    }
    header(VBS_GPA_PAGE_CHUNK_BYTES, VbsChunkType.VP_GPA_PAGE);
    METADATA.write(view, chunkAt, op.metadata);
    for (let i = 0; i < op.pages; i++) {
      PAGE_NUMBER.write(view, chunkAt, op.pageNumber + i);
      // only a measured page (one per op) has data; the rest of the 4K is zero
      const n = i === 0 && op.data ? Math.min(VBS_PAGE_SIZE, dataLength(op.data)) : 0;
      if (n > 0) buf.set(readData(op.data!, 0, n), pageAt);
      buf.fill(0, pageAt + n, pageAt + VBS_PAGE_SIZE);
      backend.hashInto('sha256', pageChunk, buf, 0);
    }
  }
  return buf.slice(0, DIGEST);
}
