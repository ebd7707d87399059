/**
 * Sign an IGVM file for SEV-SNP the way COCONUT `igvmmeasure sign` does (svsm@f4bc4bcd,
 * igvm 0.4.0), so the output is byte-identical for the same keys:
 *
 * 1. measure the file for SEV-SNP (igvmmeasure semantics, ../measure/igvm.ts; `nativeZero`
 *    and `checkKvm` as igvmmeasure's global -n / -c, which also apply to `sign`);
 * 2. build the 96-byte ID block (./id-block.ts `buildIdBlock`): ld = that digest, policy = the
 *    first GUEST_POLICY whose mask touches the SNP platform's mask, version 1, family/image
 *    ID and guest SVN zero unless given;
 * 3. sign it (./id-block.ts `signIdAuth`: ECDSA P-384/SHA-384, RFC 6979, so re-signing gives
 *    the same bytes), and with an author key sign the 1028-byte AMD ID key structure;
 * 4. append an IGVM_VHT_SNP_ID_BLOCK directive (mask = the SNP platform's mask,
 *    author_key_enabled, id/author_key_algorithm = 1 even without an author key, author
 *    fields zero without one) after every other directive, and serialize the whole file
 *    with the igvm 0.4.0 layout as format version 1, whatever the input's version.
 *
 * Existing ID blocks: igvmmeasure keeps them and appends another, a file QEMU refuses to load
 * ("IGVM: Multiple ID blocks encountered in IGVM file"). Here `existingIdBlock` decides:
 * 'refuse' (the default) or 'replace' (the SNP ID blocks are dropped first). Replacing the
 * block of a file igvmmeasure signed gives the same bytes as signing the unsigned original.
 */
import { PrelaunchError } from '../errors.js';
import { IgvmArchitecture, PAGE_SIZE_4K } from '../formats/igvm/defs.js';
import { DirectiveTableBuilder, directiveSegments } from '../formats/igvm/directives.js';
import type { IgvmFile, SnpIdBlock } from '../formats/igvm/model.js';
import type { ParsedIgvm } from '../formats/igvm/parse.js';
import { serializeIgvm } from '../formats/igvm/serialize.js';
import {
  IGVM_SNP_PUBLIC_KEY_SIZE, IGVM_SNP_SIGNATURE_SIZE, decodeIgvmSnpPublicKey, decodeIgvmSnpSignature, encodeIgvmSnpPublicKey, encodeIgvmSnpSignature,
} from '../formats/igvm/snp-id-block.js';
import { ID_BLOCK_VERSION, SNP_ALGO_ECDSA_P384_SHA384, SNP_CURVE_P384, decodeIdBlock, encodeIdBlock } from '../formats/snp/id-block.js';
import { policyProblems } from '../formats/snp/policy.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { measureIgvm } from '../measure/igvm.js';
import { equalBytes, toHex } from '../bytes/hex.js';
import { verifyP384, type EcPoint } from './ecdsa-p384.js';
import { buildIdBlock, p384PointOf, signIdAuth, snpPublicKeyBytes, type IdAuthResult } from './id-block.js';

export interface SignIgvmOptions {
  /** the ID private key: its 48-byte big-endian scalar */
  idKey: Uint8Array;
  /** the author private key (48-byte scalar); omit for no author key */
  authorKey?: Uint8Array | null;
  /** 16 bytes; default zero (igvmmeasure always writes zero) */
  familyId?: Uint8Array;
  /** 16 bytes; default zero (igvmmeasure always writes zero) */
  imageId?: Uint8Array;
  /** u32; default 0 (igvmmeasure always writes 0) */
  guestSvn?: number;
  /** measure pages without data as ZERO pages (igvmmeasure -n) */
  nativeZero?: boolean;
  /** igvmmeasure -c: the QEMU/KVM checks */
  checkKvm?: boolean;
  /** what to do with SNP ID blocks already in the file (default 'refuse') */
  existingIdBlock?: 'refuse' | 'replace';
  hashBackend?: HashBackend;
}

export interface SignedIgvm {
  /** the signed file */
  bytes: Uint8Array;
  /** the SEV-SNP launch digest the ID block carries */
  digest: Uint8Array;
  /** the SNP platform's compatibility mask (the ID block's mask) */
  compatibilityMask: number;
  /** the guest policy signed into the ID block */
  policy: bigint;
  /** reserved-bit problems of that policy (igvmmeasure signs it anyway; so does this) */
  policyProblems: string[];
  /** the ID block, ID auth and key digests, as `prelaunch id-block` would print them */
  idAuth: IdAuthResult;
  /** the directive appended */
  idBlockHeader: SnpIdBlock;
  /** how many existing SNP ID blocks were dropped ('replace') */
  replaced: number;
  /** the input's format version (the output is always 1) */
  inputFormatVersion: number;
}

