/**
 * The named rules that turn a {@link HostStack} and a guest configuration into the
 * version-dependent inputs of a measurement. Each rule cites the source it models; the list
 * with its sources is docs/stack.md, and ../shared/spec/host-stacks.md (H1-H10) is where
 * they were read. A rule either derives a value or refuses the combination with an error
 * that says why.
 */
import { PrelaunchError } from '../errors.js';
import type { VmsaProfileName } from '../formats/snp/vmsa-profiles.js';
import { isAmdSnpHostKernel, type HostStack } from './model.js';
import { atLeast, compareVersion, type Version } from './version.js';

export interface StackRule {
  id: string;
  name: string;
  /** file and function the rule models */
  source: string;
}

/** Every rule the model applies (docs/stack.md describes each). */
export const STACK_RULES = {
  'snp-support': { id: 'snp-support', name: 'SEV-SNP needs QEMU >= 9.1 (sev-snp-guest) and Linux >= 6.11 (KVM_X86_SNP_VM), or AMD\'s snp-host kernels', source: 'QEMU target/i386/sev.c sev_snp_guest_info (9.1); Linux arch/x86/kvm/svm/sev.c snp_launch_start (6.11)' },
  'tdx-support': { id: 'tdx-support', name: 'TDX needs QEMU >= 10.1 (tdx-guest) and Linux >= 6.16 (KVM TDX)', source: 'QEMU target/i386/kvm/tdx.c (10.1); Linux arch/x86/kvm/vmx/tdx.c (6.16)' },
  'sev-es-support': { id: 'sev-es-support', name: 'SEV and SEV-ES are modelled for QEMU >= 8.0 and Linux >= 5.11', source: 'QEMU target/i386/sev.c sev_kvm_init; Linux arch/x86/kvm/svm/sev.c sev_es_init_vmcb' },
  H1: { id: 'H1', name: 'SEV-ES uses the legacy KVM_SEV_ES_INIT unless legacy-vm-type=off: MXCSR 0, FCW 0, SEV_FEATURES 0', source: 'QEMU target/i386/sev.c sev_kvm_type, sev_init2_required (legacy-vm-type default auto since 9.1, commit 9d38d9dca2); Linux sev_es_sync_vmsa' },
  'sev-es-init2': { id: 'sev-es-init2', name: 'SEV-ES with legacy-vm-type=off uses KVM_SEV_INIT2 (Linux >= 6.10): MXCSR 0x1F80, FCW 0x37F', source: 'QEMU target/i386/sev.c sev_kvm_type; Linux arch/x86/kvm/svm/sev.c sev_es_sync_vmsa (vm_type != KVM_X86_DEFAULT_VM)' },
  H2: { id: 'H2', name: 'SEV-ES on Linux 6.6-6.7: kvm_amd debug_swap on by default sets SEV_FEATURES 0x20', source: 'Linux sev_es_sync_vmsa (debug_swap), reverted upstream by 5abf6dceb066' },
  H3: { id: 'H3', name: 'SNP on QEMU >= 9.1 + Linux >= 6.11: KVM_SEV_INIT2, vmsa_features 0 + SNP_ACTIVE = SEV_FEATURES 0x1, FPU state synced (MXCSR 0x1F80, FCW 0x37F)', source: 'Linux arch/x86/kvm/svm/sev.c __sev_guest_init, sev_es_sync_vmsa' },
  H4: { id: 'H4', name: 'SNP on AMD\'s out-of-tree snp-host kernels 6.6-6.8: SEV_FEATURES 0x21 (debug_swap), MXCSR 0, FCW 0', source: 'AMDESE/AMDSEV#195; sev-snp-measure #30/#32' },
  H5: { id: 'H5', name: 'the VMSA rdx is the guest CPU signature: the -cpu model\'s family/model/stepping, the host\'s CPUID(1).EAX for -cpu host/max, the model libvirt resolved for host-model', source: 'QEMU target/i386/cpu.c x86_cpu_reset_hold (env->cpuid_version), host-cpu.c host_cpu_max_instance_init; libvirt src/cpu/cpu_x86.c x86UpdateHostModel' },
  H6: { id: 'H6', name: 'without kernel-hashes=on the kernel, initrd and cmdline are not measured (the hashes page is a ZERO page)', source: 'QEMU target/i386/sev.c sev_add_kernel_loader_hashes (returns early)' },
  H7: { id: 'H7', name: 'the cmdline is hashed as the raw -append bytes plus NUL', source: 'QEMU hw/i386/x86-common.c x86_load_linux; target/i386/sev.c build_kernel_loader_hashes' },
  H8: { id: 'H8', name: 'firmware QEMU cannot launch: -bios size not a multiple of 64 KiB; pflash with SNP', source: 'QEMU hw/i386/x86-common.c x86_bios_rom_init; hw/i386/pc_sysfw.c (AMDSEV#223, #236)' },
  H10: { id: 'H10', name: 'cloud VMMs: EC2 (rdx 0x600 since 2026, 0 before), GCE (G_PAT 0x70106)', source: 'aws/uefi#19; sev-snp-measure 0.0.13 vmsa.py' },
  'smp-boot-vcpus': { id: 'smp-boot-vcpus', name: 'one VMSA per vCPU created at start: -smp cpus (maxcpus only adds hot-pluggable slots)', source: 'QEMU hw/core/machine-smp.c machine_parse_smp_config; hw/i386/x86-common.c x86_cpus_init (creates smp.cpus vCPUs); Linux snp_launch_update_vmsa (kvm_for_each_vcpu)' },
  'tdx-page-order': { id: 'tdx-page-order', name: 'TDX on upstream KVM measures page by page (single pass)', source: 'Linux arch/x86/kvm/vmx/tdx.c tdx_gmem_post_populate' },
  override: { id: 'override', name: 'an explicit flag overrides what the stack derives', source: 'prelaunch' },
} as const satisfies Record<string, StackRule>;

