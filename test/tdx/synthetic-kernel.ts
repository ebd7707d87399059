/**
 * A synthetic EFI-stub bzImage for tests: a PE32+ image whose first sector carries a Linux
 * x86 setup header ("HdrS", boot protocol 2.15), like a real x86 kernel since 2.6.x.
 * Layout: DOS header (e_lfanew 0x40), PE header + optional header with 16 data directories,
 * 2 sections (.setup-like .text at 0x1000, .data at 0x4000), SizeOfHeaders 0x1000, and
 * `tail` bytes after the last section (hashed by the Authenticode trailing-data rule).
 */
import { createHash } from 'node:crypto';

export function syntheticBzImage(opts: { seed?: string; tail?: number; xloadflags?: number; protocol?: number } = {}): Uint8Array {
  const tail = opts.tail ?? 0x200;
  const size = 0x5000 + tail;
  const b = new Uint8Array(createHash('shake256', { outputLength: size }).update(opts.seed ?? 'prelaunch/tdx/kernel').digest());
  const v = new DataView(b.buffer);
  b.fill(0, 0, 0x1f1);
  b[0] = 0x4d; b[1] = 0x5a; // MZ
  v.setUint32(0x3c, 0x40, true);
  v.setUint32(0x40, 0x4550, true); // PE\0\0
  v.setUint16(0x44, 0x8664, true); // Machine x86-64
  v.setUint16(0x46, 2, true); // NumberOfSections
  v.setUint16(0x54, 240, true); // SizeOfOptionalHeader
  const opt = 0x58;
  v.setUint16(opt, 0x20b, true); // PE32+
  v.setUint32(opt + 56, 0x6000, true); // SizeOfImage
  v.setUint32(opt + 60, 0x1000, true); // SizeOfHeaders
  v.setUint32(opt + 64, 0xdeadbeef, true); // CheckSum (excluded from the hash)
  v.setUint32(opt + 108, 16, true); // NumberOfRvaAndSizes
  // data directory 4 (certificate table): none
  const sec = opt + 240;
  const section = (at: number, name: string, raw: number, size: number): void => {
    for (let i = 0; i < name.length; i++) b[at + i] = name.charCodeAt(i);
    v.setUint32(at + 8, size, true);
    v.setUint32(at + 12, raw, true);
    v.setUint32(at + 16, size, true);
    v.setUint32(at + 20, raw, true);
  };
  // listed out of file order: edk2 sorts by PointerToRawData
  section(sec, '.data', 0x4000, 0x1000);
  section(sec + 40, '.text', 0x1000, 0x3000);
  // Linux setup header
  b[0x1f1] = 7; // setup_sects: (7+1)*512 = 0x1000
  v.setUint16(0x1fe, 0xaa55, true);
  v.setUint32(0x202, 0x53726448, true); // HdrS
  v.setUint16(0x206, opts.protocol ?? 0x020f, true);
  b[0x210] = 0;
  b[0x211] = 0x01; // LOADED_HIGH
  v.setUint32(0x218, 0, true);
  v.setUint32(0x21c, 0, true);
  v.setUint16(0x224, 0, true);
  v.setUint32(0x228, 0, true);
  v.setUint32(0x22c, 0x7fffffff, true); // initrd_addr_max
  v.setUint16(0x236, opts.xloadflags ?? 0x7f, true);
  return b;
}
