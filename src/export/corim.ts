/**
 * CoRIM (draft-ietf-rats-corim) with the AMD SEV-SNP profile draft
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
  const comid = new Map<number, unknown>([
    [1, new Map<number, unknown>([[0, `${id}/comid`]])],
    [4, new Map<number, unknown>([[0, triples]])],
  ]);
  const corim = new Map<number, unknown>([
    [0, id],
    [1, [new Tag(506, encode(comid, { cde: true }))]],
    [3, new Tag(32, SNP_CORIM_PROFILE)],
  ]);
  return encode(new Tag(501, corim), { cde: true });
}

/** The default CoRIM id: stable for a given document (derived from its measurements). */
export function defaultCorimId(doc: GoldenDocument): string {
  return `prelaunch:${doc.artifacts.map((a) => a.firmware.sha256.slice(0, 16)).join('+')}`;
}