export function signIgvm(parsed: ParsedIgvm, o: SignIgvmOptions): SignedIgvm {
  const backend = o.hashBackend ?? defaultBackend;
  const file = parsed.file;
  if (file.formatVersion === 2 && file.architecture !== IgvmArchitecture.X64) {
    throw new PrelaunchError('ERR_FIRMWARE_UNSUPPORTED', `the file is for architecture ${String(file.architecture)}, not X64: SEV-SNP signing needs an X64 file (the signed file is written as format version 1, which is X64)`);
  }
  const m = measureIgvm(parsed, { platform: 'sev-snp', nativeZero: o.nativeZero === true, checkKvm: o.checkKvm === true, hashBackend: backend });
  const mask = m.compatibilityMask;

  const existing = file.directives.records.filter((d) => d.kind === 'snp-id-block' && (d.compatibilityMask & mask) !== 0).length;
  if (existing > 0 && (o.existingIdBlock ?? 'refuse') === 'refuse') {
    throw new PrelaunchError(
      'ERR_FIRMWARE_UNSUPPORTED',
      `the file already has ${existing === 1 ? 'an SNP ID block' : `${existing} SNP ID blocks`} for mask 0x${mask.toString(16)}; ` +
        'igvmmeasure would append another, which QEMU refuses to load ("Multiple ID blocks"): use --replace-idblock to replace it',
    );
  }

  const policyHeader = file.initializations.find((h) => h.kind === 'guest-policy' && (h.compatibilityMask & mask) !== 0);
  if (!policyHeader || policyHeader.kind !== 'guest-policy') {
    throw new PrelaunchError('ERR_FIRMWARE_UNSUPPORTED', `IGVM file does not contain a guest policy for the SEV-SNP platform (mask 0x${mask.toString(16)}): the ID block must carry the launch policy`);
  }
  const policy = policyHeader.policy;

  const idBlock = buildIdBlock({
    measurement: m.digest,
    policy,
    strictPolicy: false, // igvmmeasure signs whatever policy the file has
    ...(o.familyId ? { familyId: o.familyId } : {}),
    ...(o.imageId ? { imageId: o.imageId } : {}),
    ...(o.guestSvn !== undefined ? { guestSvn: o.guestSvn } : {}),
  });
  const auth = signIdAuth({ idBlock, idKey: o.idKey, authorKey: o.authorKey ?? null, hashBackend: backend });

  const block = decodeIdBlock(idBlock);
  const header: SnpIdBlock = {
    kind: 'snp-id-block',
    compatibilityMask: mask,
    authorKeyEnabled: auth.authorKeyEnabled ? 1 : 0,
    reserved: new Uint8Array(3),
    ld: m.digest.slice(),
    familyId: block.familyId,
    imageId: block.imageId,
    version: ID_BLOCK_VERSION,
    guestSvn: o.guestSvn ?? 0,
    idKeyAlgorithm: SNP_ALGO_ECDSA_P384_SHA384,
    authorKeyAlgorithm: SNP_ALGO_ECDSA_P384_SHA384,
    idKeySignature: encodeIgvmSnpSignature(auth.idBlockSignature),
    idPublicKey: encodeIgvmSnpPublicKey({ curve: SNP_CURVE_P384, qx: auth.idPublicKey.x, qy: auth.idPublicKey.y }),
    authorKeySignature: auth.idKeySignature ? encodeIgvmSnpSignature(auth.idKeySignature) : new Uint8Array(IGVM_SNP_SIGNATURE_SIZE),
    authorPublicKey: auth.authorPublicKey
      ? encodeIgvmSnpPublicKey({ curve: SNP_CURVE_P384, qx: auth.authorPublicKey.x, qy: auth.authorPublicKey.y })
      : new Uint8Array(IGVM_SNP_PUBLIC_KEY_SIZE),
  };

  // the directives as they are, less this mask's ID blocks, then the new one
  const table = new DirectiveTableBuilder();
  const rows = file.directives;
  for (const s of directiveSegments(rows, { index: 0, offset: 0 })) {
    if (s.kind === 'pages') table.addPagesOf(rows, s.from, s.to);
    else if (!(s.header.kind === 'snp-id-block' && (s.header.compatibilityMask & mask) !== 0)) table.addRecord(s.header);
  }
  table.addRecord(header);
  // igvmmeasure: IgvmFile::new(IgvmRevision::V1, …) — a v1 file is X64 with 4K pages
  const out: IgvmFile = {
    formatVersion: 1,
    architecture: IgvmArchitecture.X64,
    pageSize: PAGE_SIZE_4K,
    platforms: file.platforms,
    initializations: file.initializations,
    directives: table.finish(),
  };
  return {
    bytes: serializeIgvm(out),
    digest: m.digest,
    compatibilityMask: mask,
    policy,
    policyProblems: policyProblems(policy),
    idAuth: auth,
    idBlockHeader: header,
    replaced: existing,
    inputFormatVersion: file.formatVersion,
  };
}

