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
import { bytes, defineLayout, reserved, u32, u64n, type LayoutValue } from '../../bytes/layout.js';

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

export const ID_BLOCK_STRUCT = defineLayout('ID_BLOCK', {
  ld: bytes(48), familyId: bytes(16), imageId: bytes(16), version: u32, guestSvn: u32, policy: u64n,
});
export const SNP_PUBLIC_KEY_STRUCT = defineLayout('SNP public key', {
  curve: u32, qx: bytes(ECDSA_COMPONENT_SIZE), qy: bytes(ECDSA_COMPONENT_SIZE), reserved: reserved(0x370),
});
export const SNP_SIGNATURE_STRUCT = defineLayout('SNP signature', {
  r: bytes(ECDSA_COMPONENT_SIZE), s: bytes(ECDSA_COMPONENT_SIZE), reserved: reserved(0x170),
});
export const ID_AUTH_INFO_STRUCT = defineLayout('ID_AUTH_INFO', {
  idKeyAlgo: u32, authKeyAlgo: u32, reserved1: reserved(0x38),
  idBlockSig: bytes(SNP_SIGNATURE_SIZE), idKey: bytes(SNP_PUBLIC_KEY_SIZE), reserved2: reserved(0x3c),
  idKeySig: bytes(SNP_SIGNATURE_SIZE), authorKey: bytes(SNP_PUBLIC_KEY_SIZE), reserved3: reserved(0x37c),
});

/** Field offsets, as the tables above give them. */
export const ID_BLOCK = ID_BLOCK_STRUCT.offsets;
export const ID_AUTH = ID_AUTH_INFO_STRUCT.offsets;
export const SNP_PUBLIC_KEY = SNP_PUBLIC_KEY_STRUCT.offsets;
export const SNP_SIGNATURE = SNP_SIGNATURE_STRUCT.offsets;

/** An ID block: LD (the expected launch digest, 48 bytes), FAMILY_ID, IMAGE_ID, VERSION, GUEST_SVN, POLICY. */
export type IdBlock = LayoutValue<typeof ID_BLOCK_STRUCT>;

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

/** The ID_AUTH_INFO fields; the four blobs (signatures 512 bytes, keys 1028; the author's all zero without an author key) are kept as raw bytes. */
export type IdAuthInfo = LayoutValue<typeof ID_AUTH_INFO_STRUCT>;

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
  return ID_BLOCK_STRUCT.encode(b);
}

/** Decode a 96-byte ID block (exactly 96 bytes: anything else is an ERR_MALFORMED ParseError). */
export function decodeIdBlock(bytes: Uint8Array, source?: string): IdBlock {
  if (bytes.length !== ID_BLOCK_SIZE) {
    throw new ParseError(bytes.length < ID_BLOCK_SIZE ? 'ERR_TRUNCATED' : 'ERR_MALFORMED', 'ID_BLOCK', 0, `must be exactly ${ID_BLOCK_SIZE} bytes, got ${bytes.length}`, source);
  }
  return ID_BLOCK_STRUCT.decode(bytes, 0, source !== undefined ? { source } : {});
}

// ---------------------------------------------------------------------------------------
// public key and signature

export function encodeSnpPublicKey(k: SnpPublicKey): Uint8Array {
  return SNP_PUBLIC_KEY_STRUCT.encode({ curve: k.curve, qx: toLeComponent(k.qx), qy: toLeComponent(k.qy) });
}

/** Decode a 1028-byte public key structure. `at` is its offset in the enclosing input (for errors). */
export function decodeSnpPublicKey(bytes: Uint8Array, ctx: { base?: number; source?: string; structure?: string } = {}): SnpPublicKey {
  const name = ctx.structure ?? 'SNP public key';
  if (bytes.length !== SNP_PUBLIC_KEY_SIZE) throw new ParseError('ERR_MALFORMED', name, ctx.base ?? 0, `must be exactly ${SNP_PUBLIC_KEY_SIZE} bytes, got ${bytes.length}`, ctx.source);
  const raw = SNP_PUBLIC_KEY_STRUCT.decode(bytes, 0, ctx);
  return { curve: raw.curve, qx: fromLeComponent(raw.qx), qy: fromLeComponent(raw.qy) };
}

export function encodeSnpSignature(sig: SnpSignature): Uint8Array {
  return SNP_SIGNATURE_STRUCT.encode({ r: toLeComponent(sig.r), s: toLeComponent(sig.s) });
}

export function decodeSnpSignature(bytes: Uint8Array, ctx: { base?: number; source?: string; structure?: string } = {}): SnpSignature {
  const name = ctx.structure ?? 'SNP signature';
  if (bytes.length !== SNP_SIGNATURE_SIZE) throw new ParseError('ERR_MALFORMED', name, ctx.base ?? 0, `must be exactly ${SNP_SIGNATURE_SIZE} bytes, got ${bytes.length}`, ctx.source);
  const raw = SNP_SIGNATURE_STRUCT.decode(bytes, 0, ctx);
  return { r: fromLeComponent(raw.r), s: fromLeComponent(raw.s) };
}

// ---------------------------------------------------------------------------------------
// ID_AUTH_INFO

export function encodeIdAuth(a: IdAuthInfo): Uint8Array {
  checkLength('ID_BLOCK_SIG', a.idBlockSig, SNP_SIGNATURE_SIZE);
  checkLength('ID_KEY', a.idKey, SNP_PUBLIC_KEY_SIZE);
  checkLength('ID_KEY_SIG', a.idKeySig, SNP_SIGNATURE_SIZE);
  checkLength('AUTHOR_KEY', a.authorKey, SNP_PUBLIC_KEY_SIZE);
  return ID_AUTH_INFO_STRUCT.encode(a);
}

/** Decode a 4096-byte ID_AUTH_INFO (exactly 4096 bytes). The blobs are copies. */
export function decodeIdAuth(bytes: Uint8Array, source?: string): IdAuthInfo {
  if (bytes.length !== ID_AUTH_SIZE) {
    throw new ParseError(bytes.length < ID_AUTH_SIZE ? 'ERR_TRUNCATED' : 'ERR_MALFORMED', 'ID_AUTH_INFO', 0, `must be exactly ${ID_AUTH_SIZE} bytes, got ${bytes.length}`, source);
  }
  return ID_AUTH_INFO_STRUCT.decode(bytes, 0, source !== undefined ? { source } : {});
}

export function isAllZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
