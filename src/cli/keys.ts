/**
 * Key loading for the CLI (the library takes raw key material only). Reads PEM or DER
 * private keys — SEC1 (`BEGIN EC PRIVATE KEY`), PKCS#8 (`BEGIN PRIVATE KEY`), encrypted
 * PKCS#8 / legacy encrypted PEM with a passphrase from a file or an environment variable —
 * and public keys (SPKI PEM/DER, or any of the private forms), and insists on P-384.
 * Messages name the file and the problem, never key bytes.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { OptionError, PrelaunchError } from '../errors.js';
import type { EcPoint } from '../sign/ecdsa-p384.js';
import { LIMITS, readInput } from './io.js';
import { env } from './context.js';

export interface Passphrase {
  /** file holding the passphrase (first line) */
  file?: string | undefined;
  /** environment variable holding the passphrase */
  env?: string | undefined;
}

const CURVE_NAMES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521', secp256k1: 'secp256k1' };

function b64urlToBigint(s: string): bigint {
  const bytes = Buffer.from(s, 'base64url');
  return bytes.length ? BigInt('0x' + bytes.toString('hex')) : 0n;
}

function readPassphrase(p: Passphrase | undefined): string | null {
  if (!p) return null;
  if (p.file !== undefined && p.env !== undefined) throw new OptionError('--passphrase-file', 'give --passphrase-file or --passphrase-env, not both');
  if (p.file !== undefined) {
    const text = Buffer.from(readInput(p.file, '--passphrase-file', LIMITS.passphrase, 'a passphrase file')).toString('utf8');
    const first = text.split(/\r?\n/)[0] ?? '';
    if (!first) throw new OptionError('--passphrase-file', `${p.file} is empty`);
    return first;
  }
  if (p.env !== undefined) {
    const v = env(p.env);
    if (v === undefined || v === '') throw new OptionError('--passphrase-env', `environment variable ${p.env} is not set`);
    return v;
  }
  return null;
}

function isPem(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 4096))).toString('latin1');
  return head.includes('-----BEGIN ');
}

function checkP384(key: KeyObject, flag: string, file: string): void {
  if (key.asymmetricKeyType !== 'ec') {
    throw new PrelaunchError('ERR_KEY', `${flag} ${file}: is not an EC key (it is ${key.asymmetricKeyType ?? 'unknown'}); SEV-SNP ID keys must be ECDSA P-384 (openssl ecparam -name secp384r1 -genkey -noout)`, { file });
  }
  const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
  if (curve !== 'secp384r1') {
    throw new PrelaunchError('ERR_KEY', `${flag} ${file}: is an EC key on curve ${CURVE_NAMES[curve] ?? curve} (${curve}); SEV-SNP only supports P-384 (secp384r1)`, { file });
  }
}

function pointOf(key: KeyObject): EcPoint {
  const jwk = key.export({ format: 'jwk' });
  return { x: b64urlToBigint(jwk.x!), y: b64urlToBigint(jwk.y!) };
}

export interface LoadedPrivateKey {
  /** the 48-byte big-endian private scalar */
  d: Uint8Array;
  publicKey: EcPoint;
}

/** The bytes of a key file (PEM or DER), capped at {@link LIMITS.key}. */
export function readKeyFile(file: string, flag: string): Uint8Array {
  return readInput(file, flag, LIMITS.key, 'a key file');
}

/**
 * Load a P-384 private key from `file` (PEM or DER; encrypted with a passphrase). `bytes`:
 * the file's contents when already read (a pipe can be read only once).
 */
