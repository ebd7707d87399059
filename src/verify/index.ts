/**
 * `verifyEvidence`: the one call behind `prelaunch verify`. It tells what the evidence is —
 * an SEV-SNP attestation report (optionally followed by an extended report's certificate
 * table) or an Intel TDX quote — and hands it to that verifier. Browser-safe: certificates are
 * bytes the caller read, signatures are checked with WebCrypto.
 */
import { OptionError, PrelaunchError } from '../errors.js';
import { FILE_KINDS, sniffFileKind } from '../formats/file-kind.js';
import { ATTESTATION_REPORT, ATTESTATION_REPORT_SIZE } from '../formats/snp/attestation-report.js';
import { TDX_QUOTE_HEADER, TEE_TYPE_TDX } from '../formats/tdx/quote-header.js';
import { bytesSource } from '../bytes/source.js';
import type { GoldenDocument } from '../golden/engine.js';
import { verifySnpReport, type CertificateInput, type SnpPolicyExpectations, type SnpVerificationResult } from './snp.js';
import type { TcbParts } from '../formats/snp/attestation-report.js';
import { parseTdxCollateral } from './tdx/collateral.js';
import { tdxGoldenEntries, type TdxGoldenInput } from './tdx/golden.js';
import { verifyTdxQuote, type TdxVerification } from './tdx/verify.js';

export type EvidenceKind = 'snp-report' | 'tdx-quote';

export interface VerifyOptions {
  /** the evidence's name for messages */
  readonly source?: string;
  /** SNP: certificate files (VCEK/VLEK, ASK/ASVK, ARK; roles told by subject CN) */
  readonly certificates?: readonly CertificateInput[];
  /** SNP: check certificate validity at this time; TDX: evaluate collateral at this time */
  readonly at?: Date;
  /** TDX: collateral (TCB info, QE identity, CRLs) as a JSON document's bytes */
  readonly collateral?: CertificateInput;
  /** TDX: a CCEL event log to replay against the quote's RTMRs */
  readonly ccel?: CertificateInput;
  /** golden values the evidence must match */
  readonly golden?: GoldenDocument;
  /** TDX: reference values from a plain TDX document (src/verify/tdx/golden.ts tdxGoldenEntries) */
  readonly tdxGolden?: TdxGoldenInput;
  /** the golden document's name for messages */
  readonly goldenSource?: string;
  /** SNP: guest policy bits that must hold */
  readonly policy?: SnpPolicyExpectations;
  /** SNP: the least REPORTED_TCB accepted */
  readonly minTcb?: Partial<TcbParts>;
}

export type VerificationResult = SnpVerificationResult | TdxVerification;

const QUOTE_VERSION = TDX_QUOTE_HEADER.field('version');
const QUOTE_KEY_TYPE = TDX_QUOTE_HEADER.field('attestationKeyType');
const QUOTE_TEE_TYPE = TDX_QUOTE_HEADER.field('teeType');
const REPORT_VERSION = ATTESTATION_REPORT.field('version');
const REPORT_SIGNATURE_ALGO = ATTESTATION_REPORT.field('signatureAlgo');

/**
 * What `evidence` is, from its first bytes: a TDX quote (header version 4 or 5, TEE type TDX,
 * src/formats/tdx/quote-header.ts), an SNP report (VERSION 1–255 at 0 and SIGNATURE_ALGO 1 at
 * 0x34 — a report of a version prelaunch does not read, or a truncated one, is still told as a
 * report so that its parser names the problem), or null.
 */
export function detectEvidence(evidence: Uint8Array): EvidenceKind | null {
  const v = new DataView(evidence.buffer, evidence.byteOffset, evidence.byteLength);
  if (evidence.length >= TDX_QUOTE_HEADER.size) {
    const version = QUOTE_VERSION.read(v);
    const keyType = QUOTE_KEY_TYPE.read(v);
    if ((version === 4 || version === 5) && (keyType === 2 || keyType === 3) && QUOTE_TEE_TYPE.read(v) === TEE_TYPE_TDX) return 'tdx-quote';
  }
  if (evidence.length >= 0x38) {
    const version = REPORT_VERSION.read(v);
    if (version >= 1 && version <= 0xff && REPORT_SIGNATURE_ALGO.read(v) === 1) return 'snp-report';
  }
  return null;
}

