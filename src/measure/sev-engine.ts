/** SEV / SEV-ES launch digest: one streamed SHA-256 over the plan's pieces. */
import type { HashBackend, Hasher } from '../hash/backend.js';
import type { SevPlan } from '../plan/ops.js';
import { forEachChunk } from '../bytes/source.js';

/** Read size when streaming files: large enough that syscalls do not matter. */
export const STREAM_CHUNK = 4 * 1024 * 1024;

export interface SevTraceEvent {
  index: number;
  label: string;
  offset: number;
  length: number;
  /** SHA-256 of this piece alone (computed only when tracing) */
  sha256: Uint8Array | null;
}

/**
 * Hash the plan's pieces. With `into`, the pieces are fed into that running hasher (to build
 * a shared prefix) and its digest is not taken: the return value is then empty.
 */
export function runSevPlan(plan: SevPlan, backend: HashBackend, onPiece?: (e: SevTraceEvent) => void, into?: Hasher): Uint8Array {
  const h = into ?? backend.create('sha256');
  let offset = 0;
  plan.pieces.forEach((p, index) => {
    const c = p.content;
    const length = c.kind === 'range' ? c.length : c.bytes.length;
    const piece = onPiece ? backend.create('sha256') : null;
    const feed = (b: Uint8Array): void => {
      h.update(b);
      piece?.update(b);
    };
    if (c.kind === 'range') forEachChunk(c.source, c.offset, c.length, STREAM_CHUNK, feed);
    else feed(c.bytes);
    onPiece?.({ index, label: p.label, offset, length, sha256: piece ? piece.digest() : null });
    offset += length;
  });
  return into ? new Uint8Array(0) : h.digest();
}
