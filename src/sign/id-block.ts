/**
 * SEV-SNP ID block and ID authentication: build the 96-byte ID block, sign it (ID key) and
 * the ID public key (author key), or assemble ID auth from detached signatures made
 * elsewhere (HSM, cloud KMS), and verify an ID block + ID auth pair.
 * Byte layouts live in src/formats/snp/id-block.ts; ECDSA in ./ecdsa-p384.ts.
 *
 * What is signed (AMD SEV-SNP ABI, SNP_LAUNCH_FINISH):
 *   ID_BLOCK_SIG = ECDSA-P384-SHA384(ID key,     the 96 ID_BLOCK bytes)
 *   ID_KEY_SIG   = ECDSA-P384-SHA384(author key, the 1028-byte ID_KEY structure)
 *   report ID_KEY_DIGEST / AUTHOR_KEY_DIGEST = SHA-384(1028-byte public key structure)
 * Without an author key, ID_KEY_SIG and AUTHOR_KEY stay zero and the launch must say
 * author-key-enabled=off (QEMU) / auth_key_en=0 (KVM).
 */
import { equalBytes, toHex } from '../bytes/hex.js';
import { copyBytes, isBytes } from '../bytes/source.js';
import { OptionError, PrelaunchError } from '../errors.js';
import {
  ID_BLOCK_SIZE, ID_BLOCK_VERSION, SNP_ALGO_ECDSA_P384_SHA384, SNP_CURVE_P384, SNP_PUBLIC_KEY_SIZE, SNP_SIGNATURE_SIZE,
  decodeIdAuth, decodeIdBlock, decodeSnpPublicKey, decodeSnpSignature, encodeIdAuth, encodeIdBlock, encodeSnpPublicKey,
  encodeSnpSignature, isAllZero, type IdBlock,
} from '../formats/snp/id-block.js';
import { DEFAULT_SNP_POLICY, policyProblems } from '../formats/snp/policy.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { checkP384Point, p384PublicKey, signP384, verifyP384, type EcPoint, type EcdsaSignature } from './ecdsa-p384.js';

export interface IdBlockOptions {
  /** the expected launch digest (48 bytes) */
  measurement: Uint8Array;
  /** guest policy; default 0x30000. Checked for valid reserved bits unless `strictPolicy: false`. */
  policy?: bigint;
  /** 16 bytes; default zero */
  familyId?: Uint8Array;
  /** 16 bytes; default zero */
  imageId?: Uint8Array;
  /** u32; default 0 */
  guestSvn?: number;
  /** default 1 (the only version the ABI defines) */
  version?: number;
  /** reject policies with bit 17 clear or bits 26–63 set (default true) */
  strictPolicy?: boolean;
}

/** Build the 96-byte ID block. Throws OptionError (naming the CLI flag) for wrong lengths or values. */
export function buildIdBlock(o: IdBlockOptions): Uint8Array {
  if (o.measurement.length !== 48) throw new OptionError('--measurement', `must be 48 bytes (a SHA-384 launch digest), got ${o.measurement.length}`);
  const familyId = o.familyId ?? new Uint8Array(16);
  const imageId = o.imageId ?? new Uint8Array(16);
  if (familyId.length !== 16) throw new OptionError('--family-id', `must be 16 bytes, got ${familyId.length}`);
  if (imageId.length !== 16) throw new OptionError('--image-id', `must be 16 bytes, got ${imageId.length}`);
  const guestSvn = o.guestSvn ?? 0;
  if (!Number.isInteger(guestSvn) || guestSvn < 0 || guestSvn > 0xffff_ffff) throw new OptionError('--guest-svn', `must be 0..4294967295, got ${guestSvn}`);
  const policy = o.policy ?? DEFAULT_SNP_POLICY;
  if (policy < 0n || policy >= 1n << 64n) throw new OptionError('--policy', 'must be a 64-bit value');
  if (o.strictPolicy !== false) {
    const p = policyProblems(policy);
    if (p.length) throw new OptionError('--policy', `0x${policy.toString(16)}: ${p.join('; ')}`);
  }
  const block: IdBlock = { ld: o.measurement, familyId, imageId, version: o.version ?? ID_BLOCK_VERSION, guestSvn, policy };
  return encodeIdBlock(block);
}

/** The 1028-byte AMD public key structure of a P-384 point. */
export function snpPublicKeyBytes(pub: EcPoint): Uint8Array {
  return encodeSnpPublicKey({ curve: SNP_CURVE_P384, qx: pub.x, qy: pub.y });
}

