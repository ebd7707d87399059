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
import { Parser, decodeStruct, defineStruct } from '../../bytes/struct.js';
import { StructWriter } from '../../bytes/writer.js';
import { ECDSA_COMPONENT_SIZE, fromLeComponent, toLeComponent, type SnpPublicKey, type SnpSignature } from '../snp/id-block.js';

export const IGVM_SNP_SIGNATURE_SIZE = 144;
export const IGVM_SNP_PUBLIC_KEY_SIZE = 152;
export const IGVM_SNP_SIGNATURE = { r: 0x00, s: 0x48 } as const;
export const IGVM_SNP_PUBLIC_KEY = { curve: 0x00, reserved: 0x04, qx: 0x08, qy: 0x50 } as const;

interface RawSignature { r: Uint8Array; s: Uint8Array }
export const IGVM_VHS_SNP_ID_BLOCK_SIGNATURE = defineStruct<RawSignature>(
  'IGVM_VHS_SNP_ID_BLOCK_SIGNATURE',
  new Parser().buffer('r', { length: ECDSA_COMPONENT_SIZE }).buffer('s', { length: ECDSA_COMPONENT_SIZE }),
);

interface RawPublicKey { curve: number; reserved: number; qx: Uint8Array; qy: Uint8Array }
export const IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY = defineStruct<RawPublicKey>(
  'IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY',
  new Parser().uint32le('curve').uint32le('reserved').buffer('qx', { length: ECDSA_COMPONENT_SIZE }).buffer('qy', { length: ECDSA_COMPONENT_SIZE }),
);

export function encodeIgvmSnpSignature(sig: SnpSignature): Uint8Array {
  return new StructWriter(IGVM_SNP_SIGNATURE_SIZE)
    .put(IGVM_SNP_SIGNATURE.r, toLeComponent(sig.r))
    .put(IGVM_SNP_SIGNATURE.s, toLeComponent(sig.s)).bytes;
}

export function decodeIgvmSnpSignature(bytes: Uint8Array): SnpSignature {
  const raw = decodeStruct(IGVM_VHS_SNP_ID_BLOCK_SIGNATURE, bytes, 0);
  return { r: fromLeComponent(raw.r), s: fromLeComponent(raw.s) };
}

/** The IGVM public key structure (reserved u32 written as 0). */
export function encodeIgvmSnpPublicKey(k: SnpPublicKey): Uint8Array {
  return new StructWriter(IGVM_SNP_PUBLIC_KEY_SIZE)
    .u32(IGVM_SNP_PUBLIC_KEY.curve, k.curve)
    .put(IGVM_SNP_PUBLIC_KEY.qx, toLeComponent(k.qx))
    .put(IGVM_SNP_PUBLIC_KEY.qy, toLeComponent(k.qy)).bytes;
}

export function decodeIgvmSnpPublicKey(bytes: Uint8Array): SnpPublicKey & { reserved: number } {
  const raw = decodeStruct(IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY, bytes, 0);
  return { curve: raw.curve, reserved: raw.reserved, qx: fromLeComponent(raw.qx), qy: fromLeComponent(raw.qy) };
}
