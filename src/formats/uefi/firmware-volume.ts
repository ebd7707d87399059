/**
 * UEFI PI firmware volumes, FFS files and sections (PI spec vol. 3, §3.2), as far as reading
 * an edk2 (OVMF) image needs them: the volumes, nested and LZMA-compressed ones included, and
 * the modules' names. All integers little-endian.
 *
 * EFI_FIRMWARE_VOLUME_HEADER (56 bytes, then the block map):
 *   0x00 16  ZeroVector          0x10 16  FileSystemGuid       0x20  8  FvLength
 *   0x28  4  Signature "_FVH"    0x2c  4  Attributes           0x30  2  HeaderLength
 *   0x32  2  Checksum            0x34  2  ExtHeaderOffset      0x36  1  Reserved   0x37 1 Revision
 *
 * EFI_FFS_FILE_HEADER (24 bytes; files 8-byte aligned from the volume start):
 *   0x00 16  Name (GUID)         0x10  2  IntegrityCheck       0x12  1  Type
 *   0x13  1  Attributes (0x01 FFS_ATTRIB_LARGE_FILE: EFI_FFS_FILE_HEADER2, u64 ExtendedSize at 0x18, 32 bytes)
 *   0x14  3  Size                0x17  1  State
 *
 * EFI_COMMON_SECTION_HEADER (4 bytes; sections 4-byte aligned): u24 Size, u8 Type; Size
 * 0xFFFFFF: EFI_COMMON_SECTION_HEADER2 with u32 ExtendedSize (8 bytes).
 * EFI_GUID_DEFINED_SECTION after the common header: GUID SectionDefinitionGuid, u16 DataOffset
 * (from the section start), u16 Attributes.
 * Section types: 0x02 GUID_DEFINED, 0x10 PE32, 0x15 USER_INTERFACE (UTF-16 name),
 * 0x17 FIRMWARE_VOLUME_IMAGE, 0x19 RAW.
 */
import { guidFromBytes } from '../../bytes/guid.js';
import { bytes, defineLayout, latin1, u16, u32, u64, u8 } from '../../bytes/layout.js';
import { ParseError } from '../../errors.js';
import { lzmaDecompress } from './lzma.js';

export const FFS2_GUID = '8c8ce578-8a3d-4f1c-9935-896185c32dd3';
export const FFS3_GUID = '5473c07a-3dcb-4dca-bd6f-1e9689e7349a';
/** EFI_SYSTEM_NV_DATA_FV_GUID: the variable store volume */
export const NV_DATA_FV_GUID = 'fff12b8d-7696-4c8b-a985-2747075b4f50';
/** LZMA_CUSTOM_DECOMPRESS_GUID (edk2 MdeModulePkg) */
export const LZMA_SECTION_GUID = 'ee4e5898-3914-4259-9d6e-dc7bd79403cf';

export const EFI_FIRMWARE_VOLUME_HEADER = defineLayout('EFI_FIRMWARE_VOLUME_HEADER', {
  zero: bytes(16), fsGuid: bytes(16), fvLength: u64, signature: latin1(4), attributes: u32, headerLength: u16, checksum: u16, extHeaderOffset: u16, reserved: u8, revision: u8,
}, {
  check: (v) => (v.signature !== '_FVH' ? 'no "_FVH" signature' : v.headerLength < 56 ? `HeaderLength ${v.headerLength} is below 56` : v.fvLength < v.headerLength ? `FvLength ${v.fvLength} is below its header` : null),
});
export const EFI_FFS_FILE_HEADER = defineLayout('EFI_FFS_FILE_HEADER', { name: bytes(16), integrity: u16, type: u8, attributes: u8, size0: u8, size1: u8, size2: u8, state: u8 });
export const EFI_COMMON_SECTION_HEADER = defineLayout('EFI_COMMON_SECTION_HEADER', { size0: u8, size1: u8, size2: u8, type: u8 });
export const EFI_GUID_DEFINED_SECTION = defineLayout('EFI_GUID_DEFINED_SECTION', { guid: bytes(16), dataOffset: u16, attributes: u16 });

export interface FirmwareVolume {
  /** where it was found: "image@0x…" or "<file guid>/lzma/…@0x…" */
  location: string;
  fileSystemGuid: string;
  /** the volume's bytes (for nested ones: in the decompressed section) */
  bytes: Uint8Array;
}

export interface FirmwareModule {
  guid: string;
  type: number;
  name: string | null;
  /** index in FirmwareWalk.volumes of the volume holding it */
  volume: number;
  /** the module's PE32 image (EFI_SECTION_PE32), when it has one */
  pe?: Uint8Array;
}

