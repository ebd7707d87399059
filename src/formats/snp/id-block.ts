/**
 * SEV-SNP ID block and ID authentication structures (AMD SEV-SNP ABI, SNP_LAUNCH_FINISH).
 * Layout only: no hashing, no signing (see src/sign/). All integers little-endian.
 *
 * ID_BLOCK (96 bytes, signed by the ID key):
 *
 *   0x00  48  LD          expected launch digest (= report MEASUREMENT)
 *   0x30  16  FAMILY_ID   owner-chosen
 *   0x40  16  IMAGE_ID    owner-chosen
 *   0x50   4  VERSION     1
 *   0x54   4  GUEST_SVN
 *   0x58   8  POLICY      guest policy; must equal the policy given at SNP_LAUNCH_START
 *
 * ID_AUTH_INFO (4096 bytes):
 *
 *   0x000     4  ID_KEY_ALGO     1 = ECDSA P-384 with SHA-384
 *   0x004     4  AUTH_KEY_ALGO   1 = ECDSA P-384 with SHA-384 (written as 1 even without author key)
 *   0x008  0x38  reserved
 *   0x040 0x200  ID_BLOCK_SIG    signature of the 96 ID_BLOCK bytes by the ID key
 *   0x240 0x404  ID_KEY          public ID key
 *   0x644  0x3C  reserved
 *   0x680 0x200  ID_KEY_SIG      signature of the 1028 ID_KEY bytes by the author key (zero if none)
 *   0x880 0x404  AUTHOR_KEY      public author key (zero if none)
 *   0xC84 0x37C  reserved
 *
 * Public key (1028 bytes, 0x404):
 *
 *   0x000     4  CURVE   2 = P-384
 *   0x004  0x48  QX      little-endian, zero-padded to 72 bytes
 *   0x04C  0x48  QY      little-endian, zero-padded to 72 bytes
 *   0x094 0x370  reserved
 *
 * Signature (512 bytes, 0x200; also the report SIGNATURE format):
 *
 *   0x00  0x48  R   little-endian, zero-padded to 72 bytes
 *   0x48  0x48  S   little-endian, zero-padded to 72 bytes
 *   0x90 0x170  reserved
 *
 * Report ID_KEY_DIGEST / AUTHOR_KEY_DIGEST = SHA-384 of the 1028-byte public key structure.
 */
import { ParseError } from '../../errors.js';
import { Parser, decodeStruct, defineStruct } from '../../bytes/struct.js';
import { StructWriter } from '../../bytes/writer.js';

export const ID_BLOCK_SIZE = 0x60;
export const ID_AUTH_SIZE = 0x1000;
export const SNP_PUBLIC_KEY_SIZE = 0x404;
export const SNP_SIGNATURE_SIZE = 0x200;
/** the width of one ECDSA component (R, S, QX, QY) field */
export const ECDSA_COMPONENT_SIZE = 0x48;

export const ID_BLOCK_VERSION = 1;
/** ID_KEY_ALGO / AUTH_KEY_ALGO value for ECDSA P-384 with SHA-384 */
export const SNP_ALGO_ECDSA_P384_SHA384 = 1;
/** CURVE value of an SNP public key for P-384 */
export const SNP_CURVE_P384 = 2;

export const ID_BLOCK = { ld: 0x00, familyId: 0x30, imageId: 0x40, version: 0x50, guestSvn: 0x54, policy: 0x58 } as const;
export const ID_AUTH = {
  idKeyAlgo: 0x000, authKeyAlgo: 0x004, idBlockSig: 0x040, idKey: 0x240, idKeySig: 0x680, authorKey: 0x880,
} as const;
export const SNP_PUBLIC_KEY = { curve: 0x000, qx: 0x004, qy: 0x04c } as const;
export const SNP_SIGNATURE = { r: 0x00, s: 0x48 } as const;

export interface IdBlock {
  /** the expected launch digest, 48 bytes */
  ld: Uint8Array;
  familyId: Uint8Array;
  imageId: Uint8Array;
  version: number;
  guestSvn: number;
  policy: bigint;
}

/** An SNP public key: the curve number and the affine coordinates. */
export interface SnpPublicKey {
  curve: number;
  qx: bigint;
  qy: bigint;
}

/** An ECDSA signature as its two integers. */
export interface SnpSignature {
  r: bigint;
  s: bigint;
}

/** The ID_AUTH_INFO fields; the four blobs are kept as raw bytes (views into the input when decoded). */
export interface IdAuthInfo {
  idKeyAlgo: number;
  authKeyAlgo: number;
  /** 512 bytes */
  idBlockSig: Uint8Array;
  /** 1028 bytes */
  idKey: Uint8Array;
  /** 512 bytes; all zero without an author key */
  idKeySig: Uint8Array;
  /** 1028 bytes; all zero without an author key */
  authorKey: Uint8Array;
}

