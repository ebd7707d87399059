/**
 * go-sev-guest `check -config FILE`: a check.Config in protobuf text format. A Config holds
 * one expected measurement, so the export needs entries that agree on it (narrow them with
 * --select). Bytes fields are written as escaped strings; `policy` is the guest policy the
 * report must not exceed; key digests go to trusted_id_key_hashes / trusted_author_key_hashes.
 */
import { OptionError } from '../errors.js';
import type { GoldenEntry } from '../golden/engine.js';
import { unique } from './select.js';
import { bytesLiteral } from './textproto.js';

export function goSevGuestConfig(entries: GoldenEntry[]): string {
  const snp = entries.filter((e) => e.mode === 'snp');
  const ms = unique(snp.map((e) => e.measurement));
  if (ms.length !== 1) {
    throw new OptionError('--select', `a go-sev-guest check configuration holds one measurement; the selection has ${ms.length} (narrow it, e.g. --select vcpus=4,vcpuType=EPYC-v4)`);
  }
  const e = snp[0]!;
  const ib = e.idBlock as { idKeyDigest?: string; authorKeyDigest?: string | null; familyId?: string; imageId?: string; guestSvn?: number } | undefined;
  const lines = [
    e.igvm ? `# ${e.artifact}: IGVM file (its own VMSAs and policy)` : `# ${e.artifact}: ${e.vmmType}${e.vmsaProfile ? `/${e.vmsaProfile}` : ''} ${e.vcpuType ?? e.vcpuSig ?? ''} vcpus=${unique(snp.map((x) => x.vcpus)).join(',')} guestFeatures=${e.guestFeatures}`,
    'policy {',
    `  measurement: ${bytesLiteral(e.measurement!)}`, // snp entries always carry one (validateGoldenDocument)
  ];
  if (e.policy) lines.push(`  policy: ${BigInt(e.policy).toString()}`);
  if (e.hostData) lines.push(`  host_data: ${bytesLiteral(e.hostData)}`);
  if (ib?.familyId) lines.push(`  family_id: ${bytesLiteral(ib.familyId)}`);
  if (ib?.imageId) lines.push(`  image_id: ${bytesLiteral(ib.imageId)}`);
  if (typeof ib?.guestSvn === 'number') lines.push(`  minimum_guest_svn: ${ib.guestSvn}`);
  if (ib?.idKeyDigest) {
    lines.push('  require_id_block: true', `  trusted_id_key_hashes: ${bytesLiteral(ib.idKeyDigest)}`);
    if (ib.authorKeyDigest) lines.push('  require_author_key: true', `  trusted_author_key_hashes: ${bytesLiteral(ib.authorKeyDigest)}`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
