/**
 * The SNP CPUID page igvmbuilder emits (`SnpCpuidPage`, `repr(C, packed)`, 3088 bytes,
 * zero-padded to 4K). The leaves are listed with their outputs left 0: the SNP firmware
 * fills them in at launch (page type CPUID).
 *
 *   0x00 count u32 · 0x04 reserved u32[3]
 *   0x10 leaves[64], 48 bytes each:
 *        +0x00 eax_in u32 · +0x04 ecx_in u32 · +0x08 xcr0 u64 · +0x10 xss u64
 *        +0x18 eax u32 · +0x1C ebx u32 · +0x20 ecx u32 · +0x24 edx u32 · +0x28 reserved u64
 */
import { array, defineLayout, reserved, u32, u64 } from '../bytes/layout.js';

/** `SnpCpuidFunction` */
export const SNP_CPUID_FUNCTION = defineLayout('SnpCpuidFunction', {
  eaxIn: u32, ecxIn: u32, xcr0: u64, xss: u64, eax: u32, ebx: u32, ecx: u32, edx: u32, reserved: reserved(8),
});
export const SNP_CPUID_PAGE = defineLayout('SnpCpuidPage', { count: u32, reserved: reserved(12), leaves: array(SNP_CPUID_FUNCTION, 64) });

/** (eax_in, ecx_in) in igvmbuilder's order */
export const IGVMBUILDER_CPUID_LEAVES: ReadonlyArray<readonly [number, number]> = [
  [0x8000001f, 0], [0, 0], [1, 0], [2, 0], [4, 0], [4, 1], [4, 2], [4, 3], [5, 0], [6, 0], [7, 0], [7, 1], [11, 0], [11, 1],
  [13, 0], [13, 1], [13, 2], [0x80000000, 0], [0x80000001, 0], [0x80000002, 0], [0x80000003, 0], [0x80000004, 0],
  [0x80000005, 0], [0x80000006, 0], [0x80000007, 0], [0x80000008, 0], [0x8000000a, 0], [0x80000019, 0], [0x8000001a, 0],
  [0x8000001d, 0], [0x8000001d, 1], [0x8000001d, 2], [0x8000001d, 3], [0x8000001e, 0],
];

export function encodeCpuidPage(leaves = IGVMBUILDER_CPUID_LEAVES): Uint8Array {
  if (leaves.length > 64) throw new RangeError('a CPUID page holds at most 64 leaves');
  const page = new Uint8Array(4096);
  SNP_CPUID_PAGE.encodeInto({
    count: leaves.length,
    leaves: leaves.map(([eaxIn, ecxIn]) => ({ eaxIn, ecxIn, xcr0: 0, xss: 0, eax: 0, ebx: 0, ecx: 0, edx: 0 })),
  }, page);
  return page;
}
