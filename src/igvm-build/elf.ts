/**
 * ELF64 reader for the SVSM kernel image, with the checks COCONUT's `elf` crate makes
 * (svsm/elf, used by igvmbuilder through bootimg) and clear errors for everything else.
 *
 * Layout (little-endian only; ELFCLASS64, EM_X86_64, ET_EXEC):
 *
 *   ELF header (64 bytes)
 *     0x00 e_ident[16]   7F 'E' 'L' 'F' · class 2 (64-bit) · data 1 (LSB) · version 1 · OS ABI 0 or 3
 *     0x10 e_type u16    2 = ET_EXEC (the only type accepted)
 *     0x12 e_machine u16 62 = EM_X86_64
 *     0x14 e_version u32 1
 *     0x18 e_entry u64 · 0x20 e_phoff u64 · 0x28 e_shoff u64 · 0x30 e_flags u32
 *     0x34 e_ehsize u16 · 0x36 e_phentsize u16 (≥ 56) · 0x38 e_phnum u16
 *     0x3A e_shentsize u16 (≥ 64) · 0x3C e_shnum u16 · 0x3E e_shstrndx u16
 *   program header (56 bytes)
 *     0x00 p_type u32 (1 PT_LOAD, 2 PT_DYNAMIC) · 0x04 p_flags u32 (1 X, 2 W, 4 R)
 *     0x08 p_offset u64 · 0x10 p_vaddr u64 · 0x18 p_paddr u64 · 0x20 p_filesz u64
 *     0x28 p_memsz u64 · 0x30 p_align u64
 *   section header (64 bytes)
 *     0x00 sh_name u32 · 0x04 sh_type u32 (2 SYMTAB, 3 STRTAB, 8 NOBITS) · 0x08 sh_flags u64
 *     0x10 sh_addr u64 · 0x18 sh_offset u64 · 0x20 sh_size u64 · 0x28 sh_link u32
 *     0x2C sh_info u32 · 0x30 sh_addralign u64 · 0x38 sh_entsize u64
 *   symbol (sh_entsize ≥ 24): 0x00 st_name u32 · 0x04 info u8 · other u8 · shndx u16 ·
 *     0x08 st_value u64 · 0x10 st_size u64
 *
 * Virtual addresses are bigint: kernels are linked in the upper half (0xffffff80_00000000).
 * PT_LOAD segments whose memsz exceeds filesz are zero-filled by the loader (bootimg adds
 * the tail as pages without data); segments must not overlap and must be page-aligned.
 */
import { defineLayout, reserved, u16, u32, u32be, u64n, u8 } from '../bytes/layout.js';
import { inputBytes, type ByteInput } from '../bytes/source.js';
import { ParseError } from '../errors.js';

const U64_MAX = (1n << 64n) - 1n;

/** e_ident (16 bytes) */
export const ELF_IDENT = defineLayout('ELF identification', { magic: u32be, cls: u8, data: u8, version: u8, osabi: u8, pad: reserved(8) });
/** Elf64_Ehdr after e_ident (offset 16) */
export const ELF_HEADER = defineLayout('ELF header', {
  type: u16, machine: u16, version: u32, entry: u64n, phoff: u64n, shoff: u64n, flags: u32,
  ehsize: u16, phentsize: u16, phnum: u16, shentsize: u16, shnum: u16, shstrndx: u16,
});
/** Elf64_Phdr */
export const PHDR = defineLayout('ELF program header', {
  type: u32, flags: u32, offset: u64n, vaddr: u64n, paddr: u64n, filesz: u64n, memsz: u64n, align: u64n,
});
/** Elf64_Shdr */
export const SHDR = defineLayout('ELF section header', {
  name: u32, type: u32, flags: u64n, addr: u64n, offset: u64n, size: u64n, link: u32, info: u32, addralign: u64n, entsize: u64n,
});
/** Elf64_Sym */
export const SYM = defineLayout('ELF symbol', { name: u32, info: u8, other: u8, shndx: u16, value: u64n, size: u64n });

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PF_X = 1;
export const PF_W = 2;
const SHT_NULL = 0;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHT_NOBITS = 8;
const SHF_ALLOC = 2n;
const SHF_INFO_LINK = 0x40n;

