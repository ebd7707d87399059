/**
 * igvmbuilder's SNP VMSA (context.rs `construct_vmsa`), written through the VMSA layout
 * (../formats/snp/vmsa.ts; igvm 0.4.0 `SevVmsa` has the same offsets).
 *
 * Values: segments converted with attrib = (a & 0xFF) | ((a >> 4) & 0xF00); 32-bit CS
 * (attrib bit 9 clear) strips EFER.LME/LMA (0x500) and CR0.PG; EFER.SVME (0x1000) is added;
 * RAX = 1 (SvsmPlatformType::Snp); RSI = vTOM >> 32; PAT 0x0007040600070406 (Vanadium
 * 0x70106); XCR0 1; DR6/DR7 0 (Vanadium 0xFFFF0FF0 / 0x400); sev_features = SNP |
 * RestrictInjection | DebugSwap, plus vTOM when vTOM ≠ 0, plus the extra features.
 */
import { encodeVmsa, type Segment } from '../formats/snp/vmsa.js';
import type { SegmentRegister, StartContext } from './start-context.js';

export const SEV_FEATURE_BITS = {
  snp: 0, vtom: 1, 'reflect-vc': 2, 'restrict-injection': 3, 'alternate-injection': 4, 'debug-swap': 5, 'prevent-host-ibs': 6,
  'snpbtb-isolation': 7, 'vmpl-sss': 8, 'secure-tsc-en': 9, 'vmsa-reg-prot': 14, 'smt-protection': 15,
} as const;
/** The `--sev-features` values igvmbuilder accepts. */
export const EXTRA_SEV_FEATURES = ['reflect-vc', 'alternate-injection', 'prevent-host-ibs', 'snpbtb-isolation', 'vmpl-sss', 'secure-tsc-en', 'vmsa-reg-prot', 'smt-protection'] as const;
export type ExtraSevFeature = (typeof EXTRA_SEV_FEATURES)[number];

function seg(s: SegmentRegister): Segment {
  return { selector: s.selector, attrib: (s.attributes & 0xff) | ((s.attributes >> 4) & 0xf00), limit: s.limit, base: s.base };
}
const ZERO: Segment = { selector: 0, attrib: 0, limit: 0, base: 0n };

export function igvmbuilderVmsa(ctx: StartContext, vtom: bigint, extra: readonly ExtraSevFeature[], vanadium: boolean): Uint8Array {
  const cs = seg(ctx.cs);
  const data = seg(ctx.data);
  let efer = ctx.efer;
  let cr0 = ctx.cr0;
  if ((cs.attrib & 0x200) === 0) {
    efer &= ~0x500n;
    cr0 &= ~0x8000_0000n;
  }
  efer |= 0x1000n;
  let features = (1n << 0n) | (1n << 3n) | (1n << 5n);
  if (vtom !== 0n) features |= 1n << 1n;
  for (const f of extra) features |= 1n << BigInt(SEV_FEATURE_BITS[f]);
  return encodeVmsa({
    vmpl: 0, cpl: 0, cr3: ctx.cr3, rsp: ctx.rsp, rax: 1n, rsi: vtom >> 32n, virtualTom: vtom,
    es: data, cs, ss: data, ds: data, fs: data, gs: data, gdtr: ZERO, ldtr: ZERO, idtr: ZERO, tr: ZERO,
    efer, cr4: ctx.cr4, cr0, dr7: vanadium ? 0x400n : 0n, dr6: vanadium ? 0xffff0ff0n : 0n, rflags: ctx.rflags, rip: ctx.rip,
    gPat: vanadium ? 0x70106n : 0x0007_0406_0007_0406n, rdx: 0n, sevFeatures: features, xcr0: 1n, mxcsr: 0, x87Fcw: 0,
  });
}
