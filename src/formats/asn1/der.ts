/**
 * A minimal DER walker (ITU-T X.690): tag, length, value — enough to find the certificates of
 * a PKCS#7 SignedData and the issuer and subject names of an X.509 certificate. Definite
 * lengths only (DER); every length is checked against the enclosing element.
 */
import { ParseError } from '../../errors.js';

export interface DerNode { tag: number; start: number; headerLength: number; length: number; bytes: Uint8Array }

/** The element at `at` of `b` (`bytes` is the whole element, header included). */
export function derAt(b: Uint8Array, at: number, structure: string, source?: string): DerNode {
  if (at + 2 > b.length) throw new ParseError('ERR_TRUNCATED', structure, at, 'DER element header runs past the end', source);
  const tag = b[at]!;
  if ((tag & 0x1f) === 0x1f) throw new ParseError('ERR_MALFORMED', structure, at, 'multi-byte DER tags are not expected here', source);
  let len = b[at + 1]!;
  let hl = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new ParseError('ERR_MALFORMED', structure, at, 'indefinite or oversized DER length', source);
    if (at + 2 + n > b.length) throw new ParseError('ERR_TRUNCATED', structure, at, 'DER length runs past the end', source);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[at + 2 + i]!;
    hl += n;
  }
  if (at + hl + len > b.length) throw new ParseError('ERR_TRUNCATED', structure, at, `DER element of ${len} bytes runs past the end`, source);
  return { tag, start: at, headerLength: hl, length: len, bytes: b.subarray(at, at + hl + len) };
}

/** The children of a constructed element. */
export function derChildren(n: DerNode, structure: string, source?: string): DerNode[] {
  const out: DerNode[] = [];
  const body = n.bytes.subarray(n.headerLength);
  for (let p = 0; p < body.length; ) {
    const c = derAt(body, p, structure, source);
    out.push(c);
    p += c.headerLength + c.length;
  }
  return out;
}

/** Issuer and subject Name (DER bytes) of an X.509 Certificate element. */
export function x509Names(cert: DerNode, source?: string): { issuer: Uint8Array; subject: Uint8Array } {
  const tbs = derChildren(cert, 'X.509 Certificate', source)[0];
  if (!tbs || tbs.tag !== 0x30) throw new ParseError('ERR_MALFORMED', 'X.509 Certificate', cert.start, 'no TBSCertificate', source);
  const f = derChildren(tbs, 'TBSCertificate', source);
  const i = f[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  const issuer = f[i + 2];
  const subject = f[i + 4];
  if (!issuer || !subject || issuer.tag !== 0x30 || subject.tag !== 0x30) throw new ParseError('ERR_MALFORMED', 'TBSCertificate', tbs.start, 'no issuer or subject Name', source);
  return { issuer: issuer.bytes, subject: subject.bytes };
}

/** The certificates of a PKCS#7 ContentInfo holding SignedData (RFC 2315 §9.1). */
export function pkcs7Certificates(contentInfo: Uint8Array, source?: string): DerNode[] {
  const ci = derAt(contentInfo, 0, 'PKCS#7 ContentInfo', source);
  const ciKids = derChildren(ci, 'PKCS#7 ContentInfo', source);
  const explicit = ciKids[1];
  if (!explicit || explicit.tag !== 0xa0) throw new ParseError('ERR_MALFORMED', 'PKCS#7 ContentInfo', 0, 'no [0] content', source);
  const sd = derChildren(explicit, 'PKCS#7 ContentInfo', source)[0];
  if (!sd || sd.tag !== 0x30) throw new ParseError('ERR_MALFORMED', 'PKCS#7 SignedData', explicit.start, 'not a SEQUENCE', source);
  const certs = derChildren(sd, 'PKCS#7 SignedData', source).find((c) => c.tag === 0xa0);
  return certs ? derChildren(certs, 'PKCS#7 certificates', source).filter((c) => c.tag === 0x30) : [];
}
