/**
 * The typed library API for SEV, SEV-ES and SEV-SNP launch digests of OVMF firmware.
 * Every entry point takes inputs as bytes or {@link ByteSource}s plus one options object and
 * returns plain data; nothing here touches the file system or the process.
 */
import { asSource, type ByteSource } from '../bytes/source.js';
import { OptionError } from '../errors.js';
import { parseOvmf, type OvmfImage } from '../formats/ovmf/parse.js';
import type { KernelCmdline } from '../formats/linux/cmdline.js';
import type { KernelHashes } from '../formats/snp/kernel-hashes.js';
import { VMSA_GPA } from '../formats/snp/page-info.js';
import type { VmmType, VmsaProfileName } from '../formats/snp/vmsa-profiles.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import type { SevPlan, SnpPlan } from '../plan/ops.js';
import { planSev, planSevEs } from '../plan/sev.js';
import { LAUNCH_MODELS, type FirmwareLoader, type LaunchModel } from '../plan/launchability.js';
import { planSnp, planSnpOvmfHash, planSnpSvsm } from '../plan/snp.js';
import { computeKernelHashes, sha256Source } from './kernel-hashes.js';
import { runSevPlan, type SevTraceEvent } from './sev-engine.js';
import { runSnpPlan, type SnpTraceEvent } from './snp-engine.js';

export type SevMode = 'sev' | 'seves' | 'snp' | 'snp:ovmf-hash' | 'snp:svsm';
export const SEV_MODES: readonly SevMode[] = ['sev', 'seves', 'snp', 'snp:ovmf-hash', 'snp:svsm'];

type Input = ByteSource | Uint8Array;

export interface DirectBoot {
  kernel: Input;
  initrd?: Input | null;
  /** kernel command line: a string (hashed as UTF-8, as QEMU gets it from a UTF-8 shell) or the exact bytes; no NUL */
  append?: KernelCmdline | null;
}

export interface MeasureOptions {
  mode: SevMode;
  /** the OVMF image (for snp:svsm, the OVMF loaded below 4 GiB) */
  ovmf: Input;
  /** vCPU count (seves, snp, snp:svsm) */
  vcpus?: number;
  /** CPUID signature in the VMSA's rdx (QEMU); see cpuSig() and vcpuTypeSig() */
  vcpuSig?: number;
  vmm?: VmmType;
  /** VMSA generation (default: the VMM's current one): kvm-init2, kvm-legacy, ec2-2026, ec2-legacy, gce */
  vmsaProfile?: VmsaProfileName | null;
  /**
   * SEV_FEATURES of the VMSAs. snp: default 0x1 (SNPActive). seves: default 0; only DebugSwap
   * (0x20, Linux 6.6-6.7 hosts) is accepted. Refused for sev (no VMSA) and, unless 0x1, for
   * snp:svsm (its VMSA is fixed).
   */
  guestFeatures?: bigint;
  /** measured direct boot (kernel hashes) */
  directBoot?: DirectBoot | null;
  /** snp: resume from a precomputed `snp:ovmf-hash` digest instead of hashing the firmware pages */
  ovmfHash?: Uint8Array | null;
  /** snp:svsm: the SVSM image and the size of the OVMF vars store */
  svsm?: Input;
  varsSize?: number;
  /**
   * How the firmware reaches guest memory: `qemu` (default) — QEMU's `-bios`/pflash loader, and
   * firmware QEMU refuses (size, no SEV metadata for SNP) is refused with a FirmwareError;
   * `raw` — placed at 4 GiB − size exactly as given (the reference tools' model, for other
   * loaders and test fixtures). See src/plan/launchability.ts.
   */
  firmwareLoader?: FirmwareLoader;
  /**
   * Whose model the digest follows where sev-snp-measure and the real stack differ (see
   * src/plan/launchability.ts `LaunchModel`): `stack` (default) refuses firmware QEMU cannot
   * load and SEV_FEATURES no guest of the mode can carry, and measures unknown SEV metadata
   * section types as ZERO pages, as QEMU does; `sev-snp-measure` gives that tool's value with a
   * warning wherever no real launch produces it (the `prelaunch measure` drop-in without a host stack).
   */
  model?: LaunchModel;
  hashBackend?: HashBackend;
  /** called for every SNP page in order (tracing) */
  onPage?: (e: SnpTraceEvent) => void;
  /** called for every SEV/SEV-ES hashed piece in order (tracing) */
  onPiece?: (e: SevTraceEvent) => void;
}