export interface IgvmIdBlockCheck {
  /** the launch digest, both signatures, algorithms and curves are right */
  ok: boolean;
  /** what is wrong, one sentence each */
  problems: string[];
  /** the ID block's ld equals the digest */
  digestMatches: boolean;
  /** null when the keys or algorithms are not ones this can check */
  idBlockSignatureValid: boolean | null;
  /** null without an author key */
  idKeySignatureValid: boolean | null;
  /** the policy the signature was checked with (the file's GUEST_POLICY), or null when the file has none */
  policy: bigint | null;
}

/**
 * Check an SNP_ID_BLOCK directive the way SNP_LAUNCH_FINISH will: its ld against the computed
 * digest, the ID key's signature of the 96-byte ID block (ld, family/image ID, version, SVN
 * and the file's GUEST_POLICY for `mask`, which the launch passes) and the author key's
 * signature of the AMD ID key structure. igvmmeasure checks only the digest.
 */
export function checkIgvmIdBlock(file: IgvmFile, h: SnpIdBlock, digest: Uint8Array, mask: number): IgvmIdBlockCheck {
  const problems: string[] = [];
  const digestMatches = equalBytes(h.ld, digest);
  if (!digestMatches) problems.push(`the ID block expects launch digest ${toHex(h.ld).toUpperCase()}, not the computed ${toHex(digest).toUpperCase()}`);
  const ph = file.initializations.find((x) => x.kind === 'guest-policy' && (x.compatibilityMask & mask) !== 0);
  const policy = ph && ph.kind === 'guest-policy' ? ph.policy : null;
  if (policy === null) problems.push('the file has no GUEST_POLICY for the SEV-SNP platform, so the signed ID block cannot be checked');

  const key = (bytes: Uint8Array, what: string): EcPoint | null => p384PointOf(decodeIgvmSnpPublicKey(bytes), what, problems);

  let idBlockSignatureValid: boolean | null = null;
  let idKeySignatureValid: boolean | null = null;
  const idPub = h.idKeyAlgorithm === SNP_ALGO_ECDSA_P384_SHA384 ? key(h.idPublicKey, 'ID public key') : null;
  if (h.idKeyAlgorithm !== SNP_ALGO_ECDSA_P384_SHA384) problems.push(`id_key_algorithm is ${h.idKeyAlgorithm}, not 1 (ECDSA P-384/SHA-384)`);
  if (idPub && policy !== null) {
    const block = encodeIdBlock({ ld: h.ld, familyId: h.familyId, imageId: h.imageId, version: h.version, guestSvn: h.guestSvn, policy });
    idBlockSignatureValid = verifyP384(idPub, block, decodeIgvmSnpSignature(h.idKeySignature));
    if (!idBlockSignatureValid) problems.push("the ID key's signature of the ID block does not verify (an ID block field, the file's guest policy or the signature changed)");
  }
  if (h.authorKeyEnabled) {
    if (h.authorKeyAlgorithm !== SNP_ALGO_ECDSA_P384_SHA384) problems.push(`author_key_algorithm is ${h.authorKeyAlgorithm}, not 1 (ECDSA P-384/SHA-384)`);
    const authorPub = h.authorKeyAlgorithm === SNP_ALGO_ECDSA_P384_SHA384 ? key(h.authorPublicKey, 'author public key') : null;
    if (idPub && authorPub) {
      idKeySignatureValid = verifyP384(authorPub, snpPublicKeyBytes(idPub), decodeIgvmSnpSignature(h.authorKeySignature));
      if (!idKeySignatureValid) problems.push("the author key's signature of the ID key does not verify");
    }
  }
  return { ok: problems.length === 0, problems, digestMatches, idBlockSignatureValid, idKeySignatureValid, policy };
}
