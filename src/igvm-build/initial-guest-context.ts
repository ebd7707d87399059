/**
 * COCONUT's `InitialGuestContext` (bootdefs::boot_params, `repr(C, packed)`, 184 bytes): the
 * measured boot-parameter page igvmbuilder adds for Hyper-V IGVM firmware, holding the start
 * state of the guest's VMPL taken from the firmware's SNP VMSA (igvm_firmware.rs
 * `set_guest_context`; `rip` comes from the first 8 bytes of the firmware's page at GPA 0).
 * It lies one page after the BootParamBlock (boot_params.rs `BootParamLayout`), zero-padded
 * to 4K.
 *
 *   0x00 cr0 · 0x08 cr3 · 0x10 cr4 · 0x18 efer · 0x20 gdt_base (u64 each)
 *   0x28 gdt_limit u32 · 0x2C code_selector u16 · 0x2E data_selector u16
 *   0x30 rip · 0x38 rax · 0x40 rcx · 0x48 rdx · 0x50 rbx · 0x58 rsp · 0x60 rbp · 0x68 rsi
 *   0x70 rdi · 0x78 r8 … 0xB0 r15 (u64 each)
 */
import { defineLayout, u16, u32, u64n, type LayoutInput } from '../bytes/layout.js';

export const INITIAL_GUEST_CONTEXT = defineLayout('InitialGuestContext', {
  cr0: u64n, cr3: u64n, cr4: u64n, efer: u64n, gdtBase: u64n, gdtLimit: u32, codeSelector: u16, dataSelector: u16,
  rip: u64n, rax: u64n, rcx: u64n, rdx: u64n, rbx: u64n, rsp: u64n, rbp: u64n, rsi: u64n, rdi: u64n,
  r8: u64n, r9: u64n, r10: u64n, r11: u64n, r12: u64n, r13: u64n, r14: u64n, r15: u64n,
});
export type InitialGuestContext = LayoutInput<typeof INITIAL_GUEST_CONTEXT>;
