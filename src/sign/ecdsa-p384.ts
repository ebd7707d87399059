/**
 * ECDSA over NIST P-384 with SHA-384, the only algorithm SEV-SNP ID authentication uses
 * (ID_KEY_ALGO = AUTH_KEY_ALGO = 1). Signing is built on @noble/curves (pure JS).
 *
 * Signing is deterministic (RFC 6979 with HMAC-SHA-384, no extra entropy) and does not
 * normalise S to the low half (`lowS: false`): plain ECDSA as OpenSSL, RustCrypto `p384`
 * (igvmmeasure) and the AMD secure processor produce and accept it. The same key and
 * message therefore always give the same signature, byte for byte, and the same one as
 * igvmmeasure.
 *
 * Verification needs no determinism, so in Node it goes through OpenSSL (node:crypto,
 * ~0.5 ms) rather than noble (~15 ms per signature in a fresh process, most of a signed IGVM
 * file's `igvm measure`); noble verifies where node:crypto is not available, and a test holds
 * the two to the same answers.
 *
 * Keys cross this API as raw material: a private key is its 48-byte big-endian scalar d;
 * a public key is its affine point {x, y}. Parsing PEM/DER containers is the caller's job
 * (the CLI does it in src/cli/keys.ts).
 */
import { p384 } from '@noble/curves/nist.js';
import { bytes, defineLayout, u8 } from '../bytes/layout.js';
import { PrelaunchError } from '../errors.js';
import { isBytes } from '../bytes/source.js';
import { nodeBuiltin } from '../runtime.js';

export interface EcPoint {
  x: bigint;
  y: bigint;
}

export interface EcdsaSignature {
  r: bigint;
  s: bigint;
}

// noble precomputes a table of multiples of the base point on first use; its default window
// (8 bits) costs ~50 ms to build, which only pays off after many signatures. A CLI process
// makes one to a few (a public key, a signature), so a 4-bit window: the first signature
// of a process ~85 -> ~35 ms, later ones as fast. The window changes no result. Set on first
// use, not at import: importing the library must not change a caller's own @noble/curves.
let smallWindow = false;
function useSmallWindow(): void {
  if (smallWindow) return;
  p384.Point.BASE.precompute(4);
  smallWindow = true;
}

/** The P-384 group order n. */
export const P384_ORDER: bigint = p384.Point.CURVE().n;
export const P384_SCALAR_SIZE = 48;

