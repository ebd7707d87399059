/**
 * Trustee (confidential-containers) RVPS: a reference-value registration message of type
 * "sample" — `{"version":"0.1.0","type":"sample","payload": base64(JSON {name: [values]})}` —
 * as `rvps-tool register --path MESSAGE` takes it. Values are lowercase hex, under the names
 * Trustee's default attestation policy queries (`snp_launch_measurement`, `snp_host_data`, …);
 * `names` overrides them (e.g. `rvps:///…/snp/measurement:<tag>`).
 */
import { toBase64, utf8 } from '../bytes/hex.js';
import type { GoldenEntry } from '../golden/engine.js';
import { unique } from './select.js';

export interface TrusteeOptions {
  /** reference-value name for SNP launch digests (default snp_launch_measurement) */
  measurementName?: string;
}

export function trusteeSample(entries: GoldenEntry[], o: TrusteeOptions = {}): Record<string, string[]> {
  const snp = entries.filter((e) => e.mode === 'snp');
  const sample: Record<string, string[]> = {};
  if (snp.length) sample[o.measurementName ?? 'snp_launch_measurement'] = unique(snp.map((e) => e.measurement));
  const host = unique(snp.map((e) => e.hostData).filter((x): x is string => !!x));
  if (host.length) sample.snp_host_data = host;
  const policies = unique(snp.map((e) => e.policy).filter((x): x is string => !!x));
  if (policies.length) {
    const bits = policies.map((p) => BigInt(p));
    sample.snp_guest_abi_major = unique(bits.map((b) => String(Number((b >> 8n) & 0xffn))));
    sample.snp_guest_abi_minor = unique(bits.map((b) => String(Number(b & 0xffn))));
    sample.snp_smt_allowed = unique(bits.map((b) => String(((b >> 16n) & 1n) === 1n)));
    sample.snp_single_socket = unique(bits.map((b) => String(((b >> 20n) & 1n) === 1n)));
  }
  const idk = unique(snp.map((e) => (e.idBlock as { idKeyDigest?: string } | undefined)?.idKeyDigest).filter((x): x is string => !!x));
  if (idk.length) sample.snp_id_key_digest = idk;
  return sample;
}

export function trusteeMessage(entries: GoldenEntry[], o: TrusteeOptions = {}): Record<string, string> {
  return { version: '0.1.0', type: 'sample', payload: toBase64(utf8(JSON.stringify(trusteeSample(entries, o)))) };
}
