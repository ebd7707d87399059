/**
 * The start of an Intel TDX DCAP quote (Intel TDX DCAP Quoting Library API, "Quote Header"),
 * as far as prelaunch reads one: to recognise a quote given where another file is expected.
 * prelaunch does not otherwise read quotes. All integers little-endian.
 *
 *   0x00 u16 version (4 or 5) · 0x02 u16 attestation key type (2 ECDSA-P256, 3 ECDSA-P384)
 *   0x04 u32 TEE type (0x81 = TDX)
 */
import { defineLayout, u16, u32 } from '../../bytes/layout.js';

export const TDX_QUOTE_HEADER = defineLayout('TDX quote header', { version: u16, attestationKeyType: u16, teeType: u32 });
export const TEE_TYPE_TDX = 0x81;
