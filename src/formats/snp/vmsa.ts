/**
 * The SEV-ES/SNP VM save area (VMSA): one 4 KiB page per vCPU, measured at launch.
 * Only the fields a VMM or igvmbuilder sets at reset are declared; every other byte is zero.
 * Offsets follow the AMD APM vol. 2 table B-4 "VMSA layout, state save area" (and Linux
 * `struct sev_es_save_area`, arch/x86/include/asm/svm.h):
 *
 *   0x000 es · 0x010 cs · 0x020 ss · 0x030 ds · 0x040 fs · 0x050 gs · 0x060 gdtr · 0x070 ldtr
 *   0x080 idtr · 0x090 tr      segments: u16 selector, u16 attrib, u32 limit, u64 base
 *   0x0CA vmpl u8 · 0x0CB cpl u8 · 0x0D0 efer u64
 *   0x148 cr4 · 0x150 cr3 · 0x158 cr0 · 0x160 dr7 · 0x168 dr6 · 0x170 rflags · 0x178 rip
 *   0x1D8 rsp · 0x1F8 rax · 0x268 g_pat · 0x308 rcx · 0x310 rdx · 0x318 rbx · (0x320 cr2)
 *   0x328 rbp · 0x330 rsi · 0x338 rdi · 0x340..0x378 r8..r15 · 0x3B0 sev_features
 *   0x3C8 virtual_tom · 0x3E8 xcr0 (all u64) · 0x408 mxcsr u32 · 0x410 x87_fcw u16
 */
import { at, defineLayout, nested, u16, u32, u64n, u8, type LayoutInput, type LayoutValue } from '../../bytes/layout.js';

export const VMSA_SIZE = 4096;

/** `struct vmcb_seg` */
export const VMCB_SEGMENT = defineLayout('VMCB segment', { selector: u16, attrib: u16, limit: u32, base: u64n });
const segment = nested(VMCB_SEGMENT);

export const VMSA = defineLayout(
  'VMSA',
  {
    es: at(0x00, segment), cs: at(0x10, segment), ss: at(0x20, segment), ds: at(0x30, segment), fs: at(0x40, segment),
    gs: at(0x50, segment), gdtr: at(0x60, segment), ldtr: at(0x70, segment), idtr: at(0x80, segment), tr: at(0x90, segment),
    vmpl: at(0xca, u8), cpl: at(0xcb, u8),
    efer: at(0xd0, u64n),
    cr4: at(0x148, u64n), cr3: at(0x150, u64n), cr0: at(0x158, u64n), dr7: at(0x160, u64n), dr6: at(0x168, u64n),
    rflags: at(0x170, u64n), rip: at(0x178, u64n),
    rsp: at(0x1d8, u64n), rax: at(0x1f8, u64n), gPat: at(0x268, u64n),
    rcx: at(0x308, u64n), rdx: at(0x310, u64n), rbx: at(0x318, u64n), rbp: at(0x328, u64n), rsi: at(0x330, u64n), rdi: at(0x338, u64n),
    r8: at(0x340, u64n), r9: at(0x348, u64n), r10: at(0x350, u64n), r11: at(0x358, u64n),
    r12: at(0x360, u64n), r13: at(0x368, u64n), r14: at(0x370, u64n), r15: at(0x378, u64n),
    sevFeatures: at(0x3b0, u64n), virtualTom: at(0x3c8, u64n), xcr0: at(0x3e8, u64n),
    mxcsr: at(0x408, u32), x87Fcw: at(0x410, u16),
  },
  { size: VMSA_SIZE },
);

/** The general-purpose registers a reset or start context leaves zero (rax, rdx, rsi and rsp are set by every user). */
export const VMSA_ZERO_GPRS = {
  rcx: 0n, rbx: 0n, rbp: 0n, rdi: 0n, r8: 0n, r9: 0n, r10: 0n, r11: 0n, r12: 0n, r13: 0n, r14: 0n, r15: 0n,
} as const;

/** A segment register in the save area. */
export type Segment = LayoutValue<typeof VMCB_SEGMENT>;
/** The declared VMSA fields (decoded). */
export type VmsaRegisters = LayoutValue<typeof VMSA>;

/** Field offsets (the measured page differs from another in these bytes only). */
export const VMSA_OFFSETS = VMSA.offsets;

type VmsaGpr = keyof typeof VMSA_ZERO_GPRS;
/** The VMSA's bytes; the general-purpose registers of {@link VMSA_ZERO_GPRS} default to 0. */
export function encodeVmsa(r: Omit<LayoutInput<typeof VMSA>, VmsaGpr> & Partial<Pick<LayoutInput<typeof VMSA>, VmsaGpr>>): Uint8Array {
  return VMSA.encode({ ...VMSA_ZERO_GPRS, ...r });
}

export function decodeVmsa(page: Uint8Array): VmsaRegisters {
  if (page.length < VMSA_SIZE) throw new RangeError('a VMSA page is 4096 bytes');
  return VMSA.decode(page);
}
