/**
 * PE/COFF layout as far as the Authenticode hash needs it, and the byte ranges edk2 hashes
 * (SecurityPkg MeasureBootPeCoff.c, used by TdTcg2Dxe for EV_EFI_BOOT_SERVICES_APPLICATION).
 *
 *   DOS header:       0x00 u16 "MZ" … 0x3c u32 e_lfanew
 *   at e_lfanew:      u32 "PE\0\0"
 *   COFF header (20): +0x04 u16 Machine, +0x06 u16 NumberOfSections, …, +0x14 u16 SizeOfOptionalHeader
 *   optional header at e_lfanew + 24:
 *                     +0   u16 Magic (0x10b PE32, 0x20b PE32+)
 *                     +60  u32 SizeOfHeaders
 *                     +64  u32 CheckSum
 *                     +92  u32 NumberOfRvaAndSizes (PE32)   +108 (PE32+)
 *                     +96  DataDirectory[] (PE32)           +112 (PE32+), 8 bytes each;
 *                          entry 4 = certificate table (file offset, size)
 *   section headers (40 each) after the optional header: +16 u32 SizeOfRawData, +20 u32 PointerToRawData
 *
 * Hashed ranges, in order: [0, CheckSum); (CheckSum+4, cert-dir entry); (cert-dir entry + 8,
 * SizeOfHeaders) — or (CheckSum+4, SizeOfHeaders) when there is no entry 4; every section with
 * SizeOfRawData > 0 sorted by PointerToRawData; then, if the file is longer than the bytes
 * hashed so far, [SUM, fileSize − certificate-table size). Section data that overlaps another
 * section's is refused, so the bytes hashed never exceed the file's size plus its headers.
 */
import { at, bytes, defineLayout, reserved, u16, u32, type LayoutValue } from '../../bytes/layout.js';
import { asSource, copyBytes, type ByteInput, type ByteSource } from '../../bytes/source.js';
import { ParseError } from '../../errors.js';

/** IMAGE_DOS_HEADER: e_magic and e_lfanew */
export const DOS_HEADER = defineLayout('DOS header', { eMagic: at(0x00, u16), eLfanew: at(0x3c, u32) });
/** the "PE\0\0" signature and IMAGE_FILE_HEADER (COFF), then the optional header's Magic */
export const PE_HEADER = defineLayout('PE header', {
  signature: u32, machine: u16, numberOfSections: u16, timeDateStamp: u32, pointerToSymbolTable: u32, numberOfSymbols: u32,
  sizeOfOptionalHeader: u16, characteristics: u16, optionalHeaderMagic: u16,
});
/** IMAGE_OPTIONAL_HEADER32, up to the data directories */
export const PE32_OPTIONAL_HEADER = defineLayout('PE optional header', { magic: u16, sizeOfHeaders: at(60, u32), checkSum: at(64, u32), numberOfRvaAndSizes: at(92, u32) });
/** IMAGE_OPTIONAL_HEADER64, up to the data directories */
export const PE32PLUS_OPTIONAL_HEADER = defineLayout('PE optional header', { magic: u16, sizeOfHeaders: at(60, u32), checkSum: at(64, u32), numberOfRvaAndSizes: at(108, u32) });
/** IMAGE_DATA_DIRECTORY (for the certificate table: a file offset and a size) */
export const PE_DATA_DIRECTORY = defineLayout('PE data directory', { virtualAddress: u32, size: u32 });
/** IMAGE_SECTION_HEADER */
export const PE_SECTION = defineLayout('PE section header', {
  name: bytes(8), virtualSize: u32, virtualAddress: u32, sizeOfRawData: u32, pointerToRawData: u32, rest: reserved(16),
});
type RawSection = LayoutValue<typeof PE_SECTION>;
const PE_SIGNATURE = 0x0000_4550;

export interface HashRange { offset: number; length: number }

