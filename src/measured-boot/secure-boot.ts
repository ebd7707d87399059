/**
 * Does edk2 (DxeImageVerificationLib) accept a direct-boot kernel under secure boot? Decided
 * only as far as it can be without verifying signatures:
 *   - secure boot off: the kernel runs through its PE entry (the EFI stub);
 *   - its Authenticode SHA-256 in dbx, or no signature and not in db: rejected → OVMF's legacy
 *     Linux loader (edk2 ≤ 2025.08 outside confidential guests), which measures no kernel event;
 *   - signed, but no certificate of the signature is a db certificate or issued under one's
 *     name: it cannot chain to db → rejected;
 *   - otherwise (a db hash or a possible chain) edk2 would accept it and log an
 *     EV_EFI_VARIABLE_AUTHORITY event: not modelled, refused.
 */
import { forEachChunk, type ByteSource } from '../bytes/source.js';
import { toHex } from '../bytes/hex.js';
import { pkcs7Certificates, x509Names, derAt } from '../formats/asn1/der.js';
import { authenticodeRanges } from '../formats/pe/authenticode-ranges.js';
import { peCertificates, WIN_CERT_TYPE_PKCS_SIGNED_DATA } from '../formats/pe/certificate-table.js';
import { EFI_IMAGE_SECURITY_DATABASE_GUID } from '../formats/tdx/tcg-events.js';
import { EFI_CERT_SHA256_GUID, EFI_CERT_X509_GUID, parseSignatureLists } from '../formats/uefi/signature-list.js';
import { findVariable, type VariableStore } from '../formats/uefi/variable-store.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';

export interface SecureBootVerdict { loads: 'pe' | 'legacy' | 'refused'; reason: string }

export function kernelSecureBootVerdict(kernel: ByteSource, secureBootOn: boolean, store: VariableStore, backend: HashBackend = defaultBackend): SecureBootVerdict {
  if (!secureBootOn) return { loads: 'pe', reason: 'secure boot is off' };
  const db = parseSignatureLists(findVariable(store, EFI_IMAGE_SECURITY_DATABASE_GUID, 'db')?.data ?? new Uint8Array(0), 'db', '--vars');
  const dbx = parseSignatureLists(findVariable(store, EFI_IMAGE_SECURITY_DATABASE_GUID, 'dbx')?.data ?? new Uint8Array(0), 'dbx', '--vars');
  const h = backend.create('sha256');
  for (const r of authenticodeRanges(kernel)) forEachChunk(kernel, r.offset, r.length, 1 << 20, (b) => h.update(b));
  const digest = toHex(h.digest());
  const hashIn = (list: typeof db): boolean => list.some((e) => e.type === EFI_CERT_SHA256_GUID && toHex(e.data) === digest);
  if (hashIn(dbx)) return { loads: 'legacy', reason: 'secure boot rejects the kernel (its Authenticode SHA-256 is in dbx)' };
  if (hashIn(db)) return { loads: 'refused', reason: 'secure boot accepts the kernel through a db hash; the EV_EFI_VARIABLE_AUTHORITY event edk2 then logs is not modelled' };
  const sigs = peCertificates(kernel).filter((c) => c.certificateType === WIN_CERT_TYPE_PKCS_SIGNED_DATA);
  if (sigs.length === 0) return { loads: 'legacy', reason: 'secure boot rejects the kernel (it is not signed and its hash is not in db)' };
  const dbSubjects = new Set<string>();
  for (const e of db) {
    if (e.type !== EFI_CERT_X509_GUID) continue;
    dbSubjects.add(toHex(x509Names(derAt(e.data, 0, 'db X.509 certificate', '--vars'), '--vars').subject));
  }
  const signers: string[] = [];
  for (const s of sigs) {
    for (const c of pkcs7Certificates(s.data, kernel.name)) {
      const n = x509Names(c, kernel.name);
      if (dbSubjects.has(toHex(n.issuer)) || dbSubjects.has(toHex(n.subject))) {
        return { loads: 'refused', reason: 'secure boot may accept the kernel (a certificate of its signature chains to a db certificate); verifying the signature and the EV_EFI_VARIABLE_AUTHORITY event are not modelled' };
      }
      signers.push(printableName(n.subject));
    }
  }
  return { loads: 'legacy', reason: `secure boot rejects the kernel (signed by ${signers.join(', ') || 'a certificate'} — none chains to a db certificate)` };
}

/** The CN (or the whole Name, as hex) of an X.509 Name, for messages. */
function printableName(name: Uint8Array): string {
  // CN = OID 2.5.4.3 (06 03 55 04 03), then a string
  for (let i = 0; i + 7 < name.length; i++) {
    if (name[i] === 0x06 && name[i + 1] === 0x03 && name[i + 2] === 0x55 && name[i + 3] === 0x04 && name[i + 4] === 0x03) {
      const len = name[i + 6]!;
      return JSON.stringify(new TextDecoder().decode(name.subarray(i + 7, i + 7 + len)));
    }
  }
  return `0x${toHex(name).slice(0, 32)}…`;
}
