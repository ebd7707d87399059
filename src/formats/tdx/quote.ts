/**
 * Reads a whole Intel TDX DCAP quote (versions 4 and 5) into a model: header, TD report body
 * (TDX 1.0 or 1.5), the ECDSA signature data and its certification data (QE report, QE report
 * signature, QE authentication data, PCK certificate chain). Each structure is declared once
 * beside this file; this reader only walks the variable-length parts, checking every length
 * against the bytes that are there (a quote is attacker-supplied: no length is trusted).
 *
 * Refused, as ParseError: a quote shorter than its structures say (ERR_TRUNCATED), a version
 * other than 4 or 5, a TEE type other than TDX, an attestation key type other than ECDSA P-256
 * (the only one Intel's QE produces; Intel QVL QuoteVerifier.cpp rejects others too), a v5 body
 * type other than 2 or 3 or a size that disagrees with it, certification data other than type 6
 * wrapping type 5 (the other types name a platform for an online collateral service and carry
 * no certificates). Bytes after the signature data are not part of the quote and not signed:
 * they are counted (`trailingBytes`) and otherwise ignored, as Intel QVL Quote::parse ignores
 * them (it reads no further than the declared signature data length; quotes handed around are
 * often padded to a buffer size).
 */
import { toHex } from '../../bytes/hex.js';
import { ParseError } from '../../errors.js';
import { CERTIFICATION_DATA_HEADER, CERT_TYPE_PCK_CHAIN, CERT_TYPE_QE_REPORT } from './certification-data.js';
import { ECDSA_SIGNATURE_DATA, QUOTE_SIGNATURE_DATA_LENGTH } from './ecdsa-signature-data.js';
import { QE_REPORT, type QeReport } from './qe-report.js';
import { QE_REPORT_CERTIFICATION_DATA } from './qe-report-certification-data.js';
import { BODY_TYPE_TD_REPORT10, BODY_TYPE_TD_REPORT15, QUOTE_BODY_DESCRIPTOR } from './quote-body-descriptor.js';
import { ATTESTATION_KEY_TYPE_ECDSA_P256, TDX_QUOTE_HEADER, TEE_TYPE_TDX } from './quote-header.js';
import { TD_QUOTE_BODY_V4, TD_QUOTE_BODY_V5, type TdQuoteBodyV4 } from './td-quote-body.js';

const STRUCTURE = 'TDX quote';

/** The TD report fields of a quote; `teeTcbSvn2` and `mrServiceTd` only in a TDX 1.5 body. */
export interface TdReport extends TdQuoteBodyV4 {
  readonly teeTcbSvn2?: Uint8Array;
  readonly mrServiceTd?: Uint8Array;
}

export interface TdxQuote {
  readonly version: 4 | 5;
  readonly attestationKeyType: number;
  readonly teeType: number;
  readonly qeSvn: number;
  readonly pceSvn: number;
  /** hex */
  readonly qeVendorId: string;
  readonly userData: Uint8Array;
  /** 2: TDX 1.0 TD report; 3: TDX 1.5 (v4 quotes are always 2) */
  readonly bodyType: 2 | 3;
  readonly report: TdReport;
  /** header + (descriptor) + body: the bytes the quote signature covers */
  readonly signedLength: number;
  /** r ‖ s, big-endian */
  readonly signature: Uint8Array;
  /** X ‖ Y of the P-256 attestation key */
  readonly attestationKey: Uint8Array;
  /** the QE report as it is in the quote (384 bytes; its signature covers these) */
  readonly qeReportBytes: Uint8Array;
  readonly qeReport: QeReport;
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  /** the PCK certificate chain, PEM text as the quote carries it */
  readonly pckChainPem: Uint8Array;
  /** the quote's length as read (header to the end of the signature data) */
  readonly length: number;
  /** bytes after the signature data (padding; not signed, not read) */
  readonly trailingBytes: number;
}

function truncated(offset: number, what: string, need: number, have: number, source?: string): ParseError {
  return new ParseError('ERR_TRUNCATED', STRUCTURE, offset, `${what} needs ${need} bytes, only ${Math.max(0, have)} left`, source);
}
function malformed(offset: number, problem: string, source?: string): ParseError {
  return new ParseError('ERR_MALFORMED', STRUCTURE, offset, problem, source);
}

