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
import { defineLayout, latin1, reserved, u64 } from '../../bytes/layout.js';

/** The 128-byte record both SEAMCALLs hash: the operation name (NUL-padded), the GPA, zeros. */
export const MRTD_RECORD = defineLayout('MRTD record', { operation: latin1(16), gpa: u64, reserved: reserved(104) });
/** the GPA field, written in place for every page and chunk */
export const MRTD_RECORD_GPA = MRTD_RECORD.field('gpa');

export const TDX_PAGE_SIZE = 4096;
export const MRTD_RECORD_SIZE = MRTD_RECORD.size;
export const MR_EXTEND_CHUNK = 256;
export const MR_EXTEND_CHUNKS_PER_PAGE = TDX_PAGE_SIZE / MR_EXTEND_CHUNK;
/** bytes one MR.EXTEND appends: record + chunk */
export const MR_EXTEND_SIZE = MRTD_RECORD_SIZE + MR_EXTEND_CHUNK;
/** bytes one page appends when added and extended: PAGE.ADD + 16 MR.EXTEND */
export const PAGE_ADD_EXTEND_SIZE = MRTD_RECORD_SIZE + MR_EXTEND_CHUNKS_PER_PAGE * MR_EXTEND_SIZE;
export const MRTD_GPA_OFFSET = MRTD_RECORD.offsets.gpa;

const template = (operation: string): Uint8Array => MRTD_RECORD.encode({ operation: operation.padEnd(16, '\0'), gpa: 0 });
const PAGE_ADD_TEMPLATE = template('MEM.PAGE.ADD');
const MR_EXTEND_TEMPLATE = template('MR.EXTEND');

/** Write a TDH.MEM.PAGE.ADD record for `gpa` at `at` of `buf` (whose DataView is `view`). */
export function writePageAdd(buf: Uint8Array, view: DataView, at: number, gpa: number): void {
  buf.set(PAGE_ADD_TEMPLATE, at);
  MRTD_RECORD_GPA.write(view, at, gpa);
}

/** Write the 128-byte TDH.MR.EXTEND record for the chunk at `gpa` (the caller appends the 256 content bytes). */
export function writeMrExtend(buf: Uint8Array, view: DataView, at: number, gpa: number): void {
  buf.set(MR_EXTEND_TEMPLATE, at);
  MRTD_RECORD_GPA.write(view, at, gpa);
}
