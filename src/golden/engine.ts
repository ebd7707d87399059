/**
 * Golden values: every configuration of a matrix measured from each artifact, reusing work
 * wherever the measurement allows it:
 *
 * - SNP: the firmware pages are hashed once per artifact (their digest seeds every chain);
 *   one chain per (VMM, VMSA profile, vCPU signature, guest features) is run for the largest
 *   vCPU count, and the digest for n vCPUs is read off that chain after the n-th VMSA page
 *   (the page list for n vCPUs is a prefix of the one for more). vCPU models sharing a
 *   signature share a chain. So 1,024 configurations (1–64 vCPUs × 16 models) cost one
 *   firmware pass plus five chains of ~100 PAGE_INFO hashes.
 * - SEV-ES: the SHA-256 state after firmware (and kernel hashes) is cloned per chain, and
 *   cloned again to read the digest after each VMSA.
 * - SEV: one digest per artifact.
 *
 * - TDX (mode tdx): MRTD per page order through the `prelaunch tdx` model (mrtdOfImage), and
 *   per TD shape (memory, ACPI tables) RTMR0–2 through predictRtmrs; what that model refuses is
 *   refused here, and what it does not predict (RTMR0 without the ACPI tables, RTMR1/2 without a
 *   direct-boot kernel) is null, never a guess.
 * - IGVM artifacts: the SEV-SNP launch digest and the TDX MRTD of the file, by measureIgvm.
 * - vTPM (mode tpm): per launch shape (QEMU version, memory, vCPUs, fw_cfg dump) the PCRs of
 *   both banks and the event digests behind them, through predictTpmPcrs (`prelaunch tpm
 *   predict`) and nothing else; a PCR with an event the model does not predict (PCR0's PEI
 *   volume) is null, and what the model refuses is refused, naming the artifact and the shape.
 *
 * Every value equals what `measure()` (`prelaunch tdx`, `prelaunch igvm measure`) gives for that
 * configuration (tests check samples, the benchmark checks all).
 */
import { expandStacks } from './stacks.js';
import { cmdlineBytes, describeCmdline, type KernelCmdline } from '../formats/linux/cmdline.js';
import { fromHex, toHex } from '../bytes/hex.js';
import { asSource, inputBytes, type ByteInput } from '../bytes/source.js';
import { FirmwareError, OptionError, PrelaunchError } from '../errors.js';
import { parseOvmf } from '../formats/ovmf/parse.js';
import { SnpPageType } from '../formats/snp/page-info.js';
import { DEFAULT_VMSA_PROFILE, VMSA_PROFILES, type VmmType, type VmsaProfileName } from '../formats/snp/vmsa-profiles.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { computeKernelHashes, sha256Source } from '../measure/kernel-hashes.js';
import { runSevPlan } from '../measure/sev-engine.js';
import { runSnpPlan } from '../measure/snp-engine.js';
import { planSev, planSevEs } from '../plan/sev.js';
import { snpSectionWarnings } from '../plan/launchability.js';
import { ovmfVmsas, planSnp, planSnpOvmfHash } from '../plan/snp.js';
import { DEFAULT_TDX_MATRIX, needsVcpuCount, type GoldenCpu, type GoldenMatrix, type GoldenMode, type GoldenTdxShape } from './matrix.js';
import { mrtdOfImage } from '../measure/tdx-mrtd.js';
import { predictRtmrs, type AcpiBlobs, type RtmrValues } from '../measure/rtmr.js';
import { EV, LINUX_INITRD_EVENT_TAG_ID, LINUX_LOAD_OPTIONS_EVENT_TAG_ID, TCG_PCCLIENT_TAGGED_EVENT, UEFI_VARIABLE_DATA } from '../formats/tdx/tcg-events.js';
import type { TdxPageOrder } from '../plan/tdx.js';
import { parseIgvm } from '../formats/igvm/parse.js';
import { measureIgvm } from '../measure/igvm.js';
import { checkIgvmIdBlock } from '../sign/igvm.js';
import type { ByteSource } from '../bytes/source.js';
import { memoryFactsCache, type FirmwareFactsCache } from '../measured-boot/edk2-firmware.js';
import { predictTpmPcrs, type TpmPrediction } from '../measured-boot/predict.js';

export const GOLDEN_SCHEMA = 'prelaunch-golden/v1';

export type GoldenArtifactKind = 'ovmf' | 'igvm';

export interface GoldenArtifact {
  /** a name unique within the manifest */
  name: string;
  /** ovmf: an OVMF/TDVF image; igvm: an IGVM file (firmware holds it) */
  kind: GoldenArtifactKind;
  firmware: ByteInput;
  /** the matrix modes this artifact is measured in (default: all that apply to its kind) */
  modes?: GoldenMode[] | null;
  /** TDX direct boot: QEMU's setup-header patch before the kernel's Authenticode (default true) */
  qemuKernelPatch?: boolean;
  /** as written in the manifest (relative paths keep documents reproducible across machines) */
  firmwarePath: string;
  /** tpm: the OVMF_VARS the guest starts with (absent: a unified image's own store, or an empty one) */
  vars?: ByteInput | null;
  varsPath?: string | null;
  kernel?: ByteInput | null;
  kernelPath?: string | null;
  initrd?: ByteInput | null;
  initrdPath?: string | null;
  cmdline?: KernelCmdline | null;
}

