/**
 * CoRIM (draft-ietf-rats-corim) for SEV-SNP and for TDX ({@link tdxCorim}, the Intel profile).
 *
 * SEV-SNP: the AMD SEV-SNP profile draft
 * (draft-deeglaze-amd-sev-snp-corim-profile): an unsigned CoRIM (CBOR tag 501) holding one
 * CoMID (tag 506) whose reference triples describe acceptable attestation-report values.
 *
 *   corim-map     { 0: id, 1: [ #6.506(bstr .cbor comid) ], 3: #6.32(profile URI) }
 *   comid         { 1: { 0: tag-id }, 4: { 0: [ reference-triple … ] } }
 *   triple        [ { 0: class-map { 0: #6.111(OID 1.3.6.1.4.1.3704.3.1), 1: "AMD", 2: "SEV-SNP" } },
 *                   [ measurement-map … ] ]
 *   measurement   { 0: mkey, 1: measurement-values-map }
 *     mkey 641 MEASUREMENT  { 2: [[7, 48 bytes]] }          (digests; 7 = sha-384)
 *     mkey 2   POLICY       { 4: #6.560(8 bytes LE) }        (raw-value)
 *     mkey 642 HOST_DATA    { 4: #6.560(32 bytes) }
 *     mkey 643 ID_KEY_DIGEST, 644 AUTHOR_KEY_DIGEST  { 2: [[7, 48 bytes]] }
 *
 * One triple per distinct combination of these values; a verifier accepts evidence that
 * matches any one triple. CBOR is written by the cbor2 library with deterministic
 * (sorted-key) encoding, so the same document gives the same bytes.
 */
import { Tag, encode } from 'cbor2';
import { fromHex } from '../bytes/hex.js';
import type { GoldenDocument } from '../golden/engine.js';
import { unique } from './select.js';
import { OptionError } from '../errors.js';

export const SNP_CORIM_PROFILE = 'tag:amd.com,2025:snp-corim-profile';
/** 1.3.6.1.4.1.3704.3.1: SEV-SNP attestation by chip (VCEK) */
export const SNP_CLASS_OID: Uint8Array = new Uint8Array([0x2b, 0x06, 0x01, 0x04, 0x01, 0x9c, 0x78, 0x03, 0x01]);
const SHA384 = 7;

export const SNP_MKEY = { POLICY: 2, MEASUREMENT: 641, HOST_DATA: 642, ID_KEY_DIGEST: 643, AUTHOR_KEY_DIGEST: 644 } as const;

function le64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

export function snpCorim(doc: GoldenDocument, id: string): Uint8Array {
  const snp = doc.entries.filter((e) => e.mode === 'snp');
  if (snp.length === 0) throw new OptionError('--select', `the selection has no snp entries for an SEV-SNP CoRIM${doc.entries.some((e) => e.mode === 'tdx') ? ' (tdx entries: --to corim-tdx)' : ''}`);
  const triples: unknown[] = [];
  const keys = unique(snp.map((e) => JSON.stringify([e.measurement, e.policy, e.hostData ?? null, (e.idBlock as { idKeyDigest?: string })?.idKeyDigest ?? null, (e.idBlock as { authorKeyDigest?: string | null })?.authorKeyDigest ?? null])));
  const env = new Map<number, unknown>([[0, new Map<number, unknown>([[0, new Tag(111, SNP_CLASS_OID)], [1, 'AMD'], [2, 'SEV-SNP']])]]);
  for (const k of keys) {
    const [measurement, policy, hostData, idKey, authorKey] = JSON.parse(k) as (string | null)[];
    const ms: unknown[] = [new Map<number, unknown>([[0, SNP_MKEY.MEASUREMENT], [1, new Map([[2, [[SHA384, fromHex(measurement!)!]]]])]])];
    if (policy) ms.push(new Map<number, unknown>([[0, SNP_MKEY.POLICY], [1, new Map([[4, new Tag(560, le64(BigInt(policy)))]])]]));
    if (hostData) ms.push(new Map<number, unknown>([[0, SNP_MKEY.HOST_DATA], [1, new Map([[4, new Tag(560, fromHex(hostData)!)]])]]));
    if (idKey) ms.push(new Map<number, unknown>([[0, SNP_MKEY.ID_KEY_DIGEST], [1, new Map([[2, [[SHA384, fromHex(idKey)!]]]])]]));
    if (authorKey) ms.push(new Map<number, unknown>([[0, SNP_MKEY.AUTHOR_KEY_DIGEST], [1, new Map([[2, [[SHA384, fromHex(authorKey)!]]]])]]));
    triples.push([env, ms]);
  }
  return unsignedCorim(id, triples, new Tag(32, SNP_CORIM_PROFILE));
}

