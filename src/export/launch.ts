/**
 * QEMU / libvirt launch snippets for golden entries: each SNP entry's measurement inputs
 * (kernel measured or not, vCPU count, CPU model, policy, host data, and the ID block and ID
 * auth when the document carries them) rendered by the same code as `id-block --emit`
 * (src/report/launch-config.ts). Entries with the same snippet share one.
 */
import { fromBase64, fromHex } from '../bytes/hex.js';
import { OptionError } from '../errors.js';
import type { GoldenEntry } from '../golden/engine.js';
import { launchSnippet, type SnpLaunchConfig } from '../report/launch-config.js';

export interface LaunchHostOptions {
  /** host C-bit position / reduced physical address bits (default: launch-config.ts) */
  cbitpos?: number;
  reducedPhysBits?: number;
}

/** The launch configuration a golden SNP entry was measured for. */
export function entryLaunchConfig(e: GoldenEntry, host: LaunchHostOptions = {}): SnpLaunchConfig {
  const ib = e.idBlock as { idBlock?: string; idAuth?: string; authorKeyDigest?: string | null } | undefined;
  return {
    policy: BigInt(e.policy ?? '0x30000'),
    hostData: e.hostData ? fromHex(e.hostData) : null,
    idBlock: ib?.idBlock ? fromBase64(ib.idBlock) : null,
    idAuth: ib?.idAuth ? fromBase64(ib.idAuth) : null,
    authorKeyEnabled: !!ib?.authorKeyDigest,
    kernelHashes: e.inputs.kernel !== null,
    vcpus: e.vcpus,
    cpuModel: e.vcpuType,
    ...(host.cbitpos !== undefined ? { cbitpos: host.cbitpos } : {}),
    ...(host.reducedPhysBits !== undefined ? { reducedPhysBits: host.reducedPhysBits } : {}),
  };
}

export function launchSnippets(entries: GoldenEntry[], target: 'qemu' | 'libvirt', host: LaunchHostOptions = {}): string {
  const groups = new Map<string, GoldenEntry[]>();
  const snp = entries.filter((x) => x.mode === 'snp');
  // QEMU loads an IGVM file with -object igvm-cfg; its VMSAs and policy come from the file, not from these flags
  const igvm = snp.find((x) => x.igvm);
  if (igvm) throw new OptionError('--select', `entry of igvm artifact ${igvm.artifact} selected: QEMU and libvirt snippets describe OVMF launches (add artifact=NAME to --select)`);
  // a QEMU or libvirt launch is a QEMU/KVM guest: EC2 and GCE entries have no such snippet
  const other = snp.find((x) => x.vmmType !== 'QEMU');
  if (other) throw new OptionError('--select', `entry for vmmType ${other.vmmType} selected: QEMU and libvirt launch snippets exist only for QEMU entries (add vmmType=QEMU to --select)`);
  for (const e of snp) {
    const snippet = launchSnippet(entryLaunchConfig(e, host), target);
    const g = groups.get(snippet);
    if (g) g.push(e);
    else groups.set(snippet, [e]);
  }
  const out: string[] = [];
  for (const [snippet, group] of groups) {
    const e0 = group[0]!;
    const what = `${e0.artifact} ${e0.vmmType}${e0.vmsaProfile ? `/${e0.vmsaProfile}` : ''} ${e0.vcpuType ?? `signature ${e0.vcpuSig}`} guestFeatures=${e0.guestFeatures}`;
    out.push(target === 'qemu' ? `# ${what}` : `<!-- ${what} -->`);
    out.push(snippet);
  }
  return out.join('\n') + '\n';
}