/** SHA-384 of the 1028-byte public key structure: the report's ID_KEY_DIGEST / AUTHOR_KEY_DIGEST. */
export function keyDigest(pub: EcPoint | Uint8Array, backend: HashBackend = defaultBackend): Uint8Array {
  const blob = isBytes(pub) ? pub : snpPublicKeyBytes(pub);
  if (blob.length !== SNP_PUBLIC_KEY_SIZE) throw new RangeError(`public key structure must be ${SNP_PUBLIC_KEY_SIZE} bytes`);
  return backend.hash('sha384', blob);
}

export interface IdAuthResult {
  /** the 96-byte ID block */
  idBlock: Uint8Array;
  /** the 4096-byte ID_AUTH_INFO */
  idAuth: Uint8Array;
  /** SHA-384 of the ID public key structure (report ID_KEY_DIGEST) */
  idKeyDigest: Uint8Array;
  /** SHA-384 of the author public key structure (report AUTHOR_KEY_DIGEST); null without author key */
  authorKeyDigest: Uint8Array | null;
  /** pass author-key-enabled=on to the launch */
  authorKeyEnabled: boolean;
  idPublicKey: EcPoint;
  idBlockSignature: EcdsaSignature;
  authorPublicKey: EcPoint | null;
  idKeySignature: EcdsaSignature | null;
}

function checkIdBlockBytes(idBlock: Uint8Array): void {
  if (idBlock.length !== ID_BLOCK_SIZE) throw new OptionError('--id-block', `must be ${ID_BLOCK_SIZE} bytes, got ${idBlock.length}`);
}

function assemble(idBlock: Uint8Array, idPublicKey: EcPoint, idBlockSignature: EcdsaSignature, authorPublicKey: EcPoint | null, idKeySignature: EcdsaSignature | null, backend: HashBackend): IdAuthResult {
  const idKey = snpPublicKeyBytes(idPublicKey);
  const authorKey = authorPublicKey ? snpPublicKeyBytes(authorPublicKey) : new Uint8Array(SNP_PUBLIC_KEY_SIZE);
  const idAuth = encodeIdAuth({
    idKeyAlgo: SNP_ALGO_ECDSA_P384_SHA384,
    // igvmmeasure and QEMU's IGVM path write 1 here even without an author key
    authKeyAlgo: SNP_ALGO_ECDSA_P384_SHA384,
    idBlockSig: encodeSnpSignature(idBlockSignature),
    idKey,
    idKeySig: idKeySignature ? encodeSnpSignature(idKeySignature) : new Uint8Array(SNP_SIGNATURE_SIZE),
    authorKey,
  });
  return {
    idBlock: copyBytes(idBlock),
    idAuth,
    idKeyDigest: keyDigest(idKey, backend),
    authorKeyDigest: authorPublicKey ? keyDigest(authorKey, backend) : null,
    authorKeyEnabled: authorPublicKey !== null,
    idPublicKey,
    idBlockSignature,
    authorPublicKey,
    idKeySignature,
  };
}

export interface SignIdAuthOptions {
  /** the 96-byte ID block (see buildIdBlock) */
  idBlock: Uint8Array;
  /** the ID private key: its 48-byte big-endian scalar */
  idKey: Uint8Array;
  /** the author private key (48-byte scalar); omit for no author key */
  authorKey?: Uint8Array | null;
  hashBackend?: HashBackend;
}

/** Sign an ID block with local keys. Deterministic: the same inputs give the same bytes. */
export function signIdAuth(o: SignIdAuthOptions): IdAuthResult {
  return createIdAuthSigner(o)(o.idBlock);
}

/**
 * A signer for many ID blocks under the same keys (golden matrices): the public keys and the
 * author key's signature of the ID key do not depend on the ID block, so they are computed
 * once; each call signs only the ID block.
 */
export function createIdAuthSigner(o: Omit<SignIdAuthOptions, 'idBlock'>): (idBlock: Uint8Array) => IdAuthResult {
  const idPublicKey = p384PublicKey(o.idKey);
  let authorPublicKey: EcPoint | null = null;
  let idKeySignature: EcdsaSignature | null = null;
  if (o.authorKey) {
    authorPublicKey = p384PublicKey(o.authorKey);
    idKeySignature = signP384(o.authorKey, snpPublicKeyBytes(idPublicKey));
  }
  const backend = o.hashBackend ?? defaultBackend;
  return (idBlock) => {
    checkIdBlockBytes(idBlock);
    return assemble(idBlock, idPublicKey, signP384(o.idKey, idBlock), authorPublicKey, idKeySignature, backend);
  };
}

