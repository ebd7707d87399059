/**
 * `prelaunch/verify`: attestation evidence verified offline — SEV-SNP reports (signature,
 * VCEK/VLEK → ASK/ASVK → AMD ARK chain, TCB and policy checks, golden values). Browser-safe:
 * certificates through PKI.js, signatures through WebCrypto. See docs/verify.md, docs/api.md.
 */
export { verifyEvidence, detectEvidence, type EvidenceKind, type VerifyOptions, type VerificationResult } from '../verify/index.js';
export {
  verifySnpReport, classifyAmdCertificate, shippedCertificate, AMD_OID,
  type SnpVerificationResult, type SnpVerifyOptions, type SnpPolicyExpectations, type SnpCertRole, type SnpCertificate, type SnpCertificateSummary,
  type CertificateInput, type AnchorCertificates,
} from '../verify/snp.js';
export { verdict, type VerificationBase, type VerificationCheck } from '../verify/result.js';
export { AMD_CERTIFICATES, type AmdCertificate, type AmdProductCertificates } from '../verify/amd-certificates.js';
export {
  parseAttestationReport, decodeTcb, productOfCpuid, UnknownReportVersionError, ATTESTATION_REPORT, ATTESTATION_REPORT_SIZE, ATTESTATION_REPORT_VERSIONS,
  PLATFORM_INFO_BITS, SNP_PRODUCTS, type AttestationReport, type AttestationReportValue, type SnpProduct, type TcbParts, type SigningKeyKind,
} from '../formats/snp/attestation-report.js';
export { parseCertTable, CERT_TABLE_GUIDS, type CertTableEntry } from '../formats/snp/cert-table.js';
export { parseCertificates, parseCertificate, CertificateError, type X509Certificate, type X509PublicKeyInfo } from '../verify/x509.js';
export { renderVerification, verificationJson, snpReportJson } from '../report/verify.js';