export interface Measurement {
  mode: SevMode;
  algorithm: 'sha256' | 'sha384';
  digest: Uint8Array;
  /** the VMSA page of each vCPU (identical pages are the same object) */
  vmsas: Uint8Array[];
  kernelHashes: KernelHashes | null;
  /** how many SNP pages / SEV pieces were measured */
  operations: number;
  /**
   * What the stack does with this input that the caller should know, one sentence each (e.g. a
   * SEV metadata section type QEMU does not know, measured as ZERO pages). The CLI prints each
   * on stderr as `warning: …`.
   */
  warnings: string[];
}

const MODE_ALGORITHM: Record<SevMode, 'sha256' | 'sha384'> = { sev: 'sha256', seves: 'sha256', snp: 'sha384', 'snp:ovmf-hash': 'sha384', 'snp:svsm': 'sha384' };

function need<T>(value: T | undefined, option: string, mode: SevMode): T {
  if (value === undefined) throw new OptionError(option, `required in mode ${mode}`);
  return value;
}

/**
 * Refuse inputs the mode would not measure although they would change the guest's value:
 * a value given here is applied or refused, never dropped. (Inputs that do not change what
 * the mode computes, e.g. vCPUs for sev or the kernel for snp:ovmf-hash, are accepted.)
 */
/** Refuse inputs a mode does not use; returns the warnings of those the sev-snp-measure model ignores as that tool does. */
function checkModeInputs(o: MeasureOptions, model: LaunchModel): string[] {
  const warnings: string[] = [];
  const gf = o.guestFeatures;
  if (o.mode === 'sev') {
    if (gf !== undefined) throw new OptionError('--guest-features', 'SEV guests have no VMSA and so no SEV_FEATURES (use --mode seves or snp)');
    if (o.vmsaProfile) throw new OptionError('--vmsa-profile', 'SEV guests have no VMSA (use --mode seves or snp)');
  }
  if (o.mode === 'snp:svsm') {
    if (gf !== undefined && gf !== 1n) {
      const why = `snp:svsm models COCONUT-SVSM's fixed VMSA with SEV_FEATURES 0x1; 0x${gf.toString(16)} is not modelled (use an IGVM build and \`prelaunch igvm measure\`)`;
      if (model === 'stack') throw new OptionError('--guest-features', why);
      warnings.push(`--guest-features: ${why}. Measured with 0x1, as sev-snp-measure ignores the flag for snp:svsm`);
    }
    if (o.directBoot) throw new OptionError('--kernel', 'snp:svsm measures OVMF and the SVSM image only: measured direct boot (--kernel, --initrd, --append) is not modelled for it');
    if (o.vmsaProfile) throw new OptionError('--vmsa-profile', 'snp:svsm has its own fixed VMSA');
  } else if (o.svsm !== undefined || o.varsSize !== undefined) {
    throw new OptionError(o.svsm !== undefined ? '--svsm' : '--vars-size', `only used by --mode snp:svsm (not ${o.mode})`);
  }
  return warnings;
}

function withWarnings<P extends SnpPlan | SevPlan>(plan: P, kernelHashes: KernelHashes | null, first: string[]): { plan: P; kernelHashes: KernelHashes | null } {
  if (first.length > 0) plan.warnings = [...first, ...(plan.warnings ?? [])];
  return { plan, kernelHashes };
}