export interface FirmwareWalk {
  volumes: FirmwareVolume[];
  modules: FirmwareModule[];
}

const MAX_DECOMPRESSED = 64 * 1024 * 1024;
const MAX_DEPTH = 6;

const u24 = (a: number, b: number, c: number): number => a | (b << 8) | (c << 16);

function utf16z(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < b.length; i += 2) {
    const c = b[i]! | (b[i + 1]! << 8);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/**
 * Walk the firmware volumes laid end to end from offset 0 of `image` (an OVMF_CODE or a
 * unified OVMF image; the variable-store volume is listed but not walked), decompressing LZMA
 * sections and descending into volume-image sections.
 */
export function walkFirmware(image: Uint8Array, source?: string): FirmwareWalk {
  const out: FirmwareWalk = { volumes: [], modules: [] };
  let at = 0;
  while (at + EFI_FIRMWARE_VOLUME_HEADER.size <= image.length) {
    // the SEC volume ends the image; anything between volumes that is not one is an error
    const fv = walkVolume(image, at, `image@0x${at.toString(16)}`, out, 0, source, 0);
    at += fv;
  }
  if (out.volumes.length === 0) throw new ParseError('ERR_MALFORMED', 'EFI_FIRMWARE_VOLUME_HEADER', 0, 'no firmware volume at the start of the image (not an OVMF/edk2 image)', source);
  return out;
}

function walkVolume(buf: Uint8Array, at: number, location: string, out: FirmwareWalk, depth: number, source: string | undefined, base: number): number {
  const h = EFI_FIRMWARE_VOLUME_HEADER.decode(buf, at, { base, ...(source ? { source } : {}) });
  if (at + h.fvLength > buf.length) throw new ParseError('ERR_TRUNCATED', 'EFI_FIRMWARE_VOLUME_HEADER', base + at, `FvLength 0x${h.fvLength.toString(16)} runs past the end (0x${(buf.length - at).toString(16)} bytes left)`, source);
  const fsGuid = guidFromBytes(h.fsGuid, 0);
  const bytes = buf.subarray(at, at + h.fvLength);
  const volumeIndex = out.volumes.length;
  out.volumes.push({ location, fileSystemGuid: fsGuid, bytes });
  if (fsGuid !== FFS2_GUID && fsGuid !== FFS3_GUID) return h.fvLength;
  let p = h.extHeaderOffset !== 0 ? h.extHeaderOffset : h.headerLength;
  if (h.extHeaderOffset !== 0) {
    if (p + 20 > bytes.length) throw new ParseError('ERR_TRUNCATED', 'EFI_FIRMWARE_VOLUME_EXT_HEADER', base + at + p, 'runs past the volume', source);
    const extSize = bytes[p + 16]! | (bytes[p + 17]! << 8) | (bytes[p + 18]! << 16) | (bytes[p + 19]! << 24);
    p += extSize;
  }
  for (;;) {
    p = (p + 7) & ~7;
    if (p + EFI_FFS_FILE_HEADER.size > bytes.length) break;
    if (bytes.subarray(p, p + EFI_FFS_FILE_HEADER.size).every((x) => x === 0xff)) break; // free space
    const f = EFI_FFS_FILE_HEADER.decode(bytes, p, { base: base + at, ...(source ? { source } : {}) });
    let size = u24(f.size0, f.size1, f.size2);
    let hdr = EFI_FFS_FILE_HEADER.size;
    if (f.attributes & 0x01) {
      if (p + 32 > bytes.length) throw new ParseError('ERR_TRUNCATED', 'EFI_FFS_FILE_HEADER2', base + at + p, 'runs past the volume', source);
      const v = new DataView(bytes.buffer, bytes.byteOffset + p + 24, 8);
      size = v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
      hdr = 32;
    }
    if (size < hdr || p + size > bytes.length) throw new ParseError('ERR_MALFORMED', 'EFI_FFS_FILE_HEADER', base + at + p, `file size 0x${size.toString(16)} does not fit in the volume`, source);
    const guid = guidFromBytes(f.name, 0);
    const module: FirmwareModule = { guid, type: f.type, name: null, volume: volumeIndex };
    out.modules.push(module);
    // types with sections: everything but RAW (0x01) and PAD (0xf0)
    if (f.type !== 0x01 && f.type !== 0xf0) walkSections(bytes.subarray(p + hdr, p + size), `${guid}`, module, out, depth, source, base + at + p + hdr);
    p += size;
  }
  return h.fvLength;
}

function walkSections(buf: Uint8Array, location: string, module: FirmwareModule, out: FirmwareWalk, depth: number, source: string | undefined, base: number): void {
  if (depth > MAX_DEPTH) throw new ParseError('ERR_MALFORMED', 'EFI_COMMON_SECTION_HEADER', base, `sections nested deeper than ${MAX_DEPTH}`, source);
  let p = 0;
  while (p + EFI_COMMON_SECTION_HEADER.size <= buf.length) {
    const s = EFI_COMMON_SECTION_HEADER.decode(buf, p, { base, ...(source ? { source } : {}) });
    let size = u24(s.size0, s.size1, s.size2);
    let hdr = 4;
    if (size === 0xff_ffff) {
      if (p + 8 > buf.length) throw new ParseError('ERR_TRUNCATED', 'EFI_COMMON_SECTION_HEADER2', base + p, 'runs past the file', source);
      size = new DataView(buf.buffer, buf.byteOffset + p + 4, 4).getUint32(0, true);
      hdr = 8;
    }
    if (size < hdr || p + size > buf.length) throw new ParseError('ERR_MALFORMED', 'EFI_COMMON_SECTION_HEADER', base + p, `section size 0x${size.toString(16)} does not fit in the file`, source);
    const body = buf.subarray(p + hdr, p + size);
    switch (s.type) {
      case 0x02: {
        const g = EFI_GUID_DEFINED_SECTION.decode(body, 0, { base: base + p + hdr, ...(source ? { source } : {}) });
        if (g.dataOffset < hdr + EFI_GUID_DEFINED_SECTION.size || g.dataOffset > size) throw new ParseError('ERR_MALFORMED', 'EFI_GUID_DEFINED_SECTION', base + p, `DataOffset ${g.dataOffset} is outside the section`, source);
        const sguid = guidFromBytes(g.guid, 0);
        const data = buf.subarray(p + g.dataOffset, p + size);
        if (sguid === LZMA_SECTION_GUID) {
          const dec = lzmaDecompress(data, { maxOutput: MAX_DECOMPRESSED, base: base + p + g.dataOffset, ...(source ? { source } : {}) });
          walkSections(dec, `${location}/lzma`, module, out, depth + 1, source, 0);
        } else if (!(g.attributes & 0x01)) {
          // not "processing required": the data are plain sections (e.g. an authentication wrapper)
          walkSections(data, location, module, out, depth + 1, source, base + p + g.dataOffset);
        }
        break;
      }
      case 0x10:
        module.pe = body;
        break;
      case 0x15:
        module.name = utf16z(body);
        break;
      case 0x17: {
        // a firmware volume image section: the volume at its start (the loop this replaces ran once)
        if (EFI_FIRMWARE_VOLUME_HEADER.size <= body.length) walkVolume(body, 0, `${location}/fv@0x0`, out, depth + 1, source, base + p + hdr);
        break;
      }
      default:
        break;
    }
    p = (p + size + 3) & ~3;
  }
}

/**
 * The firmware version strings (PcdFirmwareVersionString: UTF-16, NUL-terminated, beginning
 * with a YYYY.MM date (Debian), "edk2-stableYYYYMM" (edk2-build.py from git) or
 * "edk2-YYYYMMDD-" (edk2-build.py under rpmbuild: Fedora, RHEL)) found in the volumes' bytes,
 * distinct, in order.
 */
export function firmwareVersionStrings(walk: FirmwareWalk): string[] {
  const found: string[] = [];
  const re = /^(?:\d{4}\.\d{2}|edk2-stable\d{6}|edk2-\d{8}-)[\x21-\x7e]*$/;
  for (const v of walk.volumes) {
    if (v.fileSystemGuid !== FFS2_GUID && v.fileSystemGuid !== FFS3_GUID) continue;
    const b = v.bytes;
    for (let i = 0; i + 16 < b.length; i += 2) {
      // "YYYY." or "edk2-": ASCII digit/letter in UTF-16
      if (b[i + 1] !== 0 || b[i + 3] !== 0) continue;
      const c0 = b[i]!;
      if (!((c0 >= 0x30 && c0 <= 0x39) || c0 === 0x65)) continue;
      if (i >= 2 && b[i - 1] === 0 && b[i - 2] !== 0) continue; // not the start of a string
      let s = '';
      let j = i;
      while (j + 1 < b.length && b[j + 1] === 0 && b[j] !== 0 && s.length < 64) {
        s += String.fromCharCode(b[j]!);
        j += 2;
      }
      if (j + 1 < b.length && b[j] === 0 && b[j + 1] === 0 && re.test(s)) {
        if (!found.includes(s)) found.push(s);
        i = j;
      }
    }
  }
  return found;
}
