/**
 * COCONUT's `TdpStartContextLayout` (bootdefs::tdp_start, `repr(C)`, 16 bytes), written
 * over the first bytes of the 4096-byte TDX stage-1 page.
 *
 *   0x00 vp_index u32 (0) · 0x04 rip u32 · 0x08 rsp u32 · 0x0C ap_entry u32 (rip + 2)
 */
import { StructWriter } from '../bytes/writer.js';

export const TDP_START_CONTEXT_SIZE = 16;

export function encodeTdpStartContext(rip: number, rsp: number): Uint8Array {
  return new StructWriter(TDP_START_CONTEXT_SIZE).u32(0, 0).u32(4, rip).u32(8, rsp).u32(12, (rip + 2) >>> 0).bytes;
}
