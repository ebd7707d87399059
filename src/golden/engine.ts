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
 * Every value equals what `measure()` gives for that configuration (tests check samples,
 * the benchmark checks all).
 */
import { expandStacks } from './stacks.js';
import { cmdlineBytes, describeCmdline, type KernelCmdline } from '../formats/linux/cmdline.js';
import { fromHex, toHex } from '../bytes/hex.js';
import { asSource, type ByteInput } from '../bytes/source.js';
import { OptionError } from '../errors.js';
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
import type { GoldenCpu, GoldenMatrix, GoldenMode } from './matrix.js';

export const GOLDEN_SCHEMA = 'prelaunch-golden/v1';

export interface GoldenArtifact {
  /** a name unique within the manifest */
  name: string;
  kind: 'ovmf';
  firmware: ByteInput;
  /** as written in the manifest (relative paths keep documents reproducible across machines) */
  firmwarePath: string;
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
}

export interface GoldenInputDigest {
  path: string;
  size: number;
  sha256: string;
}

export interface GoldenArtifactRecord {
  name: string;
  kind: 'ovmf';
  firmware: GoldenInputDigest;
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
  /** lowercase hex: SHA-384 launch digest (snp) or SHA-256 (sev, seves) */
  measurement: string;
  /** sha256 of each input this value depends on */
  inputs: { firmware: string; kernel: string | null; initrd: string | null; cmdline: string | null };
  idBlock?: Record<string, unknown>;
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

/** How many entries a matrix produces per artifact (checked before any hashing). */
export function countEntries(m: GoldenMatrix): number {
  if (m.stacks) return expandStacks(m).reduce((n, s) => n + countEntries(s.matrix), 0);
  let n = 0;
  for (const mode of m.modes) {
    if (mode === 'sev') { n += 1; continue; }
    for (const vmm of m.vmmTypes) {
      const per = profilesFor(vmm, m.vmsaProfiles).length * cpusFor(vmm, m.cpus).length * m.vcpus.length;
      n += mode === 'snp' ? per * m.guestFeatures.length * (m.policies?.length ?? 1) * (m.hostData?.length ?? 1) : per;
    }
  }
  return n;
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
  if (m.modes.includes('snp') || m.modes.includes('seves')) {
    if (m.vmmTypes.includes('QEMU') && m.cpus.length === 0) throw new OptionError('matrix.vcpuTypes', 'QEMU needs vCPU types or signatures (vcpuTypes / vcpuSigs)');
  }
  const names = new Set<string>();
  for (const a of o.artifacts) {
    if (names.has(a.name)) throw new OptionError('artifacts', `artifact name ${JSON.stringify(a.name)} is used twice`);
    names.add(a.name);
  }
  const total = countEntries(m) * o.artifacts.length;
  if (total > maxEntries) throw new OptionError('maxEntries', `the matrix produces ${total} entries, more than the maximum ${maxEntries} (raise maxEntries / --max-entries if you mean it)`);

  const artifacts: GoldenArtifactRecord[] = [];
  const entries: GoldenEntry[] = [];
  const maxVcpus = m.vcpus[m.vcpus.length - 1] ?? 1;
  let done = 0;
  const tick = (): void => { done++; if (o.onProgress && (done % 64 === 0 || done === total)) o.onProgress(done, total); };

  for (const input of o.artifacts) {
    const a = { ...input, firmware: asSource(input.firmware, input.firmwarePath), kernel: input.kernel ? asSource(input.kernel, input.kernelPath ?? 'kernel') : null, initrd: input.initrd ? asSource(input.initrd, input.initrdPath ?? 'initrd') : null };
    const img = parseOvmf(a.firmware);
    if (m.modes.includes('snp')) for (const w of snpSectionWarnings(img)) o.onWarning?.(w);
    const kh = a.kernel ? computeKernelHashes(a.kernel, a.initrd ?? null, a.cmdline, backend) : null;
    const rec: GoldenArtifactRecord = {
      name: a.name,
      kind: 'ovmf',
      firmware: { path: a.firmwarePath, size: a.firmware.size, sha256: toHex(sha256Source(a.firmware, backend)) },
      kernel: a.kernel && kh ? { path: a.kernelPath ?? a.kernel.name, size: a.kernel.size, sha256: toHex(kh.kernel) } : null,
      initrd: a.initrd && kh ? { path: a.initrdPath ?? a.initrd.name, size: a.initrd.size, sha256: toHex(kh.initrd) } : null,
      cmdline: kh ? { ...describeCmdline(cmdlineBytes(a.cmdline)), sha256: toHex(kh.cmdline) } : null,
    };
    artifacts.push(rec);
    const inputs = { firmware: rec.firmware.sha256, kernel: rec.kernel?.sha256 ?? null, initrd: kh ? toHex(kh.initrd) : null, cmdline: rec.cmdline?.sha256 ?? null };
    const base = (mode: GoldenMode, vmm: VmmType | null, profile: VmsaProfileName | null, cpu: GoldenCpu | null, vcpus: number | null): Omit<GoldenEntry, 'measurement' | 'guestFeatures' | 'policy' | 'inputs'> => ({
      artifact: a.name, mode, vmmType: vmm, vmsaProfile: profile, vcpuType: cpu?.vcpuType ?? null, vcpuSig: cpu ? hex0x(cpu.vcpuSig) : null, vcpus,
    });

    for (const mode of m.modes) {
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

const MODE_ORDER: Record<GoldenMode, number> = { snp: 0, seves: 1, sev: 2 };
const cmpStr = (a: string | null, b: string | null): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
const cmpNum = (a: number | null, b: number | null): number => (a ?? -1) - (b ?? -1);
const cmpHexNum = (a: string | null, b: string | null): number => {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const x = BigInt(a), y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** The canonical entry order: artifact, mode, VMM, profile, vCPU type, signature, features, policy, vCPU count. */
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
    cmpStr(a.stack ?? null, b.stack ?? null)
  );
}

/** The document as canonical JSON text (2-space indent, fixed key order, trailing newline). */
export function serializeGolden(doc: GoldenDocument): string {
  return JSON.stringify(doc, null, 2) + '\n';
}
