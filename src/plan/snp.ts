/**
 * SNP measurement plans for OVMF firmware (QEMU, EC2, GCE) and for the pre-IGVM
 * COCONUT-SVSM layout. The order is the order in which the VMM issues
 * SNP_LAUNCH_UPDATE; it decides the digest.
 */
import { FirmwareError, OptionError } from '../errors.js';
import { PAGE_SIZE, SevSectionType, sevSectionTypeName } from '../formats/ovmf/defs.js';
import type { OvmfImage } from '../formats/ovmf/parse.js';
import { KERNEL_HASHES_TABLE_PADDED, encodeKernelHashesTable, type KernelHashes } from '../formats/snp/kernel-hashes.js';
import { SnpPageType, VMSA_GPA } from '../formats/snp/page-info.js';
import { encodeVmsa } from '../formats/snp/vmsa.js';
import { BSP_EIP, resetVmsa, svsmVmsa, vmsaProfileFor, type VmmType, type VmsaProfileName } from '../formats/snp/vmsa-profiles.js';
import { checkLaunch, checkLoadable, snpSectionProblems, snpSectionWarnings, type FirmwareLoader, type LaunchModel } from './launchability.js';
import type { SnpPageOp, SnpPlan } from './ops.js';

export interface SnpPlanOptions {
  vcpus: number;
  vmm: VmmType;
  /** CPUID signature placed in rdx (QEMU only) */
  vcpuSig: number;
  /** VMSA generation for the VMM (default: the VMM's current one, see VMSA_PROFILES) */
  vmsaProfile?: VmsaProfileName | null;
  /** SEV_FEATURES of every VMSA */
  guestFeatures: bigint;
  /** kernel/initrd/cmdline hashes for measured direct boot */
  kernelHashes?: KernelHashes | null;
  /** resume from a precomputed firmware-pages digest (`snp:ovmf-hash`) instead of hashing the firmware */
  ovmfHash?: Uint8Array | null;
  /** how the firmware is loaded (default QEMU's loader, whose rules are checked) */
  firmwareLoader?: FirmwareLoader;
  /** whose model the digest follows where sev-snp-measure and the stack differ (default: the stack) */
  model?: LaunchModel;
}

function needAligned(what: string, size: number): void {
  if (size % PAGE_SIZE !== 0) throw new FirmwareError(`${what} is ${size} bytes, not a multiple of 4096: it cannot be loaded page by page`);
}

/** NORMAL pages for the whole of an image at `gpa`, appended to `ops` (default: a new list). */
export function imagePages(img: OvmfImage, gpa: number, label: string, ops: SnpPageOp[] = []): SnpPageOp[] {
  needAligned(img.source.name, img.size);
  for (let off = 0; off < img.size; off += PAGE_SIZE) {
    ops.push({ gpa: gpa + off, type: SnpPageType.NORMAL, content: { kind: 'source', source: img.source, offset: off }, label });
  }
  return ops;
}

/** One page operation per page of [gpa, gpa+size), appended to `ops` (never spread: a range can hold a million pages). */
function rangePages(ops: SnpPageOp[], gpa: number, size: number, type: SnpPageType, label: string): void {
  if (size % PAGE_SIZE !== 0) throw new FirmwareError(`${label} section at GPA 0x${gpa.toString(16)} has size 0x${size.toString(16)}, not a multiple of 4096`);
  for (let off = 0; off < size; off += PAGE_SIZE) ops.push({ gpa: gpa + off, type, content: null, label });
}

/** The page QEMU fills with the kernel-hashes table, at the table's offset within its page. */
export function kernelHashesPage(img: OvmfImage, hashes: KernelHashes): Uint8Array {
  if (!img.hashTable) {
    throw new FirmwareError(`${img.source.name}: no SEV hash-table entry in the OVMF footer table: kernel hashes need an AmdSevX64 build`);
  }
  const offset = img.hashTable.gpa & 0xfff;
  if (offset + KERNEL_HASHES_TABLE_PADDED > PAGE_SIZE) {
    throw new FirmwareError(`${img.source.name}: the kernel-hashes table at GPA 0x${img.hashTable.gpa.toString(16)} would cross its page`);
  }
  const page = new Uint8Array(PAGE_SIZE);
  page.set(encodeKernelHashesTable(hashes), offset);
  return page;
}

/**
 * The SEV metadata sections of `img` as page operations, appended to `ops` (QEMU's order; EC2
 * measures CPUID pages after all other sections; GCE leaves SNP_SEC_MEM unmeasured). A section
 * type QEMU does not know is measured as ZERO pages, as QEMU does (sev.c
 * `snp_metadata_desc_to_page_type`); launchability.ts warns about it. The sections must have
 * passed launchability.ts's bounds (page aligned, below 4 GiB, disjoint) first.
 */
