/**
 * The COSE_Sign1 (RFC 9052) prelaunch writes into IGVM_VHT_CORIM_SIGNATURE: ES384 (alg -35),
 * the CoRIM document as the detached payload (nil in the structure), protected header
 * { 1: -35, 3: "application/rim+cbor" } plus 8: corim-meta { 0: { 0: signer-name } } when a
 * signer is named (draft-ietf-rats-corim §4.2 signed-corim), empty unprotected header:
 *
 *   #6.18([ bstr .cbor protected, {}, nil, r‖s (96 bytes, big-endian) ])
 *   signed bytes: Sig_structure = ["Signature1", protected, h'', document]   (§4.4)
 *
 * The igvm crate defines the header but writes no signature, so these choices are
 * prelaunch's (docs/igvm.md). Encoding and reading only; signing is ../sign/igvm-corim.ts.
 */
import { Tag, decode, encode } from 'cbor2';

/** COSE algorithm ES384 (RFC 9053 §2.1) */
export const COSE_ALG_ES384 = -35;
export const CORIM_CONTENT_TYPE = 'application/rim+cbor';
/** r‖s of a P-384 signature */
export const ES384_SIGNATURE_SIZE = 96;

/** The protected header (the bstr's contents). */
export function corimProtectedHeader(signer?: string): Uint8Array {
  const m = new Map<number, unknown>([[1, COSE_ALG_ES384], [3, CORIM_CONTENT_TYPE]]);
  if (signer !== undefined) m.set(8, encode(new Map<number, unknown>([[0, new Map<number, unknown>([[0, signer]])]]), { cde: true }));
  return encode(m, { cde: true });
}

/** RFC 9052 §4.4 Sig_structure of a COSE_Sign1 with a detached payload and no external AAD. */
export function coseSigStructure(protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  // plain Uint8Arrays: cbor2 writes a Node Buffer as its toJSON() map, not as a byte string
  return encode(['Signature1', new Uint8Array(protectedHeader), new Uint8Array(0), new Uint8Array(payload)], { cde: true });
}

/** #6.18([protected, {}, nil, signature]) */
export function encodeCoseSign1(protectedHeader: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== ES384_SIGNATURE_SIZE) throw new RangeError(`an ES384 signature is ${ES384_SIGNATURE_SIZE} bytes (r‖s), not ${signature.length}`);
  return encode(new Tag(18, [new Uint8Array(protectedHeader), new Map(), null, new Uint8Array(signature)]), { cde: true });
}

export interface CoseSign1 {
  protectedHeader: Uint8Array;
  /** alg (label 1) of the protected header, or null */
  alg: number | null;
  contentType: string | null;
  signer: string | null;
  signature: Uint8Array;
}

/** A detached COSE_Sign1 read back (the IGVM parser has checked its shape: ../formats/igvm/corim.ts). */
export function decodeCoseSign1(bytes: Uint8Array): CoseSign1 {
  const t = decode(bytes) as Tag;
  const [protectedHeader, , , signature] = t.contents as [Uint8Array, unknown, null, Uint8Array];
  let alg: number | null = null;
  let contentType: string | null = null;
  let signer: string | null = null;
  if (protectedHeader.length > 0) {
    const m = decode(protectedHeader) as Map<unknown, unknown>;
    const a = m.get(1);
    alg = typeof a === 'number' ? a : null;
    const c = m.get(3);
    contentType = typeof c === 'string' ? c : c !== undefined ? String(c) : null;
    const meta = m.get(8);
    if (meta instanceof Uint8Array) {
      try {
        const name = ((decode(meta) as Map<unknown, unknown>).get(0) as Map<unknown, unknown> | undefined)?.get(0);
        signer = typeof name === 'string' ? name : null;
      } catch { /* not a corim-meta map */ }
    }
  }
  return { protectedHeader, alg, contentType, signer, signature };
}
