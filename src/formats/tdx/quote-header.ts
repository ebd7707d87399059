/**
 * The Intel TDX DCAP quote header (Intel TDX DCAP Quoting Library API, "Quote Header"; the same
 * 48 bytes in quote versions 4 and 5). All integers little-endian.
 *
 *   0x00 u16 version (4 or 5) · 0x02 u16 attestation key type (2 ECDSA-P256, 3 ECDSA-P384)
 *   0x04 u32 TEE type (0x81 = TDX) · 0x08 u16 QE SVN · 0x0A u16 PCE SVN (both "reserved" in
 *   the v4 spec; Intel's QVL reads them as the v3 header's QESVN and PCESVN) ·
 *   0x0C QE vendor ID (16; 939a7233-f79c-4ca9-940a-0db3957f0607 for Intel's QE) ·
 *   0x1C user data (20; the first 16 bytes are the QE's platform identifier)
 *
 * The signed part of a quote is this header and the body after it (./td-quote-body.ts); the
 * whole quote is read by ./quote.ts.
 */
import { bytes, defineLayout, u16, u32 } from '../../bytes/layout.js';

export const TDX_QUOTE_HEADER = defineLayout('TDX quote header', {
  version: u16,
  attestationKeyType: u16,
  teeType: u32,
  qeSvn: u16,
  pceSvn: u16,
  qeVendorId: bytes(16),
  userData: bytes(20),
});
export const TEE_TYPE_TDX = 0x81;
/** attestation key type 2: ECDSA-256-with-P-256 curve (the only type Intel's QE produces for TDX) */
export const ATTESTATION_KEY_TYPE_ECDSA_P256 = 2;
/** Intel's quoting enclave vendor ID */
export const INTEL_QE_VENDOR_ID = '939a7233f79c4ca9940a0db3957f0607';
