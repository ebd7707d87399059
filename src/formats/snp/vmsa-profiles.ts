/**
 * What each VMM puts in the VMSA at reset. The values match virtee/sev-snp-measure 0.0.13
 * (vmsa.py) — see ../../../docs/measurement.md for where each comes from.
 *
 * - QEMU: KVM_SEV_INIT2 generation (Linux ≥ 6.10): MXCSR 0x1F80 and x87 FCW 0x37F are set.
 * - ec2: AWS Nitro: CS attrib 0x9A for a vCPU starting at the reset vector, SS 0x92, TR 0x83,
 *   rdx 0x600, no MXCSR/FCW.
 * - gce: Google Compute Engine: G_PAT 0x70106, rdx 0x600, no MXCSR/FCW.
 */
import type { Segment, VmsaRegisters } from './vmsa.js';

export type VmmType = 'QEMU' | 'ec2' | 'gce';
export const VMM_TYPES: readonly VmmType[] = ['QEMU', 'ec2', 'gce'];

/** The BSP always starts at the reset vector. */
export const BSP_EIP = 0xffff_fff0;

const seg = (selector: number, attrib: number, limit: number, base = 0): Segment => ({ selector, attrib, limit, base });

/**
 * The VMSA of a vCPU starting at `eip` (real mode, CS base = EIP & 0xFFFF0000, IP = EIP & 0xFFFF).
 */
export function resetVmsa(vmm: VmmType, eip: number, vcpuSig: number, sevFeatures: bigint): VmsaRegisters {
  const ec2 = vmm === 'ec2';
  const cloud = vmm !== 'QEMU';
  return {
    es: seg(0, 0x93, 0xffff),
    cs: seg(0xf000, ec2 && eip === BSP_EIP ? 0x9a : 0x9b, 0xffff, (eip & 0xffff0000) >>> 0),
    ss: seg(0, ec2 ? 0x92 : 0x93, 0xffff),
    ds: seg(0, 0x93, 0xffff),
    fs: seg(0, 0x93, 0xffff),
    gs: seg(0, 0x93, 0xffff),
    gdtr: seg(0, 0, 0xffff),
    ldtr: seg(0, 0x82, 0xffff),
    idtr: seg(0, 0, 0xffff),
    tr: seg(0, ec2 ? 0x83 : 0x8b, 0xffff),
    efer: 0x1000n,
    cr4: 0x40n,
    cr0: 0x10n,
    dr7: 0x400n,
    dr6: 0xffff0ff0n,
    rflags: 0x2n,
    rip: BigInt(eip & 0xffff),
    gPat: vmm === 'gce' ? 0x00070106n : 0x0007040600070406n,
    rdx: cloud ? 0x600n : BigInt(vcpuSig),
    sevFeatures,
    xcr0: 0x1n,
    mxcsr: cloud ? 0 : 0x1f80,
    x87Fcw: cloud ? 0 : 0x37f,
  };
}

/**
 * The VMSA QEMU gives every vCPU of a COCONUT-SVSM guest in the pre-IGVM layout
 * (sev-snp-measure `snp:svsm`): 32-bit protected mode, flat segments, entering the SVSM at `rip`.
 * x87 FCW is 0: the reference's hardware-derived vectors were produced that way.
 */
export function svsmVmsa(rip: number, vcpuSig: number): VmsaRegisters {
  return {
    es: seg(0x10, 0xc93, 0xffffffff),
    cs: seg(0x8, 0xc9b, 0xffffffff),
    ss: seg(0x10, 0xc93, 0xffffffff),
    ds: seg(0x10, 0xc93, 0xffffffff),
    fs: seg(0x10, 0xc93, 0xffffffff),
    gs: seg(0, 0x93, 0xffff),
    gdtr: seg(0, 0, 0xffff),
    ldtr: seg(0, 0x82, 0xffff),
    idtr: seg(0, 0, 0xffff),
    tr: seg(0, 0x8b, 0xffff),
    efer: 0x1000n,
    cr4: 0x40n,
    cr0: 0x11n,
    dr7: 0x400n,
    dr6: 0xffff0ff0n,
    rflags: 0x2n,
    rip: BigInt(rip),
    gPat: 0x0007040600070406n,
    rdx: BigInt(vcpuSig),
    sevFeatures: 0x1n,
    xcr0: 0x1n,
    mxcsr: 0x1f80,
    x87Fcw: 0,
  };
}
