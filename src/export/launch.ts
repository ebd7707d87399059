/**
 * QEMU / libvirt launch snippets for golden entries: the policy, host data and (when the
 * document carries them) the ID block and ID auth, encoded as QEMU and libvirt take them
 * (src/report/launch-config.ts). Entries with the same launch values share one snippet.
 */
import { fromBase64, fromHex } from '../bytes/hex.js';
import type { GoldenEntry } from '../golden/engine.js';
import { libvirtLaunchSecurity, qemuSnippet, type SnpLaunchConfig } from '../report/launch-config.js';

export function launchSnippets(entries: GoldenEntry[], target: 'qemu' | 'libvirt'): string {
  const groups = new Map<string, { config: SnpLaunchConfig; entries: GoldenEntry[]; kernelHashes: boolean }>();
  for (const e of entries.filter((x) => x.mode === 'snp')) {
    const ib = e.idBlock as { idBlock?: string; idAuth?: string; authorKeyDigest?: string | null } | undefined;
    const config: SnpLaunchConfig = {
      policy: BigInt(e.policy ?? '0x30000'),
      hostData: e.hostData ? fromHex(e.hostData) : null,
      idBlock: ib?.idBlock ? fromBase64(ib.idBlock) : null,
      idAuth: ib?.idAuth ? fromBase64(ib.idAuth) : null,
      authorKeyEnabled: !!ib?.authorKeyDigest,
    };
    const kernelHashes = e.inputs.kernel !== null;
    const key = JSON.stringify([e.policy, e.hostData ?? null, ib?.idBlock ?? null, ib?.idAuth ?? null, kernelHashes]);
    const g = groups.get(key);
    if (g) g.entries.push(e);
    else groups.set(key, { config, entries: [e], kernelHashes });
  }
  const out: string[] = [];
  for (const g of groups.values()) {
    const vc = [...new Set(g.entries.map((e) => e.vcpus))].join(',');
    const e0 = g.entries[0]!;
    if (target === 'qemu') {
      out.push(`# ${e0.artifact} ${e0.vmmType}${e0.vmsaProfile ? `/${e0.vmsaProfile}` : ''} ${[...new Set(g.entries.map((e) => e.vcpuType ?? e.vcpuSig))].join(' ')} vcpus=${vc}`);
      out.push(qemuSnippet({ ...g.config, ...(g.kernelHashes ? { kernelHashes: true } : {}) }));
    } else {
      out.push(`<!-- ${e0.artifact} ${e0.vmmType} vcpus=${vc} -->`);
      out.push(libvirtLaunchSecurity({ ...g.config, ...(g.kernelHashes ? { kernelHashes: true } : {}) }));
    }
  }
  return out.join('\n') + '\n';
}
