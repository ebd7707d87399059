/**
 * SEV and SEV-ES launch digests: one SHA-256 over the firmware, the kernel-hashes table
 * (measured direct boot) and, for SEV-ES, every vCPU's VMSA page.
 */
import { FirmwareError, OptionError } from '../errors.js';
import type { OvmfImage } from '../formats/ovmf/parse.js';
import { encodeKernelHashesTable, type KernelHashes } from '../formats/snp/kernel-hashes.js';
import type { VmmType, VmsaProfileName } from '../formats/snp/vmsa-profiles.js';
import { checkLaunch, type FirmwareLoader, type LaunchModel } from './launchability.js';
import type { SevPlan } from './ops.js';
import { checkVcpus, ovmfVmsas } from './snp.js';

function firmwareAndTable(img: OvmfImage, kernelHashes: KernelHashes | null): SevPlan['pieces'] {
  const pieces: SevPlan['pieces'] = [{ label: 'firmware', content: { kind: 'range', source: img.source, offset: 0, length: img.size } }];
  if (kernelHashes) {
    if (!img.hashTable || img.hashTable.gpa === 0) {
      throw new FirmwareError(
        `${img.source.name}: --kernel given but this OVMF does not support kernel/initrd/cmdline measurement (` +
          (img.hashTable ? 'hash-table GPA is 0: an OvmfPkgX64 build' : 'no SEV hash-table entry') +
          '); measured direct boot needs an AmdSevX64 build',
      );
    }
    pieces.push({ label: 'kernel hashes table', content: { kind: 'bytes', bytes: encodeKernelHashesTable(kernelHashes) } });
  }
  return pieces;
}

export function planSev(img: OvmfImage, kernelHashes: KernelHashes | null, loader: FirmwareLoader = 'qemu', model: LaunchModel = 'stack'): SevPlan {
  const warnings = checkLaunch(img, 'sev', 'QEMU', loader, model);
  return { kind: 'sev', pieces: firmwareAndTable(img, kernelHashes), warnings };
}

export interface SevEsPlanOptions {
  vcpus: number;
  vmm: VmmType;
  vcpuSig: number;
  /** SEV_FEATURES of the VMSAs (default 0); see {@link SEV_ES_GUEST_FEATURES} */
  guestFeatures?: bigint;
  kernelHashes?: KernelHashes | null;
  vmsaProfile?: VmsaProfileName | null;
  /** how the firmware is loaded (default QEMU's loader, whose rules are checked) */
  firmwareLoader?: FirmwareLoader;
  /** whose model the digest follows where sev-snp-measure and the stack differ (default: the stack) */
  model?: LaunchModel;
}

/**
 * The SEV_FEATURES bits an SEV-ES VMSA can carry: DebugSwap (bit 5) only. KVM writes
 * `save->sev_features = sev->vmsa_features` in `sev_es_sync_vmsa` for SEV-ES as for SNP
 * (Linux 6.6-6.7 set DebugSwap there by default: host-stacks.md H2), and LAUNCH_UPDATE_VMSA
 * hashes the whole page, so the field is measured. KVM accepts no other vmsa_features for an
 * SEV-ES VM (`sev_supported_vmsa_features`: DebugSwap, plus SNP-only bits), and SNPActive
 * (bit 0) makes VMRUN of a non-SNP guest fail: such a guest has no launch digest.
 */
export const SEV_ES_GUEST_FEATURES = 0x20n;

/**
 * The SEV_FEATURES an SEV-ES VMSA is given for `v`, and the warnings. Bits no SEV-ES guest can
 * carry are refused under the `stack` model; under `sev-snp-measure` (which ignores the flag for
 * SEV-ES) they are dropped with a warning, and DebugSwap is still applied.
 */
export function sevEsGuestFeatures(v: bigint, model: LaunchModel = 'stack'): { features: bigint; warnings: string[] } {
  if (v < 0n || v >= 1n << 64n) throw new OptionError('--guest-features', `must be within 0..2^64-1 (got ${v})`);
  const bad = v & ~SEV_ES_GUEST_FEATURES;
  if (!bad) return { features: v, warnings: [] };
  const why =
    `0x${v.toString(16)} cannot be in an SEV-ES VMSA: bit(s) 0x${bad.toString(16)} ${bad & 1n ? '(SNPActive) ' : ''}are SNP-only or set by no KVM for SEV-ES guests; ` +
    'SEV-ES VMSAs carry 0 (the default) or DebugSwap 0x20 (Linux 6.6-6.7 hosts)';
  if (model === 'stack') throw new OptionError('--guest-features', why);
  const kept = v & SEV_ES_GUEST_FEATURES;
  return {
    features: kept,
    warnings: [`--guest-features ${why}. Measured with 0x${kept.toString(16)}, as sev-snp-measure ignores the flag for SEV-ES; no SEV-ES launch has the bits asked for`],
  };
}

export function planSevEs(img: OvmfImage, o: SevEsPlanOptions): SevPlan {
  checkVcpus(o.vcpus);
  const model = o.model ?? 'stack';
  const warnings = checkLaunch(img, 'seves', o.vmm, o.firmwareLoader ?? 'qemu', model);
  const { features, warnings: featureWarnings } = sevEsGuestFeatures(o.guestFeatures ?? 0n, model);
  warnings.push(...featureWarnings);
  const { bsp, ap } = ovmfVmsas(img, o.vmm, o.vcpuSig, features, o.vmsaProfile);
  if (o.vcpus > 1 && img.resetEip === 0) {
    throw new FirmwareError(`${img.source.name}: the SEV-ES reset block holds AP reset EIP 0: application processors cannot start`);
  }
  const pieces = firmwareAndTable(img, o.kernelHashes ?? null);
  for (let i = 0; i < o.vcpus; i++) pieces.push({ label: `VMSA vCPU ${i}`, content: { kind: 'bytes', bytes: i === 0 ? bsp : ap } });
  return { kind: 'sev', pieces, warnings };
}
