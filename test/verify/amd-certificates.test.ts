/**
 * The AMD certificates prelaunch ships (src/verify/amd-certificates.ts): each one's recorded
 * SHA-256 is its DER's, its subject CN is the one recorded, each ARK is self-signed and signs
 * its ASK and ASVK; and, with ../shared, each is byte-identical to the corpus copy (whose
 * PROVENANCE.json records the independent repositories it was found in).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AMD_CERTIFICATES } from '../../src/verify/amd-certificates.js';
import { classifyAmdCertificate, shippedCertificate } from '../../src/verify/snp.js';
import { commonName, parseCertificate, sameCertificate, verifyIssuedBy } from '../../src/verify/x509.js';
import { SNP_PRODUCTS } from '../../src/formats/snp/attestation-report.js';
import { SHARED_DIR } from '../support/shared-notice.js';

const AMD = path.join(SHARED_DIR, 'oracles/verify/amd');

describe('shipped AMD certificates', () => {
  for (const product of SNP_PRODUCTS) {
    it(`${product}: digests, names and signatures`, async () => {
      const ark = shippedCertificate(product, 'ark');
      for (const role of ['ark', 'ask', 'asvk'] as const) {
        const rec = AMD_CERTIFICATES[product][role];
        const c = shippedCertificate(product, role);
        expect(createHash('sha256').update(c.der).digest('hex')).toBe(rec.sha256);
        expect(commonName(c)).toBe(rec.cn);
        expect(classifyAmdCertificate(c)).toMatchObject({ role, product });
        expect(await verifyIssuedBy(c, ark), `${product} ${role} signed by the ARK`).toBe(true);
      }
    });
  }
  it.skipIf(!existsSync(AMD) || !!process.env.PRELAUNCH_NO_SHARED)('are byte-identical to the corpus copies', () => {
    for (const product of SNP_PRODUCTS) {
      for (const role of ['ark', 'ask', 'asvk'] as const) {
        const f = path.join(AMD, `${product.toLowerCase()}_${role}.pem`);
        expect(sameCertificate(parseCertificate(new Uint8Array(readFileSync(f)), f), shippedCertificate(product, role)), f).toBe(true);
      }
    }
  });
});
