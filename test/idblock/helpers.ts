/** Shared fixtures for the ID block tests: key loading via node:crypto (an oracle here), paths. */
import { createPrivateKey, createPublicKey, verify, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PROJECT = path.resolve(HERE, '../..');
export const KEYS = path.join(PROJECT, 'test/vectors/keys');
export const SHARED = path.resolve(PROJECT, '../shared');
export const HAVE_SHARED = fs.existsSync(path.join(SHARED, 'oracles'));

export interface RefCase {
  id: string;
  measurementBase64: string;
  idKey: string;
  authorKey: string;
  idBlockBase64: string;
  idKeyDigestBase64: string;
  authorKeyDigestBase64: string;
  idAuthMaskedSha256: string;
  idKeyBlobSha256: string;
  authorKeyBlobSha256: string;
}

export const REFERENCE: { provenance: string; cases: RefCase[] } = JSON.parse(
  fs.readFileSync(path.join(PROJECT, 'test/vectors/idblock-reference.json'), 'utf8'),
);

export function keyObject(file: string, passphrase?: string): KeyObject {
  return createPrivateKey({ key: fs.readFileSync(path.isAbsolute(file) ? file : path.join(KEYS, file)), format: 'pem', ...(passphrase ? { passphrase } : {}) });
}

/** The raw 48-byte private scalar of a PEM key. */
export function privateScalar(file: string): Uint8Array {
  const d = Buffer.from(keyObject(file).export({ format: 'jwk' }).d!, 'base64url');
  const out = new Uint8Array(48);
  out.set(d, 48 - d.length);
  return out;
}

export function publicKeyObject(file: string): KeyObject {
  return createPublicKey(keyObject(file));
}

const le = (b: Uint8Array): Buffer => Buffer.from(b).reverse();

/** node:crypto verification of an AMD-format signature field (R, S little-endian) with an AMD-format key field. */
export function nodeVerify(sigField: Uint8Array, msg: Uint8Array, keyField: Uint8Array): boolean {
  const qx = le(keyField.subarray(4, 4 + 48));
  const qy = le(keyField.subarray(4 + 72, 4 + 72 + 48));
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-384', x: qx.toString('base64url'), y: qy.toString('base64url') }, format: 'jwk' });
  const r = le(sigField.subarray(0, 48));
  const s = le(sigField.subarray(72, 72 + 48));
  return verify('sha384', msg, { key, dsaEncoding: 'ieee-p1363' }, Buffer.concat([r, s]));
}
