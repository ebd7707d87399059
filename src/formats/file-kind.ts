/**
 * What kind of file an input is, from a few magic bytes — so that a file given to the wrong
 * command (an IGVM file to `measure`, an OVMF image to `igvm measure`, a TDX quote to `golden
 * --check`) is refused with one line saying what it is and which command takes it, instead of
 * failing deep in the wrong parser (or, worse, parsing as something it is not).
 *
 * The signatures, each cited:
 *   IGVM          u32 magic "IGVM" at 0 (microsoft/igvm igvm_defs IGVM_MAGIC_VALUE)
 *   OVMF          footer-table GUID 96b582de-… at size-48 (edk2 OvmfPkg ResetVector, see
 *                 ovmf/footer-table.ts), or a firmware volume header "_FVH" at 40 (PI spec
 *                 EFI_FIRMWARE_VOLUME_HEADER.Signature)
 *   TDX quote     u16 version 4 or 5 at 0, u16 attestation key type 2 (ECDSA-P256) or 3
 *                 (ECDSA-P384) at 2, u32 TEE type 0x81 at 4 (Intel TDX DCAP quote header)
 *   SNP report    0x4A0 bytes, u32 VERSION 2..5 at 0, u32 SIGNATURE_ALGO 1 (ECDSA P-384 with
 *                 SHA-384) at 0x34 (AMD SEV-SNP ABI, ATTESTATION_REPORT)
 *   event log     a TCG_PCR_EVENT whose data starts "Spec ID Event03\0" at 32 (TCG PC Client
 *                 Platform Firmware Profile, TCG_EfiSpecIDEvent) — CCEL, `tdx replay`
 *   ELF, PE       "\x7fELF" at 0; "MZ" at 0
 *   JSON          the first non-blank byte is `{` or `[`
 */
import { guidFromBytes } from '../bytes/guid.js';
import type { ByteSource } from '../bytes/source.js';
import { PrelaunchError } from '../errors.js';
import { OVMF_TABLE_FOOTER_GUID } from './ovmf/defs.js';
import { EFI_FIRMWARE_VOLUME_HEADER, EFI_FVH_SIGNATURE } from './ovmf/firmware-volume.js';
import { DOS_HEADER } from './pe/authenticode-ranges.js';
import { ATTESTATION_REPORT, ATTESTATION_REPORT_SIZE } from './snp/attestation-report.js';
import { TCG_PCR_EVENT, TCG_SPEC_ID_EVENT } from './tdx/ccel.js';
import { TDX_QUOTE_HEADER, TEE_TYPE_TDX } from './tdx/quote-header.js';

export type FileKind = 'igvm' | 'ovmf' | 'tdx-quote' | 'snp-report' | 'event-log' | 'elf' | 'pe' | 'json';

/** What each kind is, and what to do with it instead (`FILE` stands for the file's name). */
export const FILE_KINDS: Readonly<Record<FileKind, { what: string; use: string }>> = {
  igvm: { what: 'an IGVM file', use: 'measure it with `prelaunch igvm measure FILE` (add --platform tdx for its MRTD) or look inside with `prelaunch igvm inspect FILE`' },
  ovmf: { what: 'an OVMF/UEFI firmware image', use: 'measure it with `prelaunch measure --ovmf FILE` (SEV, SEV-ES, SEV-SNP) or `prelaunch tdx --firmware FILE` (TDX), or look inside with `prelaunch ovmf inspect FILE`' },
  'tdx-quote': { what: 'an Intel TDX quote', use: 'verify it (and match its MRTD and RTMRs against golden values, or replay the TD\'s CCEL against it) with `prelaunch verify FILE [--collateral SET.json --at TIME] [--golden DOC] [--ccel LOG]`' },
  'snp-report': { what: 'an SEV-SNP attestation report', use: 'verify it with `prelaunch verify FILE --cert vcek.pem [--golden reference-values.json]`, or match its fields with `prelaunch golden --check FILE reference-values.json`' },
  'event-log': { what: 'a TCG event log', use: 'replay it with `prelaunch tpm replay FILE` (a TPM log) or `prelaunch tdx replay FILE` (a CCEL), or compare it with `prelaunch tpm diff` / `prelaunch tdx diff PREDICTED.json FILE`' },
  elf: { what: 'an ELF file', use: 'an ELF kernel goes to `prelaunch igvm build --kernel FILE`' },
  pe: { what: 'a PE/COFF file (a UEFI image or a kernel with an EFI stub)', use: 'a kernel goes to `--kernel FILE` of `prelaunch measure` or `prelaunch tdx`' },
  json: { what: 'a JSON document', use: 'give it to the command that reads it (golden documents: `prelaunch golden --check`, `prelaunch export`)' },
};

