/**
 * Trustee (confidential-containers) RVPS: a reference-value registration message of type
 * "sample" — `{"version":"0.1.0","type":"sample","payload": base64(JSON {name: [values]})}` —
 * as `rvps-tool register --path MESSAGE` takes it. Values are lowercase hex, under the names
 * Trustee's default attestation policy queries (`snp_launch_measurement`, `snp_host_data`, …);
 * `names` overrides them (e.g. `rvps:///…/snp/measurement:<tag>`).
 *
 * TDX entries add the names Trustee's TDX verifier and default policy use. The verifier
 * (confidential-containers/trustee deps/verifier/src/tdx/claims.rs, generate_parsed_claim)
 * publishes the quote body as `input.tdx.quote.body.{mr_td, rtmr_0..rtmr_3, xfam, td_attributes,
 * mr_config_id, tcb_svn, …}`, each `hex::encode` of the raw field (so XFAM is its 8
 * little-endian bytes); the default policy (attestation-service/src/ear_token/
 * ear_default_policy_cpu.rego, rules `executables`, `hardware`, `configuration`,
 * tdx_uefi_event_tdvfkernel_ok, tdx_uefi_event_tdvfkernelparams_ok) queries `mr_td`, `rtmr_1`,
 * `rtmr_2`, `xfam`, `tdvfkernel` (the EV_EFI_BOOT_SERVICES_APPLICATION "File(kernel)" event
 * digest) and `tdvfkernelparams` (the LOADED_IMAGE::LoadOptions event digest). `rtmr_0` is
 * written when the document predicts it (a TD shape with its ACPI tables), and `td_attributes`
 * and `mr_config_id` when the manifest carries them, for policies that check them; `rtmr_3` (runtime) and `tcb_svn` (the platform's TCB) are not launch values and
 * are never written.
 */
import { toBase64, utf8 } from '../bytes/hex.js';
import type { GoldenEntry } from '../golden/engine.js';
import { unique } from './select.js';
import { le64Hex } from './textproto.js';

export interface TrusteeOptions {
  /** reference-value name for SNP launch digests (default snp_launch_measurement) */
  measurementName?: string;
}

export function trusteeSample(entries: GoldenEntry[], o: TrusteeOptions = {}): Record<string, string[]> {
  const snp = entries.filter((e) => e.mode === 'snp');
  const sample: Record<string, string[]> = {};
  if (snp.length) sample[o.measurementName ?? 'snp_launch_measurement'] = unique(snp.map((e) => e.measurement).filter((x): x is string => !!x));
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
  Object.assign(sample, trusteeTdxSample(entries));
  Object.assign(sample, trusteeTpmSample(entries));
  return sample;
}

/** The reference-value name Trustee's default policy gives PCR `index` of a TPM quote (`tpm_pcr11`). */
export const trusteeTpmName = (index: number): string => `tpm_pcr${index}`;

/** The claim name Trustee's TPM verifier gives PCR `index` (`input.tpm.pcr04`). */
export const trusteeTpmClaim = (index: number): string => `pcr${String(index).padStart(2, '0')}`;

/** `tpm_pcrN` → every predicted SHA-256 value of PCR N among the tpm entries (PCRs in numeric order). */
export function trusteeTpmSample(entries: GoldenEntry[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const byPcr = new Map<number, string[]>();
  for (const e of entries) {
    if (e.mode !== 'tpm' || !e.tpm) continue;
    for (const [k, v] of Object.entries(e.tpm.pcrs.sha256)) if (v) byPcr.set(Number(k), [...(byPcr.get(Number(k)) ?? []), v]);
  }
  for (const idx of [...byPcr.keys()].sort((a, b) => a - b)) out[trusteeTpmName(idx)] = unique(byPcr.get(idx)!);
  return out;
}

export function trusteeMessage(entries: GoldenEntry[], o: TrusteeOptions = {}): Record<string, string> {
  return { version: '0.1.0', type: 'sample', payload: toBase64(utf8(JSON.stringify(trusteeSample(entries, o)))) };
}

/** Names and values a TDX reference-value set holds: one list per name, values as Trustee's claims spell them. */
export function trusteeTdxSample(entries: GoldenEntry[]): Record<string, string[]> {
  const tdx = entries.filter((e) => e.mode === 'tdx');
  const out: Record<string, string[]> = {};
  const put = (name: string, values: Array<string | null | undefined>): void => {
    const v = unique(values.filter((x): x is string => !!x));
    if (v.length) out[name] = v;
  };
  put('mr_td', tdx.map((e) => e.measurement));
  put('rtmr_0', tdx.map((e) => e.tdx?.rtmr0));
  put('rtmr_1', tdx.map((e) => e.tdx?.rtmr1));
  put('rtmr_2', tdx.map((e) => e.tdx?.rtmr2));
  put('xfam', tdx.map((e) => (e.tdx?.xfam ? le64Hex(BigInt(e.tdx.xfam)) : null)));
  // carried values, under their quote-body claim names, for policies that check them
  put('td_attributes', tdx.map((e) => (e.tdx?.tdAttributes ? le64Hex(BigInt(e.tdx.tdAttributes)) : null)));
  put('mr_config_id', tdx.map((e) => e.tdx?.mrConfigId));
  put('tdvfkernel', tdx.map((e) => e.tdx?.kernelDigest));
  put('tdvfkernelparams', tdx.map((e) => e.tdx?.cmdlineDigest));
  return out;
}