/** Signs ID blocks for entries, when the manifest asks for them (see the id-block module). */
export type GoldenIdBlockSigner = (measurement: Uint8Array, policy: bigint) => Record<string, unknown>;

export interface GoldenOptions {
  artifacts: GoldenArtifact[];
  matrix: GoldenMatrix;
  /** refuse matrices larger than this (default 100,000) */
  maxEntries?: number;
  tool: string;
  hashBackend?: HashBackend;
  idBlock?: GoldenIdBlockSigner | null;
  /** a timestamp to record (omitted by default so documents are reproducible) */
  timestamp?: string | null;
  onProgress?: (done: number, total: number) => void;
  /** called once per artifact with what the stack does that the caller should know (e.g. an unknown SEV metadata section type measured as ZERO pages) */
  onWarning?: (warning: string) => void;
  /** the ACPI tables of each TD shape that names an `acpiDir` (matrix.tdx.shapes), by shape name */
  tdxAcpi?: ReadonlyMap<string, AcpiBlobs> | null;
  /** the fw_cfg dump (fwcfg.tar bytes) of each vTPM shape that names one (matrix.tpm.shapes), by shape name */
  tpmFwCfg?: ReadonlyMap<string, Uint8Array> | null;
  /** the fw_cfg dump of each TD shape that names one (matrix.tdx.shapes[].fwCfg), by shape name */
  tdxFwCfg?: ReadonlyMap<string, Uint8Array> | null;
  /** keeps what is read from firmware volumes between runs (each artifact's firmware is read once per run regardless) */
  firmwareFactsCache?: FirmwareFactsCache | null;
}

export interface GoldenInputDigest {
  path: string;
  size: number;
  sha256: string;
}

export interface GoldenArtifactRecord {
  name: string;
  kind: GoldenArtifactKind;
  firmware: GoldenInputDigest;
  /** tpm: the varstore given with the firmware (absent when none was) */
  vars?: GoldenInputDigest;
  kernel: GoldenInputDigest | null;
  initrd: GoldenInputDigest | null;
  /** value: the text (null when the bytes are not UTF-8, then hex holds them) */
  cmdline: { value: string | null; hex?: string; sha256: string } | null;
}

export interface GoldenEntry {
  artifact: string;
  mode: GoldenMode;
  vmmType: VmmType | null;
  vmsaProfile: VmsaProfileName | null;
  vcpuType: string | null;
  vcpuSig: string | null;
  vcpus: number | null;
  guestFeatures: string | null;
  policy: string | null;
  /** HOST_DATA carried from the matrix (not part of the measurement) */
  hostData?: string;
  /** the host stack (matrix.stacks) this entry was derived for */
  stack?: string;
  /** lowercase hex: SHA-384 launch digest (snp), MRTD (tdx) or SHA-256 (sev, seves); null for tpm entries (their values are under `tpm`) */
  measurement: string | null;
  /** sha256 of each input this value depends on */
  inputs: { firmware: string; kernel: string | null; initrd: string | null; cmdline: string | null };
  idBlock?: Record<string, unknown>;
  /** mode tdx from an OVMF/TDVF image: the registers besides MRTD (`measurement`), and what the entry was computed for */
  tdx?: GoldenTdxValues;
  /** entries from an IGVM file: which platform of it was measured */
  igvm?: { platform: 'sev-snp' | 'tdx'; compatibilityMask: number };
  /** mode tpm: the vTPM PCRs of one launch shape and the event digests behind them */
  tpm?: GoldenTpmValues;
}

/** The two banks a vTPM prediction fills. */
export type GoldenTpmBank = 'sha256' | 'sha384';

/**
 * A tpm entry's values: lowercase hex, keyed by bank, then by PCR index as a decimal string.
 * Every PCR that receives an event is listed; one whose events are not all predicted (PCR0:
 * the PEI volume as in RAM) is null, never a guess.
 */
export interface GoldenTpmValues {
  /** the launch shape (matrix.tpm.shapes) */
  shape: string;
  qemuVersion: string;
  /** guest memory in bytes */
  memory: number;
  smp: number | null;
  /** sha256 of the shape's fw_cfg dump; null when none was given */
  fwCfg: string | null;
  /** the edk2 generation the model identified, and the firmware's version string */
  edk2: { generation: string; versionString: string | null };
  /**
   * the secure-boot state the PCR7 events measure: SecureBoot's value (null: the firmware has no
   * such variable, built without secure boot) and which of PK, KEK, db, dbx, dbt hold data
   */
  secureBoot: { enabled: boolean | null; enrolled: string[] };
  /**
   * the boot components' event digests per bank: the kernel's EV_EFI_BOOT_SERVICES_APPLICATION
   * (PCR4; null when secure boot rejects the kernel and no event is logged), the Linux EFI stub's
   * LoadOptions and initrd EV_EVENT_TAGs (PCR9; null when not logged)
   */
  boot: Record<'kernel' | 'loadOptions' | 'initrd', Record<GoldenTpmBank, string> | null>;
  pcrs: Record<GoldenTpmBank, Record<string, string | null>>;
  /** the events in log order, each with its digest per bank (null: not predicted) */
  events: Array<{ pcr: number; type: string; description: string; digests: Record<GoldenTpmBank, string> | null }>;
  /** the PCRs that are null, and why */
  unpredicted: Array<{ pcr: number; reason: string }>;
}