export interface ElfSegment {
  /** index of the program header */
  index: number;
  flags: number;
  vaddr: bigint;
  memsz: bigint;
  /** the bytes backed by the file (p_filesz of them); the rest of memsz is zero-filled */
  contents: Uint8Array;
}
export interface ElfSymbol { value: bigint; size: bigint; name: number }

export interface ElfKernel {
  entry: bigint;
  /** PT_LOAD segments with memsz > 0, sorted by virtual address, non-overlapping */
  segments: ElfSegment[];
  /** the largest p_align of the PT_LOAD segments */
  maxAlign: bigint;
  /** .symtab entries and the .strtab bytes, when both exist */
  symbols: { symbols: ElfSymbol[]; strtab: Uint8Array } | null;
}

function fail(source: string, structure: string, offset: number, problem: string): never {
  throw new ParseError('ERR_MALFORMED', structure, offset, problem, source);
}

/** Parse and check a kernel ELF (the bytes are referenced, not copied). */
export function parseKernelElf(input: ByteInput, source = 'kernel'): ElfKernel {
  const bytes = inputBytes(input);
  if (bytes.length < 16) throw new ParseError('ERR_TRUNCATED', 'ELF identification', 0, `the file is ${bytes.length} bytes: not an ELF file`, source);
  const id = ELF_IDENT.decode(bytes, 0, { source });
  if (id.magic !== 0x7f454c46) fail(source, 'ELF identification', 0, 'not an ELF file (no \\x7fELF magic)');
  if (id.cls !== 2) fail(source, 'ELF identification', 4, `ELF class ${id.cls} is not ELFCLASS64: the kernel must be a 64-bit ELF`);
  if (id.data !== 1) fail(source, 'ELF identification', 5, 'the ELF is big-endian; an x86-64 kernel is little-endian');
  if (id.version !== 1) fail(source, 'ELF identification', 6, `unsupported ELF version ${id.version}`);
  if (id.osabi !== 0 && id.osabi !== 3) fail(source, 'ELF identification', 7, `unsupported OS ABI ${id.osabi} (expected SYSV or GNU)`);
  const hdr = ELF_HEADER.decode(bytes, ELF_IDENT.size, { source });
  if (hdr.type !== 2) fail(source, 'ELF header', 0x10, `e_type ${hdr.type} is not ET_EXEC: the kernel must be a statically linked executable`);
  if (hdr.machine !== 62) fail(source, 'ELF header', 0x12, `e_machine ${hdr.machine} is not EM_X86_64 (62): not an x86-64 kernel`);
  if (hdr.version !== 1) fail(source, 'ELF header', 0x14, `unsupported e_version ${hdr.version}`);
  if (hdr.phentsize < 56) fail(source, 'ELF header', 0x36, `e_phentsize ${hdr.phentsize} is smaller than 56`);
  const len = BigInt(bytes.length);
  if (hdr.phoff + BigInt(hdr.phnum * hdr.phentsize) > len) {
    throw new ParseError('ERR_TRUNCATED', 'ELF program headers', Number(hdr.phoff > len ? len : hdr.phoff), `${hdr.phnum} program headers run past the end of the ${bytes.length}-byte file`, source);
  }
  if (hdr.shentsize < 64) fail(source, 'ELF header', 0x3a, `e_shentsize ${hdr.shentsize} is smaller than 64`);

  // section-header count and string-table index escapes (e_shnum 0 / SHN_XINDEX)
  let shnum = hdr.shnum;
  let shstrndx = hdr.shstrndx;
  const shAt = (i: number): number => Number(hdr.shoff) + i * hdr.shentsize;
  const checkShTable = (n: number): void => {
    if (hdr.shoff + BigInt(n * hdr.shentsize) > len) {
      throw new ParseError('ERR_TRUNCATED', 'ELF section headers', Number(hdr.shoff > len ? len : hdr.shoff), `${n} section headers run past the end of the ${bytes.length}-byte file`, source);
    }
  };
  if (shnum === 0 && hdr.shoff !== 0n) {
    checkShTable(1);
    const n = SHDR.decode(bytes, shAt(0), { source }).size;
    if (n > 0xffff_ffffn) fail(source, 'ELF section header', shAt(0), 'section count out of range');
    shnum = Number(n);
  }
  checkShTable(shnum);

  // program headers
  const segments: ElfSegment[] = [];
  let maxAlign = 0n;
  let dynamic = false;
  for (let i = 0; i < hdr.phnum; i++) {
    const at = Number(hdr.phoff) + i * hdr.phentsize;
    const p = PHDR.decode(bytes, at, { source });
    const type = p.type;
    if (type === 0) continue;
    const { offset, vaddr, filesz, memsz, align } = p;
    if (type === PT_LOAD && memsz < filesz) fail(source, `ELF program header #${i}`, at, `PT_LOAD p_memsz 0x${memsz.toString(16)} is smaller than p_filesz 0x${filesz.toString(16)}`);
    if (align > 1n) {
      if ((align & (align - 1n)) !== 0n) fail(source, `ELF program header #${i}`, at, `p_align 0x${align.toString(16)} is not a power of two`);
      if (vaddr % align !== offset % align) fail(source, `ELF program header #${i}`, at, `p_vaddr 0x${vaddr.toString(16)} and p_offset 0x${offset.toString(16)} disagree modulo p_align 0x${align.toString(16)}`);
    }
    if (filesz !== 0n && (offset + filesz > U64_MAX || offset + filesz > len)) {
      throw new ParseError('ERR_TRUNCATED', `ELF program header #${i}`, at, `segment file range 0x${offset.toString(16)}+0x${filesz.toString(16)} runs past the end of the ${bytes.length}-byte file`, source);
    }
    if (memsz !== 0n && vaddr + memsz > U64_MAX + 1n) fail(source, `ELF program header #${i}`, at, 'segment address range wraps around the 64-bit address space');
    if (type === PT_LOAD) {
      if (memsz === 0n) continue;
      const end = vaddr + memsz;
      for (const s of segments) {
        if (vaddr < s.vaddr + s.memsz && s.vaddr < end) {
          fail(source, `ELF program header #${i}`, at, `PT_LOAD segment 0x${vaddr.toString(16)}-0x${end.toString(16)} overlaps segment #${s.index} (0x${s.vaddr.toString(16)}-0x${(s.vaddr + s.memsz).toString(16)})`);
        }
      }
      const o = Number(offset);
      segments.push({ index: i, flags: p.flags, vaddr, memsz, contents: filesz === 0n ? new Uint8Array(0) : bytes.subarray(o, o + Number(filesz)) });
      if (align > maxAlign) maxAlign = align;
    } else if (type === PT_DYNAMIC) {
      if (dynamic) fail(source, `ELF program header #${i}`, at, 'more than one PT_DYNAMIC segment');
      dynamic = true;
    }
  }
  if (dynamic) fail(source, 'ELF program headers', Number(hdr.phoff), 'the kernel has a PT_DYNAMIC segment: dynamic relocations are not supported; link the kernel statically');
  if (segments.length === 0) fail(source, 'ELF program headers', Number(hdr.phoff), 'no PT_LOAD segment with a non-zero size');
  segments.sort((a, b) => (a.vaddr < b.vaddr ? -1 : a.vaddr > b.vaddr ? 1 : 0));

  // section headers: string-table index, then .symtab and .strtab
  if (shstrndx === 0xffff) {
    if (shnum === 0) fail(source, 'ELF header', 0x3e, 'e_shstrndx is SHN_XINDEX but there are no section headers');
    shstrndx = SHDR.decode(bytes, shAt(0), { source }).link;
  }
  if (shstrndx !== 0 && shstrndx > shnum) fail(source, 'ELF header', 0x3e, `e_shstrndx ${shstrndx} is past the ${shnum} section headers`);
  interface Sh { name: number; type: number; offset: number; size: number; entsize: bigint }
  const sections: Sh[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shAt(i);
    const s = SHDR.decode(bytes, at, { source });
    const { type, offset, size, flags, addr, addralign: align } = s;
    if (type !== SHT_NULL) {
      const fsize = type === SHT_NOBITS ? 0n : size;
      if (offset + fsize > U64_MAX) fail(source, `ELF section header #${i}`, at, 'file range wraps around');
      if ((flags & SHF_ALLOC) !== 0n) {
        if (addr + size > U64_MAX + 1n) fail(source, `ELF section header #${i}`, at, 'address range wraps around');
        if (align !== 0n && ((align & (align - 1n)) !== 0n || (addr & (align - 1n)) !== 0n)) fail(source, `ELF section header #${i}`, at, 'sh_addr is not aligned to sh_addralign');
      } else if (addr !== 0n) fail(source, `ELF section header #${i}`, at, 'a non-ALLOC section has a non-zero sh_addr');
      if (s.link > shnum || ((flags & SHF_INFO_LINK) !== 0n && s.info > shnum)) fail(source, `ELF section header #${i}`, at, 'sh_link/sh_info names a section that does not exist');
      if (type !== SHT_NOBITS && offset + size > len) {
        throw new ParseError('ERR_TRUNCATED', `ELF section header #${i}`, at, `section runs past the end of the ${bytes.length}-byte file`, source);
      }
    }
    if (i === shstrndx && shstrndx !== 0 && type !== SHT_STRTAB) fail(source, `ELF section header #${i}`, at, 'the section-name string table is not SHT_STRTAB');
    sections.push({ name: s.name, type, offset: Number(offset), size: type === SHT_NOBITS ? 0 : Number(size), entsize: s.entsize });
  }
  const shstr = shstrndx !== 0 && shstrndx < sections.length ? sections[shstrndx]! : null;
  const sectionName = (sh: Sh): string => {
    if (!shstr) return '';
    const tab = bytes.subarray(shstr.offset, shstr.offset + shstr.size);
    if (sh.name >= tab.length) fail(source, 'ELF section-name string table', shstr.offset, `name index ${sh.name} is past the end`);
    const end = tab.indexOf(0, sh.name);
    if (end < 0) fail(source, 'ELF section-name string table', shstr.offset, `name at ${sh.name} is not NUL-terminated`);
    return new TextDecoder('latin1').decode(tab.subarray(sh.name, end));
  };
  const symSec = sections.find((s) => s.type === SHT_SYMTAB);
  if (symSec && symSec.entsize < 24n) fail(source, 'ELF .symtab section', symSec.offset, `sh_entsize ${symSec.entsize} is smaller than 24`);
  const strSec = shstr ? sections.find((s) => s.type === SHT_STRTAB && sectionName(s) === '.strtab') : undefined;
  let symbols: ElfKernel['symbols'] = null;
  if (symSec && strSec) {
    const ent = Number(symSec.entsize);
    const n = Math.floor(symSec.size / ent);
    const list: ElfSymbol[] = [];
    for (let i = 0; i < n; i++) {
      const s = SYM.decode(bytes, symSec.offset + i * ent, { source });
      list.push({ value: s.value, size: s.size, name: s.name });
    }
    symbols = { symbols: list, strtab: bytes.subarray(strSec.offset, strSec.offset + strSec.size) };
  }
  return { entry: hdr.entry, segments, maxAlign, symbols };
}
