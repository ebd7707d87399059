/**
 * COCONUT's `BldrLaunchInfo` (bootdefs::kernel_launch, `repr(C)`, 88 bytes). igvmbuilder
 * stores it at the END of the boot loader's top stack page (the page is zero before it).
 *
 *   0x00 kernel_pdpt_paddr u64     0x08 kernel_launch_info u64 (vaddr)
 *   0x10 kernel_entry u64          0x18 kernel_stack u64
 *   0x20 kernel_pt_paddr u64       0x28 kernel_pt_count u64
 *   0x30 page_table_map_vaddr u64  0x38 page_table_start u32   0x3C page_table_end u32
 *   0x40 page_table_root u32       0x44 cpuid_addr u32         0x48 platform_type u32
 *   0x4C c_bit_position u32        0x50 kernel_pml4e_index u32 0x54 ap_start_context_addr u32
 */
import { StructWriter } from '../bytes/writer.js';

export const BLDR_LAUNCH_INFO_SIZE = 88;

export interface BldrLaunchInfo {
  kernelPdptPaddr: bigint; kernelLaunchInfo: bigint; kernelEntry: bigint; kernelStack: bigint; kernelPtPaddr: bigint;
  kernelPtCount: bigint; pageTableMapVaddr: bigint; pageTableStart: number; pageTableEnd: number; pageTableRoot: number;
  cpuidAddr: number; platformType: number; cBitPosition: number; kernelPml4eIndex: number; apStartContextAddr: number;
}

/** The whole 4K stack page: zeros, then the launch info in its last 88 bytes. */
export function encodeBldrStackPage(b: BldrLaunchInfo): Uint8Array {
  const base = 4096 - BLDR_LAUNCH_INFO_SIZE;
  const w = new StructWriter(4096);
  w.u64(base, b.kernelPdptPaddr).u64(base + 0x08, b.kernelLaunchInfo).u64(base + 0x10, b.kernelEntry).u64(base + 0x18, b.kernelStack)
    .u64(base + 0x20, b.kernelPtPaddr).u64(base + 0x28, b.kernelPtCount).u64(base + 0x30, b.pageTableMapVaddr)
    .u32(base + 0x38, b.pageTableStart).u32(base + 0x3c, b.pageTableEnd).u32(base + 0x40, b.pageTableRoot).u32(base + 0x44, b.cpuidAddr)
    .u32(base + 0x48, b.platformType).u32(base + 0x4c, b.cBitPosition).u32(base + 0x50, b.kernelPml4eIndex).u32(base + 0x54, b.apStartContextAddr);
  return w.bytes;
}
