/**
 * Microsoft VBS launch measurement: the chunks a VBS boot digest chains
 * (`VBS_VM_BOOT_MEASUREMENT_CHUNK`, as microsoft/igvm@e6c3ff1 igvm/src/measurement/vbs.rs
 * declares it, `repr(C)`). Each step is `digest = SHA-256(digest ‖ chunk ‖ payload)`, starting
 * from 32 zero bytes.
 *
 *   chunk header (16 B)   0 byte_count u32 · 4 type u32 (0 VP_REGISTER, 1 VP_VTL_ENABLED,
 *                         2 VP_GPA_PAGE) · 8 reserved u64
 *   GPA page (32 B)       the header (byte_count = 32 + 4096) · 16 metadata u64
 *                         (`VBS_VM_GPA_PAGE_BOOT_METADATA`: bits 0-1 acceptance, bit 2
 *                         data_unmeasured) · 24 page_number u64; then 4096 bytes: the page's data
 *                         (none when unmeasured), zero-padded to 4K
 *   VP register (48 B)    the header (byte_count = 48) · 16 reserved u32 · 20 vtl u8 ·
 *                         21 reserved u8 · 22 reserved u16 · 24 reserved u32 · 28 name u32 (the
 *                         Hyper-V register name) · 32 value[16]; hashed as these 48 bytes only
 */
import { bytes, defineLayout, nested, reserved, u32, u64n, u8 } from '../../bytes/layout.js';

export const VbsChunkType = { VP_REGISTER: 0, VP_VTL_ENABLED: 1, VP_GPA_PAGE: 2 } as const;

/** `VBS_VM_GPA_PAGE_BOOT_METADATA` bits */
export const VbsPageMetadata = { READABLE: 0x1, WRITABLE: 0x2, DATA_UNMEASURED: 0x4 } as const;

export const VBS_CHUNK_HEADER = defineLayout('VBS_VM_BOOT_MEASUREMENT_CHUNK', { byteCount: u32, type: u32, reserved: reserved(8) });
export const VBS_GPA_PAGE_CHUNK = defineLayout('VBS_VM_BOOT_MEASUREMENT_CHUNK_GPA_PAGE', {
  header: nested(VBS_CHUNK_HEADER), metadata: u64n, pageNumber: u64n,
});
export const VBS_REGISTER_CHUNK = defineLayout('VBS_VM_BOOT_MEASUREMENT_CHUNK_VP_REGISTER', {
  header: nested(VBS_CHUNK_HEADER), reserved: reserved(4), vtl: u8, reserved2: reserved(1), reserved3: reserved(2), reserved4: reserved(4),
  name: u32, value: bytes(16),
});

export const VBS_PAGE_SIZE = 4096;
/** byte_count of a GPA page chunk: the chunk and its 4K payload */
export const VBS_GPA_PAGE_CHUNK_BYTES = VBS_GPA_PAGE_CHUNK.size + VBS_PAGE_SIZE;
