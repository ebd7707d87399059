/**
 * The PE/COFF attribute certificate table (PE/COFF spec §4.7; data directory entry 4, whose
 * "RVA" is a file offset): WIN_CERTIFICATE records, each 8-byte aligned, little-endian:
 *   0x00 4 dwLength (header included)  0x04 2 wRevision (0x0200)  0x06 2 wCertificateType
 *   (0x0002 WIN_CERT_TYPE_PKCS_SIGNED_DATA: bCertificate is a PKCS#7 ContentInfo)  0x08 … bCertificate
 * Header fields located as in ./authenticode-ranges.ts (e_lfanew at 0x3c; optional header at
 * e_lfanew + 24; data directories at +96 (PE32) / +112 (PE32+), count at +92 / +108).
 */
import { copyBytes, type ByteSource } from '../../bytes/source.js';
import { defineLayout, u16, u32 } from '../../bytes/layout.js';
import { ParseError } from '../../errors.js';

export const WIN_CERTIFICATE = defineLayout('WIN_CERTIFICATE', { length: u32, revision: u16, certificateType: u16 });
export const WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002;

export interface WinCertificate { offset: number; revision: number; certificateType: number; data: Uint8Array }

/** The image's attribute certificates (empty when it has no certificate table). */
export function peCertificates(src: ByteSource): WinCertificate[] {
  const size = src.size;
  if (size < 0x40) return [];
  const lfanew = new DataView(copyBytes(src.read(0x3c, 4)).buffer).getUint32(0, true);
  if (lfanew + 24 + 2 > size) return [];
  const optAt = lfanew + 24;
  const magic = new DataView(copyBytes(src.read(optAt, 2)).buffer).getUint16(0, true);
  const pe32plus = magic === 0x20b;
  const countAt = optAt + (pe32plus ? 108 : 92);
  const dirAt = optAt + (pe32plus ? 112 : 96);
  if (dirAt + 5 * 8 > size) return [];
  const count = new DataView(copyBytes(src.read(countAt, 4)).buffer).getUint32(0, true);
  if (count <= 4) return [];
  const entry = new DataView(copyBytes(src.read(dirAt + 4 * 8, 8)).buffer);
  const at = entry.getUint32(0, true);
  const len = entry.getUint32(4, true);
  if (len === 0) return [];
  if (at + len > size) throw new ParseError('ERR_MALFORMED', 'PE certificate table', dirAt + 32, `0x${at.toString(16)}+0x${len.toString(16)} runs past the ${size}-byte file`, src.name);
  const table = copyBytes(src.read(at, len));
  const out: WinCertificate[] = [];
  for (let p = 0; p + WIN_CERTIFICATE.size <= table.length; ) {
    const c = WIN_CERTIFICATE.decode(table, p, { base: at, source: src.name });
    if (c.length < WIN_CERTIFICATE.size || p + c.length > table.length) throw new ParseError('ERR_MALFORMED', 'WIN_CERTIFICATE', at + p, `dwLength ${c.length} does not fit in the certificate table`, src.name);
    out.push({ offset: at + p, revision: c.revision, certificateType: c.certificateType, data: table.subarray(p + WIN_CERTIFICATE.size, p + c.length) });
    p += (c.length + 7) & ~7;
  }
  return out;
}