export function metadataPages(img: OvmfImage, vmm: VmmType, kernelHashes: KernelHashes | null, ops: SnpPageOp[] = []): SnpPageOp[] {
  const deferredCpuid: SnpPageOp[] = [];
  let sawKernelHashes = false;
  for (const s of img.sevMetadata?.sections ?? []) {
    switch (s.type) {
      case SevSectionType.SNP_SEC_MEM:
        rangePages(ops, s.gpa, s.size, vmm === 'gce' ? SnpPageType.UNMEASURED : SnpPageType.ZERO, 'SNP_SEC_MEM');
        break;
      case SevSectionType.SNP_SECRETS:
        ops.push({ gpa: s.gpa, type: SnpPageType.SECRETS, content: null, label: 'SNP_SECRETS' });
        break;
      case SevSectionType.CPUID: {
        const op: SnpPageOp = { gpa: s.gpa, type: SnpPageType.CPUID, content: null, label: 'CPUID' };
        if (vmm === 'ec2') deferredCpuid.push(op);
        else ops.push(op);
        break;
      }
      case SevSectionType.SVSM_CAA:
        rangePages(ops, s.gpa, s.size, SnpPageType.ZERO, 'SVSM_CAA');
        break;
      case SevSectionType.SNP_KERNEL_HASHES:
        sawKernelHashes = true;
        if (kernelHashes) {
          if (s.size !== PAGE_SIZE) {
            throw new FirmwareError(`${img.source.name}: SNP_KERNEL_HASHES section at GPA 0x${s.gpa.toString(16)} is 0x${s.size.toString(16)} bytes; measured direct boot needs exactly one page`);
          }
          ops.push({ gpa: s.gpa, type: SnpPageType.NORMAL, content: { kind: 'bytes', bytes: kernelHashesPage(img, kernelHashes) }, label: 'SNP_KERNEL_HASHES' });
        } else {
          rangePages(ops, s.gpa, s.size, SnpPageType.ZERO, 'SNP_KERNEL_HASHES');
        }
        break;
      default:
        rangePages(ops, s.gpa, s.size, SnpPageType.ZERO, sevSectionTypeName(s.type));
    }
  }
  for (const op of deferredCpuid) ops.push(op);
  if (kernelHashes && !sawKernelHashes) {
    throw new FirmwareError(
      `${img.source.name}: --kernel given but the OVMF metadata has no SNP_KERNEL_HASHES section: measured direct boot needs an AmdSevX64 build` +
        (img.sevMetadata ? '' : ' (this image has no SEV metadata at all)'),
    );
  }
  return ops;
}

function vmsaOps(bsp: Uint8Array, ap: Uint8Array, vcpus: number, ops: SnpPageOp[]): SnpPageOp[] {
  for (let i = 0; i < vcpus; i++) {
    ops.push({ gpa: VMSA_GPA, type: SnpPageType.VMSA, content: { kind: 'bytes', bytes: i === 0 ? bsp : ap }, label: `VMSA vCPU ${i}` });
  }
  return ops;
}

export function requireResetEip(img: OvmfImage): number {
  if (img.resetEip === null) {
    throw new FirmwareError(
      `${img.source.name}: no SEV-ES reset block in the OVMF footer table (${img.table ? 'the table lacks the entry' : 'the image has no footer table'}): SEV-ES and SNP need an OVMF built with SEV-ES support (OvmfPkgX64 or AmdSevX64)`,
    );
  }
  return img.resetEip;
}

/** Upper bound on vCPUs (as the CLI's): each vCPU is one planned operation, so an absurd count must not exhaust memory. */
export const MAX_VCPUS = 0xffff;

export function checkVcpus(vcpus: number): void {
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > MAX_VCPUS) throw new OptionError('--vcpus', `must be a whole number in 1..${MAX_VCPUS} (got ${vcpus})`);
}

export function checkGuestFeatures(v: bigint): void {
  if (v < 0n || v >= 1n << 64n) throw new OptionError('--guest-features', `must be within 0..2^64-1 (got ${v})`);
}

/** The VMSA pages (BSP first, then one shared AP page) for an OVMF guest. */
export function ovmfVmsas(img: OvmfImage, vmm: VmmType, vcpuSig: number, sevFeatures: bigint, profileName?: VmsaProfileName | null): { bsp: Uint8Array; ap: Uint8Array } {
  const apEip = requireResetEip(img);
  // rdx is 64-bit: the reference accepts any non-negative value (the CLI limits it to the 32-bit CPUID signature)
  if (!Number.isSafeInteger(vcpuSig) || vcpuSig < 0) throw new OptionError('--vcpu-sig', `must be a non-negative integer (got ${vcpuSig})`);
  let profile;
  try {
    profile = vmsaProfileFor(vmm, profileName);
  } catch (e) {
    throw new OptionError('--vmsa-profile', (e as Error).message);
  }
  const bsp = encodeVmsa(resetVmsa(profile, BSP_EIP, vcpuSig, sevFeatures));
  return { bsp, ap: apEip === BSP_EIP ? bsp : encodeVmsa(resetVmsa(profile, apEip, vcpuSig, sevFeatures)) };
}