export function loadPrivateKey(file: string, flag: string, pass?: Passphrase, bytes: Uint8Array = readKeyFile(file, flag)): LoadedPrivateKey {
  const buf = Buffer.from(bytes);
  const pem = isPem(bytes);
  const text = pem ? buf.toString('latin1') : '';
  const encrypted = pem ? /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(text) : false;
  if (pem && /-----BEGIN (?:PUBLIC KEY|CERTIFICATE)-----/.test(text) && !/PRIVATE KEY-----/.test(text)) {
    throw new PrelaunchError('ERR_KEY', `${flag} ${file}: holds a public key or certificate; a private key is needed to sign (use 'id-block prepare' and 'assemble' to sign elsewhere)`, { file });
  }
  const passphrase = readPassphrase(pass);
  if (encrypted && passphrase === null) {
    throw new PrelaunchError('ERR_KEY', `${flag} ${file}: the key is encrypted; give its passphrase with --passphrase-file FILE or --passphrase-env VAR`, { file });
  }
  let key: KeyObject | null = null;
  const attempts: Parameters<typeof createPrivateKey>[0][] = pem
    ? [{ key: buf, format: 'pem', ...(passphrase !== null ? { passphrase } : {}) }]
    : [
        { key: buf, format: 'der', type: 'pkcs8', ...(passphrase !== null ? { passphrase } : {}) },
        { key: buf, format: 'der', type: 'sec1' },
      ];
  let lastCode = '';
  for (const a of attempts) {
    try {
      key = createPrivateKey(a);
      break;
    } catch (e) {
      lastCode = String((e as NodeJS.ErrnoException).code ?? '');
    }
  }
  if (!key) {
    if (encrypted || /BAD_DECRYPT|bad decrypt/i.test(lastCode)) {
      throw new PrelaunchError('ERR_KEY', `${flag} ${file}: cannot decrypt the key (wrong passphrase?)`, { file });
    }
    if (!pem && /ERR_OSSL.*(ENCRYPTED|PASS)|ERR_MISSING_PASSPHRASE/.test(lastCode)) {
      throw new PrelaunchError('ERR_KEY', `${flag} ${file}: the key is encrypted; give its passphrase with --passphrase-file FILE or --passphrase-env VAR`, { file });
    }
    throw new PrelaunchError('ERR_KEY', `${flag} ${file}: not a readable private key (expected PEM or DER: SEC1 'EC PRIVATE KEY' or PKCS#8 'PRIVATE KEY')`, { file });
  }
  checkP384(key, flag, file);
  const jwk = key.export({ format: 'jwk' });
  const d = Buffer.from(jwk.d!, 'base64url');
  const scalar = new Uint8Array(48);
  scalar.set(d.subarray(Math.max(0, d.length - 48)), 48 - Math.min(48, d.length));
  return { d: scalar, publicKey: { x: b64urlToBigint(jwk.x!), y: b64urlToBigint(jwk.y!) } };
}

/** Load a P-384 public key: SPKI PEM/DER, or a private key (its public half; encrypted ones need the passphrase). */
export function loadPublicKey(file: string, flag: string, pass?: Passphrase): EcPoint {
  const bytes = readKeyFile(file, flag);
  const buf = Buffer.from(bytes);
  const pem = isPem(bytes);
  if (pem && /PRIVATE KEY-----/.test(buf.toString('latin1'))) return loadPrivateKey(file, flag, pass, bytes).publicKey;
  const attempts: Parameters<typeof createPublicKey>[0][] = pem
    ? [{ key: buf, format: 'pem' }]
    : [{ key: buf, format: 'der', type: 'spki' }, { key: buf, format: 'der', type: 'pkcs1' }];
  for (const a of attempts) {
    let key: KeyObject;
    try {
      key = createPublicKey(a);
    } catch {
      continue;
    }
    checkP384(key, flag, file);
    return pointOf(key);
  }
  if (!pem) {
    // a DER private key?
    try {
      return loadPrivateKey(file, flag, pass, bytes).publicKey;
    } catch { /* fall through to the public-key message */ }
  }
  throw new PrelaunchError('ERR_KEY', `${flag} ${file}: not a readable public key (expected PEM 'PUBLIC KEY' or DER SubjectPublicKeyInfo, as 'openssl ec -pubout' writes)`, { file });
}