const SPEC_ID = 'Spec ID Event03\0';
const ascii = (b: Uint8Array, start: number, end: number): string => String.fromCharCode(...b.subarray(start, end));
const QUOTE_VERSION = TDX_QUOTE_HEADER.field('version');
const QUOTE_KEY_TYPE = TDX_QUOTE_HEADER.field('attestationKeyType');
const QUOTE_TEE_TYPE = TDX_QUOTE_HEADER.field('teeType');
const REPORT_VERSION = ATTESTATION_REPORT.field('version');
const REPORT_SIGNATURE_ALGO = ATTESTATION_REPORT.field('signatureAlgo');
const SPEC_ID_SIGNATURE = TCG_SPEC_ID_EVENT.field('signature');
const FVH_SIGNATURE = EFI_FIRMWARE_VOLUME_HEADER.field('signature');
const DOS_MAGIC = DOS_HEADER.field('eMagic');

/** The kind of `src` by its signature, or null when none matches (no claim either way). */
export function sniffFileKind(src: ByteSource): FileKind | null {
  try {
    const n = Math.min(src.size, 64);
    const head = src.read(0, n).slice();
    const v = new DataView(head.buffer);
    // magic strings: "IGVM" (the u32 IGVM_MAGIC, little-endian), "\x7fELF"
    if (n >= 4 && ascii(head, 0, 4) === 'IGVM') return 'igvm';
    if (n >= 4 && ascii(head, 0, 4) === '\x7fELF') return 'elf';
    if (n >= TDX_QUOTE_HEADER.size) {
      const version = QUOTE_VERSION.read(v);
      const keyType = QUOTE_KEY_TYPE.read(v);
      if ((version === 4 || version === 5) && (keyType === 2 || keyType === 3) && QUOTE_TEE_TYPE.read(v) === TEE_TYPE_TDX) return 'tdx-quote';
    }
    if (src.size === ATTESTATION_REPORT_SIZE) {
      const version = REPORT_VERSION.read(v);
      if (version >= 2 && version <= 5 && REPORT_SIGNATURE_ALGO.read(v) === 1) return 'snp-report';
    }
    if (n >= TCG_PCR_EVENT.size + SPEC_ID.length && SPEC_ID_SIGNATURE.read(v, TCG_PCR_EVENT.size) === SPEC_ID) return 'event-log';
    if (n >= EFI_FIRMWARE_VOLUME_HEADER.size && FVH_SIGNATURE.read(v) === EFI_FVH_SIGNATURE) return 'ovmf';
    // the footer GUID, 48 bytes before the end (./ovmf/footer-table.ts)
    if (src.size >= 48 && guidFromBytes(src.read(src.size - 48, 16).slice()) === OVMF_TABLE_FOOTER_GUID) return 'ovmf';
    if (n >= 2 && DOS_MAGIC.read(v) === 0x5a4d) return 'pe';
    const first = head.find((c) => c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09);
    if (first === 0x7b || first === 0x5b) return 'json';
  } catch {
    /* unreadable here: let the parser say what is wrong */
  }
  return null;
}

/**
 * Refuse `src` when its signature says it is a kind the command does not take: one
 * ERR_MALFORMED line naming the file, what it is, and which command takes it. A file of no
 * known kind, or of an accepted kind, passes (its own parser judges it).
 */
export function refuseWrongKind(src: ByteSource, accepted: readonly FileKind[], flag: string, expected: string): void {
  const kind = sniffFileKind(src);
  if (kind === null || accepted.includes(kind)) return;
  const k = FILE_KINDS[kind];
  throw new PrelaunchError('ERR_MALFORMED', `${flag}: ${src.name} is ${k.what}, not ${expected}: ${k.use.replace(/FILE/g, src.name)}`, { file: src.name, kind });
}
