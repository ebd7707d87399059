/**
 * COCONUT's `InitialKernelStack` (bootdefs::kernel_launch, `repr(C)`): the top page of the
 * kernel's initial stack, 4096 bytes.
 *
 *   0x000 reserved u64[509] (zero)
 *   0xFE8 paging_root u64          physical address of the kernel page-table root
 *   0xFF0 launch_info_vaddr u64    virtual address of KernelLaunchInfo
 *   0xFF8 stack_limit u64          virtual base of the initial stack
 */
import { at, defineLayout, u64n } from '../bytes/layout.js';

export const INITIAL_KERNEL_STACK = defineLayout('InitialKernelStack', {
  pagingRoot: at(0xfe8, u64n), launchInfoVaddr: u64n, stackLimit: u64n,
});
export const INITIAL_KERNEL_STACK_WORDS = 3;

export function encodeInitialKernelStack(pagingRoot: bigint, launchInfoVaddr: bigint, stackLimit: bigint): Uint8Array {
  return INITIAL_KERNEL_STACK.encode({ pagingRoot, launchInfoVaddr, stackLimit });
}
