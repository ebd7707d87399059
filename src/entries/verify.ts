/**
 * `prelaunch/verify`: attestation evidence verified offline — SEV-SNP reports (signature,
 * VCEK/VLEK → ASK/ASVK → AMD ARK chain, TCB and policy checks, golden values) and Intel TDX
 * quotes (quote and QE report signatures, PCK chain → Intel SGX Root CA, TCB status from DCAP
 * collateral by Intel QVL's rules, golden values, CCEL replay). Browser-safe:
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
export { verifyTdxQuote, intelSgxRootCa, type TdxVerification, type TdxVerifyOptions } from '../verify/tdx/verify.js';
export { parseTdxCollateral, CollateralError, type TdxCollateral, type TcbInfo, type QeIdentity } from '../verify/tdx/collateral.js';
export type { TcbStatus } from '../verify/tdx/tcb-status.js';
export { tdxGoldenEntries, type TdxGoldenInput, type TdxGoldenEntry } from '../verify/tdx/golden.js';
export { parsePckExtension, SGX_EXTENSION_OID, type PckExtension } from '../verify/tdx/pck-extension.js';
export { INTEL_SGX_ROOT_CA_PEM, INTEL_SGX_ROOT_CA_SHA256 } from '../verify/tdx/intel-root.js';
export { parseCrl, type Crl } from '../verify/crl.js';
