/**
 * The QE report: the report body of Intel's quoting enclave, an SGX REPORTBODY (Intel SDM
 * vol. 3D "REPORT"; Intel QVL QuoteStructures.h EnclaveReport), 384 bytes:
 *   0x000 CPUSVN (16) · 0x010 MISCSELECT u32 · 0x030 ATTRIBUTES (16) · 0x040 MRENCLAVE (32) ·
 *   0x080 MRSIGNER (32) · 0x100 ISVPRODID u16 · 0x102 ISVSVN u16 · 0x140 REPORTDATA (64)
 * REPORTDATA binds the attestation key: SHA-256(attestation key ‖ QE auth data) ‖ 32 zero bytes.
 */
import { at, bytes, defineLayout, u16, u32, type LayoutValue } from '../../bytes/layout.js';

export const QE_REPORT = defineLayout('QE report (SGX report body)', {
  cpuSvn: bytes(16),
  miscSelect: u32,
  attributes: at(0x30, bytes(16)),
  mrEnclave: bytes(32),
  mrSigner: at(0x80, bytes(32)),
  isvProdId: at(0x100, u16),
  isvSvn: u16,
  reportData: at(0x140, bytes(64)),
});
export type QeReport = LayoutValue<typeof QE_REPORT>;
