/**
 * The SEV kernel-hashes table QEMU writes for measured direct boot (QEMU target/i386/sev.c
 * `SevHashTable`, EDK2 OvmfPkg/AmdSev BlobVerifierLib). 168 bytes, padded with zeros to 176
 * (a multiple of 16); all 176 are measured.
 *
 *   0x00  16  GUID 9438d606-4f22-4cc9-b479-a793d411fd21
 *   0x10   2  length = 168
 *   0x12  50  entry: GUID 97d02dd8-… (cmdline), u16 50, SHA-256
 *   0x44  50  entry: GUID 44baf731-… (initrd),  u16 50, SHA-256
 *   0x76  50  entry: GUID 4de79437-… (kernel),  u16 50, SHA-256
 *   0xa8   8  zero padding
 */
import { guidToBytes } from '../../bytes/guid.js';
import { array, bytes, defineLayout, u16 } from '../../bytes/layout.js';

export const SEV_HASH_TABLE_HEADER_GUID = '9438d606-4f22-4cc9-b479-a793d411fd21';
export const SEV_CMDLINE_ENTRY_GUID = '97d02dd8-bd20-4c94-aa78-e7714d36ab2a';
export const SEV_INITRD_ENTRY_GUID = '44baf731-3a2f-4bd7-9af1-41e29169781d';
export const SEV_KERNEL_ENTRY_GUID = '4de79437-abd2-427f-b835-d5b172d2045b';

/** QEMU `SevHashTableEntry` */
export const SEV_HASH_TABLE_ENTRY = defineLayout('SevHashTableEntry', { guid: bytes(16), len: u16, hash: bytes(32) });
/** QEMU `SevHashTable` (168 bytes) */
export const SEV_HASH_TABLE = defineLayout('SevHashTable', { guid: bytes(16), len: u16, entries: array(SEV_HASH_TABLE_ENTRY, 3) });

export const KERNEL_HASHES_TABLE_LENGTH = SEV_HASH_TABLE.size;
/** QEMU `PaddedSevHashTable`: the table padded to a multiple of 16 bytes */
export const KERNEL_HASHES_TABLE_PADDED = (KERNEL_HASHES_TABLE_LENGTH + 15) & ~15;

export interface KernelHashes {
  /** SHA-256 of the command line as UTF-8 plus a terminating NUL */
  cmdline: Uint8Array;
  /** SHA-256 of the initrd (of nothing when there is none) */
  initrd: Uint8Array;
  /** SHA-256 of the kernel file as given (no parsing) */
  kernel: Uint8Array;
}

export function encodeKernelHashesTable(h: KernelHashes): Uint8Array {
  const out = new Uint8Array(KERNEL_HASHES_TABLE_PADDED);
  const entry = (guid: string, hash: Uint8Array) => ({ guid: guidToBytes(guid), len: SEV_HASH_TABLE_ENTRY.size, hash });
  SEV_HASH_TABLE.encodeInto({
    guid: guidToBytes(SEV_HASH_TABLE_HEADER_GUID),
    len: KERNEL_HASHES_TABLE_LENGTH,
    entries: [entry(SEV_CMDLINE_ENTRY_GUID, h.cmdline), entry(SEV_INITRD_ENTRY_GUID, h.initrd), entry(SEV_KERNEL_ENTRY_GUID, h.kernel)],
  }, out);
  return out;
}
