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
import { defineLayout, u32, u64n, type LayoutInput } from '../bytes/layout.js';

export const BLDR_LAUNCH_INFO = defineLayout('BldrLaunchInfo', {
  kernelPdptPaddr: u64n, kernelLaunchInfo: u64n, kernelEntry: u64n, kernelStack: u64n, kernelPtPaddr: u64n, kernelPtCount: u64n,
  pageTableMapVaddr: u64n, pageTableStart: u32, pageTableEnd: u32, pageTableRoot: u32, cpuidAddr: u32, platformType: u32,
  cBitPosition: u32, kernelPml4eIndex: u32, apStartContextAddr: u32,
});
export const BLDR_LAUNCH_INFO_SIZE = BLDR_LAUNCH_INFO.size;
export type BldrLaunchInfo = LayoutInput<typeof BLDR_LAUNCH_INFO>;

/** The whole 4K stack page: zeros, then the launch info in its last 88 bytes. */
export function encodeBldrStackPage(b: BldrLaunchInfo): Uint8Array {
  const page = new Uint8Array(4096);
  BLDR_LAUNCH_INFO.encodeInto(b, page, page.length - BLDR_LAUNCH_INFO_SIZE);
  return page;
}