export function authenticodeRanges(input: ByteInput): HashRange[] {
  const src: ByteSource = asSource(input, 'image');
  const size = src.size;
  const fail = (structure: string, at: number, problem: string): ParseError => new ParseError('ERR_MALFORMED', structure, at, problem, src.name);
  if (size < 0x40) throw new ParseError('ERR_TRUNCATED', 'DOS header', 0, `needs 64 bytes, the file has ${size}`, src.name);
  const dos = DOS_HEADER.decode(copyBytes(src.read(0, DOS_HEADER.size)), 0, { source: src.name });
  if (dos.eMagic !== 0x5a4d) throw fail('DOS header', 0, 'no "MZ" signature: not a PE/COFF image (an EFI-stub kernel is needed)');
  const lfanew = dos.eLfanew;
  const optAt = lfanew + PE_HEADER.offsets.optionalHeaderMagic;
  if (lfanew + PE_HEADER.size > size) throw new ParseError('ERR_TRUNCATED', 'PE header', lfanew, 'runs past the end of the file', src.name);
  const head = PE_HEADER.decode(copyBytes(src.read(lfanew, PE_HEADER.size)), 0, { base: lfanew, source: src.name });
  if (head.signature !== PE_SIGNATURE) throw fail('PE header', lfanew, 'no "PE\\0\\0" signature');
  const nsections = head.numberOfSections;
  const optSize = head.sizeOfOptionalHeader;
  const magic = head.optionalHeaderMagic;
  if (magic !== 0x10b && magic !== 0x20b) throw fail('PE optional header', optAt, `unknown magic 0x${magic.toString(16)}`);
  const pe32plus = magic === 0x20b;
  const optional = pe32plus ? PE32PLUS_OPTIONAL_HEADER : PE32_OPTIONAL_HEADER;
  const dirAt = optAt + optional.size;
  if (optAt + optSize > size || optional.size > optSize) throw new ParseError('ERR_TRUNCATED', 'PE optional header', optAt, `${optSize} bytes do not fit in the file`, src.name);
  const opt = copyBytes(src.read(optAt, optSize));
  const oh = optional.decode(opt, 0, { base: optAt, source: src.name });
  const sizeOfHeaders = oh.sizeOfHeaders;
  const checksumAt = optAt + optional.offsets.checkSum;
  const ndirs = oh.numberOfRvaAndSizes;
  const hasCertDir = ndirs > 4;
  const certEntryAt = dirAt + 4 * PE_DATA_DIRECTORY.size;
  let certSize = 0;
  if (hasCertDir) {
    if (certEntryAt + PE_DATA_DIRECTORY.size > optAt + optSize) throw fail('PE optional header', optAt, `${ndirs} data directories do not fit in ${optSize} bytes`);
    certSize = PE_DATA_DIRECTORY.decode(opt, certEntryAt - optAt, { base: optAt, source: src.name }).size;
  }
  if (sizeOfHeaders > size || sizeOfHeaders < (hasCertDir ? certEntryAt + PE_DATA_DIRECTORY.size : checksumAt + 4)) throw fail('PE optional header', optAt, `SizeOfHeaders 0x${sizeOfHeaders.toString(16)} is outside the file or the headers`);

  const ranges: HashRange[] = [{ offset: 0, length: checksumAt }];
  if (hasCertDir) {
    ranges.push({ offset: checksumAt + 4, length: certEntryAt - (checksumAt + 4) });
    ranges.push({ offset: certEntryAt + PE_DATA_DIRECTORY.size, length: sizeOfHeaders - (certEntryAt + PE_DATA_DIRECTORY.size) });
  } else {
    ranges.push({ offset: checksumAt + 4, length: sizeOfHeaders - (checksumAt + 4) });
  }
  let sum = sizeOfHeaders;

  const secAt = optAt + optSize;
  if (secAt + nsections * PE_SECTION.size > size) throw new ParseError('ERR_TRUNCATED', 'PE section table', secAt, `${nsections} sections do not fit in the file`, src.name);
  const table = copyBytes(src.read(secAt, nsections * PE_SECTION.size));
  const sections: RawSection[] = [];
  for (let i = 0; i < nsections; i++) sections.push(PE_SECTION.decode(table, i * PE_SECTION.size, { base: secAt, source: src.name }));
  // edk2 sorts with a stable insertion sort on PointerToRawData
  const sorted = sections.map((s, i) => ({ s, i })).sort((a, b) => a.s.pointerToRawData - b.s.pointerToRawData || a.i - b.i);
  let prev: { end: number; i: number } | null = null;
  for (const { s, i } of sorted) {
    if (s.sizeOfRawData === 0) continue;
    if (s.pointerToRawData + s.sizeOfRawData > size) throw fail('PE section header', secAt + i * PE_SECTION.size, `section data 0x${s.pointerToRawData.toString(16)}+0x${s.sizeOfRawData.toString(16)} runs past the end of the ${size}-byte file`);
    // edk2 would hash shared bytes once per section: up to 65535 times the file. Linkers and the
    // kernel's own PE header never overlap section data, so such an image is refused.
    if (prev && s.pointerToRawData < prev.end) {
      throw fail('PE section header', secAt + i * PE_SECTION.size, `section ${i} data 0x${s.pointerToRawData.toString(16)}+0x${s.sizeOfRawData.toString(16)} overlaps section ${prev.i}'s (ending at 0x${prev.end.toString(16)}): prelaunch does not measure images whose sections share file bytes`);
    }
    prev = { end: s.pointerToRawData + s.sizeOfRawData, i };
    ranges.push({ offset: s.pointerToRawData, length: s.sizeOfRawData });
    sum += s.sizeOfRawData;
  }
  if (size > sum) {
    if (size > certSize + sum) ranges.push({ offset: sum, length: size - certSize - sum });
    else if (size < certSize + sum) throw fail('PE certificate table', certEntryAt, `certificate table size 0x${certSize.toString(16)} exceeds the unhashed tail of the file (edk2 refuses to measure this image)`);
  }
  return ranges;
}
