/**
 * The kernel boot image, laid out exactly as COCONUT's bootimg (`prepare_boot_image`) does
 * for igvmbuilder. Inside the kernel region (physical):
 *
 *   [ELF PT_LOAD segments, contiguous, each rounded up to 4K]
 *   heap, allocated in this order:
 *     kernel page tables (PML4, PDPT, PD, then the leaf tables)
 *     initial stack (8 pages; virtually preceded by a guard page) · IDT page
 *     boot parameters (BootParamBlock + parameter pages) · CPUID page · secrets page
 *     symbol table (KSym entries) · string table · KernelLaunchInfo
 *
 * Pages are emitted through `add(gpa, data, length)` in bootimg's order: PML4, PDPT, PD,
 * the ELF segments, the boot-parameter block, the symbol pages, the leaf page tables,
 * KernelLaunchInfo, the 7 zero stack pages, then the top stack page.
 *
 * Virtual layout: the kernel at its link address; the stack one guard page after the
 * image; the IDT after the stack; the direct map at the next 2 MiB boundary, mapping the
 * kernel region with 2 MiB pages.
 */
import { encodeBootParamBlock, type BootParamBlock } from './boot-params.js';
import { PF_W, PF_X, type ElfKernel } from './elf.js';
import { BootImageError } from './errors.js';
import { encodeKernelLaunchInfo, KERNEL_LAUNCH_INFO_SIZE } from './kernel-launch.js';
import { encodeInitialKernelStack, INITIAL_KERNEL_STACK_WORDS } from './kernel-stack.js';
import { encodeKsym } from './ksym.js';
import { PGTABLE_SELFMAP_INDEX, PTE_EXECUTABLE, PTE_PXE, PTE_RO_DATA, PTE_RW_DATA, PTE_RW_LARGE, PTE_SELF_MAP, PteArray } from './page-tables.js';

const PAGE = 4096n;
const PAGE_2M = 0x20_0000n;
const MASK64 = (1n << 64n) - 1n;

export const pageAlignUp = (n: bigint): bigint => (n + PAGE - 1n) & ~(PAGE - 1n);
export const roundToPages = (n: bigint): bigint => (n + PAGE - 1n) / PAGE;
const alignUp2m = (n: bigint): bigint => (n + PAGE_2M - 1n) & ~(PAGE_2M - 1n);
const pteIndex = (vaddr: bigint, level: bigint): bigint => vaddr >> (9n * level + 12n);

/** Adds `length` bytes of pages at `gpa`: `data` first (chunked into pages), zero-fill pages for the rest. */
export type AddPageData = (gpa: bigint, data: Uint8Array | null, length: bigint) => void;

export interface BootImageParams {
  bootParams: BootParamBlock;
  kernelRegionStart: bigint;
  kernelRegionPageCount: bigint;
  bldrStart: bigint;
  bldrEnd: bigint;
  kernelFsStart: bigint;
  kernelFsEnd: bigint;
  vtom: bigint;
  apStartContextAddr: number;
}

export interface BootImageInfo {
  entryPoint: bigint;
  initialStack: bigint;
  pagingRoot: bigint;
  totalPtPages: bigint;
  kernelLaunchInfo: bigint;
  bootParamsPaddr: bigint;
  cpuidPaddr: bigint;
  secretsPaddr: bigint;
  kernelPdptPaddr: bigint;
  kernelPml4eIndex: number;
  /** the kernel's virtual base and direct-map base (for the manifest) */
  virtBase: bigint;
  directMapBase: bigint;
  /** heap pages used */
  heapPages: bigint;
}

class KernelHeap {
  nextFree = 0n;
  constructor(readonly physBase: bigint, readonly pageCount: bigint, readonly virtBase: bigint) {}
  allocate(pages: bigint): { paddr: bigint; vaddr: bigint } {
    if (this.nextFree + pages > this.pageCount) throw new BootImageError(`the kernel region is too small: the boot image heap needs more than ${this.pageCount} pages`);
    const off = this.nextFree * PAGE;
    this.nextFree += pages;
    return { paddr: this.physBase + off, vaddr: (this.virtBase + off) & MASK64 };
  }
}

class KernelPageTables {
  constructor(
    readonly ptes: PteArray, readonly startingIndex: bigint, readonly startingPaddr: bigint, readonly pteCount: number,
    readonly totalPtPages: bigint, readonly pagingRoot: bigint, readonly rootVaddr: bigint, readonly pdptPaddr: bigint, readonly pml4eIndex: number,
  ) {}
  map(vaddr: bigint, len: bigint, paddr: bigint, flags: bigint): void {
    const first = pteIndex(vaddr, 0n);
    if (first < this.startingIndex) throw new BootImageError(`virtual address 0x${vaddr.toString(16)} is below the kernel's mapping range`);
    let i = Number(first - this.startingIndex);
    for (;;) {
      if (i >= this.pteCount) throw new BootImageError(`virtual address range at 0x${vaddr.toString(16)} runs past the kernel's mapping range`);
      this.ptes.set(i, paddr, flags);
      if (len <= PAGE) return;
      len -= PAGE;
      i++;
      paddr += PAGE;
    }
  }
}

