/**
 * COCONUT's `KSym` (bootdefs::symbols, `repr(C)`, 16 bytes): one entry of the kernel
 * symbol table bootimg copies into the kernel heap.
 *
 *   0x00 addr u64 (st_value) · 0x08 size u32 (st_size, saturated to u32::MAX) · 0x0C name u32 (strtab index)
 */
import { StructWriter } from '../bytes/writer.js';

export const KSYM_SIZE = 16;

export function encodeKsym(addr: bigint, size: bigint, name: number): Uint8Array {
  return new StructWriter(KSYM_SIZE).u64(0, addr).u32(8, size > 0xffff_ffffn ? 0xffff_ffff : Number(size)).u32(12, name).bytes;
}
