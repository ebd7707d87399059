/**
 * Certification data (Intel TDX DCAP Quoting Library API, "Certification Data"): a u16 type and
 * a u32 size, followed by `size` bytes of data. The types a TDX quote carries:
 *   6 — QE report certification data (./qe-report-certification-data.ts), which itself ends
 *       in certification data of type 5;
 *   5 — the PCK certificate chain: PEM text, PCK leaf → PCK Platform/Processor CA → Intel SGX
 *       Root CA.
 * Types 1–4 (PPID forms, no certificates) and 7 (platform manifest) name a platform for a
 * collateral service to look up; an offline verifier cannot use them.
 */
import { defineLayout, u16, u32 } from '../../bytes/layout.js';

export const CERTIFICATION_DATA_HEADER = defineLayout('certification data header', { type: u16, size: u32 });
export const CERT_TYPE_PCK_CHAIN = 5;
export const CERT_TYPE_QE_REPORT = 6;
