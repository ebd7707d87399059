/**
 * COCONUT's `InitialKernelStack` (bootdefs::kernel_launch, `repr(C)`): the top page of the
 * kernel's initial stack, 4096 bytes.
 *
 *   0x000 reserved u64[509] (zero)
 *   0xFE8 paging_root u64          physical address of the kernel page-table root
 *   0xFF0 launch_info_vaddr u64    virtual address of KernelLaunchInfo
 *   0xFF8 stack_limit u64          virtual base of the initial stack
 */
import { StructWriter } from '../bytes/writer.js';

export const INITIAL_KERNEL_STACK_WORDS = 3;

export function encodeInitialKernelStack(pagingRoot: bigint, launchInfoVaddr: bigint, stackLimit: bigint): Uint8Array {
  return new StructWriter(4096).u64(0xfe8, pagingRoot).u64(0xff0, launchInfoVaddr).u64(0xff8, stackLimit).bytes;
}