/** corim-map { 0: id, 1: [ #6.506(comid) ], 3: profile } around one CoMID of reference triples, tagged 501. */
function unsignedCorim(id: string, triples: unknown[], profile: Tag): Uint8Array {
  const comid = new Map<number, unknown>([
    [1, new Map<number, unknown>([[0, `${id}/comid`]])],
    [4, new Map<number, unknown>([[0, triples]])],
  ]);
  const corim = new Map<number, unknown>([
    [0, id],
    [1, [new Tag(506, encode(comid, { cde: true }))]],
    [3, profile],
  ]);
  return encode(new Tag(501, corim), { cde: true });
}

/**
 * The Intel profile for CoRIM (draft-cds-rats-intel-corim-profile §"Profile Identifier"; the
 * profile veraison/corim registers in profiles/tdx/mval_extensions.go init()):
 * OID 2.16.840.1.113741.1.16.1, a tagged OID (#6.111) as the corim-map profile.
 */
export const TDX_CORIM_PROFILE_OID = '2.16.840.1.113741.1.16.1';
export const TDX_CORIM_PROFILE_OID_BYTES: Uint8Array = new Uint8Array([0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x4d, 0x01, 0x10, 0x01]);
/**
 * measurement-values-map keys: the Intel profile's extensions (veraison/corim
 * profiles/tdx/mval_extensions.go MValExtensions: tee.attributes -82, tee.mrtee -83, whose
 * draft text names MRTD as a TDX TD's mrtee) and CoRIM's integrity-registers (14,
 * `{ register index => digests }`), which carries RTMR0-2.
 */
export const TDX_MVAL_KEY = { TEE_ATTRIBUTES: -82, TEE_MRTEE: -83, INTEGRITY_REGISTERS: 14 } as const;
/**
 * The TD's environment class. Neither the profile draft nor veraison/corim defines a class
 * for a TD (their examples are the SEAM module, QE and PCE); this vendor/model pair is
 * prelaunch's choice, with no class-id.
 */
export const TDX_CLASS = { vendor: 'Intel Corporation', model: 'TDX TD' } as const;

/**
 * An unsigned CoRIM with one CoMID of TD reference triples (Intel profile), one triple per
 * distinct (MRTD, RTMR0, RTMR1, RTMR2, TD_ATTRIBUTES): `tee.mrtee` = [[7, MRTD]],
 * `integrity-registers` = {0..2: [[7, RTMRn]]} for the registers the document predicts,
 * `tee.attributes` = TD_ATTRIBUTES as its 8 little-endian quote bytes when carried. XFAM and
 * MRCONFIGID have no measurement type in the profile and are left out (use --to trustee or
 * go-tdx-guest for them).
 */
export function tdxCorim(doc: GoldenDocument, id: string): Uint8Array {
  const tdx = doc.entries.filter((e) => e.mode === 'tdx');
  if (tdx.length === 0) throw new OptionError('--select', 'the selection has no tdx entries for a TDX CoRIM');
  const env = new Map<number, unknown>([[0, new Map<number, unknown>([[1, TDX_CLASS.vendor], [2, TDX_CLASS.model]])]]);
  const triples: unknown[] = [];
  for (const k of unique(tdx.map((e) => JSON.stringify([e.measurement, e.tdx?.rtmr0 ?? null, e.tdx?.rtmr1 ?? null, e.tdx?.rtmr2 ?? null, e.tdx?.tdAttributes ?? null])))) {
    const [mrtd, r0, r1, r2, attrs] = JSON.parse(k) as (string | null)[];
    const mval = new Map<number, unknown>([[TDX_MVAL_KEY.TEE_MRTEE, [[SHA384, fromHex(mrtd!)!]]]]);
    const regs = new Map<number, unknown>();
    [r0, r1, r2].forEach((r, i) => { if (r) regs.set(i, [[SHA384, fromHex(r)!]]); });
    if (regs.size) mval.set(TDX_MVAL_KEY.INTEGRITY_REGISTERS, regs);
    if (attrs) mval.set(TDX_MVAL_KEY.TEE_ATTRIBUTES, le64(BigInt(attrs)));
    triples.push([env, [new Map<number, unknown>([[1, mval]])]]);
  }
  return unsignedCorim(id, triples, new Tag(111, TDX_CORIM_PROFILE_OID_BYTES));
}

/** The default CoRIM id: stable for a given document (derived from its measurements). */
export function defaultCorimId(doc: GoldenDocument): string {
  return `prelaunch:${doc.artifacts.map((a) => a.firmware.sha256.slice(0, 16)).join('+')}`;
}

