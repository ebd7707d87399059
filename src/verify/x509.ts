/**
 * X.509 certificates for evidence verification, through PKI.js (pkijs + asn1js, PeculiarVentures):
 * a well-kept DER/X.509 implementation that runs unchanged in browsers and Node, and checks
 * signatures with WebCrypto (RSA-PSS for AMD's ARK/ASK, ECDSA for Intel's PCK chain). This file
 * is the one place that touches pkijs; everything else sees {@link X509Certificate}.
 *
 * Inputs are PEM (one or more `CERTIFICATE` blocks) or one DER certificate. A malformed input is
 * a {@link CertificateError} (code ERR_MALFORMED) naming the source and, for a PEM bundle, which
 * certificate of it.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toHex } from '../bytes/hex.js';
import { PrelaunchError } from '../errors.js';

/** A certificate could not be read (bad PEM, bad DER, unsupported key). */
export class CertificateError extends PrelaunchError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('ERR_MALFORMED', message, data);
  }
}

const NAME_OIDS: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.5': 'serialNumber',
};

const CURVES: Readonly<Record<string, 'P-256' | 'P-384' | 'P-521'>> = {
  '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521',
};

export interface X509PublicKeyInfo {
  /** `ec` (id-ecPublicKey), `rsa` (rsaEncryption or RSASSA-PSS), or `other` */
  readonly kind: 'ec' | 'rsa' | 'other';
  /** the curve of an EC key */
  readonly curve?: 'P-256' | 'P-384' | 'P-521';
  /** the algorithm OID of SubjectPublicKeyInfo */
  readonly algorithm: string;
  /** SubjectPublicKeyInfo, DER */
  readonly spki: Uint8Array;
  /** the raw subjectPublicKey BIT STRING contents (for EC: the uncompressed point 04‖X‖Y) */
  readonly raw: Uint8Array;
}

export interface X509Certificate {
  /** the certificate, DER */
  readonly der: Uint8Array;
  /** `CN=…, O=…` in the certificate's order */
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** the OID of the certificate's signature algorithm */
  readonly signatureAlgorithm: string;
  readonly publicKey: X509PublicKeyInfo;
  /** the DER contents of the extension's extnValue OCTET STRING, or undefined when absent */
  extension(oid: string): Uint8Array | undefined;
  /** every extension OID, in order */
  readonly extensionOids: readonly string[];
  /** where it was read from (file name), for messages */
  readonly source: string;
}

interface CertImpl extends X509Certificate {
  readonly impl: pkijs.Certificate;
}

function nameString(n: pkijs.RelativeDistinguishedNames): string {
  return n.typesAndValues
    .map((tv) => `${NAME_OIDS[tv.type] ?? tv.type}=${String((tv.value.valueBlock as { value?: unknown }).value ?? '')}`)
    .join(', ');
}

/** asn1js.fromBER, which throws (rather than reporting) for some malformed values, e.g. a GeneralizedTime that is not a time. */
export function fromBER(der: Uint8Array): ReturnType<typeof asn1js.fromBER> | null {
  try {
    return asn1js.fromBER(der);
  } catch {
    return null;
  }
}

