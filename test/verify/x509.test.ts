import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate, parseCertificates, verifyIssuedBy, verifySelfSigned, CertificateError } from '../../src/verify/x509.js';
import { SHARED_DIR } from '../support/shared-notice.js';

const AMD = join(SHARED_DIR, 'oracles/verify/amd');
const read = (f: string) => new Uint8Array(readFileSync(f));

describe('x509 wrapper', () => {
  it('rejects bytes that are not a certificate, naming the source', () => {
    expect(() => parseCertificates(new Uint8Array([0x30, 0x03, 1, 2]), 'x.der')).toThrow(CertificateError);
    expect(() => parseCertificates(new TextEncoder().encode('-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n'), 'x.pem')).toThrow(/x.pem: the PEM body is not base64/);
    expect(() => parseCertificates(new TextEncoder().encode('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'), 'k.pem')).toThrow(/no CERTIFICATE block/);
  });
  it.skipIf(!existsSync(AMD))('verifies the Milan ARK → ASK chain (RSA-PSS) and refuses the wrong issuer', async () => {
    const ark = parseCertificate(read(join(AMD, 'milan_ark.pem')), 'milan_ark.pem');
    const ask = parseCertificate(read(join(AMD, 'milan_ask.pem')), 'milan_ask.pem');
    const genoaArk = parseCertificate(read(join(AMD, 'genoa_ark.pem')), 'genoa_ark.pem');
    expect(ark.subject).toContain('CN=ARK-Milan');
    expect(ark.publicKey.kind).toBe('rsa');
    expect(await verifySelfSigned(ark)).toBe(true);
    expect(await verifyIssuedBy(ask, ark)).toBe(true);
    expect(await verifyIssuedBy(ask, genoaArk)).toBe(false);
    expect(await verifyIssuedBy(ark, ask)).toBe(false);
  });
});