function bytesToBigint(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function bigintToBytes(v: bigint, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let x = v;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function checkPrivate(d: Uint8Array): void {
  if (!isBytes(d) || d.length !== P384_SCALAR_SIZE || !p384.utils.isValidSecretKey(d)) {
    // never echo the key material
    throw new PrelaunchError('ERR_KEY', 'not a valid P-384 private key (needs a 48-byte scalar in 1..n-1)');
  }
}

/** SEC 1 §2.3.3: an uncompressed point, 04‖X‖Y (big-endian coordinates) */
export const SEC1_P384_POINT = defineLayout('SEC1 P-384 point', { form: u8, x: bytes(P384_SCALAR_SIZE), y: bytes(P384_SCALAR_SIZE) });
/** IEEE P1363 (raw) signature r‖s, big-endian */
export const P1363_P384_SIGNATURE = defineLayout('P-384 r||s signature', { r: bytes(P384_SCALAR_SIZE), s: bytes(P384_SCALAR_SIZE) });
const SEC1_UNCOMPRESSED = 4;

function rawSignature(bytes: Uint8Array): EcdsaSignature {
  const { r, s } = P1363_P384_SIGNATURE.decode(bytes);
  return { r: bytesToBigint(r), s: bytesToBigint(s) };
}

/** The uncompressed SEC1 encoding 04‖X‖Y of a point. */
export function encodePoint(pub: EcPoint): Uint8Array {
  return SEC1_P384_POINT.encode({ form: SEC1_UNCOMPRESSED, x: bigintToBytes(pub.x, P384_SCALAR_SIZE), y: bigintToBytes(pub.y, P384_SCALAR_SIZE) });
}

/** Check that {x, y} is a point of P-384 (throws ERR_KEY otherwise). */
export function checkP384Point(pub: EcPoint, what = 'public key'): void {
  const ok = pub.x >= 0n && pub.y >= 0n && pub.x < 1n << 384n && pub.y < 1n << 384n && p384.utils.isValidPublicKey(encodePoint(pub), false);
  if (!ok) throw new PrelaunchError('ERR_KEY', `${what} is not a point on P-384`);
}

/** The public point of a private scalar. */
export function p384PublicKey(d: Uint8Array): EcPoint {
  checkPrivate(d);
  useSmallWindow();
  const { x, y } = SEC1_P384_POINT.decode(p384.getPublicKey(d, false));
  return { x: bytesToBigint(x), y: bytesToBigint(y) };
}

/** Parse a public key given as SEC1 bytes (04‖X‖Y uncompressed, or 02/03‖X compressed). */
export function p384PointFromSec1(bytes: Uint8Array): EcPoint {
  let point;
  try {
    point = p384.Point.fromBytes(bytes).toAffine();
  } catch {
    throw new PrelaunchError('ERR_KEY', 'public key is not a valid SEC1-encoded P-384 point');
  }
  return { x: point.x, y: point.y };
}

/** Deterministic ECDSA-P384-SHA384 (RFC 6979) of `message` (hashed here with SHA-384). */
export function signP384(d: Uint8Array, message: Uint8Array): EcdsaSignature {
  checkPrivate(d);
  useSmallWindow();
  const compact = p384.sign(message, d, { prehash: true, lowS: false, extraEntropy: false, format: 'compact' });
  return rawSignature(compact);
}

type NodeCrypto = typeof import('node:crypto');
let nodeCrypto: NodeCrypto | null | undefined;
/** node:crypto when this runtime has it (Node >= 20.16: process.getBuiltinModule), else null. */
function openssl(): NodeCrypto | null {
  if (nodeCrypto === undefined) nodeCrypto = nodeBuiltin<NodeCrypto>('node:crypto') ?? null;
  return nodeCrypto;
}

/**
 * Verify an ECDSA-P384-SHA384 signature of `message`; false for any invalid input (r or s
 * outside 1..n-1, a public key that is not a point of P-384). `via`: which implementation
 * ('auto': OpenSSL where node:crypto is available, else noble); both accept exactly the same
 * signatures, high S included, as the AMD secure processor does.
 */
export function verifyP384(pub: EcPoint, message: Uint8Array, sig: EcdsaSignature, via: 'auto' | 'node' | 'noble' = 'auto'): boolean {
  if (sig.r <= 0n || sig.s <= 0n || sig.r >= P384_ORDER || sig.s >= P384_ORDER) return false;
  if (pub.x < 0n || pub.y < 0n || pub.x >= 1n << 384n || pub.y >= 1n << 384n) return false;
  const rs = new Uint8Array(96);
  rs.set(bigintToBytes(sig.r, 48), 0);
  rs.set(bigintToBytes(sig.s, 48), 48);
  const c = via === 'noble' ? null : openssl();
  if (via === 'node' && c === null) throw new Error('verifyP384: node:crypto is not available here');
  if (c !== null) {
    let key;
    try {
      // (node:crypto is there, so Buffer is too)
      const b64 = (v: bigint): string => Buffer.from(bigintToBytes(v, 48)).toString('base64url');
      key = c.createPublicKey({ key: { kty: 'EC', crv: 'P-384', x: b64(pub.x), y: b64(pub.y) }, format: 'jwk' });
    } catch {
      return false; // not a point of P-384
    }
    try {
      return c.verify('sha384', message, { key, dsaEncoding: 'ieee-p1363' }, rs);
    } catch {
      return false;
    }
  }
  try {
    useSmallWindow();
    return p384.verify(rs, message, encodePoint(pub), { prehash: true, lowS: false, format: 'compact' });
  } catch {
    return false;
  }
}

/**
 * Read a detached signature as external signers emit it: ASN.1 DER `SEQUENCE { r, s }`
 * (openssl dgst -sign, AWS KMS, GCP KMS, PKCS#11 wrappers) or raw r‖s (96 bytes, big-endian,
 * IEEE P1363 / JWS / Azure Key Vault).
 */
export function parseDetachedSignature(bytes: Uint8Array, what = 'signature'): EcdsaSignature {
  if (bytes.length === P1363_P384_SIGNATURE.size && bytes[0] !== 0x30) return rawSignature(bytes);
  if (bytes[0] === 0x30) {
    try {
      const sig = p384.Signature.fromBytes(bytes, 'der');
      return { r: sig.r, s: sig.s };
    } catch {
      if (bytes.length === P1363_P384_SIGNATURE.size) return rawSignature(bytes);
      throw new PrelaunchError('ERR_SIGNATURE', `${what} is not a DER-encoded ECDSA signature`);
    }
  }
  throw new PrelaunchError('ERR_SIGNATURE', `${what} is ${bytes.length} bytes: expected DER (starts with 0x30) or raw r||s (96 bytes)`);
}

/** The DER encoding of a signature (what openssl dgst -verify expects). */
export function signatureToDer(sig: EcdsaSignature): Uint8Array {
  return new p384.Signature(sig.r, sig.s).toBytes('der');
}
