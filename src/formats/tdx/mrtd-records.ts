/**
 * The records the TDX module hashes into MRTD (Intel TDX Module ABI, TDH.MEM.PAGE.ADD and
 * TDH.MR.EXTEND). MRTD is one SHA-384 started at TDH.MNG.INIT and finished at
 * TDH.MR.FINALIZE; every SEAMCALL below appends bytes to that one running hash.
 *
 * TDH.MEM.PAGE.ADD(gpa) — one 128-byte record per 4 KiB page added:
 *
 *   0x00  12  ASCII "MEM.PAGE.ADD"
 *   0x0c   4  zero
 *   0x10   8  GPA of the page (u64 LE)
 *   0x18 104  zero
 *
 * TDH.MR.EXTEND(gpa) — per 256-byte chunk, a 128-byte record followed by the chunk
 * (384 bytes in all; 16 chunks per page):
 *
 *   0x00   9  ASCII "MR.EXTEND"
 *   0x09   7  zero
 *   0x10   8  GPA of the chunk (u64 LE)
 *   0x18 104  zero
 *   0x80 256  the chunk's content
 *
 * PAGE.AUG memory (TDH.MEM.PAGE.AUG, added after launch) writes nothing.
 */
import { setU64 } from '../../bytes/writer.js';

export const TDX_PAGE_SIZE = 4096;
export const MRTD_RECORD_SIZE = 128;
export const MR_EXTEND_CHUNK = 256;
export const MR_EXTEND_CHUNKS_PER_PAGE = TDX_PAGE_SIZE / MR_EXTEND_CHUNK;
/** bytes one MR.EXTEND appends: record + chunk */
export const MR_EXTEND_SIZE = MRTD_RECORD_SIZE + MR_EXTEND_CHUNK;
/** bytes one page appends when added and extended: PAGE.ADD + 16 MR.EXTEND */
export const PAGE_ADD_EXTEND_SIZE = MRTD_RECORD_SIZE + MR_EXTEND_CHUNKS_PER_PAGE * MR_EXTEND_SIZE;
export const MRTD_GPA_OFFSET = 0x10;

function template(tag: string): Uint8Array {
  const b = new Uint8Array(MRTD_RECORD_SIZE);
  for (let i = 0; i < tag.length; i++) b[i] = tag.charCodeAt(i);
  return b;
}
const PAGE_ADD_TEMPLATE = template('MEM.PAGE.ADD');
const MR_EXTEND_TEMPLATE = template('MR.EXTEND');

/** Write a TDH.MEM.PAGE.ADD record for `gpa` at `at` of `buf` (whose DataView is `view`). */
export function writePageAdd(buf: Uint8Array, view: DataView, at: number, gpa: number): void {
  buf.set(PAGE_ADD_TEMPLATE, at);
  setU64(view, at + MRTD_GPA_OFFSET, gpa);
}

/** Write the 128-byte TDH.MR.EXTEND record for the chunk at `gpa` (the caller appends the 256 content bytes). */
export function writeMrExtend(buf: Uint8Array, view: DataView, at: number, gpa: number): void {
  buf.set(MR_EXTEND_TEMPLATE, at);
  setU64(view, at + MRTD_GPA_OFFSET, gpa);
}
