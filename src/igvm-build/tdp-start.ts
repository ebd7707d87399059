/**
 * COCONUT's `TdpStartContextLayout` (bootdefs::tdp_start, `repr(C)`, 16 bytes), written
 * over the first bytes of the 4096-byte TDX stage-1 page.
 *
 *   0x00 vp_index u32 (0) · 0x04 rip u32 · 0x08 rsp u32 · 0x0C ap_entry u32 (rip + 2)
 */
import { defineLayout, u32 } from '../bytes/layout.js';

export const TDP_START_CONTEXT = defineLayout('TdpStartContextLayout', { vpIndex: u32, rip: u32, rsp: u32, apEntry: u32 });
export const TDP_START_CONTEXT_SIZE = TDP_START_CONTEXT.size;

export function encodeTdpStartContext(rip: number, rsp: number): Uint8Array {
  return TDP_START_CONTEXT.encode({ vpIndex: 0, rip, rsp, apEntry: (rip + 2) >>> 0 });
}