/** What each key must sign, for external signing (HSM, cloud KMS, openssl). */
export interface IdAuthSigningInputs {
  /** the message for the ID key: the 96 ID block bytes */
  idBlock: Uint8Array;
  /** the message for the author key: the 1028-byte ID public key structure */
  idKey: Uint8Array;
  /** SHA-384 of the ID public key structure */
  idKeyDigest: Uint8Array;
}

export function idAuthSigningInputs(o: { idBlock: Uint8Array; idPublicKey: EcPoint; hashBackend?: HashBackend }): IdAuthSigningInputs {
  checkIdBlockBytes(o.idBlock);
  checkP384Point(o.idPublicKey, 'ID public key');
  const idKey = snpPublicKeyBytes(o.idPublicKey);
  return { idBlock: copyBytes(o.idBlock), idKey, idKeyDigest: keyDigest(idKey, o.hashBackend ?? defaultBackend) };
}

export interface AssembleIdAuthOptions {
  idBlock: Uint8Array;
  idPublicKey: EcPoint;
  /** the ID key's signature of the 96 ID block bytes */
  idBlockSignature: EcdsaSignature;
  authorPublicKey?: EcPoint | null;
  /** the author key's signature of the 1028-byte ID public key structure */
  idKeySignature?: EcdsaSignature | null;
  hashBackend?: HashBackend;
}

/** Build ID auth from detached signatures, verifying each (ERR_SIGNATURE when one does not verify). */
export function assembleIdAuth(o: AssembleIdAuthOptions): IdAuthResult {
  checkIdBlockBytes(o.idBlock);
  checkP384Point(o.idPublicKey, 'ID public key');
  if (!verifyP384(o.idPublicKey, o.idBlock, o.idBlockSignature)) {
    throw new PrelaunchError('ERR_SIGNATURE', 'the ID block signature does not verify with the ID public key (was the 96-byte ID block signed with ECDSA P-384/SHA-384 by the ID key?)');
  }
  const author = o.authorPublicKey ?? null;
  const idKeySig = o.idKeySignature ?? null;
  if ((author === null) !== (idKeySig === null)) {
    throw new OptionError(author ? '--id-key-sig' : '--author-pubkey', 'the author public key and the ID key signature go together');
  }
  if (author && idKeySig) {
    checkP384Point(author, 'author public key');
    if (!verifyP384(author, snpPublicKeyBytes(o.idPublicKey), idKeySig)) {
      throw new PrelaunchError('ERR_SIGNATURE', 'the ID key signature does not verify with the author public key (was the 1028-byte ID key structure signed with ECDSA P-384/SHA-384 by the author key?)');
    }
  }
  return assemble(o.idBlock, o.idPublicKey, o.idBlockSignature, author, idKeySig, o.hashBackend ?? defaultBackend);
}

export interface VerifyIdAuthOptions {
  idBlock: Uint8Array;
  idAuth: Uint8Array;
  /** expected launch digest: checked against the ID block's LD */
  measurement?: Uint8Array | null;
  /** expected report ID_KEY_DIGEST */
  idKeyDigest?: Uint8Array | null;
  /** expected report AUTHOR_KEY_DIGEST */
  authorKeyDigest?: Uint8Array | null;
  hashBackend?: HashBackend;
}

export interface IdAuthVerification {
  /** every check passed */
  ok: boolean;
  /** what failed, one sentence each */
  problems: string[];
  idBlock: IdBlock;
  idKeyAlgo: number;
  authKeyAlgo: number;
  idBlockSignatureValid: boolean;
  authorKeyEnabled: boolean;
  /** null without an author key */
  idKeySignatureValid: boolean | null;
  idKeyDigest: Uint8Array;
  authorKeyDigest: Uint8Array | null;
  /** null when no expected measurement was given */
  measurementMatches: boolean | null;
  idKeyDigestMatches: boolean | null;
  authorKeyDigestMatches: boolean | null;
  policyProblems: string[];
}

/**
 * The P-384 point of a decoded key structure (AMD or IGVM layout), or null with the reason
 * added to `problems` (wrong curve, point not on the curve).
 */
export function p384PointOf(k: { curve: number; qx: bigint; qy: bigint }, name: string, problems: string[]): EcPoint | null {
  if (k.curve !== SNP_CURVE_P384) {
    problems.push(`${name} curve is ${k.curve}, not ${SNP_CURVE_P384} (P-384)`);
    return null;
  }
  try {
    checkP384Point({ x: k.qx, y: k.qy }, name);
  } catch (e) {
    problems.push((e as Error).message);
    return null;
  }
  return { x: k.qx, y: k.qy };
}

