/**
 * The body descriptor of a version-5 TDX quote, between the header and the body (Intel TDX DCAP
 * Quoting Library API, "Quote Body Descriptor"; Intel QVL Quote.cpp parses it as `bodyType`,
 * `size`). Body types: 1 SGX enclave report, 2 TD report (TDX 1.0, ./td-quote-body.ts
 * TD_QUOTE_BODY_V4), 3 TD report (TDX 1.5, TD_QUOTE_BODY_V5). A v4 quote has no descriptor:
 * its body is always a TDX 1.0 TD report.
 */
import { defineLayout, u16, u32 } from '../../bytes/layout.js';

export const QUOTE_BODY_DESCRIPTOR = defineLayout('TDX quote v5 body descriptor', { bodyType: u16, size: u32 });
export const BODY_TYPE_SGX = 1;
export const BODY_TYPE_TD_REPORT10 = 2;
export const BODY_TYPE_TD_REPORT15 = 3;
