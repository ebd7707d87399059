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
import { StructWriter } from '../bytes/writer.js';

export const KERNEL_LAUNCH_INFO_SIZE = 168;

export interface KernelLaunchInfo {
  kernelRegionPhysStart: bigint; kernelRegionPhysEnd: bigint; heapAreaOffset: bigint; heapAreaAllocated: bigint;
  kernelRegionVirtStart: bigint; kernelDirectMapVaddr: bigint; kernelFsStart: bigint; kernelFsEnd: bigint;
  bldrStart: bigint; bldrEnd: bigint; cpuidPage: bigint; secretsPage: bigint; idtVaddr: bigint; bootParamsVirtAddr: bigint;
  kernelSymtabStart: bigint; kernelSymtabLen: bigint; kernelStrtabStart: bigint; kernelStrtabLen: bigint;
  vtom: bigint; kernelPageTableVaddr: bigint;
  apStartContextAddr: number; debugSerialPort: number; vmsaInKernelHeap: boolean; useAlternateInjection: boolean;
}

const U64_FIELDS = [
  'kernelRegionPhysStart', 'kernelRegionPhysEnd', 'heapAreaOffset', 'heapAreaAllocated', 'kernelRegionVirtStart', 'kernelDirectMapVaddr',
  'kernelFsStart', 'kernelFsEnd', 'bldrStart', 'bldrEnd', 'cpuidPage', 'secretsPage', 'idtVaddr', 'bootParamsVirtAddr',
  'kernelSymtabStart', 'kernelSymtabLen', 'kernelStrtabStart', 'kernelStrtabLen', 'vtom', 'kernelPageTableVaddr',
] as const;

export function encodeKernelLaunchInfo(k: KernelLaunchInfo): Uint8Array {
  const w = new StructWriter(KERNEL_LAUNCH_INFO_SIZE);
  U64_FIELDS.forEach((f, i) => w.u64(i * 8, k[f]));
  w.u32(0xa0, k.apStartContextAddr).u16(0xa4, k.debugSerialPort).u8(0xa6, k.vmsaInKernelHeap ? 1 : 0).u8(0xa7, k.useAlternateInjection ? 1 : 0);
  return w.bytes;
}
