/**
 * snpguest: `snpguest verify attestation` checks one expected value per flag, as `0x` hex
 * (a value without `0x` is taken as raw ASCII). One line of flags per distinct expectation,
 * each preceded by a comment naming the entries it covers.
 */
import type { GoldenEntry } from '../golden/engine.js';

export function snpguestFlags(entries: GoldenEntry[]): string {
  const groups = new Map<string, GoldenEntry[]>();
  for (const e of entries.filter((x) => x.mode === 'snp')) {
    const ib = e.idBlock as { idKeyDigest?: string; authorKeyDigest?: string | null } | undefined;
    const flags = [`--measurement 0x${e.measurement}`];
    if (e.hostData) flags.push(`--host-data 0x${e.hostData}`);
    if (ib?.idKeyDigest) flags.push(`--id-key-digest 0x${ib.idKeyDigest}`);
    if (ib?.authorKeyDigest) flags.push(`--author-key-digest 0x${ib.authorKeyDigest}`);
    const key = flags.join(' ');
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const lines: string[] = [];
  for (const [flags, es] of groups) {
    const vc = es.map((e) => e.vcpus).filter((v): v is number => v !== null);
    const e0 = es[0]!;
    if (e0.igvm) lines.push(`# ${e0.artifact} (IGVM file, its own VMSAs)`);
    else {
      const cpus = [...new Set(es.map((e) => e.vcpuType ?? e.vcpuSig ?? e.vmmType))].join(' ');
      lines.push(`# ${e0.artifact} ${e0.vmmType}${e0.vmsaProfile ? `/${e0.vmsaProfile}` : ''} ${cpus} vcpus=${vc.length ? [...new Set(vc)].join(',') : '-'}`);
    }
    lines.push(flags);
  }
  return lines.join('\n') + '\n';
}