export type RuleId = keyof typeof STACK_RULES;

export interface RuleHit {
  rule: RuleId;
  /** what the rule did for this launch */
  effect: string;
}

export function ruleJson(h: RuleHit): Record<string, string> {
  const r = STACK_RULES[h.rule];
  return { id: r.id, rule: r.name, effect: h.effect, source: r.source };
}

function refuse(rule: RuleId, why: string): PrelaunchError {
  return new PrelaunchError('ERR_UNSUPPORTED_STACK', `${why} (stack rule ${STACK_RULES[rule].id}; see docs/stack.md)`, { rule });
}

const need = (v: Version | null, what: string, guest: string): Version => {
  if (!v) throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${guest} on QEMU needs the ${what} version: give --${what === 'QEMU' ? 'qemu-version' : 'host-kernel'} or --stack FILE`);
  return v;
};

export type SevGuestType = 'sev' | 'sev-es' | 'sev-snp';
export type LegacyVmType = 'on' | 'off' | 'auto';

export interface SevDerivation {
  vmsaProfile: VmsaProfileName;
  guestFeatures: bigint;
  hits: RuleHit[];
}

/**
 * VMSA generation and SEV_FEATURES for an SEV-ES or SNP guest on `stack`. `legacyVmType` is
 * the sev-guest property (null when not given: the default). Refuses stacks that cannot
 * launch the guest or whose behaviour is not modelled.
 */
export function deriveSev(stack: HostStack, guest: SevGuestType, legacyVmType: LegacyVmType | null): SevDerivation {
  const hits: RuleHit[] = [];
  if (stack.vmm !== 'QEMU') {
    const profile: VmsaProfileName = stack.vmm === 'ec2' ? 'ec2-2026' : stack.vmm === 'ec2-legacy' ? 'ec2-legacy' : 'gce';
    hits.push({ rule: 'H10', effect: `VMM ${stack.vmm}: VMSA profile ${profile}` });
    return { vmsaProfile: profile, guestFeatures: 1n, hits };
  }
  const qemu = need(stack.qemu, 'QEMU', guest);
  const kernel = need(stack.hostKernel, 'host kernel', guest);
  if (guest === 'sev-snp') {
    if (legacyVmType !== null) throw new PrelaunchError('ERR_UNSUPPORTED_STACK', 'legacy-vm-type is a property of sev-guest, not of sev-snp-guest (QEMU refuses it)');
    if (isAmdSnpHostKernel(kernel)) {
      if (kernel.major === 6 && kernel.minor >= 6 && kernel.minor <= 8) {
        hits.push({ rule: 'H4', effect: `Linux ${kernel.text} is an AMD snp-host kernel: SEV_FEATURES 0x21, VMSA profile kvm-legacy` });
        return { vmsaProfile: 'kvm-legacy', guestFeatures: 0x21n, hits };
      }
      throw refuse('H4', `SEV-SNP on the out-of-tree AMD kernel ${kernel.text} is not modelled (only the 6.6-6.8 snp-host kernels are)`);
    }
    if (compareVersion(qemu, '9.1') < 0) throw refuse('snp-support', `SEV-SNP needs QEMU >= 9.1 (upstream sev-snp-guest); QEMU ${qemu.text} has none`);
    if (compareVersion(kernel, '6.11') < 0) throw refuse('snp-support', `SEV-SNP needs Linux >= 6.11 upstream (or an AMD snp-host kernel); Linux ${kernel.text} cannot launch it`);
    hits.push({ rule: 'snp-support', effect: `QEMU ${qemu.text} and Linux ${kernel.text} launch SEV-SNP guests` });
    hits.push({ rule: 'H3', effect: 'KVM_SEV_INIT2: SEV_FEATURES 0x1, VMSA profile kvm-init2' });
    return { vmsaProfile: 'kvm-init2', guestFeatures: 1n, hits };
  }
  if (compareVersion(qemu, '8.0') < 0) throw refuse('sev-es-support', `QEMU ${qemu.text} is older than the oldest modelled (8.0)`);
  if (compareVersion(kernel, '5.11') < 0) throw refuse('sev-es-support', `Linux ${kernel.text} is older than the oldest modelled (5.11, SEV-ES host support)`);
  if (guest === 'sev') {
    hits.push({ rule: 'sev-es-support', effect: 'SEV guests have no VMSA: the stack only gates support' });
    return { vmsaProfile: 'kvm-legacy', guestFeatures: 0n, hits };
  }
  const lvt = legacyVmType ?? 'auto';
  if (lvt !== 'auto' && compareVersion(qemu, '9.1') < 0) throw refuse('H1', `legacy-vm-type does not exist before QEMU 9.1 (QEMU ${qemu.text} refuses the property)`);
  if (lvt === 'off') {
    if (!atLeast(kernel, '6.10')) throw refuse('sev-es-init2', `legacy-vm-type=off needs KVM_SEV_INIT2 (Linux >= 6.10); QEMU fails on Linux ${kernel.text}`);
    hits.push({ rule: 'sev-es-init2', effect: 'legacy-vm-type=off: KVM_SEV_INIT2, VMSA profile kvm-init2, SEV_FEATURES 0' });
    return { vmsaProfile: 'kvm-init2', guestFeatures: 0n, hits };
  }
  const debugSwap = kernel.major === 6 && (kernel.minor === 6 || kernel.minor === 7);
  if (debugSwap) {
    const param = stack.kvmAmd.debug_swap;
    if (param === 'N' || param === 'n' || param === '0') {
      hits.push({ rule: 'H2', effect: `Linux ${kernel.text} with kvm_amd.debug_swap=${param}: SEV_FEATURES 0` });
    } else {
      // KVM copies vmsa_features into every SEV-ES VMSA (sev_es_sync_vmsa); FPU state is not synced under the legacy init
      hits.push({ rule: 'H2', effect: `Linux ${kernel.text} with kvm_amd.debug_swap on (the default): SEV_FEATURES 0x20 (DebugSwap), VMSA profile kvm-legacy` });
      return { vmsaProfile: 'kvm-legacy', guestFeatures: 0x20n, hits };
    }
  }
  hits.push({ rule: 'H1', effect: `${compareVersion(qemu, '9.1') < 0 ? `QEMU ${qemu.text} has only` : `legacy-vm-type=${lvt}: QEMU uses`} the legacy KVM_SEV_ES_INIT: VMSA profile kvm-legacy (MXCSR 0, FCW 0), SEV_FEATURES 0` });
  return { vmsaProfile: 'kvm-legacy', guestFeatures: 0n, hits };
}

/** TDX support and page order on `stack`. */
export function deriveTdx(stack: HostStack): { pageOrder: 'single'; hits: RuleHit[] } {
  if (stack.vmm !== 'QEMU') throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `TDX is only modelled for QEMU/KVM (stack VMM ${stack.vmm})`);
  const qemu = need(stack.qemu, 'QEMU', 'TDX');
  const kernel = need(stack.hostKernel, 'host kernel', 'TDX');
  if (compareVersion(qemu, '10.1') < 0) throw refuse('tdx-support', `TDX needs QEMU >= 10.1 (upstream tdx-guest); QEMU ${qemu.text} cannot launch a TD (older TDX stacks used out-of-tree patches: use \`prelaunch tdx --page-order\`)`);
  if (compareVersion(kernel, '6.16') < 0) throw refuse('tdx-support', `TDX needs Linux >= 6.16 (upstream KVM TDX); Linux ${kernel.text} cannot launch a TD`);
  return {
    pageOrder: 'single',
    hits: [
      { rule: 'tdx-support', effect: `QEMU ${qemu.text} and Linux ${kernel.text} launch TDs` },
      { rule: 'tdx-page-order', effect: 'MRTD page order: single pass' },
    ],
  };
}
