/**
 * EFI_SIGNATURE_LIST (UEFI 2.10 §32.4.1): the contents of db, dbx, KEK and PK. Little-endian.
 *   0x00 16 SignatureType (GUID)   0x10 4 SignatureListSize   0x14 4 SignatureHeaderSize
 *   0x18  4 SignatureSize          0x1c … SignatureHeader, then EFI_SIGNATURE_DATA entries of
 *   SignatureSize bytes: 16-byte SignatureOwner GUID, then the signature (an X.509 DER
 *   certificate for EFI_CERT_X509_GUID, a 32-byte hash for EFI_CERT_SHA256_GUID).
 */
import { guidFromBytes } from '../../bytes/guid.js';
import { bytes, defineLayout, u32 } from '../../bytes/layout.js';
import { ParseError } from '../../errors.js';

export const EFI_CERT_X509_GUID = 'a5c059a1-94e4-4aa7-87b5-ab155c2bf072';
export const EFI_CERT_SHA256_GUID = 'c1c41626-504c-4092-aca9-41f936934328';

export const EFI_SIGNATURE_LIST = defineLayout('EFI_SIGNATURE_LIST', { type: bytes(16), listSize: u32, headerSize: u32, signatureSize: u32 });

export interface SignatureEntry { type: string; owner: string; data: Uint8Array }

export function parseSignatureLists(b: Uint8Array, structure: string, source?: string): SignatureEntry[] {
  const out: SignatureEntry[] = [];
  for (let p = 0; p < b.length; ) {
    const l = EFI_SIGNATURE_LIST.decode(b, p, source !== undefined ? { source } : {});
    const body = p + EFI_SIGNATURE_LIST.size + l.headerSize;
    if (l.listSize < EFI_SIGNATURE_LIST.size + l.headerSize || p + l.listSize > b.length || l.signatureSize < 16 || (l.listSize - (body - p)) % l.signatureSize !== 0) {
      throw new ParseError('ERR_MALFORMED', `${structure} EFI_SIGNATURE_LIST`, p, `sizes (list ${l.listSize}, header ${l.headerSize}, signature ${l.signatureSize}) do not fit`, source);
    }
    const type = guidFromBytes(l.type, 0);
    for (let q = body; q < p + l.listSize; q += l.signatureSize) out.push({ type, owner: guidFromBytes(b, q), data: b.subarray(q + 16, q + l.signatureSize) });
    p += l.listSize;
  }
  return out;
}
