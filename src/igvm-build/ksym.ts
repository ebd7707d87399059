/**
 * COCONUT's `KSym` (bootdefs::symbols, `repr(C)`, 16 bytes): one entry of the kernel
 * symbol table bootimg copies into the kernel heap.
 *
 *   0x00 addr u64 (st_value) · 0x08 size u32 (st_size, saturated to u32::MAX) · 0x0C name u32 (strtab index)
 */
import { defineLayout, u32, u64n } from '../bytes/layout.js';

export const KSYM = defineLayout('KSym', { addr: u64n, size: u32, name: u32 });
export const KSYM_SIZE = KSYM.size;

export function encodeKsym(addr: bigint, size: bigint, name: number): Uint8Array {
  return KSYM.encode({ addr, size: size > 0xffff_ffffn ? 0xffff_ffff : Number(size), name });
}
