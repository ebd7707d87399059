/**
 * What each VMM puts in the VMSA at reset, as named, versioned profiles. The defaults match
 * virtee/sev-snp-measure 0.0.13 (vmsa.py) — see docs/measurement.md for where each comes from.
 *
 * - QEMU / kvm-init2 (default): VMs QEMU creates with KVM_SEV_INIT2 get MXCSR 0x1F80 and x87
 *   FCW 0x37F (kernel `sev_es_sync_vmsa`): SNP on QEMU ≥ 9.1 + Linux ≥ 6.11; SEV-ES only with
 *   `legacy-vm-type=off` on Linux ≥ 6.10.
 * - QEMU / kvm-legacy: VMs created with the legacy KVM_SEV_INIT / KVM_SEV_ES_INIT leave MXCSR
 *   and FCW zero (what sev-snp-measure computed before 0.0.10): SEV-ES on QEMU ≥ 10.0 as
 *   shipped (`legacy-vm-type=auto`, QEMU target/i386/sev.c `sev_kvm_type`), hosts before
 *   Linux 6.10. Which stack gives which: ../shared/spec/host-stacks.md H1–H4, docs/measurement.md.
 * - ec2 / ec2-2026 (default): AWS Nitro: CS attrib 0x9A for a vCPU starting at the reset
 *   vector, SS 0x92, TR 0x83, rdx 0x600, no MXCSR/FCW.
 * - ec2 / ec2-legacy: as ec2-2026 but rdx 0 (EC2 instances before the 2026 change).
 * - gce: Google Compute Engine: G_PAT 0x70106, rdx 0x600, no MXCSR/FCW.
 */
import { VMSA_ZERO_GPRS, type Segment, type VmsaRegisters } from './vmsa.js';

export type VmmType = 'QEMU' | 'ec2' | 'gce';
export const VMM_TYPES: readonly VmmType[] = ['QEMU', 'ec2', 'gce'];

export type VmsaProfileName = 'kvm-init2' | 'kvm-legacy' | 'ec2-2026' | 'ec2-legacy' | 'gce';

export interface VmsaProfile {
  name: VmsaProfileName;
  vmm: VmmType;
  description: string;
  mxcsr: number;
  x87Fcw: number;
  /** rdx for every vCPU, or null to carry the vCPU signature (QEMU) */
  rdx: bigint | null;
}

export const VMSA_PROFILES: Readonly<Record<VmsaProfileName, VmsaProfile>> = {
  'kvm-init2': { name: 'kvm-init2', vmm: 'QEMU', description: 'QEMU VMs created with KVM_SEV_INIT2 (SNP on QEMU ≥ 9.1 + Linux ≥ 6.11; SEV-ES only with legacy-vm-type=off): MXCSR 0x1F80, FCW 0x37F', mxcsr: 0x1f80, x87Fcw: 0x37f, rdx: null },
  'kvm-legacy': { name: 'kvm-legacy', vmm: 'QEMU', description: 'QEMU VMs created with the legacy KVM_SEV_INIT/KVM_SEV_ES_INIT (SEV-ES on QEMU ≥ 10.0 as shipped; Linux < 6.10): MXCSR and FCW 0', mxcsr: 0, x87Fcw: 0, rdx: null },
  'ec2-2026': { name: 'ec2-2026', vmm: 'ec2', description: 'AWS EC2 since 2026: rdx 0x600', mxcsr: 0, x87Fcw: 0, rdx: 0x600n },
  'ec2-legacy': { name: 'ec2-legacy', vmm: 'ec2', description: 'AWS EC2 before 2026: rdx 0', mxcsr: 0, x87Fcw: 0, rdx: 0n },
  gce: { name: 'gce', vmm: 'gce', description: 'Google Compute Engine: G_PAT 0x70106, rdx 0x600', mxcsr: 0, x87Fcw: 0, rdx: 0x600n },
};
export const VMSA_PROFILE_NAMES = Object.keys(VMSA_PROFILES) as VmsaProfileName[];
export const DEFAULT_VMSA_PROFILE: Readonly<Record<VmmType, VmsaProfileName>> = { QEMU: 'kvm-init2', ec2: 'ec2-2026', gce: 'gce' };

/** The profile to use for `vmm`: the named one (which must belong to that VMM) or the VMM's default. */
export function vmsaProfileFor(vmm: VmmType, name?: VmsaProfileName | null): VmsaProfile {
  const p = VMSA_PROFILES[name ?? DEFAULT_VMSA_PROFILE[vmm]];
  if (!p) throw new RangeError(`unknown VMSA profile ${String(name)}`);
  if (p.vmm !== vmm) throw new RangeError(`VMSA profile ${p.name} is for ${p.vmm}, not ${vmm}`);
  return p;
}

/** The BSP always starts at the reset vector. */
export const BSP_EIP = 0xffff_fff0;

const seg = (selector: number, attrib: number, limit: number, base = 0): Segment => ({ selector, attrib, limit, base: BigInt(base) });
/** the registers a VMM leaves zero at reset */
const ZERO_REGS = { vmpl: 0, cpl: 0, cr3: 0n, rsp: 0n, rax: 0n, rsi: 0n, virtualTom: 0n, ...VMSA_ZERO_GPRS } as const;

/**
 * The VMSA of a vCPU starting at `eip` (real mode, CS base = EIP & 0xFFFF0000, IP = EIP & 0xFFFF).
 * `vmm` is a VMM type (its default profile) or a profile.
 */
export function resetVmsa(vmm: VmmType | VmsaProfile, eip: number, vcpuSig: number, sevFeatures: bigint): VmsaRegisters {
  const profile = typeof vmm === 'string' ? vmsaProfileFor(vmm) : vmm;
  const ec2 = profile.vmm === 'ec2';
  return {
    ...ZERO_REGS,
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
    gPat: profile.vmm === 'gce' ? 0x00070106n : 0x0007040600070406n,
    rdx: profile.rdx ?? BigInt(vcpuSig),
    sevFeatures,
    xcr0: 0x1n,
    mxcsr: profile.mxcsr,
    x87Fcw: profile.x87Fcw,
  };
}

/**
 * The VMSA QEMU gives every vCPU of a COCONUT-SVSM guest in the pre-IGVM layout
 * (sev-snp-measure `snp:svsm`): 32-bit protected mode, flat segments, entering the SVSM at `rip`.
 * x87 FCW is 0: the reference's hardware-derived vectors were produced that way.
 */
export function svsmVmsa(rip: number, vcpuSig: number): VmsaRegisters {
  return {
    ...ZERO_REGS,
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
