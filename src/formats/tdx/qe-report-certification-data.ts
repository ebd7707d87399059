/**
 * QE report certification data (certification data type 6; Intel TDX DCAP Quoting Library API,
 * "QE Report Certification Data"):
 *   0x000 the QE report (384: an SGX report body, ./qe-report.ts) ·
 *   0x180 the QE report signature (64: r ‖ s, ECDSA P-256 with the PCK key) ·
 *   0x1C0 u16 QE authentication data size, then that many bytes ·
 *   then certification data (./certification-data.ts), type 5 for a PCK chain.
 */
import { bytes, defineLayout, nested, u16 } from '../../bytes/layout.js';
import { QE_REPORT } from './qe-report.js';

export const QE_REPORT_CERTIFICATION_DATA = defineLayout('QE report certification data', {
  qeReport: nested(QE_REPORT),
  qeReportSignature: bytes(64),
  qeAuthDataSize: u16,
});
