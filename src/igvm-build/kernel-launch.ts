/**
 * COCONUT's `KernelLaunchInfo` (bootdefs::kernel_launch, `repr(C)`, 168 bytes): the page
 * bootimg writes in the kernel heap for the SVSM kernel's entry code.
 *
 *   0x00 kernel_region_phys_start u64   0x08 kernel_region_phys_end u64
 *   0x10 heap_area_offset u64           0x18 heap_area_allocated u64 (pages)
 *   0x20 kernel_region_virt_start u64   0x28 kernel_direct_map_vaddr u64
 *   0x30 kernel_fs_start u64            0x38 kernel_fs_end u64
 *   0x40 bldr_start u64                 0x48 bldr_end u64
 *   0x50 cpuid_page u64 (vaddr)         0x58 secrets_page u64 (vaddr)
 *   0x60 idt_vaddr u64                  0x68 boot_params_virt_addr u64
 *   0x70 kernel_symtab_start u64        0x78 kernel_symtab_len u64
 *   0x80 kernel_strtab_start u64        0x88 kernel_strtab_len u64
 *   0x90 vtom u64                       0x98 kernel_page_table_vaddr u64
 *   0xA0 ap_start_context_addr u32      0xA4 debug_serial_port u16
 *   0xA6 vmsa_in_kernel_heap u8 (bool)  0xA7 use_alternate_injection u8 (bool)
 */
import { defineLayout, u16, u32, u64n, u8, type LayoutInput } from '../bytes/layout.js';

export const KERNEL_LAUNCH_INFO = defineLayout('KernelLaunchInfo', {
  kernelRegionPhysStart: u64n, kernelRegionPhysEnd: u64n, heapAreaOffset: u64n, heapAreaAllocated: u64n,
  kernelRegionVirtStart: u64n, kernelDirectMapVaddr: u64n, kernelFsStart: u64n, kernelFsEnd: u64n,
  bldrStart: u64n, bldrEnd: u64n, cpuidPage: u64n, secretsPage: u64n, idtVaddr: u64n, bootParamsVirtAddr: u64n,
  kernelSymtabStart: u64n, kernelSymtabLen: u64n, kernelStrtabStart: u64n, kernelStrtabLen: u64n,
  vtom: u64n, kernelPageTableVaddr: u64n,
  apStartContextAddr: u32, debugSerialPort: u16, vmsaInKernelHeap: u8, useAlternateInjection: u8,
});
export const KERNEL_LAUNCH_INFO_SIZE = KERNEL_LAUNCH_INFO.size;

/** KernelLaunchInfo with its two flags as booleans */
export type KernelLaunchInfo = Omit<LayoutInput<typeof KERNEL_LAUNCH_INFO>, 'vmsaInKernelHeap' | 'useAlternateInjection'> & {
  vmsaInKernelHeap: boolean;
  useAlternateInjection: boolean;
};

export function encodeKernelLaunchInfo(k: KernelLaunchInfo): Uint8Array {
  return KERNEL_LAUNCH_INFO.encode({ ...k, vmsaInKernelHeap: k.vmsaInKernelHeap ? 1 : 0, useAlternateInjection: k.useAlternateInjection ? 1 : 0 });
}
