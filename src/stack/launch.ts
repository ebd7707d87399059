/**
 * What a QEMU command line or a libvirt domain says about a confidential launch, in one
 * shape ({@link LaunchDescription}), and how it combines with a {@link HostStack} into the
 * inputs of a measurement ({@link resolveLaunch}), with the stack rules that fired.
 */
import { PrelaunchError } from '../errors.js';
import type { VmsaProfileName } from '../formats/snp/vmsa-profiles.js';
import { hostModelFromSig, qemuModelSig, type CpuOverrides } from './cpu-models.js';
import type { HostStack } from './model.js';
import { deriveSev, deriveTdx, type LegacyVmType, type RuleHit } from './rules.js';

export type GuestType = 'sev' | 'sev-es' | 'sev-snp' | 'tdx';

export type GuestCpu =
  | { kind: 'model'; name: string; overrides: CpuOverrides }
  | { kind: 'host'; how: string }
  | { kind: 'host-model' }
  | { kind: 'none' };

export interface LaunchDescription {
  source: { kind: 'qemu' | 'libvirt'; file: string };
  guest: GuestType;
  /** the confidential-guest object's properties as given (for the report) */
  properties: Record<string, string | number | boolean>;
  /** SEV policy (sev-guest) / SNP policy (sev-snp-guest), as QEMU will pass it */
  policy: bigint | null;
  kernelHashes: boolean;
  legacyVmType: LegacyVmType | null;
  /** vCPUs created at start (one VMSA each) */
  vcpus: number;
  maxVcpus: number | null;
  cpu: GuestCpu;
  /** the firmware file, and how it is mapped */
  firmware: { path: string; device: 'memory' | 'flash'; via: string };
  kernel: string | null;
  initrd: string | null;
  append: Uint8Array | null;
  idBlock: Uint8Array | null;
  idAuth: Uint8Array | null;
  authorKeyEnabled: boolean;
  hostData: Uint8Array | null;
  machine: string | null;
  /** notes on what was read and how (for the report) */
  notes: string[];
}

export interface ResolvedLaunch {
  mode: 'sev' | 'seves' | 'snp' | 'tdx';
  vcpus: number;
  vcpuSig: number | null;
  vcpuSigSource: string | null;
  vmsaProfile: VmsaProfileName;
  guestFeatures: bigint;
  directBoot: { kernel: string; initrd: string | null; append: Uint8Array | null } | null;
  tdxPageOrder: 'single' | null;
  hits: RuleHit[];
}

export interface LaunchOverrides {
  vmsaProfile?: VmsaProfileName;
  guestFeatures?: bigint;
}

function guestCpuSig(d: LaunchDescription, stack: HostStack, hits: RuleHit[]): { sig: number; source: string } {
  const where = d.source.file;
  switch (d.cpu.kind) {
    case 'model': {
      const sig = qemuModelSig(d.cpu.name, d.cpu.overrides, where);
      const o = Object.entries(d.cpu.overrides).map(([k, v]) => `${k}=${v}`).join(',');
      const source = `-cpu ${d.cpu.name}${o ? `,${o}` : ''}`;
      hits.push({ rule: 'H5', effect: `${source}: rdx 0x${sig.toString(16)}` });
      return { sig, source };
    }
    case 'host': {
      if (stack.hostCpuSig === null) throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${where}: ${d.cpu.how} gives the guest the host's CPUID(1).EAX, which this stack does not record: give --host-cpu-sig (e.g. from \`prelaunch host probe\`)`);
      hits.push({ rule: 'H5', effect: `${d.cpu.how}: rdx = host signature 0x${stack.hostCpuSig.toString(16)}` });
      return { sig: stack.hostCpuSig, source: `${d.cpu.how} (host signature)` };
    }
    case 'host-model': {
      let name = stack.hostModel;
      let how = 'the stack\'s hostModel';
      if (name === null && stack.hostCpuSig !== null) {
        name = hostModelFromSig(stack.hostCpuSig);
        how = `libvirt cpu_map signature of host 0x${stack.hostCpuSig.toString(16)}`;
      }
      if (name === null) {
        throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${where}: <cpu mode='host-model'> runs the CPU model libvirt resolves on the host, which the domain XML does not name${stack.hostCpuSig !== null ? ` and host signature 0x${stack.hostCpuSig.toString(16)} matches no libvirt EPYC model` : ''}: give --host-model NAME (virsh domcapabilities, <mode name='host-model'><model>) or a stack file from \`prelaunch host probe\``);
      }
      const sig = qemuModelSig(name, {}, where);
      hits.push({ rule: 'H5', effect: `host-model resolved to ${name} (${how}): rdx 0x${sig.toString(16)}` });
      return { sig, source: `host-model → ${name}` };
    }
    case 'none':
      throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${where}: no guest CPU model (-cpu / <cpu>): QEMU's default model is not modelled; name the model the guest runs`);
  }
}