interface RawIdBlock { ld: Uint8Array; familyId: Uint8Array; imageId: Uint8Array; version: number; guestSvn: number; policyLo: number; policyHi: number }

export const ID_BLOCK_STRUCT = defineStruct<RawIdBlock>(
  'ID_BLOCK',
  new Parser()
    .buffer('ld', { length: 48 })
    .buffer('familyId', { length: 16 })
    .buffer('imageId', { length: 16 })
    .uint32le('version')
    .uint32le('guestSvn')
    .uint32le('policyLo')
    .uint32le('policyHi'),
);

interface RawIdAuth { idKeyAlgo: number; authKeyAlgo: number }
export const ID_AUTH_HEADER_STRUCT = defineStruct<RawIdAuth>('ID_AUTH_INFO', new Parser().uint32le('idKeyAlgo').uint32le('authKeyAlgo'));

interface RawPublicKey { curve: number; qx: Uint8Array; qy: Uint8Array }
export const SNP_PUBLIC_KEY_STRUCT = defineStruct<RawPublicKey>(
  'SNP public key',
  new Parser().uint32le('curve').buffer('qx', { length: ECDSA_COMPONENT_SIZE }).buffer('qy', { length: ECDSA_COMPONENT_SIZE }),
);

interface RawSignature { r: Uint8Array; s: Uint8Array }
export const SNP_SIGNATURE_STRUCT = defineStruct<RawSignature>(
  'SNP signature',
  new Parser().buffer('r', { length: ECDSA_COMPONENT_SIZE }).buffer('s', { length: ECDSA_COMPONENT_SIZE }),
);

function checkLength(what: string, bytes: Uint8Array, size: number): void {
  if (bytes.length !== size) throw new RangeError(`${what} must be ${size} bytes, got ${bytes.length}`);
}