/** Parse a TDX quote (see the module comment for what is refused). */
export function parseTdxQuote(bytes: Uint8Array, source?: string): TdxQuote {
  const ctx = source === undefined ? {} : { source };
  const header = TDX_QUOTE_HEADER.decode(bytes, 0, ctx);
  if (header.version !== 4 && header.version !== 5) throw malformed(0, `quote version ${header.version} is not supported (prelaunch reads TDX quotes v4 and v5)`, source);
  if (header.teeType !== TEE_TYPE_TDX) throw malformed(4, `TEE type 0x${header.teeType.toString(16)} is not TDX (0x81)${header.teeType === 0 ? ': an SGX quote' : ''}`, source);
  if (header.attestationKeyType !== ATTESTATION_KEY_TYPE_ECDSA_P256) throw malformed(2, `attestation key type ${header.attestationKeyType} is not supported (2, ECDSA P-256, is the one Intel's QE uses)`, source);

  let pos = TDX_QUOTE_HEADER.size;
  let bodyType: 2 | 3 = 2;
  let report: TdReport;
  if (header.version === 5) {
    const d = QUOTE_BODY_DESCRIPTOR.decode(bytes, pos, ctx);
    if (d.bodyType === BODY_TYPE_TD_REPORT10) {
      if (d.size !== TD_QUOTE_BODY_V4.size) throw malformed(pos + 2, `body type 2 (TDX 1.0) with size ${d.size}, not ${TD_QUOTE_BODY_V4.size}`, source);
    } else if (d.bodyType === BODY_TYPE_TD_REPORT15) {
      if (d.size !== TD_QUOTE_BODY_V5.size) throw malformed(pos + 2, `body type 3 (TDX 1.5) with size ${d.size}, not ${TD_QUOTE_BODY_V5.size}`, source);
    } else {
      throw malformed(pos, `body type ${d.bodyType} is not a TD report (2: TDX 1.0, 3: TDX 1.5)${d.bodyType === 1 ? '; 1 is an SGX enclave report' : ''}`, source);
    }
    bodyType = d.bodyType;
    pos += QUOTE_BODY_DESCRIPTOR.size;
  }
  if (bodyType === 3) {
    const b = TD_QUOTE_BODY_V5.decode(bytes, pos, ctx);
    report = { ...b.tdx10, teeTcbSvn2: b.teeTcbSvn2, mrServiceTd: b.mrServiceTd };
    pos += TD_QUOTE_BODY_V5.size;
  } else {
    report = TD_QUOTE_BODY_V4.decode(bytes, pos, ctx);
    pos += TD_QUOTE_BODY_V4.size;
  }
  const signedLength = pos;

  const sigLen = QUOTE_SIGNATURE_DATA_LENGTH.decode(bytes, pos, ctx).length;
  pos += QUOTE_SIGNATURE_DATA_LENGTH.size;
  if (sigLen > bytes.length - pos) throw truncated(pos, 'the signature data', sigLen, bytes.length - pos, source);
  const sigEnd = pos + sigLen;
  const sigData = bytes.subarray(0, sigEnd); // decode within the declared length only
  const ecdsa = ECDSA_SIGNATURE_DATA.decode(sigData, pos, ctx);
  pos += ECDSA_SIGNATURE_DATA.size;

  const outer = CERTIFICATION_DATA_HEADER.decode(sigData, pos, ctx);
  if (outer.type !== CERT_TYPE_QE_REPORT) {
    throw malformed(pos, `certification data type ${outer.type} is not supported (type 6, QE report certification data with the PCK chain, is what an offline verifier needs)`, source);
  }
  pos += CERTIFICATION_DATA_HEADER.size;
  if (outer.size > sigEnd - pos) throw truncated(pos, 'the QE report certification data', outer.size, sigEnd - pos, source);
  const outerEnd = pos + outer.size;
  const qeData = bytes.subarray(0, outerEnd);
  const qrcd = QE_REPORT_CERTIFICATION_DATA.decode(qeData, pos, ctx);
  const qeReportBytes = bytes.slice(pos, pos + QE_REPORT.size);
  pos += QE_REPORT_CERTIFICATION_DATA.size;
  if (qrcd.qeAuthDataSize > outerEnd - pos) throw truncated(pos, 'the QE authentication data', qrcd.qeAuthDataSize, outerEnd - pos, source);
  const qeAuthData = bytes.slice(pos, pos + qrcd.qeAuthDataSize);
  pos += qrcd.qeAuthDataSize;

  const inner = CERTIFICATION_DATA_HEADER.decode(qeData, pos, ctx);
  if (inner.type !== CERT_TYPE_PCK_CHAIN) throw malformed(pos, `certification data type ${inner.type} inside the QE report certification data is not 5 (the PCK certificate chain)`, source);
  pos += CERTIFICATION_DATA_HEADER.size;
  if (inner.size > outerEnd - pos) throw truncated(pos, 'the PCK certificate chain', inner.size, outerEnd - pos, source);
  const pckChainPem = bytes.slice(pos, pos + inner.size);
  pos += inner.size;
  // Intel QVL QuoteVerifier::verifyCertificationData: the parsed size must be the declared one
  if (pos !== outerEnd) throw malformed(pos, `${outerEnd - pos} bytes after the PCK chain inside the QE report certification data`, source);
  if (outerEnd !== sigEnd) throw malformed(outerEnd, `${sigEnd - outerEnd} bytes after the certification data inside the signature data`, source);

  return {
    version: header.version,
    attestationKeyType: header.attestationKeyType,
    teeType: header.teeType,
    qeSvn: header.qeSvn,
    pceSvn: header.pceSvn,
    qeVendorId: toHex(header.qeVendorId),
    userData: header.userData,
    bodyType,
    report,
    signedLength,
    signature: ecdsa.signature,
    attestationKey: ecdsa.attestationKey,
    qeReportBytes,
    qeReport: qrcd.qeReport,
    qeReportSignature: qrcd.qeReportSignature,
    qeAuthData,
    pckChainPem,
    length: sigEnd,
    trailingBytes: bytes.length - sigEnd,
  };
}