/** Combine a launch description with a stack; `overrides` are explicit flags (--vmsa-profile, --guest-features). */
export function resolveLaunch(d: LaunchDescription, stack: HostStack, overrides: LaunchOverrides = {}): ResolvedLaunch {
  const hits: RuleHit[] = [];
  if (d.guest === 'tdx') {
    const t = deriveTdx(stack);
    return { mode: 'tdx', vcpus: d.vcpus, vcpuSig: null, vcpuSigSource: null, vmsaProfile: 'kvm-init2', guestFeatures: 0n, directBoot: null, tdxPageOrder: t.pageOrder, hits: t.hits };
  }
  const mode = d.guest === 'sev' ? 'sev' : d.guest === 'sev-es' ? 'seves' : 'snp';
  const derived = deriveSev(stack, d.guest, d.legacyVmType);
  hits.push(...derived.hits);
  if (d.firmware.device === 'memory' && stack.vmm === 'QEMU') {
    // H8 is checked by the parsers (they know the file size); recorded here for the report
  }
  let vmsaProfile = derived.vmsaProfile;
  let guestFeatures = derived.guestFeatures;
  if (overrides.vmsaProfile !== undefined && overrides.vmsaProfile !== vmsaProfile) {
    hits.push({ rule: 'override', effect: `--vmsa-profile ${overrides.vmsaProfile} instead of ${vmsaProfile}` });
    vmsaProfile = overrides.vmsaProfile;
  }
  if (overrides.guestFeatures !== undefined && overrides.guestFeatures !== guestFeatures) {
    hits.push({ rule: 'override', effect: `--guest-features 0x${overrides.guestFeatures.toString(16)} instead of 0x${guestFeatures.toString(16)}` });
    guestFeatures = overrides.guestFeatures;
  }
  let vcpuSig: number | null = null;
  let vcpuSigSource: string | null = null;
  if (mode !== 'sev') {
    hits.push({ rule: 'smp-boot-vcpus', effect: `${d.vcpus} VMSA${d.vcpus === 1 ? '' : 's'}${d.maxVcpus !== null && d.maxVcpus !== d.vcpus ? ` (maxcpus ${d.maxVcpus} are hot-pluggable slots, not measured)` : ''}` });
    if (stack.vmm === 'QEMU') {
      const s = guestCpuSig(d, stack, hits);
      vcpuSig = s.sig;
      vcpuSigSource = s.source;
    }
  }
  let directBoot: ResolvedLaunch['directBoot'] = null;
  if (d.kernel !== null) {
    if (d.kernelHashes) {
      directBoot = { kernel: d.kernel, initrd: d.initrd, append: d.append };
      hits.push({ rule: 'H7', effect: `cmdline hashed as ${d.append ? d.append.length : 0} raw bytes + NUL` });
    } else {
      hits.push({ rule: 'H6', effect: 'kernel-hashes is off: the kernel, initrd and cmdline are not measured' });
    }
  }
  return { mode, vcpus: d.vcpus, vcpuSig, vcpuSigSource, vmsaProfile, guestFeatures, directBoot, tdxPageOrder: null, hits };
}
