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
import { array, defineLayout, nested, reserved, u16, u32, u64, u64n, u8, type LayoutValue } from '../bytes/layout.js';

export const MAX_PREVALIDATED_REGIONS = 8;

/** `GuestFwInfoBlock` */
export const GUEST_FW_INFO_BLOCK = defineLayout('GuestFwInfoBlock', {
  start: u32, size: u32, vtom: u64n, inLowMemory: u8, memoryMapPrevalidated: u8, reserved: reserved(6),
  secretsPage: u32, caaPage: u32, cpuidPage: u32, memoryMapAddress: u32, memoryMapSize: u32, prevalidatedCount: u32,
  prevalidated: array(defineLayout('PrevalidatedRegion', { base: u32, size: u32 }), MAX_PREVALIDATED_REGIONS),
});
/** `BootParamBlock` */
export const BOOT_PARAM_BLOCK = defineLayout('BootParamBlock', {
  paramAreaSize: u32, paramPageOffset: u32, madtOffset: u32, madtSize: u32, dtOffset: u32, dtSize: u32, memoryMapOffset: u32, guestContextOffset: u32,
  debugSerialPort: u16, useAlternateInjection: u8, hasQemuTestdev: u8, hasTestIorequests: u8, vmsaInKernelRange: u8, reserved: reserved(2),
  firmware: nested(GUEST_FW_INFO_BLOCK),
  kernelBase: u64, kernelMinSize: u32, kernelMaxSize: u32,
});
export const BOOT_PARAM_BLOCK_SIZE = BOOT_PARAM_BLOCK.size;

/** The builder's GuestFwInfoBlock: the regions as a list (the block stores their count). */
export type GuestFwInfo = Omit<LayoutValue<typeof GUEST_FW_INFO_BLOCK>, 'prevalidatedCount' | 'prevalidated'> & {
  /** at most 8 regions */
  prevalidated: Array<{ base: number; size: number }>;
};

export function emptyFwInfo(): GuestFwInfo {
  return { start: 0, size: 0, vtom: 0n, inLowMemory: 0, memoryMapPrevalidated: 0, secretsPage: 0, caaPage: 0, cpuidPage: 0, memoryMapAddress: 0, memoryMapSize: 0, prevalidated: [] };
}

export type BootParamBlock = Omit<LayoutValue<typeof BOOT_PARAM_BLOCK>, 'firmware'> & { firmware: GuestFwInfo };

export function encodeBootParamBlock(b: BootParamBlock): Uint8Array {
  const f = b.firmware;
  return BOOT_PARAM_BLOCK.encode({ ...b, firmware: { ...f, prevalidatedCount: f.prevalidated.length } });
}
