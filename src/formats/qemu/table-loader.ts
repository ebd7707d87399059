/**
 * QEMU's ACPI linker/loader script, fw_cfg file `etc/table-loader` (QEMU
 * hw/acpi/bios-linker-loader.c, BiosLinkerLoaderEntry): 128-byte commands, little-endian.
 *
 *   0x00  4  command: 1 ALLOCATE, 2 ADD_POINTER, 3 ADD_CHECKSUM, 4 WRITE_POINTER (0: padding)
 *   ALLOCATE:     0x04 56 file (NUL-padded)  0x3c 4 align  0x40 1 zone (1 high, 2 FSEG)
 *   ADD_POINTER:  0x04 56 dest file  0x3c 56 src file  0x74 4 offset  0x78 1 size
 *   ADD_CHECKSUM: 0x04 56 file  0x3c 4 offset  0x40 4 start  0x44 4 length
 * The firmware downloads each ALLOCATEd file in command order (edk2 OvmfPkg
 * QemuFwCfgAcpiPlatformDxe ProcessCmdAllocate), which is the order it measures them.
 */
import { defineLayout, latin1, u32 } from '../../bytes/layout.js';

/** the command and the first file name; the rest of the 128 bytes depends on the command */
export const BIOS_LINKER_LOADER_ENTRY = defineLayout('BiosLinkerLoaderEntry', { command: u32, file: latin1(56) }, { size: 128 });

export const LOADER_ALLOCATE = 1;

/** The fw_cfg files the loader ALLOCATEs, in command order. */
export function loaderAllocations(loader: Uint8Array, source?: string): string[] {
  const out: string[] = [];
  for (let p = 0; p + BIOS_LINKER_LOADER_ENTRY.size <= loader.length; p += BIOS_LINKER_LOADER_ENTRY.size) {
    const e = BIOS_LINKER_LOADER_ENTRY.decode(loader, p, source !== undefined ? { source } : {});
    if (e.command === LOADER_ALLOCATE) out.push(e.file.replace(/\0.*$/s, ''));
  }
  return out;
}
