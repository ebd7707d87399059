/**
 * The certificate table of an SEV-SNP extended guest request (GHCB specification, "SNP
 * Extended Guest Request", certificate table; Linux SNP_GET_EXT_REPORT `certs_address`): a
 * list of entries, each
 *
 *   0x00 16  GUID   (which certificate; RFC 4122 byte order, as go-sev-guest abi.CertTable
 *                   and virtee/sev CertTableEntry write it; the mixed-endian EFI order is also
 *                   accepted)
 *   0x10  4  OFFSET (u32, from the start of the table)
 *   0x14  4  LENGTH (u32)
 *
 * ended by an all-zero entry, followed by the certificates (DER; PEM is accepted too).
 *
 * prelaunch reads it where an evidence file is an attestation report immediately followed by
 * its table (the report's 0x4A0 bytes, then the table as the host returned it): docs/verify.md.
 */
import { guidFromBytes } from '../../bytes/guid.js';
import { bytes, defineLayout, u32 } from '../../bytes/layout.js';
import { ParseError } from '../../errors.js';

export const CERT_TABLE_ENTRY = defineLayout('SNP certificate table entry', { guid: bytes(16), offset: u32, length: u32 });

/** The GUIDs the GHCB specification assigns (canonical form). */
export const CERT_TABLE_GUIDS: Readonly<Record<string, 'vcek' | 'vlek' | 'ask' | 'ark'>> = {
  '63da758d-e664-4564-adc5-f4b93be8accd': 'vcek',
  'a8074bc2-a25a-483e-aae6-39c045a0b8a1': 'vlek',
  '4ab7b379-bbac-4fe4-a02f-05aef327c782': 'ask',
  'c0b406a4-a803-4952-9743-3fb6014cd0ae': 'ark',
};

/** The most entries read (a table lists four or five certificates). */
export const MAX_CERT_TABLE_ENTRIES = 64;

export interface CertTableEntry {
  /** canonical GUID string (RFC 4122 reading) */
  readonly guid: string;
  /** the certificate it names, or null for a GUID not in {@link CERT_TABLE_GUIDS} */
  readonly role: 'vcek' | 'vlek' | 'ask' | 'ark' | null;
  readonly data: Uint8Array;
}

function rfcGuid(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The entries of a certificate table at the start of `table`. A table whose entries point
 * outside it, or that has no terminating entry within {@link MAX_CERT_TABLE_ENTRIES}, is a
 * ParseError (`base` is the table's offset in the file, for messages).
 */
export function parseCertTable(table: Uint8Array, source: string, base = 0): CertTableEntry[] {
  const out: CertTableEntry[] = [];
  for (let i = 0; ; i++) {
    const at = i * CERT_TABLE_ENTRY.size;
    if (i >= MAX_CERT_TABLE_ENTRIES) throw new ParseError('ERR_MALFORMED', 'SNP certificate table', base, `no terminating entry within ${MAX_CERT_TABLE_ENTRIES} entries`, source);
    const e = CERT_TABLE_ENTRY.decode(table, at, { base, source });
    if (e.guid.every((x) => x === 0) && e.offset === 0 && e.length === 0) break;
    if (e.offset + e.length > table.length || e.offset < at + CERT_TABLE_ENTRY.size) {
      throw new ParseError('ERR_MALFORMED', 'SNP certificate table entry', base + at, `certificate at offset 0x${e.offset.toString(16)}, ${e.length} bytes, is outside the table's ${table.length} bytes`, source);
    }
    const rfc = rfcGuid(e.guid);
    const efi = guidFromBytes(e.guid);
    const role = CERT_TABLE_GUIDS[rfc] ?? CERT_TABLE_GUIDS[efi] ?? null;
    out.push({ guid: CERT_TABLE_GUIDS[rfc] || !CERT_TABLE_GUIDS[efi] ? rfc : efi, role, data: table.slice(e.offset, e.offset + e.length) });
  }
  return out;
}
