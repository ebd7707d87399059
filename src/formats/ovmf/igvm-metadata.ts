/**
 * The OVMF "IGVM" metadata igvmbuilder reads from an OVMF built for IGVM (COCONUT-SVSM
 * igvmbuilder `ovmf_firmware.rs`), and the OVMF reset-vector footer entry it uses. Both are
 * reached through the footer table (./footer-table.ts); all integers little-endian.
 *
 *   OVMF_IGVM_METADATA entry (GUID 784fa70e-3176-4677-8a20-04b68699e374, 4 bytes):
 *     0x00 u32 offset, from the end of the image, of the descriptor
 *   descriptor (16 bytes): 0x00 char[4] "IGVM" · 0x04 u32 length · 0x08 u32 version · 0x0C u32 count
 *   item (12 bytes): 0x00 u32 start · 0x04 u32 len · 0x08 u32 type
 *     0x100 parameter area · 0x101 memory map (offset inside the parameter area) · 0x200 HOB area
 *
 *   OVMF reset-vector entry (GUID 813d7b2c-9558-4d88-8b31-1427a85abe69, 8 bytes):
 *     0x00 u32 vector_address · 0x04 u32 compatibility_mask
 */
import { defineLayout, latin1, u32 } from '../../bytes/layout.js';

export const OVMF_IGVM_METADATA_GUID = '784fa70e-3176-4677-8a20-04b68699e374';
export const OVMF_RESET_VECTOR_GUID = '813d7b2c-9558-4d88-8b31-1427a85abe69';

export const OVMF_IGVM_METADATA_OFFSET = defineLayout('OVMF IGVM metadata entry', { offsetFromEnd: u32 });
export const OVMF_IGVM_METADATA_HEADER = defineLayout('OVMF IGVM metadata descriptor', { signature: latin1(4), length: u32, version: u32, count: u32 });
export const OVMF_IGVM_METADATA_ITEM = defineLayout('OVMF IGVM metadata item', { start: u32, len: u32, type: u32 });
export const OVMF_RESET_VECTOR = defineLayout('OVMF reset-vector entry', { vectorAddress: u32, compatibilityMask: u32 });
