/**
 * SEV and SEV-ES launch digests: one SHA-256 over the firmware, the kernel-hashes table
 * (measured direct boot) and, for SEV-ES, every vCPU's VMSA page.
 */
import { FirmwareError, OptionError } from '../errors.js';
import type { OvmfImage } from '../formats/ovmf/parse.js';
import { encodeKernelHashesTable, type KernelHashes } from '../formats/snp/kernel-hashes.js';
import type { VmmType, VmsaProfileName } from '../formats/snp/vmsa-profiles.js';
import { requireLaunchable, type FirmwareLoader } from './launchability.js';
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

export function planSev(img: OvmfImage, kernelHashes: KernelHashes | null, loader: FirmwareLoader = 'qemu'): SevPlan {
  requireLaunchable(img, 'sev', 'QEMU', loader);
  return { kind: 'sev', pieces: firmwareAndTable(img, kernelHashes) };
}

export interface SevEsPlanOptions {
  vcpus: number;
  vmm: VmmType;
  vcpuSig: number;
  kernelHashes?: KernelHashes | null;
  vmsaProfile?: VmsaProfileName | null;
  /** how the firmware is loaded (default QEMU's loader, whose rules are checked) */
  firmwareLoader?: FirmwareLoader;
}

export function planSevEs(img: OvmfImage, o: SevEsPlanOptions): SevPlan {
  checkVcpus(o.vcpus);
  requireLaunchable(img, 'seves', o.vmm, o.firmwareLoader);
  // SEV-ES guests have no SEV_FEATURES: the field stays 0 whatever --guest-features says
  const { bsp, ap } = ovmfVmsas(img, o.vmm, o.vcpuSig, 0n, o.vmsaProfile);
  if (o.vcpus > 1 && img.resetEip === 0) {
    throw new FirmwareError(`${img.source.name}: the SEV-ES reset block holds AP reset EIP 0: application processors cannot start`);
  }
  const pieces = firmwareAndTable(img, o.kernelHashes ?? null);
  for (let i = 0; i < o.vcpus; i++) pieces.push({ label: `VMSA vCPU ${i}`, content: { kind: 'bytes', bytes: i === 0 ? bsp : ap } });
  return { kind: 'sev', pieces };
}