function publicKeyOf(blob: Uint8Array, name: string, problems: string[]): EcPoint | null {
  return p384PointOf(decodeSnpPublicKey(blob, { structure: name }), name, problems);
}


/** Check an ID block + ID auth pair: both signatures, the key digests, optionally the measurement. */
export function verifyIdAuth(o: VerifyIdAuthOptions): IdAuthVerification {
  const backend = o.hashBackend ?? defaultBackend;
  const block = decodeIdBlock(o.idBlock, 'ID block');
  const auth = decodeIdAuth(o.idAuth, 'ID auth');
  const problems: string[] = [];
  if (block.version !== ID_BLOCK_VERSION) problems.push(`ID block VERSION is ${block.version}, not ${ID_BLOCK_VERSION}`);
  const polProblems = policyProblems(block.policy);
  for (const p of polProblems) problems.push(`ID block POLICY 0x${block.policy.toString(16)}: ${p}`);
  if (auth.idKeyAlgo !== SNP_ALGO_ECDSA_P384_SHA384) problems.push(`ID_KEY_ALGO is ${auth.idKeyAlgo}, not 1 (ECDSA P-384/SHA-384)`);

  const idKeyDigest = keyDigest(auth.idKey, backend);
  const idPub = publicKeyOf(auth.idKey, 'ID_KEY', problems);
  const idBlockSignatureValid = idPub !== null && verifyP384(idPub, o.idBlock, decodeSnpSignature(auth.idBlockSig, { structure: 'ID_BLOCK_SIG' }));
  if (idPub && !idBlockSignatureValid) problems.push('ID_BLOCK_SIG does not verify with ID_KEY');

  const authorKeyEnabled = !isAllZero(auth.authorKey);
  let idKeySignatureValid: boolean | null = null;
  let authorKeyDigest: Uint8Array | null = null;
  if (authorKeyEnabled) {
    if (auth.authKeyAlgo !== SNP_ALGO_ECDSA_P384_SHA384) problems.push(`AUTH_KEY_ALGO is ${auth.authKeyAlgo}, not 1 (ECDSA P-384/SHA-384)`);
    authorKeyDigest = keyDigest(auth.authorKey, backend);
    const authorPub = publicKeyOf(auth.authorKey, 'AUTHOR_KEY', problems);
    idKeySignatureValid = authorPub !== null && verifyP384(authorPub, auth.idKey, decodeSnpSignature(auth.idKeySig, { structure: 'ID_KEY_SIG' }));
    if (authorPub && !idKeySignatureValid) problems.push('ID_KEY_SIG does not verify with AUTHOR_KEY');
  } else if (!isAllZero(auth.idKeySig)) {
    problems.push('ID_KEY_SIG is set but AUTHOR_KEY is zero');
  }

  let measurementMatches: boolean | null = null;
  if (o.measurement) {
    measurementMatches = equalBytes(o.measurement, block.ld);
    if (!measurementMatches) problems.push(`the ID block's launch digest ${toHex(block.ld)} differs from the expected measurement ${toHex(o.measurement)}`);
  }
  let idKeyDigestMatches: boolean | null = null;
  if (o.idKeyDigest) {
    idKeyDigestMatches = equalBytes(o.idKeyDigest, idKeyDigest);
    if (!idKeyDigestMatches) problems.push(`ID key digest ${toHex(idKeyDigest)} differs from the expected ${toHex(o.idKeyDigest)}`);
  }
  let authorKeyDigestMatches: boolean | null = null;
  if (o.authorKeyDigest) {
    authorKeyDigestMatches = authorKeyDigest !== null && equalBytes(o.authorKeyDigest, authorKeyDigest);
    if (!authorKeyDigestMatches) problems.push(authorKeyDigest ? `author key digest ${toHex(authorKeyDigest)} differs from the expected ${toHex(o.authorKeyDigest)}` : 'an author key digest was expected but the ID auth has no author key');
  }
  return {
    ok: problems.length === 0,
    problems,
    idBlock: block,
    idKeyAlgo: auth.idKeyAlgo,
    authKeyAlgo: auth.authKeyAlgo,
    idBlockSignatureValid,
    authorKeyEnabled,
    idKeySignatureValid,
    idKeyDigest,
    authorKeyDigest,
    measurementMatches,
    idKeyDigestMatches,
    authorKeyDigestMatches,
    policyProblems: polProblems,
  };
}
