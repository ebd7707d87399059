/**
 * X.509 certificate revocation lists, through PKI.js (with ./x509.ts the only files that touch
 * pkijs): Intel's PCK CRL (issued by the PCK Platform or Processor CA) and the Intel SGX Root
 * CA CRL, as DCAP collateral carries them (DER, given as hex or PEM `X509 CRL`).
 */
import * as pkijs from 'pkijs';
import { fromHex, toHex } from '../bytes/hex.js';
import { CertificateError, fromBER, type X509Certificate } from './x509.js';

export interface Crl {
  readonly issuer: string;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  /** serial numbers of revoked certificates, lower-case hex without leading zero bytes */
  readonly revoked: ReadonlySet<string>;
  readonly source: string;
  readonly der: Uint8Array;
}

interface CrlImpl extends Crl {
  readonly impl: pkijs.CertificateRevocationList;
}

const NAME_OIDS: Readonly<Record<string, string>> = { '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU' };

function nameString(n: pkijs.RelativeDistinguishedNames): string {
  return n.typesAndValues.map((tv) => `${NAME_OIDS[tv.type] ?? tv.type}=${String((tv.value.valueBlock as { value?: unknown }).value ?? '')}`).join(', ');
}

/** Serial numbers compared as integers: hex without leading zero bytes. */
export function normalizeSerial(hex: string): string {
  const h = hex.toLowerCase().replace(/^(00)+(?=..)/, '');
  return h === '' ? '00' : h;
}

function pemCrl(text: string, source: string): Uint8Array {
  const m = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(text);
  if (!m) throw new CertificateError(`${source}: no X509 CRL block in the PEM text`, { source });
  const clean = m[1]!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw new CertificateError(`${source}: the PEM body is not base64`, { source });
  const bin = atob(clean);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A CRL from DER bytes, or from text: hex of the DER (as PCCS JSON carries it) or PEM. */
export function parseCrl(input: Uint8Array | string, source: string): Crl {
  let der: Uint8Array;
  if (typeof input === 'string') {
    const t = input.trim();
    if (t.startsWith('-----BEGIN')) der = pemCrl(t, source);
    else {
      const h = fromHex(t);
      if (!h || h.length === 0) throw new CertificateError(`${source}: a CRL is expected as hex of its DER or as PEM`, { source });
      der = h;
    }
  } else der = input;
  const asn = fromBER(der);
  if (!asn) throw new CertificateError(`${source}: not a DER CRL (a value asn1js cannot decode)`, { source });
  if (asn.offset === -1 || asn.offset !== der.length) throw new CertificateError(`${source}: not a DER CRL (${asn.offset === -1 ? asn.result.error || 'unreadable ASN.1' : `${der.length - asn.offset} trailing bytes`})`, { source });
  try {
    const c = new pkijs.CertificateRevocationList({ schema: asn.result });
    const revoked = new Set((c.revokedCertificates ?? []).map((r) => normalizeSerial(toHex(new Uint8Array(r.userCertificate.valueBlock.valueHexView)))));
    const thisUpdate = c.thisUpdate.value;
    const nextUpdate = c.nextUpdate?.value;
    if (!(thisUpdate instanceof Date) || Number.isNaN(thisUpdate.getTime()) || (nextUpdate !== undefined && (!(nextUpdate instanceof Date) || Number.isNaN(nextUpdate.getTime())))) throw new Error('thisUpdate or nextUpdate is not a time');
    const crl: CrlImpl = { impl: c, issuer: nameString(c.issuer), thisUpdate, ...(nextUpdate ? { nextUpdate } : {}), revoked, source, der };
    return crl;
  } catch (e) {
    throw new CertificateError(`${source}: not an X.509 CRL (${e instanceof Error ? e.message : String(e)})`, { source });
  }
}

/** Whether the CRL's signature verifies with `issuer`'s key (false for any failure). */
export async function verifyCrlIssuedBy(crl: Crl, issuer: X509Certificate): Promise<boolean> {
  try {
    const asn = fromBER(issuer.der);
    if (!asn) return false;
    const cert = new pkijs.Certificate({ schema: asn.result });
    return await (crl as CrlImpl).impl.verify({ issuerCertificate: cert });
  } catch {
    return false;
  }
}

/** Whether `cert` is on the list (by serial number; the caller checks the issuer). */
export function isRevoked(crl: Crl, cert: X509Certificate): boolean {
  return crl.revoked.has(normalizeSerial(cert.serialNumber));
}
