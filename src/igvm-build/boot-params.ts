/**
 * COCONUT's `BootParamBlock` (bootdefs::boot_params, `repr(C, packed)`, 168 bytes): the
 * measured page igvmbuilder places in the kernel heap. It tells the SVSM where the
 * host-supplied parameter pages are and describes the embedded guest firmware.
 *
 *   0x00 param_area_size u32      0x04 param_page_offset u32   0x08 madt_offset u32
 *   0x0C madt_size u32            0x10 dt_offset u32           0x14 dt_size u32
 *   0x18 memory_map_offset u32    0x1C guest_context_offset u32
 *   0x20 debug_serial_port u16    0x22 use_alternate_injection u8
 *   0x23 has_qemu_testdev u8      0x24 has_test_iorequests u8  0x25 vmsa_in_kernel_range u8
 *   0x26 reserved[2]
 *   0x28 firmware: GuestFwInfoBlock (112 bytes)
 *        +0x00 start u32  +0x04 size u32  +0x08 vtom u64  +0x10 in_low_memory u8
 *        +0x11 memory_map_prevalidated u8  +0x12 reserved[6]  +0x18 secrets_page u32
 *        +0x1C caa_page u32  +0x20 cpuid_page u32  +0x24 memory_map_address u32
 *        +0x28 memory_map_size u32  +0x2C prevalidated_count u32
 *        +0x30 prevalidated[8] × {base u32, size u32}
 *   0x98 kernel_base u64          0xA0 kernel_min_size u32     0xA4 kernel_max_size u32
 */
import { StructWriter } from '../bytes/writer.js';

export const BOOT_PARAM_BLOCK_SIZE = 168;
export const MAX_PREVALIDATED_REGIONS = 8;

export interface GuestFwInfo {
  start: number;
  size: number;
  vtom: bigint;
  inLowMemory: number;
  memoryMapPrevalidated: number;
  secretsPage: number;
  caaPage: number;
  cpuidPage: number;
  memoryMapAddress: number;
  memoryMapSize: number;
  /** at most 8 regions */
  prevalidated: Array<{ base: number; size: number }>;
}

export function emptyFwInfo(): GuestFwInfo {
  return { start: 0, size: 0, vtom: 0n, inLowMemory: 0, memoryMapPrevalidated: 0, secretsPage: 0, caaPage: 0, cpuidPage: 0, memoryMapAddress: 0, memoryMapSize: 0, prevalidated: [] };
}

export interface BootParamBlock {
  paramAreaSize: number;
  paramPageOffset: number;
  madtOffset: number;
  madtSize: number;
  dtOffset: number;
  dtSize: number;
  memoryMapOffset: number;
  guestContextOffset: number;
  debugSerialPort: number;
  useAlternateInjection: number;
  hasQemuTestdev: number;
  hasTestIorequests: number;
  vmsaInKernelRange: number;
  firmware: GuestFwInfo;
  kernelBase: number;
  kernelMinSize: number;
  kernelMaxSize: number;
}

export function encodeBootParamBlock(b: BootParamBlock): Uint8Array {
  const w = new StructWriter(BOOT_PARAM_BLOCK_SIZE);
  w.u32(0x00, b.paramAreaSize).u32(0x04, b.paramPageOffset).u32(0x08, b.madtOffset).u32(0x0c, b.madtSize)
    .u32(0x10, b.dtOffset).u32(0x14, b.dtSize).u32(0x18, b.memoryMapOffset).u32(0x1c, b.guestContextOffset)
    .u16(0x20, b.debugSerialPort).u8(0x22, b.useAlternateInjection).u8(0x23, b.hasQemuTestdev).u8(0x24, b.hasTestIorequests)
    .u8(0x25, b.vmsaInKernelRange);
  const f = b.firmware;
  const fw = 0x28;
  w.u32(fw, f.start).u32(fw + 0x04, f.size).u64(fw + 0x08, f.vtom).u8(fw + 0x10, f.inLowMemory).u8(fw + 0x11, f.memoryMapPrevalidated)
    .u32(fw + 0x18, f.secretsPage).u32(fw + 0x1c, f.caaPage).u32(fw + 0x20, f.cpuidPage).u32(fw + 0x24, f.memoryMapAddress)
    .u32(fw + 0x28, f.memoryMapSize).u32(fw + 0x2c, f.prevalidated.length);
  f.prevalidated.forEach((r, i) => w.u32(fw + 0x30 + i * 8, r.base).u32(fw + 0x34 + i * 8, r.size));
  w.u64(0x98, b.kernelBase).u32(0xa0, b.kernelMinSize).u32(0xa4, b.kernelMaxSize);
  return w.bytes;
}