export function planSnp(img: OvmfImage, o: SnpPlanOptions): SnpPlan {
  checkVcpus(o.vcpus);
  checkGuestFeatures(o.guestFeatures);
  const warnings = checkLaunch(img, 'snp', o.vmm, o.firmwareLoader ?? 'qemu', o.model ?? 'stack');
  if (o.ovmfHash && o.ovmfHash.length !== 48) throw new OptionError('--snp-ovmf-hash', `must be 48 bytes (got ${o.ovmfHash.length})`);
  const { bsp, ap } = ovmfVmsas(img, o.vmm, o.vcpuSig, o.guestFeatures, o.vmsaProfile);
  if (o.vcpus > 1 && img.resetEip === 0) {
    throw new FirmwareError(`${img.source.name}: the SEV-ES reset block holds AP reset EIP 0: application processors cannot start (use 1 vCPU or a firmware with a valid reset block)`);
  }
  const ops: SnpPageOp[] = [];
  if (!o.ovmfHash) imagePages(img, img.gpa, 'firmware', ops);
  metadataPages(img, o.vmm, o.kernelHashes ?? null, ops);
  vmsaOps(bsp, ap, o.vcpus, ops);
  return { kind: 'snp', initialDigest: o.ovmfHash ?? null, ops, warnings };
}

/**
 * The firmware-pages stage only (`snp:ovmf-hash`): its digest seeds later measurements. The
 * image must be loadable as SNP firmware (the metadata is checked when the digest is used).
 */
export function planSnpOvmfHash(img: OvmfImage, loader: FirmwareLoader = 'qemu', model: LaunchModel = 'stack'): SnpPlan {
  const warnings = checkLoadable(img, 'snp', loader, model);
  return { kind: 'snp', initialDigest: null, ops: imagePages(img, img.gpa, 'firmware'), warnings };
}

export interface SvsmPlanOptions {
  vcpus: number;
  vcpuSig: number;
  /** size of the OVMF variable store QEMU maps between the SVSM and OVMF */
  varsSize: number;
}

/**
 * COCONUT-SVSM under QEMU before IGVM (sev-snp-measure `snp:svsm`): OVMF ends at 4 GiB,
 * the vars store sits below it, the SVSM image below that. OVMF and SVSM pages are
 * measured, then the SVSM image's own metadata, then identical VMSAs entering the SVSM.
 */
export function planSnpSvsm(ovmf: OvmfImage, svsm: OvmfImage, o: SvsmPlanOptions): SnpPlan {
  checkVcpus(o.vcpus);
  if (!Number.isInteger(o.varsSize) || o.varsSize <= 0) throw new OptionError('--vars-size', 'snp:svsm needs the size of the OVMF variable store (--vars-size or --vars-file)');
  if (o.varsSize % PAGE_SIZE !== 0) throw new OptionError('--vars-size', `${o.varsSize} is not a multiple of 4096: QEMU maps flash in whole pages`);
  if (svsm.svsmInfoOffset === null) {
    throw new FirmwareError(`${svsm.source.name}: no SVSM_INFO entry in the footer table: this is not a COCONUT-SVSM image`);
  }
  const svsmGpa = ovmf.gpa - o.varsSize - svsm.size;
  if (svsmGpa < 0) throw new FirmwareError(`${svsm.source.name}: OVMF, vars store and SVSM do not fit below 4 GiB`);
  // the SVSM's own metadata: the SNP_LAUNCH_UPDATE bounds (this out-of-tree QEMU's loader is not modelled)
  const problems = snpSectionProblems(svsm, false);
  if (problems.length > 0) throw new FirmwareError(`${svsm.source.name}: SNP cannot launch this SVSM image: ${problems[0]}`, { mode: 'snp:svsm', problems });
  const ops: SnpPageOp[] = [];
  imagePages(ovmf, ovmf.gpa, 'firmware', ops);
  imagePages(svsm, svsmGpa, 'SVSM', ops);
  metadataPages(svsm, 'QEMU', null, ops);
  const vmsa = encodeVmsa(svsmVmsa(svsmGpa + svsm.svsmInfoOffset, o.vcpuSig));
  vmsaOps(vmsa, vmsa, o.vcpus, ops);
  return { kind: 'snp', initialDigest: null, ops, warnings: snpSectionWarnings(svsm) };
}