function wrap(der: Uint8Array, source: string): CertImpl {
  const asn = fromBER(der);
  if (!asn) throw new CertificateError(`${source}: not a DER certificate (a value asn1js cannot decode)`, { source });
  if (asn.offset === -1 || asn.offset !== der.length) {
    throw new CertificateError(`${source}: not a DER certificate (${asn.offset === -1 ? asn.result.error || 'unreadable ASN.1' : `${der.length - asn.offset} trailing bytes`})`, { source });
  }
  let c: pkijs.Certificate;
  try {
    c = new pkijs.Certificate({ schema: asn.result });
  } catch (e) {
    throw new CertificateError(`${source}: not an X.509 certificate (${e instanceof Error ? e.message : String(e)})`, { source });
  }
  const spkiAlg = c.subjectPublicKeyInfo.algorithm.algorithmId;
  const params = c.subjectPublicKeyInfo.algorithm.algorithmParams as asn1js.ObjectIdentifier | undefined;
  const curveOid = params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : undefined;
  const kind = spkiAlg === '1.2.840.10045.2.1' ? 'ec' : spkiAlg === '1.2.840.113549.1.1.1' || spkiAlg === '1.2.840.113549.1.1.10' ? 'rsa' : 'other';
  const curve = kind === 'ec' && curveOid ? CURVES[curveOid] : undefined;
  const publicKey: X509PublicKeyInfo = {
    kind,
    algorithm: spkiAlg,
    spki: new Uint8Array(c.subjectPublicKeyInfo.toSchema().toBER(false)),
    raw: new Uint8Array(c.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView),
    ...(curve ? { curve } : {}),
  };
  const exts = new Map<string, Uint8Array>();
  for (const e of c.extensions ?? []) exts.set(e.extnID, new Uint8Array(e.extnValue.valueBlock.valueHexView));
  return {
    impl: c,
    der,
    source,
    subject: nameString(c.subject),
    issuer: nameString(c.issuer),
    serialNumber: toHex(new Uint8Array(c.serialNumber.valueBlock.valueHexView)),
    notBefore: c.notBefore.value,
    notAfter: c.notAfter.value,
    signatureAlgorithm: c.signatureAlgorithm.algorithmId,
    publicKey,
    extension: (oid) => exts.get(oid),
    extensionOids: [...exts.keys()],
  };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

function base64(text: string, what: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw new CertificateError(`${what}: the PEM body is not base64`);
  const bin = atob(clean);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** True when the bytes look like PEM text (start with `-----BEGIN`, after white space). */
export function isPem(b: Uint8Array): boolean {
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  return b.length - i >= 10 && String.fromCharCode(...b.subarray(i, i + 10)) === '-----BEGIN';
}

/**
 * Every certificate in `input`: the `CERTIFICATE` blocks of PEM text, in order (other blocks —
 * keys, CRLs — are skipped), or one DER certificate. Throws CertificateError when there is none.
 */
export function parseCertificates(input: Uint8Array, source: string): X509Certificate[] {
  if (!isPem(input)) return [wrap(input, source)];
  const text = new TextDecoder('latin1').decode(input);
  const out: X509Certificate[] = [];
  const blocks = [...text.matchAll(PEM_BLOCK)];
  let n = 0;
  for (const m of blocks) {
    n++;
    if (m[1] !== 'CERTIFICATE') continue;
    const what = blocks.length === 1 ? source : `${source} (PEM block ${n})`;
    out.push(wrap(base64(m[2]!, what), what));
  }
  if (out.length === 0) throw new CertificateError(`${source}: no CERTIFICATE block in the PEM text`, { source });
  return out;
}

/** The one certificate of `input`; a bundle of several is an error naming the count. */
export function parseCertificate(input: Uint8Array, source: string): X509Certificate {
  const all = parseCertificates(input, source);
  if (all.length !== 1) throw new CertificateError(`${source}: expected one certificate, found ${all.length}`, { source });
  return all[0]!;
}

/**
 * Whether `child`'s signature verifies with `issuer`'s public key (the algorithm is the one the
 * child names: RSA-PSS, RSA PKCS#1 v1.5 or ECDSA). False for a wrong key, a bad signature, or a
 * key or algorithm WebCrypto cannot use for this signature (pkijs throws for those: a signature
 * that cannot be checked is not a valid one).
 */
export async function verifyIssuedBy(child: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  try {
    return await (child as CertImpl).impl.verify((issuer as CertImpl).impl);
  } catch {
    return false;
  }
}

/** Whether a self-signed certificate (a root) verifies with its own key. */
export function verifySelfSigned(root: X509Certificate): Promise<boolean> {
  return verifyIssuedBy(root, root);
}

/** The subject's common name (CN), or null when it has none. */
export function commonName(cert: X509Certificate): string | null {
  const m = /(?:^|, )CN=([^,]*)/.exec(cert.subject);
  return m ? m[1]! : null;
}

/**
 * The DER value of an extension read as an INTEGER (AMD's VCEK TCB extensions), or null when
 * it is absent or not an INTEGER.
 */
export function extensionInteger(cert: X509Certificate, oid: string): bigint | null {
  const v = cert.extension(oid);
  if (!v) return null;
  const asn = fromBER(v);
  if (!asn || asn.offset !== v.length || !(asn.result instanceof asn1js.Integer)) return null;
  return asn.result.toBigInt();
}

/** The DER value of an extension read as a string (IA5String, UTF8String, PrintableString), or null. */
export function extensionString(cert: X509Certificate, oid: string): string | null {
  const v = cert.extension(oid);
  if (!v) return null;
  const asn = fromBER(v);
  if (!asn || asn.offset !== v.length) return null;
  const r = asn.result;
  if (r instanceof asn1js.IA5String || r instanceof asn1js.Utf8String || r instanceof asn1js.PrintableString) return r.getValue();
  return null;
}

/** Byte equality of two certificates (a supplied root against the one shipped). */
export function sameCertificate(a: X509Certificate, b: X509Certificate): boolean {
  if (a.der.length !== b.der.length) return false;
  for (let i = 0; i < a.der.length; i++) if (a.der[i] !== b.der[i]) return false;
  return true;
}

/** The part of WebCrypto used here (the project compiles without the DOM library). */
export interface Subtle {
  importKey(format: 'raw' | 'spki', key: Uint8Array, algorithm: { name: string; namedCurve?: string; hash?: string }, extractable: boolean, usages: string[]): Promise<unknown>;
  verify(algorithm: { name: string; hash?: string; saltLength?: number }, key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

/** The WebCrypto of this realm (Node ≥ 20 and browsers have `globalThis.crypto.subtle`). */
export function subtle(): Subtle {
  const s = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
  if (!s) throw new PrelaunchError('ERR_IO', 'WebCrypto (globalThis.crypto.subtle) is not available in this JavaScript runtime');
  return s;
}

/**
 * ECDSA verification of `data` with the certificate's EC key. `signature` is r‖s big-endian
 * (IEEE P1363), each half the curve's size; `hash` is the digest the scheme names.
 */
export async function verifyEcdsa(cert: X509Certificate, hash: 'SHA-256' | 'SHA-384', signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  const { publicKey } = cert;
  if (publicKey.kind !== 'ec' || !publicKey.curve) {
    throw new CertificateError(`${cert.source}: the key is not an EC key on a known curve (algorithm ${publicKey.algorithm})`, { source: cert.source });
  }
  return verifyEcdsaRaw(publicKey.curve, publicKey.raw, hash, signature, data, cert.source);
}

/** ECDSA verification with an uncompressed point (04‖X‖Y) on `curve`. */
export async function verifyEcdsaRaw(curve: 'P-256' | 'P-384' | 'P-521', point: Uint8Array, hash: 'SHA-256' | 'SHA-384', signature: Uint8Array, data: Uint8Array, what: string): Promise<boolean> {
  let key: unknown;
  try {
    key = await subtle().importKey('raw', point, { name: 'ECDSA', namedCurve: curve }, false, ['verify']);
  } catch (e) {
    throw new CertificateError(`${what}: the public key is not a valid ${curve} point (${e instanceof Error ? e.message : String(e)})`);
  }
  return subtle().verify({ name: 'ECDSA', hash }, key, signature, data);
}

/**
 * One node of a DER tree, for reading extensions whose structure is not X.509's own (Intel's
 * SGX extension in a PCK certificate: src/verify/tdx/pck-extension.ts). Universal tags are
 * numbered as ASN.1 numbers them (2 INTEGER, 4 OCTET STRING, 6 OBJECT IDENTIFIER,
 * 10 ENUMERATED, 16 SEQUENCE).
 */
export interface DerNode {
  /** 0 universal, 1 application, 2 context, 3 private */
  readonly tagClass: number;
  readonly tag: number;
  readonly constructed: boolean;
  /** the children of a constructed node */
  readonly children: readonly DerNode[];
  /** the contents of a primitive node */
  readonly content: Uint8Array;
  /** an OBJECT IDENTIFIER's dotted form */
  readonly oid?: string;
}

function derNode(b: asn1js.AsnType): DerNode {
  const id = (b as asn1js.BaseBlock).idBlock;
  const constructed = id.isConstructed;
  const vb = (b as asn1js.BaseBlock<asn1js.ValueBlock & { value?: unknown; valueHexView?: Uint8Array }>).valueBlock;
  const children = constructed && Array.isArray(vb.value) ? (vb.value as asn1js.AsnType[]).map(derNode) : [];
  const content = !constructed && vb.valueHexView ? new Uint8Array(vb.valueHexView) : new Uint8Array(0);
  const oid = b instanceof asn1js.ObjectIdentifier ? b.valueBlock.toString() : undefined;
  return { tagClass: id.tagClass - 1, tag: id.tagNumber, constructed, children, content, ...(oid !== undefined ? { oid } : {}) };
}

/** The DER tree of `der` (CertificateError naming `what` when it is not one whole DER value). */
export function decodeDer(der: Uint8Array, what: string): DerNode {
  const asn = fromBER(der);
  if (!asn) throw new CertificateError(`${what}: not DER (a value asn1js cannot decode)`);
  if (asn.offset === -1 || asn.offset !== der.length) {
    throw new CertificateError(`${what}: not DER (${asn.offset === -1 ? asn.result.error || 'unreadable ASN.1' : `${der.length - asn.offset} trailing bytes`})`);
  }
  return derNode(asn.result);
}