/**
 * A TDX entry's values (lowercase hex SHA-384 register values and event digests; null where
 * the model does not predict them: RTMR0 without the shape's ACPI tables, RTMR1/RTMR2 and the
 * event digests without a direct-boot kernel, everything but MRTD without a shape).
 */
export interface GoldenTdxValues {
  pageOrder: TdxPageOrder;
  /** the TD shape (matrix.tdx.shapes) */
  shape: string | null;
  memory: number | null;
  rtmr0: string | null;
  rtmr1: string | null;
  rtmr2: string | null;
  /** digest of the kernel's EV_EFI_BOOT_SERVICES_APPLICATION event (RTMR1; Trustee `tdvfkernel`) */
  kernelDigest: string | null;
  /** digest of the LOADED_IMAGE::LoadOptions EV_EVENT_TAG event (RTMR2; Trustee `tdvfkernelparams`) */
  cmdlineDigest: string | null;
  /** digest of the initrd EV_EVENT_TAG event (RTMR2) */
  initrdDigest: string | null;
  /** carried from matrix.tdx (not part of any measurement) */
  tdAttributes: string | null;
  xfam: string | null;
  mrConfigId: string | null;
}

export interface GoldenDocument {
  schema: string;
  tool: string;
  generated?: string;
  artifacts: GoldenArtifactRecord[];
  entries: GoldenEntry[];
}

const hex0x = (n: number | bigint): string => `0x${n.toString(16)}`;

function profilesFor(vmm: VmmType, wanted: VmsaProfileName[] | null): VmsaProfileName[] {
  const own = (wanted ?? []).filter((p) => VMSA_PROFILES[p].vmm === vmm);
  return own.length ? own : [DEFAULT_VMSA_PROFILE[vmm]];
}

/** The CPU dimension as the measurement sees it: only QEMU puts the signature in the VMSA. */
function cpusFor(vmm: VmmType, cpus: GoldenCpu[]): GoldenCpu[] | [null] {
  return vmm === 'QEMU' ? cpus : [null];
}

/** The modes an artifact is measured in: its own list, or the matrix's that apply to its kind. */
export function artifactModes(m: GoldenMatrix, a: { kind: GoldenArtifactKind; modes?: readonly GoldenMode[] | null }): GoldenMode[] {
  const wanted = a.modes ?? m.modes;
  return m.modes.filter((x) => wanted.includes(x) && (a.kind === 'ovmf' || x === 'snp' || x === 'tdx'));
}

function tdxEntriesPerArtifact(m: GoldenMatrix): number {
  const t = m.tdx ?? DEFAULT_TDX_MATRIX;
  return t.pageOrders.length * Math.max(1, t.shapes.length) * (t.tdAttributes?.length ?? 1) * (t.xfam?.length ?? 1) * (t.mrConfigId?.length ?? 1);
}

/** How many entries a matrix produces per OVMF artifact measured in all its modes (checked before any hashing). */
export function countEntries(m: GoldenMatrix): number {
  if (m.stacks) return expandStacks(m).reduce((n, s) => n + countEntries(s.matrix), 0);
  let n = 0;
  for (const mode of m.modes) {
    if (mode === 'sev') { n += 1; continue; }
    if (mode === 'tdx') { n += tdxEntriesPerArtifact(m); continue; }
    if (mode === 'tpm') { n += m.tpm?.shapes.length ?? 0; continue; }
    for (const vmm of m.vmmTypes) {
      const per = profilesFor(vmm, m.vmsaProfiles).length * cpusFor(vmm, m.cpus).length * m.vcpus.length;
      n += mode === 'snp' ? per * m.guestFeatures.length * (m.policies?.length ?? 1) * (m.hostData?.length ?? 1) : per;
    }
  }
  return n;
}

/** How many entries one artifact produces (its kind and modes). */
export function countArtifactEntries(m: GoldenMatrix, a: { kind: GoldenArtifactKind; modes?: readonly GoldenMode[] | null }): number {
  const modes = artifactModes(m, a);
  if (a.kind === 'igvm') return modes.length;
  return modes.length === m.modes.length ? countEntries(m) : countEntries({ ...m, modes });
}

