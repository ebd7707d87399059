/**
 * The TD report bodies of a TDX quote (Intel TDX DCAP Quoting Library API, "TD Quote Body";
 * Intel QVL AttestationLibrary QuoteVerification/QuoteStructures.h TDReport / TDReport15).
 * Byte strings are as the TDX module reports them (SVNs per byte; XFAM, TD attributes and SEAM
 * attributes are 8-byte little-endian bit fields, shown in hex byte order).
 *
 * TDX 1.0 (quote v4 body, v5 body type 2), 584 bytes:
 *   0x000 TEE_TCB_SVN (16) · 0x010 MRSEAM (48) · 0x040 MRSIGNERSEAM (48) ·
 *   0x070 SEAMATTRIBUTES (8) · 0x078 TDATTRIBUTES (8) · 0x080 XFAM (8) · 0x088 MRTD (48) ·
 *   0x0B8 MRCONFIGID (48) · 0x0E8 MROWNER (48) · 0x118 MROWNERCONFIG (48) ·
 *   0x148 RTMR0..3 (4 × 48) · 0x208 REPORTDATA (64)
 * TDX 1.5 (quote v5 body type 3), 648 bytes: the above, then
 *   0x248 TEE_TCB_SVN2 (16) · 0x258 MRSERVICETD (48)
 */
import { at, bytes, defineLayout, nested, type LayoutValue } from '../../bytes/layout.js';

export const TD_QUOTE_BODY_V4 = defineLayout('TD quote body (TDX 1.0)', {
  teeTcbSvn: bytes(16),
  mrSeam: bytes(48),
  mrSignerSeam: bytes(48),
  seamAttributes: bytes(8),
  tdAttributes: bytes(8),
  xfam: bytes(8),
  mrTd: at(0x88, bytes(48)),
  mrConfigId: bytes(48),
  mrOwner: bytes(48),
  mrOwnerConfig: bytes(48),
  rtmr0: at(0x148, bytes(48)),
  rtmr1: bytes(48),
  rtmr2: bytes(48),
  rtmr3: bytes(48),
  reportData: at(0x208, bytes(64)),
});

export const TD_QUOTE_BODY_V5 = defineLayout('TD quote body (TDX 1.5)', {
  tdx10: nested(TD_QUOTE_BODY_V4),
  teeTcbSvn2: at(0x248, bytes(16)),
  mrServiceTd: bytes(48),
});

export type TdQuoteBodyV4 = LayoutValue<typeof TD_QUOTE_BODY_V4>;
export type TdQuoteBodyV5 = LayoutValue<typeof TD_QUOTE_BODY_V5>;
