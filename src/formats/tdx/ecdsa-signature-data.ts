/**
 * The signature data after the body of a TDX quote (Intel TDX DCAP Quoting Library API,
 * "ECDSA 256-bit Quote Signature Data Structure"): a u32 length (in the quote, before this
 * structure), then
 *   0x00 the quote signature (64: r ‖ s, big-endian, ECDSA P-256 over header + body) ·
 *   0x40 the ECDSA attestation public key (64: X ‖ Y, big-endian) ·
 *   0x80 certification data (./certification-data.ts: u16 type, u32 size, data)
 */
import { bytes, defineLayout, u32 } from '../../bytes/layout.js';

/** the u32 signature-data length that follows the body */
export const QUOTE_SIGNATURE_DATA_LENGTH = defineLayout('TDX quote signature data length', { length: u32 });

export const ECDSA_SIGNATURE_DATA = defineLayout('ECDSA 256-bit quote signature data', {
  signature: bytes(64),
  attestationKey: bytes(64),
});
