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
import { StructWriter } from '../../bytes/writer.js';

export const SEV_HASH_TABLE_HEADER_GUID = '9438d606-4f22-4cc9-b479-a793d411fd21';
export const SEV_CMDLINE_ENTRY_GUID = '97d02dd8-bd20-4c94-aa78-e7714d36ab2a';
export const SEV_INITRD_ENTRY_GUID = '44baf731-3a2f-4bd7-9af1-41e29169781d';
export const SEV_KERNEL_ENTRY_GUID = '4de79437-abd2-427f-b835-d5b172d2045b';

export const KERNEL_HASHES_TABLE_LENGTH = 168;
export const KERNEL_HASHES_TABLE_PADDED = 176;
const ENTRY_SIZE = 50;

export interface KernelHashes {
  /** SHA-256 of the command line as UTF-8 plus a terminating NUL */
  cmdline: Uint8Array;
  /** SHA-256 of the initrd (of nothing when there is none) */
  initrd: Uint8Array;
  /** SHA-256 of the kernel file as given (no parsing) */
  kernel: Uint8Array;
}

export function encodeKernelHashesTable(h: KernelHashes): Uint8Array {
  const w = new StructWriter(KERNEL_HASHES_TABLE_PADDED);
  w.put(0, guidToBytes(SEV_HASH_TABLE_HEADER_GUID)).u16(16, KERNEL_HASHES_TABLE_LENGTH);
  const entries: [string, Uint8Array][] = [
    [SEV_CMDLINE_ENTRY_GUID, h.cmdline],
    [SEV_INITRD_ENTRY_GUID, h.initrd],
    [SEV_KERNEL_ENTRY_GUID, h.kernel],
  ];
  entries.forEach(([guid, digest], i) => {
    const off = 18 + i * ENTRY_SIZE;
    w.put(off, guidToBytes(guid)).u16(off + 16, ENTRY_SIZE).put(off + 18, digest);
  });
  return w.bytes;
}
