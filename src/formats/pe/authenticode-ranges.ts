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
import { Parser, decodeStruct, defineStruct } from '../../bytes/struct.js';
import { asSource, copyBytes, type ByteInput, type ByteSource } from '../../bytes/source.js';
import { ParseError } from '../../errors.js';

interface RawSection { name: number[]; virtualSize: number; virtualAddress: number; sizeOfRawData: number; pointerToRawData: number }
const PE_SECTION = defineStruct<RawSection>(
  'PE section header',
  new Parser().array('name', { type: 'uint8', length: 8 }).uint32le('virtualSize').uint32le('virtualAddress').uint32le('sizeOfRawData').uint32le('pointerToRawData').seek(16),
);

export interface HashRange { offset: number; length: number }

export function authenticodeRanges(input: ByteInput): HashRange[] {
  const src: ByteSource = asSource(input, 'image');
  const size = src.size;
  const fail = (structure: string, at: number, problem: string): ParseError => new ParseError('ERR_MALFORMED', structure, at, problem, src.name);
  if (size < 0x40) throw new ParseError('ERR_TRUNCATED', 'DOS header', 0, `needs 64 bytes, the file has ${size}`, src.name);
  const dos = copyBytes(src.read(0, 0x40));
  if (dos[0] !== 0x4d || dos[1] !== 0x5a) throw fail('DOS header', 0, 'no "MZ" signature: not a PE/COFF image (an EFI-stub kernel is needed)');
  const lfanew = new DataView(dos.buffer).getUint32(0x3c, true);
  const optAt = lfanew + 24;
  if (lfanew + 24 + 2 > size) throw new ParseError('ERR_TRUNCATED', 'PE header', lfanew, 'runs past the end of the file', src.name);
  const head = copyBytes(src.read(lfanew, 24 + 2));
  const hv = new DataView(head.buffer);
  if (hv.getUint32(0, true) !== 0x0000_4550) throw fail('PE header', lfanew, 'no "PE\\0\\0" signature');
  const nsections = hv.getUint16(6, true);
  const optSize = hv.getUint16(20, true);
  const magic = hv.getUint16(24, true);
  if (magic !== 0x10b && magic !== 0x20b) throw fail('PE optional header', optAt, `unknown magic 0x${magic.toString(16)}`);
  const pe32plus = magic === 0x20b;
  const dirAt = optAt + (pe32plus ? 112 : 96);
  const countAt = optAt + (pe32plus ? 108 : 92);
  if (optAt + optSize > size || countAt + 4 > optAt + optSize) throw new ParseError('ERR_TRUNCATED', 'PE optional header', optAt, `${optSize} bytes do not fit in the file`, src.name);
  const opt = copyBytes(src.read(optAt, optSize));
  const ov = new DataView(opt.buffer);
  const sizeOfHeaders = ov.getUint32(60, true);
  const checksumAt = optAt + 64;
  const ndirs = ov.getUint32(countAt - optAt, true);
  const hasCertDir = ndirs > 4;
  const certEntryAt = dirAt + 4 * 8;
  let certSize = 0;
  if (hasCertDir) {
    if (certEntryAt + 8 > optAt + optSize) throw fail('PE optional header', optAt, `${ndirs} data directories do not fit in ${optSize} bytes`);
    certSize = ov.getUint32(certEntryAt - optAt + 4, true);
  }
  if (sizeOfHeaders > size || sizeOfHeaders < (hasCertDir ? certEntryAt + 8 : checksumAt + 4)) throw fail('PE optional header', optAt, `SizeOfHeaders 0x${sizeOfHeaders.toString(16)} is outside the file or the headers`);

  const ranges: HashRange[] = [{ offset: 0, length: checksumAt }];
  if (hasCertDir) {
    ranges.push({ offset: checksumAt + 4, length: certEntryAt - (checksumAt + 4) });
    ranges.push({ offset: certEntryAt + 8, length: sizeOfHeaders - (certEntryAt + 8) });
  } else {
    ranges.push({ offset: checksumAt + 4, length: sizeOfHeaders - (checksumAt + 4) });
  }
  let sum = sizeOfHeaders;

  const secAt = optAt + optSize;
  if (secAt + nsections * PE_SECTION.size > size) throw new ParseError('ERR_TRUNCATED', 'PE section table', secAt, `${nsections} sections do not fit in the file`, src.name);
  const table = copyBytes(src.read(secAt, nsections * PE_SECTION.size));
  const sections: RawSection[] = [];
  for (let i = 0; i < nsections; i++) sections.push(decodeStruct(PE_SECTION, table, i * PE_SECTION.size, { base: secAt, source: src.name }));
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
