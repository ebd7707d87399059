/**
 * The two sub-structures inside IGVM_VHT_SNP_ID_BLOCK (0x30B, see ./headers.ts for the
 * header itself): igvm_defs' IGVM_VHS_SNP_ID_BLOCK_SIGNATURE and
 * IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY. All integers little-endian; the ECDSA components are
 * little-endian and zero-padded to 72 bytes (P-384 uses 48).
 *
 *   IGVM_VHS_SNP_ID_BLOCK_SIGNATURE (144 bytes)
 *     0x00  72  r_comp
 *     0x48  72  s_comp
 *
 *   IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY (152 bytes)
 *     0x00   4  curve      2 = P-384
 *     0x04   4  reserved   0
 *     0x08  72  qx
 *     0x50  72  qy
 *
 * Unlike the AMD ID_AUTH key (src/formats/snp/id-block.ts: curve u32 ‖ qx ‖ qy, 1028 B), the
 * IGVM key has a reserved u32 after the curve. That u32 is not part of what the author key
 * signs or what the report's key digests hash: the AMD structure is (igvmmeasure builds it
 * the same way when it signs the ID key).
 */
import { bytes, defineLayout, u32 } from '../../bytes/layout.js';
import { ECDSA_COMPONENT_SIZE, fromLeComponent, toLeComponent, type SnpPublicKey, type SnpSignature } from '../snp/id-block.js';

export const IGVM_VHS_SNP_ID_BLOCK_SIGNATURE = defineLayout('IGVM_VHS_SNP_ID_BLOCK_SIGNATURE', { r: bytes(ECDSA_COMPONENT_SIZE), s: bytes(ECDSA_COMPONENT_SIZE) });
export const IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY = defineLayout('IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY', {
  curve: u32, reserved: u32, qx: bytes(ECDSA_COMPONENT_SIZE), qy: bytes(ECDSA_COMPONENT_SIZE),
});
export const IGVM_SNP_SIGNATURE_SIZE = IGVM_VHS_SNP_ID_BLOCK_SIGNATURE.size;
export const IGVM_SNP_PUBLIC_KEY_SIZE = IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY.size;

export function encodeIgvmSnpSignature(sig: SnpSignature): Uint8Array {
  return IGVM_VHS_SNP_ID_BLOCK_SIGNATURE.encode({ r: toLeComponent(sig.r), s: toLeComponent(sig.s) });
}

export function decodeIgvmSnpSignature(bytes: Uint8Array): SnpSignature {
  const raw = IGVM_VHS_SNP_ID_BLOCK_SIGNATURE.decode(bytes, 0);
  return { r: fromLeComponent(raw.r), s: fromLeComponent(raw.s) };
}

/** The IGVM public key structure (reserved u32 written as 0). */
export function encodeIgvmSnpPublicKey(k: SnpPublicKey): Uint8Array {
  return IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY.encode({ curve: k.curve, reserved: 0, qx: toLeComponent(k.qx), qy: toLeComponent(k.qy) });
}

export function decodeIgvmSnpPublicKey(bytes: Uint8Array): SnpPublicKey & { reserved: number } {
  const raw = IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY.decode(bytes, 0);
  return { curve: raw.curve, reserved: raw.reserved, qx: fromLeComponent(raw.qx), qy: fromLeComponent(raw.qy) };
}