export function generateGolden(o: GoldenOptions): GoldenDocument {
  if (o.matrix.stacks) {
    // one pass per (stack, mode), entries tagged with the stack's name
    const total = countEntries(o.matrix) * o.artifacts.length;
    const maxEntries = o.maxEntries ?? 100_000;
    if (total > maxEntries) throw new OptionError('maxEntries', `the matrix produces ${total} entries, more than the maximum ${maxEntries} (raise maxEntries / --max-entries if you mean it)`);
    let artifacts: GoldenArtifactRecord[] = [];
    const entries: GoldenEntry[] = [];
    for (const s of expandStacks(o.matrix)) {
      const doc = generateGolden({ ...o, matrix: s.matrix, maxEntries: Number.MAX_SAFE_INTEGER });
      artifacts = doc.artifacts;
      for (const e of doc.entries) entries.push({ ...e, stack: s.stack });
    }
    entries.sort(compareEntries);
    return { schema: GOLDEN_SCHEMA, tool: o.tool, ...(o.timestamp ? { generated: o.timestamp } : {}), artifacts, entries };
  }
  const backend = o.hashBackend ?? defaultBackend;
  const m = o.matrix;
  const maxEntries = o.maxEntries ?? 100_000;
  if (needsVcpuCount(m.modes)) {
    if (m.vmmTypes.includes('QEMU') && m.cpus.length === 0) throw new OptionError('matrix.vcpuTypes', 'QEMU needs vCPU types or signatures (vcpuTypes / vcpuSigs)');
  }
  const names = new Set<string>();
  for (const a of o.artifacts) {
    if (names.has(a.name)) throw new OptionError('artifacts', `artifact name ${JSON.stringify(a.name)} is used twice`);
    names.add(a.name);
  }
  const total = o.artifacts.reduce((n, a) => n + countArtifactEntries(m, a), 0);
  if (total > maxEntries) throw new OptionError('maxEntries', `the matrix produces ${total} entries, more than the maximum ${maxEntries} (raise maxEntries / --max-entries if you mean it)`);

  const artifacts: GoldenArtifactRecord[] = [];
  const entries: GoldenEntry[] = [];
  const maxVcpus = m.vcpus[m.vcpus.length - 1] ?? 1;
  let done = 0;
  const tick = (): void => { done++; if (o.onProgress && (done % 64 === 0 || done === total)) o.onProgress(done, total); };

  for (const input of o.artifacts) {
    const modes = artifactModes(m, input);
    if (input.kind === 'igvm') {
      const { record, entries: es } = igvmEntries(input, modes, backend);
      artifacts.push(record);
      for (const e of es) { entries.push(e); tick(); }
      continue;
    }
    const a = { ...input, firmware: asSource(input.firmware, input.firmwarePath), kernel: input.kernel ? asSource(input.kernel, input.kernelPath ?? 'kernel') : null, initrd: input.initrd ? asSource(input.initrd, input.initrdPath ?? 'initrd') : null };
    // a tpm-only artifact (OVMF_CODE without SEV/TDX metadata) is read by the measured-boot model alone
    const img = modes.some((x) => x !== 'tpm') ? parseOvmf(a.firmware) : null;
    if (img && modes.includes('snp')) for (const w of snpSectionWarnings(img)) o.onWarning?.(w);
    const kh = a.kernel ? computeKernelHashes(a.kernel, a.initrd ?? null, a.cmdline, backend) : null;
    const vars = input.vars ? asSource(input.vars, input.varsPath ?? 'vars') : null;
    const rec: GoldenArtifactRecord = {
      name: a.name,
      kind: 'ovmf',
      firmware: { path: a.firmwarePath, size: a.firmware.size, sha256: toHex(sha256Source(a.firmware, backend)) },
      ...(vars ? { vars: { path: input.varsPath ?? vars.name, size: vars.size, sha256: toHex(sha256Source(vars, backend)) } } : {}),
      kernel: a.kernel && kh ? { path: a.kernelPath ?? a.kernel.name, size: a.kernel.size, sha256: toHex(kh.kernel) } : null,
      initrd: a.initrd && kh ? { path: a.initrdPath ?? a.initrd.name, size: a.initrd.size, sha256: toHex(kh.initrd) } : null,
      cmdline: kh ? { ...describeCmdline(cmdlineBytes(a.cmdline)), sha256: toHex(kh.cmdline) } : null,
    };
    artifacts.push(rec);
    const inputs = { firmware: rec.firmware.sha256, kernel: rec.kernel?.sha256 ?? null, initrd: kh ? toHex(kh.initrd) : null, cmdline: rec.cmdline?.sha256 ?? null };
    const base = (mode: GoldenMode, vmm: VmmType | null, profile: VmsaProfileName | null, cpu: GoldenCpu | null, vcpus: number | null): Omit<GoldenEntry, 'measurement' | 'guestFeatures' | 'policy' | 'inputs'> => ({
      artifact: a.name, mode, vmmType: vmm, vmsaProfile: profile, vcpuType: cpu?.vcpuType ?? null, vcpuSig: cpu ? hex0x(cpu.vcpuSig) : null, vcpus,
    });

    for (const mode of modes) {
      if (mode === 'tpm') {
        for (const e of tpmEntries({ ...a, vars }, m, o, backend, base('tpm', 'QEMU', null, null, null), inputs)) { entries.push(e); tick(); }
        continue;
      }
      if (!img) continue; // unreachable: img is parsed whenever a mode other than tpm is measured
      if (mode === 'tdx') {
        for (const e of tdxEntries(a, img, m, o, backend, base('tdx', 'QEMU', null, null, null), inputs)) { entries.push(e); tick(); }
        continue;
      }
      if (mode === 'sev') {
        entries.push({ ...base('sev', null, null, null, null), guestFeatures: null, policy: null, measurement: toHex(runSevPlan(planSev(img, kh), backend)), inputs });
        tick();
        continue;
      }
      const seed = mode === 'snp' ? runSnpPlan(planSnpOvmfHash(img), backend) : null;
      for (const vmm of m.vmmTypes) {
        for (const profile of profilesFor(vmm, m.vmsaProfiles)) {
          const chains = new Map<string, string[]>(); // signature + features → digest after n VMSAs
          for (const cpu of cpusFor(vmm, m.cpus)) {
            const sig = cpu?.vcpuSig ?? 0;
            if (mode === 'seves') {
              const key = String(sig);
              let chain = chains.get(key);
              if (!chain) {
                chain = sevEsChain(img, kh, vmm, profile, sig, maxVcpus, backend);
                chains.set(key, chain);
              }
              for (const v of m.vcpus) {
                entries.push({ ...base(mode, vmm, profile, cpu, v), guestFeatures: null, policy: null, measurement: chain[v - 1]!, inputs });
                tick();
              }
              continue;
            }
            for (const gf of m.guestFeatures) {
              const key = `${sig}/${gf}`;
              let chain = chains.get(key);
              if (!chain) {
                const plan = planSnp(img, { vcpus: maxVcpus, vmm, vmsaProfile: profile, vcpuSig: sig, guestFeatures: gf, kernelHashes: kh, ovmfHash: seed });
                chain = [];
                const c = chain;
                runSnpPlan(plan, backend, (e) => { if (e.op.type === SnpPageType.VMSA) c.push(toHex(e.digest)); });
                chains.set(key, chain);
              }
              for (const v of m.vcpus) {
                for (const policy of m.policies ?? [null]) {
                  for (const hostData of m.hostData ?? [null]) {
                    const measurement = chain[v - 1]!;
                    const entry: GoldenEntry = { ...base(mode, vmm, profile, cpu, v), guestFeatures: hex0x(gf), policy: policy === null ? null : hex0x(policy), ...(hostData ? { hostData } : {}), measurement, inputs };
                    if (o.idBlock) entry.idBlock = o.idBlock(fromHex(measurement)!, policy ?? 0x30000n);
                    entries.push(entry);
                    tick();
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  entries.sort(compareEntries);
  return { schema: GOLDEN_SCHEMA, tool: o.tool, ...(o.timestamp ? { generated: o.timestamp } : {}), artifacts, entries };
}

const hexOrNull = (b: Uint8Array | null | undefined): string | null => (b ? toHex(b) : null);

/** The tag of a TCG_PCClientTaggedEvent (RTMR2's command-line and initrd events). */
function eventTag(data: Uint8Array): number | null {
  if (data.length < TCG_PCCLIENT_TAGGED_EVENT.size) return null;
  return TCG_PCCLIENT_TAGGED_EVENT.decode(data).taggedEventID;
}

/** predictRtmrs, or null (with `warn`) when it refuses the firmware as not modelled (ERR_FIRMWARE_UNSUPPORTED). */
function rtmrsOrNull(predict: () => RtmrValues, warn: (why: string) => void, artifact = 'the artifact'): RtmrValues | null {
  try {
    return predict();
  } catch (e) {
    if (e instanceof OptionError && e.option === '--vmm-version') {
      throw new OptionError('qemuKernelPatch', `${artifact}: its firmware measures the kernel unpatched when QEMU (>= 10.0, every upstream TDX QEMU) serves etc/boot/kernel and QEMU's setup-header-patched kernel before: say which with qemuKernelPatch (false: unpatched, true: patched)`);
    }
    if (!(e instanceof FirmwareError) || e.code !== 'ERR_FIRMWARE_UNSUPPORTED') throw e;
    warn(e.message);
    return null;
  }
}

/**
 * The tdx entries of one OVMF/TDVF artifact: per TD shape (or none), MRTD in each page order
 * (mrtdOfImage, as `prelaunch tdx` computes it) and RTMR0-2 (predictRtmrs); the carried values
 * multiply them.
 */
function tdxEntries(
  a: { name: string; kernel: ByteSource | null; initrd: ByteSource | null; cmdline?: KernelCmdline | null; qemuKernelPatch?: boolean },
  img: ReturnType<typeof parseOvmf>, m: GoldenMatrix, o: GoldenOptions, backend: HashBackend,
  base: Omit<GoldenEntry, 'measurement' | 'guestFeatures' | 'policy' | 'inputs'>, inputs: GoldenEntry['inputs'],
): GoldenEntry[] {
  const t = m.tdx ?? DEFAULT_TDX_MATRIX;
  if (a.kernel && t.shapes.length === 0) {
    // RTMR1 depends on the memory (QEMU patches the initrd address into the kernel), RTMR0 on the TD HOB
    throw new OptionError('matrix.tdx.shapes', `artifact ${a.name} has a kernel: its tdx entries need at least one TD shape (the guest memory), or RTMR1 and RTMR2 could not be predicted`);
  }
  const out: GoldenEntry[] = [];
  const warned = new Set<string>();
  const shapes: Array<GoldenTdxShape | null> = t.shapes.length ? t.shapes : [null];
  for (const shape of shapes) {
    const mrtd = mrtdOfImage(img, { orders: t.pageOrders, hashBackend: backend, memory: shape?.memory ?? null });
    for (const w of mrtd.warnings) if (!warned.has(w)) { warned.add(w); o.onWarning?.(`${a.name} (tdx): ${w}`); }
    const regs = { rtmr0: null as string | null, rtmr1: null as string | null, rtmr2: null as string | null, kernelDigest: null as string | null, cmdlineDigest: null as string | null, initrdDigest: null as string | null };
    if (shape) {
      const acpi = o.tdxAcpi?.get(shape.name) ?? null;
      if (shape.acpiDir !== null && !acpi) throw new OptionError('matrix.tdx.shapes', `shape ${shape.name}: its ACPI tables (${shape.acpiDir}) were not supplied`);
      const fwCfg = shape.fwCfg !== null ? o.tdxFwCfg?.get(shape.name) ?? null : null;
      if (shape.fwCfg !== null && !fwCfg) throw new OptionError('matrix.tdx.shapes', `shape ${shape.name}: its fw_cfg dump (${shape.fwCfg}) was not supplied`);
      const p = rtmrsOrNull(() => predictRtmrs(img, {
        memory: shape.memory,
        acpi,
        firmwareFactsCache: o.firmwareFactsCache ?? null,
        ...(fwCfg ? { fwCfg } : {}),
        hashBackend: backend,
        // qemuKernelPatch given: applied; not given: the firmware's generation decides (rule
        // kernel-from-etc-boot), and where that needs the QEMU version the manifest must say
        directBoot: a.kernel ? { kernel: a.kernel, initrd: a.initrd, append: a.cmdline ?? null, ...(a.qemuKernelPatch !== undefined ? { qemuKernelPatch: a.qemuKernelPatch } : {}) } : null,
      }), (why) => {
        // a firmware whose RTMR events are not modelled (no TdTcg2Dxe, an unmodelled edk2
        // generation): its MRTD entries stand, its RTMRs are null — and the warning says why
        const w = `${a.name} (tdx): RTMRs not predicted: ${why}`;
        if (!warned.has(w)) { warned.add(w); o.onWarning?.(w); }
      }, a.name);
      if (p) {
      // null where an event's digest is unknown (the ACPI tables not supplied): predictRtmrs says so itself
      regs.rtmr0 = hexOrNull(p.rtmrs[0]);
      if (a.kernel) {
        // without a direct-boot kernel the firmware boots something unmodelled: RTMR1/2 stay null
        regs.rtmr1 = hexOrNull(p.rtmrs[1]);
        regs.rtmr2 = hexOrNull(p.rtmrs[2]);
        regs.kernelDigest = hexOrNull(p.events.find((e) => e.rtmr === 1 && e.eventType === EV.EV_EFI_BOOT_SERVICES_APPLICATION)?.digest);
        regs.cmdlineDigest = hexOrNull(p.events.find((e) => e.rtmr === 2 && e.eventType === EV.EV_EVENT_TAG && eventTag(e.data) === LINUX_LOAD_OPTIONS_EVENT_TAG_ID)?.digest);
        regs.initrdDigest = hexOrNull(p.events.find((e) => e.rtmr === 2 && e.eventType === EV.EV_EVENT_TAG && eventTag(e.data) === LINUX_INITRD_EVENT_TAG_ID)?.digest);
      }
      }
    }
    for (const order of t.pageOrders) {
      for (const tdAttributes of t.tdAttributes ?? [null]) {
        for (const xfam of t.xfam ?? [null]) {
          for (const mrConfigId of t.mrConfigId ?? [null]) {
            out.push({
              ...base, guestFeatures: null, policy: null, measurement: toHex(mrtd[order]!), inputs,
              tdx: {
                pageOrder: order, shape: shape?.name ?? null, memory: shape?.memory ?? null,
                rtmr0: regs.rtmr0, rtmr1: regs.rtmr1, rtmr2: regs.rtmr2,
                kernelDigest: regs.kernelDigest, cmdlineDigest: regs.cmdlineDigest, initrdDigest: regs.initrdDigest,
                tdAttributes: tdAttributes === null ? null : hex0x(tdAttributes), xfam: xfam === null ? null : hex0x(xfam), mrConfigId,
              },
            });
          }
        }
      }
    }
  }
  return out;
}

/**
 * The tpm entries of one OVMF artifact: per launch shape, predictTpmPcrs (the model behind
 * `prelaunch tpm predict`) over the firmware, varstore, kernel, initrd and command line. What
 * it refuses (an unmodelled edk2 generation, a used varstore, a kernel secure boot would not
 * run) is refused with its own code, naming the artifact and the shape.
 */
function tpmEntries(
  a: { name: string; firmware: ByteSource; vars: ByteSource | null; kernel: ByteSource | null; initrd: ByteSource | null; cmdline?: KernelCmdline | null },
  m: GoldenMatrix, o: GoldenOptions, backend: HashBackend,
  base: Omit<GoldenEntry, 'measurement' | 'guestFeatures' | 'policy' | 'inputs'>, inputs: GoldenEntry['inputs'],
): GoldenEntry[] {
  const shapes = m.tpm?.shapes ?? [];
  if (shapes.length === 0) throw new OptionError('matrix.tpm.shapes', `artifact ${a.name}: tpm entries need at least one launch shape (QEMU version, memory)`);
  if (!a.kernel) throw new OptionError('kernel', `artifact ${a.name}: tpm entries need a direct-boot kernel (only QEMU direct boot is modelled)`);
  const firmware = inputBytes(a.firmware);
  const vars = a.vars ? inputBytes(a.vars) : null;
  const out: GoldenEntry[] = [];
  const warned = new Set<string>();
  const factsCache = memoryFactsCache(o.firmwareFactsCache ?? null); // the firmware is decompressed once for all shapes
  shapes.forEach((shape, i) => {
    const where = `matrix.tpm.shapes[${i}]`;
    const fwCfg = shape.fwCfg !== null ? o.tpmFwCfg?.get(shape.name) ?? null : null;
    if (shape.fwCfg !== null && !fwCfg) throw new OptionError(where, `shape ${shape.name}: its fw_cfg dump (${shape.fwCfg}) was not supplied`);
    let p: TpmPrediction;
    try {
      p = predictTpmPcrs({
        firmware, vars, kernel: a.kernel!, initrd: a.initrd, append: a.cmdline ?? null,
        qemuVersion: shape.qemuVersion, memory: shape.memory, ...(shape.smp !== null ? { smp: shape.smp } : {}), fwCfg,
        hashBackend: backend,
        firmwareFactsCache: factsCache,
        names: { firmware: `${a.name} firmware`, vars: `${a.name} vars`, fwCfg: `${where}.fwCfg` },
      });
    } catch (e) {
      if (e instanceof PrelaunchError) throw new PrelaunchError(e.code, `artifact ${a.name}, ${where} (${shape.name}): ${e.message}`, { ...e.data, artifact: a.name, path: `$.${where}` });
      throw e;
    }
    for (const w of p.warnings) {
      const text = `${a.name} (tpm): ${w}`;
      if (!warned.has(text)) { warned.add(text); o.onWarning?.(text); }
    }
    const pcrs: GoldenTpmValues['pcrs'] = { sha256: {}, sha384: {} };
    const indexes = [...new Set(p.events.map((e) => e.pcr))].sort((x, y) => x - y);
    for (const bank of ['sha256', 'sha384'] as const) for (const idx of indexes) pcrs[bank][String(idx)] = p.pcrs[bank][String(idx)] ?? null;
    out.push({
      ...base, vcpus: null, guestFeatures: null, policy: null, measurement: null, inputs,
      tpm: {
        shape: shape.name, qemuVersion: shape.qemuVersion, memory: shape.memory, smp: shape.smp,
        fwCfg: fwCfg ? toHex(backend.hash('sha256', fwCfg)) : null,
        edk2: { generation: p.firmware.generation, versionString: p.firmware.versionString },
        secureBoot: secureBootState(p),
        boot: {
          kernel: bankHex(p.events.find((e) => e.pcr === 4 && e.eventType === EV.EV_EFI_BOOT_SERVICES_APPLICATION)),
          loadOptions: bankHex(p.events.find((e) => e.pcr === 9 && e.eventType === EV.EV_EVENT_TAG && eventTag(e.data) === LINUX_LOAD_OPTIONS_EVENT_TAG_ID)),
          initrd: bankHex(p.events.find((e) => e.pcr === 9 && e.eventType === EV.EV_EVENT_TAG && eventTag(e.data) === LINUX_INITRD_EVENT_TAG_ID)),
        },
        pcrs,
        events: p.events.map((e) => ({ pcr: e.pcr, type: e.typeName, description: e.description, digests: e.digests ? { sha256: toHex(e.digests.sha256), sha384: toHex(e.digests.sha384) } : null })),
        unpredicted: p.unpredicted,
      },
    });
  });
  return out;
}

const bankHex = (e: TpmPrediction['events'][number] | undefined): Record<GoldenTpmBank, string> | null => (e?.digests ? { sha256: toHex(e.digests.sha256), sha384: toHex(e.digests.sha384) } : null);

/** SecureBoot and the enrolled key databases, read from the PCR7 events' UEFI_VARIABLE_DATA (what the firmware measures). */
function secureBootState(p: TpmPrediction): GoldenTpmValues['secureBoot'] {
  let enabled: boolean | null = null;
  const enrolled: string[] = [];
  for (const e of p.events) {
    if (e.pcr !== 7 || e.eventType !== EV.EV_EFI_VARIABLE_DRIVER_CONFIG || e.data.length < UEFI_VARIABLE_DATA.size) continue;
    const h = UEFI_VARIABLE_DATA.decode(e.data);
    const nameEnd = UEFI_VARIABLE_DATA.size + 2 * Number(h.unicodeNameLength);
    const name = String.fromCharCode(...Array.from({ length: Number(h.unicodeNameLength) }, (_, i) => e.data[UEFI_VARIABLE_DATA.size + 2 * i]! | (e.data[UEFI_VARIABLE_DATA.size + 2 * i + 1]! << 8)));
    const data = e.data.subarray(nameEnd, nameEnd + Number(h.variableDataLength));
    if (name === 'SecureBoot') enabled = data.length === 0 ? null : data[0] === 1;
    else if (data.length > 0) enrolled.push(name);
  }
  return { enabled, enrolled };
}

/**
 * The entries of an IGVM artifact: its SEV-SNP launch digest and TDX MRTD (measureIgvm), per
 * mode. An SNP ID block in the file that would make the launch fail (it expects another
 * digest, or its signatures do not verify) is refused, as `prelaunch igvm measure` refuses it:
 * its digest is a value no launch produces.
 */
function igvmEntries(input: GoldenArtifact, modes: GoldenMode[], backend: HashBackend): { record: GoldenArtifactRecord; entries: GoldenEntry[] } {
  const src = asSource(input.firmware, input.firmwarePath);
  const record: GoldenArtifactRecord = {
    name: input.name, kind: 'igvm',
    firmware: { path: input.firmwarePath, size: src.size, sha256: toHex(sha256Source(src, backend)) },
    kernel: null, initrd: null, cmdline: null,
  };
  const parsed = parseIgvm(src);
  const inputs = { firmware: record.firmware.sha256, kernel: null, initrd: null, cmdline: null };
  const entries = modes.map((mode): GoldenEntry => {
    const platform = mode === 'tdx' ? 'tdx' : 'sev-snp';
    const r = measureIgvm(parsed, { platform, hashBackend: backend });
    if (platform === 'sev-snp' && r.idBlock) {
      const c = checkIgvmIdBlock(parsed.file, r.idBlock.header, r.digest, r.compatibilityMask);
      if (!c.ok) throw new FirmwareError(`${input.firmwarePath}: the SNP ID block (header #${r.idBlock.location.index}) would make the launch fail: ${c.problems.join('; ')}`, { file: input.firmwarePath });
    }
    return {
      artifact: input.name, mode, vmmType: null, vmsaProfile: null, vcpuType: null, vcpuSig: null, vcpus: null, guestFeatures: null, policy: null,
      measurement: toHex(r.digest), inputs, igvm: { platform, compatibilityMask: r.compatibilityMask },
    };
  });
  return { record, entries };
}

function sevEsChain(img: ReturnType<typeof parseOvmf>, kh: ReturnType<typeof computeKernelHashes> | null, vmm: VmmType, profile: VmsaProfileName, sig: number, maxVcpus: number, backend: HashBackend): string[] {
  // the prefix (firmware and kernel hashes) is the plan for one vCPU minus its VMSA
  const plan = planSevEs(img, { vcpus: 1, vmm, vcpuSig: sig, kernelHashes: kh, vmsaProfile: profile });
  const prefix = backend.create('sha256');
  runSevPlan({ kind: 'sev', pieces: plan.pieces.slice(0, -1) }, backend, undefined, prefix);
  const { bsp, ap } = ovmfVmsas(img, vmm, sig, 0n, profile);
  const out: string[] = [];
  for (let i = 0; i < maxVcpus; i++) {
    prefix.update(i === 0 ? bsp : ap);
    out.push(toHex(prefix.clone().digest()));
  }
  return out;
}

const MODE_ORDER: Record<GoldenMode, number> = { snp: 0, seves: 1, sev: 2, tdx: 3, tpm: 4 };
const cmpStr = (a: string | null, b: string | null): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
const cmpNum = (a: number | null, b: number | null): number => (a ?? -1) - (b ?? -1);
const cmpHexNum = (a: string | null, b: string | null): number => {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const x = BigInt(a), y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** The canonical entry order: artifact, mode, VMM, profile, vCPU type, signature, features, policy, host data, vCPU count, stack; tdx: page order, shape, carried values. */
export function compareEntries(a: GoldenEntry, b: GoldenEntry): number {
  return (
    cmpStr(a.artifact, b.artifact) ||
    MODE_ORDER[a.mode] - MODE_ORDER[b.mode] ||
    cmpStr(a.vmmType, b.vmmType) ||
    cmpStr(a.vmsaProfile, b.vmsaProfile) ||
    cmpStr(a.vcpuType, b.vcpuType) ||
    cmpHexNum(a.vcpuSig, b.vcpuSig) ||
    cmpHexNum(a.guestFeatures, b.guestFeatures) ||
    cmpHexNum(a.policy, b.policy) ||
    cmpStr(a.hostData ?? null, b.hostData ?? null) ||
    cmpNum(a.vcpus, b.vcpus) ||
    cmpStr(a.stack ?? null, b.stack ?? null) ||
    cmpStr(a.tdx?.pageOrder ?? null, b.tdx?.pageOrder ?? null) ||
    cmpStr(a.tdx?.shape ?? null, b.tdx?.shape ?? null) ||
    cmpHexNum(a.tdx?.tdAttributes ?? null, b.tdx?.tdAttributes ?? null) ||
    cmpHexNum(a.tdx?.xfam ?? null, b.tdx?.xfam ?? null) ||
    cmpStr(a.tdx?.mrConfigId ?? null, b.tdx?.mrConfigId ?? null) ||
    cmpStr(a.tpm?.shape ?? null, b.tpm?.shape ?? null)
  );
}

/** The document as canonical JSON text (2-space indent, fixed key order, trailing newline). */
export function serializeGolden(doc: GoldenDocument): string {
  return JSON.stringify(doc, null, 2) + '\n';
}
