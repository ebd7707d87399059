/**
 * The TD HOB list QEMU builds in the TDVF TD_HOB section (QEMU hw/i386/tdvf-hob.c), which
 * TDVF measures into RTMR0 as the first event (EV_EFI_HANDOFF_TABLES2 "TdxTable"). The digest
 * covers the list up to, but excluding, the end-of-list HOB. All fields little-endian.
 *
 * PHIT, EFI_HOB_HANDOFF_INFO_TABLE (56 bytes):
 *
 *   0x00  2  HobType 1 (HANDOFF)        0x02  2  HobLength 56     0x04  4  reserved 0
 *   0x08  4  Version 9                  0x0c  4  BootMode 0
 *   0x10  8  EfiMemoryTop 0             0x18  8  EfiMemoryBottom 0
 *   0x20  8  EfiFreeMemoryTop 0         0x28  8  EfiFreeMemoryBottom 0
 *   0x30  8  EfiEndOfHobList = HOB GPA + size of the whole list, end HOB included
 *
 * One EFI_HOB_RESOURCE_DESCRIPTOR (48 bytes) per QEMU RAM entry, sorted by address, not merged:
 *
 *   0x00  2  HobType 3                  0x02  2  HobLength 48     0x04  4  reserved 0
 *   0x08 16  Owner GUID (zero)
 *   0x18  4  ResourceType: 0 SYSTEM_MEMORY (PAGE.ADDed: TD_HOB, TempMem), 7 UNACCEPTED
 *   0x1c  4  ResourceAttribute 7 (PRESENT | INITIALIZED | TESTED)
 *   0x20  8  PhysicalStart              0x28  8  ResourceLength
 *
 * End of list (8 bytes): HobType 0xFFFF, HobLength 8, reserved 0.
 *
 * RAM entries: QEMU's q35 split gives [0, below4g) and, above it, [4 GiB, 4 GiB + rest);
 * below4g is 2 GiB when memory ≥ 0xB0000000, else all memory. Each TD_HOB / TempMem section is
 * carved out of the entry containing it ("accepted"), leaving unaccepted head and tail pieces.
 */
import { bytes, defineLayout, nested, u16, u32, u64 } from '../../bytes/layout.js';
import { FirmwareError, OptionError } from '../../errors.js';
import type { TdxMetadata } from '../ovmf/tdx-metadata.js';

/** PI spec vol. 3 `EFI_HOB_GENERIC_HEADER` */
export const EFI_HOB_GENERIC_HEADER = defineLayout('EFI_HOB_GENERIC_HEADER', { hobType: u16, hobLength: u16, reserved: u32 });
const header = nested(EFI_HOB_GENERIC_HEADER);
export const EFI_HOB_HANDOFF_INFO_TABLE = defineLayout('EFI_HOB_HANDOFF_INFO_TABLE', {
  header, version: u32, bootMode: u32, efiMemoryTop: u64, efiMemoryBottom: u64, efiFreeMemoryTop: u64, efiFreeMemoryBottom: u64, efiEndOfHobList: u64,
});
export const EFI_HOB_RESOURCE_DESCRIPTOR = defineLayout('EFI_HOB_RESOURCE_DESCRIPTOR', {
  header, owner: bytes(16), resourceType: u32, resourceAttribute: u32, physicalStart: u64, resourceLength: u64,
});

export const HOB_PHIT_SIZE = EFI_HOB_HANDOFF_INFO_TABLE.size;
export const HOB_RESOURCE_SIZE = EFI_HOB_RESOURCE_DESCRIPTOR.size;
export const HOB_END_SIZE = EFI_HOB_GENERIC_HEADER.size;
const EFI_HOB_TYPE_HANDOFF = 1;
const EFI_HOB_TYPE_RESOURCE_DESCRIPTOR = 3;
const EFI_HOB_TYPE_END_OF_HOB_LIST = 0xffff;
export const EFI_RESOURCE_SYSTEM_MEMORY = 0;
export const EFI_RESOURCE_MEMORY_UNACCEPTED = 7;
export const TDVF_PRIVATE_ATTRIBUTES = 7;
const FOUR_GIB = 0x1_0000_0000;
/** q35 keeps less than this much RAM below 4 GiB, whatever the memory size (QEMU pc_q35_init). */
export const Q35_LOW_RAM_LIMIT = 0xb000_0000;
/**
 * The most guest memory modelled: RAM above 4 GiB must end below 2^51, the shared bit of the
 * widest TDX guest physical address width (no private GPA lies above it).
 */
export const TD_MEMORY_LIMIT = 2 ** 51 - FOUR_GIB + 0x8000_0000;

export interface TdRamEntry { start: number; length: number; accepted: boolean }

/** QEMU q35's split of guest RAM below and above 4 GiB. */
export function q35MemorySplit(memory: number): { below4g: number; above4g: number } {
  const lowmem = memory >= Q35_LOW_RAM_LIMIT ? 0x8000_0000 : Q35_LOW_RAM_LIMIT;
  return memory > lowmem ? { below4g: lowmem, above4g: memory - lowmem } : { below4g: memory, above4g: 0 };
}