/** Build the plan for `o` without hashing anything but the direct-boot components. */
export function planMeasurement(o: MeasureOptions, img: OvmfImage = parseOvmf(asSource(o.ovmf, 'ovmf'))): { plan: SnpPlan | SevPlan; kernelHashes: KernelHashes | null } {
  const backend = o.hashBackend ?? defaultBackend;
  if (o.ovmfHash && o.mode !== 'snp') throw new OptionError('--snp-ovmf-hash', `only works with mode snp (not ${o.mode})`);
  const vmm = o.vmm ?? 'QEMU';
  const loader = o.firmwareLoader ?? 'qemu';
  if (loader !== 'qemu' && loader !== 'raw') throw new OptionError('firmwareLoader', `must be 'qemu' or 'raw' (got ${String(loader)})`);
  const model = o.model ?? 'stack';
  if (!LAUNCH_MODELS.includes(model)) throw new OptionError('model', `must be ${LAUNCH_MODELS.join(' or ')} (got ${String(model)})`);
  const inputWarnings = checkModeInputs(o, model);
  const kernelHashes =
    o.directBoot && o.mode !== 'snp:svsm' && o.mode !== 'snp:ovmf-hash'
      ? computeKernelHashes(asSource(o.directBoot.kernel, 'kernel'), o.directBoot.initrd ? asSource(o.directBoot.initrd, 'initrd') : null, o.directBoot.append, backend)
      : null;
  const sig = (): number => (vmm === 'QEMU' ? need(o.vcpuSig, '--vcpu-sig', o.mode) : o.vcpuSig ?? 0);
  switch (o.mode) {
    case 'sev':
      return withWarnings(planSev(img, kernelHashes, loader, model), kernelHashes, inputWarnings);
    case 'seves':
      return withWarnings(planSevEs(img, { vcpus: need(o.vcpus, '--vcpus', o.mode), vmm, vcpuSig: sig(), guestFeatures: o.guestFeatures ?? 0n, kernelHashes, vmsaProfile: o.vmsaProfile ?? null, firmwareLoader: loader, model }), kernelHashes, inputWarnings);
    case 'snp':
      return withWarnings(
        planSnp(img, { vcpus: need(o.vcpus, '--vcpus', o.mode), vmm, vcpuSig: sig(), guestFeatures: o.guestFeatures ?? 1n, kernelHashes, ovmfHash: o.ovmfHash ?? null, vmsaProfile: o.vmsaProfile ?? null, firmwareLoader: loader, model }),
        kernelHashes,
        inputWarnings,
      );
    case 'snp:ovmf-hash':
      return withWarnings(planSnpOvmfHash(img, loader, model), null, inputWarnings);
    case 'snp:svsm': {
      if (vmm !== 'QEMU') throw new OptionError('--vmm-type', `snp:svsm is only defined for QEMU (got ${vmm})`);
      const svsm = parseOvmf(asSource(need(o.svsm, '--svsm', o.mode), 'svsm'));
      return withWarnings(planSnpSvsm(img, svsm, { vcpus: need(o.vcpus, '--vcpus', o.mode), vcpuSig: sig(), varsSize: o.varsSize ?? 0 }), null, inputWarnings);
    }
    default:
      throw new OptionError('--mode', `unknown mode ${String(o.mode)}`);
  }
}

/** Compute a launch digest. */
export function measure(o: MeasureOptions): Measurement {
  const backend = o.hashBackend ?? defaultBackend;
  const { plan, kernelHashes } = planMeasurement(o);
  let digest: Uint8Array;
  let vmsas: Uint8Array[];
  if (plan.kind === 'snp') {
    digest = runSnpPlan(plan, backend, o.onPage);
    vmsas = plan.ops.filter((op) => op.gpa === VMSA_GPA && op.content?.kind === 'bytes').map((op) => (op.content as { bytes: Uint8Array }).bytes);
  } else {
    digest = runSevPlan(plan, backend, o.onPiece);
    vmsas = plan.pieces.filter((p) => p.label.startsWith('VMSA')).map((p) => (p.content as { bytes: Uint8Array }).bytes);
  }
  return {
    mode: o.mode,
    algorithm: MODE_ALGORITHM[o.mode],
    digest,
    vmsas,
    kernelHashes,
    operations: plan.kind === 'snp' ? plan.ops.length : plan.pieces.length,
    warnings: [...(plan.warnings ?? [])],
  };
}

/** SNP launch digest (the attestation report's MEASUREMENT). */
export function measureSnp(o: Omit<MeasureOptions, 'mode'>): Measurement {
  return measure({ ...o, mode: 'snp' });
}
/** SEV-ES launch digest (SHA-256). */
export function measureSevEs(o: Omit<MeasureOptions, 'mode'>): Measurement {
  return measure({ ...o, mode: 'seves' });
}
/** SEV launch digest (SHA-256). */
export function measureSev(o: Omit<MeasureOptions, 'mode'>): Measurement {
  return measure({ ...o, mode: 'sev' });
}
/** The firmware-pages stage of the SNP digest, to seed later `measureSnp({ovmfHash})` calls. */
export function snpOvmfHash(ovmf: Input, hashBackend?: HashBackend): Uint8Array {
  return measure({ mode: 'snp:ovmf-hash', ovmf, ...(hashBackend ? { hashBackend } : {}) }).digest;
}

/** SHA-256 of a whole input, streamed (for reports). */
export function inputSha256(input: Input, hashBackend?: HashBackend): Uint8Array {
  return sha256Source(asSource(input), hashBackend ?? defaultBackend);
}
