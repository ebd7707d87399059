/**
 * x86-64 page-table pages as igvmbuilder and COCONUT's bootimg write them: 512 little-endian
 * u64 entries per 4K page, each `physical address | flags`.
 *
 *   flags  0x001 present · 0x002 writable · 0x020 accessed · 0x040 dirty · 0x080 large page
 *          0x100 global · bit 63 no-execute
 *   kinds  self-map 0x8000000000000063 · PxE (upper level) 0x063 · RW 2M large 0x80000000000001E3
 *          RW data 0x8000000000000163 · RO data 0x8000000000000121 · executable 0x121
 *          boot-loader identity map: 1G large 0xE3, upper levels 0x63
 *
 * Boot-loader initial page tables (4 pages at `base`, root = the last page):
 *   page 3 (root, PML4) [0] → base+2·4K
 *   page 2 (PDPT) [0..3] → 1 GiB large pages 0..3 GiB (0xE3), [4] → base+4K
 *   page 1 (PD) [0] → base (page 0, a PT left empty for the boot loader's own 4K mappings)
 */
import { defineLayout, u64n } from '../bytes/layout.js';
import { BootImageError } from './errors.js';

/** one page-table entry */
export const PTE = defineLayout('page-table entry', { entry: u64n });
const ENTRY = PTE.field('entry');

export const PTE_SELF_MAP = 0x8000_0000_0000_0063n;
export const PTE_PXE = 0x063n;
export const PTE_RW_LARGE = 0x8000_0000_0000_01e3n;
export const PTE_RW_DATA = 0x8000_0000_0000_0163n;
export const PTE_RO_DATA = 0x8000_0000_0000_0121n;
export const PTE_EXECUTABLE = 0x121n;

/** The page-table self-map slot in the kernel's PML4. */
export const PGTABLE_SELFMAP_INDEX = 493;

/** A growable array of PTEs, written out as bytes. */
export class PteArray {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(readonly count: number) {
    this.bytes = new Uint8Array(count * PTE.size);
    this.view = new DataView(this.bytes.buffer);
  }
  set(index: number, paddr: bigint | number, flags: bigint): void {
    if (index < 0 || index >= this.count) throw new RangeError(`PTE index ${index} out of range`);
    ENTRY.write(this.view, index * PTE.size, BigInt(paddr) | flags);
  }
  get(index: number): bigint {
    return ENTRY.read(this.view, index * PTE.size);
  }
  reset(): void {
    this.bytes.fill(0);
  }
}

/** The boot loader's 4 initial page-table pages; returns the pages and the root GPA. */
export function initPageTables(base: number): { pages: Uint8Array[]; root: number } {
  const pages = [0, 1, 2, 3].map(() => new PteArray(512));
  pages[3]!.set(0, base + 2 * 4096, 0x63n);
  for (let i = 0; i < 4; i++) pages[2]!.set(i, BigInt(i) << 30n, 0xe3n);
  pages[2]!.set(4, base + 4096, 0x63n);
  pages[1]!.set(0, base, 0x63n);
  return { pages: pages.map((p) => p.bytes), root: base + 3 * 4096 };
}

export { BootImageError };