/** A non-negative integer as `width` little-endian bytes (RangeError if it does not fit). */
export function toLeComponent(v: bigint, width = ECDSA_COMPONENT_SIZE): Uint8Array {
  if (v < 0n) throw new RangeError('negative component');
  const out = new Uint8Array(width);
  let x = v;
  for (let i = 0; i < width && x > 0n; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  if (x !== 0n) throw new RangeError(`component does not fit in ${width} bytes`);
  return out;
}

export function fromLeComponent(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

// ---------------------------------------------------------------------------------------
// ID_BLOCK

export function encodeIdBlock(b: IdBlock): Uint8Array {
  checkLength('ID_BLOCK LD', b.ld, 48);
  checkLength('ID_BLOCK FAMILY_ID', b.familyId, 16);
  checkLength('ID_BLOCK IMAGE_ID', b.imageId, 16);
  if (!Number.isInteger(b.version) || b.version < 0 || b.version > 0xffff_ffff) throw new RangeError('ID_BLOCK VERSION must be a u32');
  if (!Number.isInteger(b.guestSvn) || b.guestSvn < 0 || b.guestSvn > 0xffff_ffff) throw new RangeError('ID_BLOCK GUEST_SVN must be a u32');
  if (b.policy < 0n || b.policy >= 1n << 64n) throw new RangeError('ID_BLOCK POLICY must be a u64');
  return new StructWriter(ID_BLOCK_SIZE)
    .put(ID_BLOCK.ld, b.ld)
    .put(ID_BLOCK.familyId, b.familyId)
    .put(ID_BLOCK.imageId, b.imageId)
    .u32(ID_BLOCK.version, b.version)
    .u32(ID_BLOCK.guestSvn, b.guestSvn)
    .u64(ID_BLOCK.policy, b.policy).bytes;
}

/** Decode a 96-byte ID block (exactly 96 bytes: anything else is an ERR_MALFORMED ParseError). */
export function decodeIdBlock(bytes: Uint8Array, source?: string): IdBlock {
  if (bytes.length !== ID_BLOCK_SIZE) {
    throw new ParseError(bytes.length < ID_BLOCK_SIZE ? 'ERR_TRUNCATED' : 'ERR_MALFORMED', 'ID_BLOCK', 0, `must be exactly ${ID_BLOCK_SIZE} bytes, got ${bytes.length}`, source);
  }
  const raw = decodeStruct(ID_BLOCK_STRUCT, bytes, 0, source !== undefined ? { source } : {});
  return {
    ld: raw.ld.slice(),
    familyId: raw.familyId.slice(),
    imageId: raw.imageId.slice(),
    version: raw.version,
    guestSvn: raw.guestSvn,
    policy: (BigInt(raw.policyHi) << 32n) | BigInt(raw.policyLo),
  };
}

// ---------------------------------------------------------------------------------------
// public key and signature

export function encodeSnpPublicKey(k: SnpPublicKey): Uint8Array {
  return new StructWriter(SNP_PUBLIC_KEY_SIZE)
    .u32(SNP_PUBLIC_KEY.curve, k.curve)
    .put(SNP_PUBLIC_KEY.qx, toLeComponent(k.qx))
    .put(SNP_PUBLIC_KEY.qy, toLeComponent(k.qy)).bytes;
}

/** Decode a 1028-byte public key structure. `at` is its offset in the enclosing input (for errors). */
export function decodeSnpPublicKey(bytes: Uint8Array, ctx: { base?: number; source?: string; structure?: string } = {}): SnpPublicKey {
  const name = ctx.structure ?? 'SNP public key';
  if (bytes.length !== SNP_PUBLIC_KEY_SIZE) throw new ParseError('ERR_MALFORMED', name, ctx.base ?? 0, `must be exactly ${SNP_PUBLIC_KEY_SIZE} bytes, got ${bytes.length}`, ctx.source);
  const raw = decodeStruct(SNP_PUBLIC_KEY_STRUCT, bytes, 0, ctx);
  return { curve: raw.curve, qx: fromLeComponent(raw.qx), qy: fromLeComponent(raw.qy) };
}

export function encodeSnpSignature(sig: SnpSignature): Uint8Array {
  return new StructWriter(SNP_SIGNATURE_SIZE)
    .put(SNP_SIGNATURE.r, toLeComponent(sig.r))
    .put(SNP_SIGNATURE.s, toLeComponent(sig.s)).bytes;
}

export function decodeSnpSignature(bytes: Uint8Array, ctx: { base?: number; source?: string; structure?: string } = {}): SnpSignature {
  const name = ctx.structure ?? 'SNP signature';
  if (bytes.length !== SNP_SIGNATURE_SIZE) throw new ParseError('ERR_MALFORMED', name, ctx.base ?? 0, `must be exactly ${SNP_SIGNATURE_SIZE} bytes, got ${bytes.length}`, ctx.source);
  const raw = decodeStruct(SNP_SIGNATURE_STRUCT, bytes, 0, ctx);
  return { r: fromLeComponent(raw.r), s: fromLeComponent(raw.s) };
}

// ---------------------------------------------------------------------------------------
// ID_AUTH_INFO

export function encodeIdAuth(a: IdAuthInfo): Uint8Array {
  checkLength('ID_BLOCK_SIG', a.idBlockSig, SNP_SIGNATURE_SIZE);
  checkLength('ID_KEY', a.idKey, SNP_PUBLIC_KEY_SIZE);
  checkLength('ID_KEY_SIG', a.idKeySig, SNP_SIGNATURE_SIZE);
  checkLength('AUTHOR_KEY', a.authorKey, SNP_PUBLIC_KEY_SIZE);
  return new StructWriter(ID_AUTH_SIZE)
    .u32(ID_AUTH.idKeyAlgo, a.idKeyAlgo)
    .u32(ID_AUTH.authKeyAlgo, a.authKeyAlgo)
    .put(ID_AUTH.idBlockSig, a.idBlockSig)
    .put(ID_AUTH.idKey, a.idKey)
    .put(ID_AUTH.idKeySig, a.idKeySig)
    .put(ID_AUTH.authorKey, a.authorKey).bytes;
}

/** Decode a 4096-byte ID_AUTH_INFO (exactly 4096 bytes). The blobs are views into `bytes`. */
export function decodeIdAuth(bytes: Uint8Array, source?: string): IdAuthInfo {
  if (bytes.length !== ID_AUTH_SIZE) {
    throw new ParseError(bytes.length < ID_AUTH_SIZE ? 'ERR_TRUNCATED' : 'ERR_MALFORMED', 'ID_AUTH_INFO', 0, `must be exactly ${ID_AUTH_SIZE} bytes, got ${bytes.length}`, source);
  }
  const hdr = decodeStruct(ID_AUTH_HEADER_STRUCT, bytes, 0, source !== undefined ? { source } : {});
  return {
    idKeyAlgo: hdr.idKeyAlgo,
    authKeyAlgo: hdr.authKeyAlgo,
    idBlockSig: bytes.subarray(ID_AUTH.idBlockSig, ID_AUTH.idBlockSig + SNP_SIGNATURE_SIZE),
    idKey: bytes.subarray(ID_AUTH.idKey, ID_AUTH.idKey + SNP_PUBLIC_KEY_SIZE),
    idKeySig: bytes.subarray(ID_AUTH.idKeySig, ID_AUTH.idKeySig + SNP_SIGNATURE_SIZE),
    authorKey: bytes.subarray(ID_AUTH.authorKey, ID_AUTH.authorKey + SNP_PUBLIC_KEY_SIZE),
  };
}

export function isAllZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