function addPageContents(add: AddPageData, paddr: bigint, contents: Uint8Array): void {
  add(paddr, contents, pageAlignUp(BigInt(contents.length)));
}

export function prepareBootImage(p: BootImageParams, elf: ElfKernel, add: AddPageData): BootImageInfo {
  // ELF sizes: the virtual span (from the align-rounded base) and the physical pages
  const first = elf.segments[0]!;
  const last = elf.segments[elf.segments.length - 1]!;
  let virtBase = first.vaddr;
  if (elf.maxAlign !== 0n) virtBase &= ~(elf.maxAlign - 1n) & MASK64;
  const totalEnd = last.vaddr + last.memsz;
  let physPageCount = 0n;
  for (const s of elf.segments) physPageCount += roundToPages(s.memsz);
  const virtLen = pageAlignUp(totalEnd - virtBase);

  const stackPages = 8n;
  const stackSize = stackPages * PAGE;
  const virtualSpan = virtLen + stackSize + 2n * PAGE;
  const directMapBase = alignUp2m(virtBase + virtualSpan) & MASK64;

  // the heap follows the kernel image
  if (p.kernelRegionPageCount < physPageCount) throw new BootImageError(`the kernel image needs ${physPageCount} pages; the kernel region has ${p.kernelRegionPageCount}`);
  const kernelSize = physPageCount * PAGE;
  const heap = new KernelHeap(p.kernelRegionStart + kernelSize, p.kernelRegionPageCount - physPageCount, directMapBase + kernelSize);

  // kernel page tables
  const pteCountBig = roundToPages((directMapBase - virtBase) & MASK64);
  const pteCount = Number(pteCountBig);
  if (pteCountBig > 0xffff_ffffn) throw new BootImageError('the kernel virtual range is too large');
  const startPte = Number(pteIndex(virtBase, 0n) & 511n);
  const endPte = startPte + pteCount;
  const pdeCount = Number(roundToPages(BigInt(endPte * 8)));
  const largePageCount = Number((p.kernelRegionPageCount * PAGE + PAGE_2M - 1n) / PAGE_2M);
  const startPde = Number(pteIndex(virtBase, 1n) & 511n);
  if (startPde + pdeCount + largePageCount > 512) throw new BootImageError('the kernel mapping and direct map do not fit in one page directory (1 GiB)');
  const totalPtPages = BigInt(pdeCount) + 3n;
  const root = heap.allocate(totalPtPages);
  const ptes = new PteArray(endPte);
  const pxe = new PteArray(512);
  pxe.set(PGTABLE_SELFMAP_INDEX, root.paddr, PTE_SELF_MAP);
  const pml4eIndex = Number(pteIndex(virtBase, 3n) & 511n);
  const pdptPaddr = root.paddr + PAGE;
  if (pxe.get(pml4eIndex) !== 0n) throw new BootImageError(`the kernel's PML4 slot ${pml4eIndex} collides with the page-table self-map`);
  pxe.set(pml4eIndex, pdptPaddr, PTE_PXE);
  addPageContents(add, root.paddr, pxe.bytes.slice());
  pxe.reset();
  pxe.set(Number(pteIndex(virtBase, 2n) & 511n), pdptPaddr + PAGE, PTE_PXE);
  addPageContents(add, pdptPaddr, pxe.bytes.slice());
  const pdPaddr = pdptPaddr + PAGE;
  const ptPaddr = pdPaddr + PAGE;
  pxe.reset();
  for (let i = 0; i < pdeCount; i++) pxe.set(startPde + i, ptPaddr + BigInt(i) * PAGE, PTE_PXE);
  for (let i = 0; i < largePageCount; i++) pxe.set(startPde + pdeCount + i, p.kernelRegionStart + BigInt(i) * PAGE_2M, PTE_RW_LARGE);
  addPageContents(add, pdPaddr, pxe.bytes.slice());
  const tables = new KernelPageTables(ptes, pteIndex(virtBase, 0n), ptPaddr, pteCount, totalPtPages, root.paddr, root.vaddr, pdptPaddr, pml4eIndex);

  // the ELF segments, at consecutive physical addresses
  let phys = p.kernelRegionStart;
  for (const s of elf.segments) {
    const start = s.vaddr;
    if ((start & (PAGE - 1n)) !== 0n) throw new BootImageError(`PT_LOAD segment #${s.index} starts at 0x${start.toString(16)}, which is not 4K-aligned`);
    const len = pageAlignUp(s.vaddr + s.memsz) - start;
    const flags = s.flags & PF_X ? PTE_EXECUTABLE : s.flags & PF_W ? PTE_RW_DATA : PTE_RO_DATA;
    tables.map(start, len, phys, flags);
    add(phys, s.contents, len);
    phys += len;
  }

  // initial stack (after a guard page) and IDT
  const stack = heap.allocate(stackPages);
  const stackBase = (virtBase + virtLen + PAGE) & MASK64;
  tables.map(stackBase, stackSize, stack.paddr, PTE_RW_DATA);
  const idt = heap.allocate(1n);
  const idtVaddr = stackBase + stackSize;
  tables.map(idtVaddr, PAGE, idt.paddr, PTE_RW_DATA);

  // boot parameters, CPUID and secrets pages
  const bootParams = heap.allocate(roundToPages(BigInt(p.bootParams.paramAreaSize)));
  addPageContents(add, bootParams.paddr, encodeBootParamBlock(p.bootParams));
  const cpuid = heap.allocate(1n);
  const secrets = heap.allocate(1n);

  // symbols
  const symtab = { start: 0n, length: 0n };
  let strtab = { start: 0n, length: 0n };
  if (elf.symbols) {
    let pending = new Uint8Array(4096);
    let fill = 0;
    const flush = (): void => {
      if (fill === 0) return;
      const page = heap.allocate(1n);
      if (symtab.length === 0n) symtab.start = page.vaddr;
      add(page.paddr, pending.slice(0, fill), PAGE);
      symtab.length = page.vaddr + BigInt(fill) - symtab.start;
      pending = new Uint8Array(4096);
      fill = 0;
    };
    for (const s of elf.symbols.symbols) {
      const k = encodeKsym(s.value, s.size, s.name);
      let off = 0;
      while (off < k.length) {
        const n = Math.min(k.length - off, 4096 - fill);
        pending.set(k.subarray(off, off + n), fill);
        fill += n;
        off += n;
        if (fill === 4096) flush();
      }
    }
    flush();
    const str = elf.symbols.strtab;
    const at = heap.allocate(roundToPages(BigInt(str.length)));
    addPageContents(add, at.paddr, str);
    strtab = { start: at.vaddr, length: BigInt(str.length) };
  }

  // the leaf page tables, now complete
  addPageContents(add, tables.startingPaddr, ptes.bytes);

  // KernelLaunchInfo
  const launch = heap.allocate(roundToPages(BigInt(KERNEL_LAUNCH_INFO_SIZE)));
  const bp = p.bootParams;
  addPageContents(add, launch.paddr, encodeKernelLaunchInfo({
    kernelRegionPhysStart: p.kernelRegionStart,
    kernelRegionPhysEnd: p.kernelRegionStart + p.kernelRegionPageCount * PAGE,
    heapAreaOffset: heap.physBase - p.kernelRegionStart,
    heapAreaAllocated: heap.nextFree,
    kernelRegionVirtStart: virtBase,
    kernelDirectMapVaddr: directMapBase,
    kernelSymtabStart: symtab.start, kernelSymtabLen: symtab.length,
    kernelStrtabStart: strtab.start, kernelStrtabLen: strtab.length,
    kernelFsStart: p.kernelFsStart, kernelFsEnd: p.kernelFsEnd,
    bldrStart: p.bldrStart, bldrEnd: p.bldrEnd,
    cpuidPage: cpuid.vaddr, secretsPage: secrets.vaddr, idtVaddr, bootParamsVirtAddr: bootParams.vaddr,
    vtom: p.vtom, debugSerialPort: bp.debugSerialPort, apStartContextAddr: p.apStartContextAddr,
    useAlternateInjection: bp.useAlternateInjection !== 0, kernelPageTableVaddr: tables.rootVaddr,
    vmsaInKernelHeap: bp.vmsaInKernelRange !== 0,
  }));

  // the stack: zero pages, then the top page with the launch state
  const zeroed = stackSize - PAGE;
  add(stack.paddr, null, zeroed);
  add(stack.paddr + zeroed, encodeInitialKernelStack(root.paddr, launch.vaddr, stackBase), PAGE);

  return {
    entryPoint: elf.entry,
    initialStack: stackBase + stackSize - BigInt(INITIAL_KERNEL_STACK_WORDS * 8),
    pagingRoot: root.paddr,
    totalPtPages,
    kernelLaunchInfo: launch.vaddr,
    bootParamsPaddr: bootParams.paddr,
    cpuidPaddr: cpuid.paddr,
    secretsPaddr: secrets.paddr,
    kernelPdptPaddr: pdptPaddr,
    kernelPml4eIndex: pml4eIndex,
    virtBase,
    directMapBase,
    heapPages: heap.nextFree,
  };
}