/** A guest memory size a TD can have: a positive whole number of pages, RAM below 2^51. */
export function checkTdMemory(memory: number): void {
  if (!Number.isSafeInteger(memory) || memory <= 0 || memory % 4096 !== 0) throw new OptionError('--memory', `${memory} is not a positive whole number of 4 KiB pages`);
  if (memory > TD_MEMORY_LIMIT) throw new OptionError('--memory', `${memory} bytes is more than a TD can have (${TD_MEMORY_LIMIT}: guest RAM above 4 GiB must end below 2^51, the shared bit of the widest TDX guest physical address width)`);
}

/** QEMU's TDX RAM entries (tdx_init_ram_entries + tdx_accept_ram_range + sort). */
export function tdRamEntries(meta: TdxMetadata, memory: number): TdRamEntry[] {
  checkTdMemory(memory);
  const { below4g, above4g } = q35MemorySplit(memory);
  const entries: TdRamEntry[] = [{ start: 0, length: below4g, accepted: false }];
  if (above4g > 0) entries.push({ start: FOUR_GIB, length: above4g, accepted: false });
  for (const s of meta.sections) {
    if (s.type !== 2 && s.type !== 3) continue; // TD_HOB, TempMem
    const a = s.memoryAddress;
    const len = s.memoryDataSize;
    const e = entries.find((x) => !(a + len <= x.start || a >= x.start + x.length));
    if (!e || e.start > a || e.start + e.length < a + len) {
      throw new FirmwareError(`${s.typeName} section 0x${a.toString(16)}+0x${len.toString(16)} is not inside guest RAM with ${memory} bytes of memory (QEMU: "Failed to accept memory for TDVF section")`);
    }
    if (e.accepted) continue;
    const { start, length } = e;
    e.start = a;
    e.length = len;
    e.accepted = true;
    if (a > start) entries.push({ start, length: a - start, accepted: false });
    if (a + len < start + length) entries.push({ start: a + len, length: start + length - (a + len), accepted: false });
  }
  return entries.sort((x, y) => x.start - y.start);
}

export interface TdHob {
  /** GPA of the TD_HOB section */
  gpa: number;
  /** the measured bytes: PHIT and resource descriptors, without the end-of-list HOB */
  measured: Uint8Array;
  /** the whole list as QEMU writes it into the TD_HOB section (end-of-list HOB included) */
  list: Uint8Array;
  ram: TdRamEntry[];
}

export function buildTdHob(meta: TdxMetadata, memory: number): TdHob {
  const hobSection = meta.sections.find((s) => s.type === 2);
  if (!hobSection) throw new FirmwareError('the TDVF metadata has no TD_HOB section, so QEMU cannot hand over a TD HOB (RTMR0 cannot be predicted)');
  const ram = tdRamEntries(meta, memory);
  const measuredSize = HOB_PHIT_SIZE + ram.length * HOB_RESOURCE_SIZE;
  const total = measuredSize + HOB_END_SIZE;
  if (total > hobSection.memoryDataSize) throw new FirmwareError(`the TD HOB (${total} bytes) does not fit the ${hobSection.memoryDataSize}-byte TD_HOB section`);
  const list = new Uint8Array(total);
  EFI_HOB_HANDOFF_INFO_TABLE.encodeInto({
    header: { hobType: EFI_HOB_TYPE_HANDOFF, hobLength: HOB_PHIT_SIZE, reserved: 0 }, version: 9, bootMode: 0,
    efiMemoryTop: 0, efiMemoryBottom: 0, efiFreeMemoryTop: 0, efiFreeMemoryBottom: 0, efiEndOfHobList: hobSection.memoryAddress + total,
  }, list, 0);
  const noOwner = new Uint8Array(16);
  ram.forEach((e, i) => {
    EFI_HOB_RESOURCE_DESCRIPTOR.encodeInto({
      header: { hobType: EFI_HOB_TYPE_RESOURCE_DESCRIPTOR, hobLength: HOB_RESOURCE_SIZE, reserved: 0 }, owner: noOwner,
      resourceType: e.accepted ? EFI_RESOURCE_SYSTEM_MEMORY : EFI_RESOURCE_MEMORY_UNACCEPTED, resourceAttribute: TDVF_PRIVATE_ATTRIBUTES,
      physicalStart: e.start, resourceLength: e.length,
    }, list, HOB_PHIT_SIZE + i * HOB_RESOURCE_SIZE);
  });
  EFI_HOB_GENERIC_HEADER.encodeInto({ hobType: EFI_HOB_TYPE_END_OF_HOB_LIST, hobLength: HOB_END_SIZE, reserved: 0 }, list, measuredSize);
  return { gpa: hobSection.memoryAddress, measured: list.subarray(0, measuredSize), list, ram };
}