/**
 * Verify `evidence` (an SNP report or a TDX quote) with what `options` supplies. Resolves to
 * the checks made and the verdict; throws a PrelaunchError for evidence or inputs that cannot
 * be read, and for options that do not apply to the evidence's kind.
 */
export async function verifyEvidence(evidence: Uint8Array, options: VerifyOptions = {}): Promise<VerificationResult> {
  const source = options.source ?? 'evidence';
  const kind = detectEvidence(evidence);
  if (kind === 'snp-report') {
    if (options.collateral) throw new OptionError('--collateral', `applies to TDX quotes; ${source} is an SEV-SNP report, whose collateral is its certificates (--cert, --certs)`);
    if (options.ccel) throw new OptionError('--ccel', `applies to TDX quotes; ${source} is an SEV-SNP report`);
    if (options.tdxGolden) throw new OptionError('--golden', `${options.goldenSource ?? 'the golden document'} holds TDX reference values; ${source} is an SEV-SNP report`);
    return verifySnpReport(evidence, {
      source,
      ...(options.certificates ? { certificates: options.certificates } : {}),
      ...(options.at ? { at: options.at } : {}),
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.minTcb ? { minTcb: options.minTcb } : {}),
      ...(options.golden ? { golden: options.golden } : {}),
    });
  }
  if (kind === 'tdx-quote') {
    if (options.certificates?.length) throw new OptionError('--cert', `applies to SEV-SNP reports; ${source} is an Intel TDX quote, which carries its PCK certificate chain (give DCAP collateral with --collateral)`);
    if (options.policy) throw new OptionError('--policy', `applies to SEV-SNP reports; ${source} is an Intel TDX quote (match its TD attributes with --golden)`);
    if (options.minTcb) throw new OptionError('--min-tcb', `applies to SEV-SNP reports; ${source} is an Intel TDX quote (its TCB status comes from --collateral)`);
    const goldenName = options.goldenSource ?? 'the golden document';
    const golden = options.tdxGolden ?? (options.golden ? tdxGoldenEntries(options.golden, goldenName) : undefined);
    return verifyTdxQuote(evidence, {
      source,
      ...(options.at ? { at: options.at } : {}),
      ...(options.collateral ? { collateral: parseTdxCollateral(options.collateral.bytes, options.collateral.source) } : {}),
      ...(golden ? { golden } : {}),
      ...(options.ccel ? { ccel: { bytes: options.ccel.bytes, name: options.ccel.source } } : {}),
    });
  }
  const other = sniffFileKind(bytesSource(evidence, source));
  const what = other ? ` (it is ${FILE_KINDS[other].what})` : '';
  throw new PrelaunchError('ERR_MALFORMED', `${source}: neither an SEV-SNP attestation report (${ATTESTATION_REPORT_SIZE} bytes, VERSION then SIGNATURE_ALGO 1 at 0x34) nor an Intel TDX quote (version 4 or 5, TEE type 0x81)${what}`, { file: source });
}

export { verifySnpReport, classifyAmdCertificate, shippedCertificate, AMD_OID } from './snp.js';
export type { SnpVerificationResult, SnpVerifyOptions, SnpPolicyExpectations, SnpCertRole, SnpCertificate, SnpCertificateSummary, CertificateInput } from './snp.js';
export type { VerificationBase, VerificationCheck } from './result.js';
export { verifyTdxQuote, intelSgxRootCa, type TdxVerification, type TdxVerifyOptions } from './tdx/verify.js';
export { parseTdxCollateral, CollateralError, type TdxCollateral } from './tdx/collateral.js';
export { tdxGoldenEntries, isTdxPrediction, type TdxGoldenInput, type TdxGoldenEntry } from './tdx/golden.js';
export type { TcbStatus } from './tdx/tcb-status.js';
