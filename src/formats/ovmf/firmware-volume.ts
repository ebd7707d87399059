/**
 * The PI firmware volume header (PI spec vol. 3, EFI_FIRMWARE_VOLUME_HEADER), as far as prelaunch
 * reads it: its signature, to recognise a UEFI image that has no OVMF footer table.
 *
 *   0x00 u8[16] ZeroVector · 0x10 GUID FileSystemGuid · 0x20 u64 FvLength · 0x28 char[4] Signature "_FVH"
 */
import { at, defineLayout, latin1 } from '../../bytes/layout.js';

export const EFI_FIRMWARE_VOLUME_HEADER = defineLayout('EFI_FIRMWARE_VOLUME_HEADER', { signature: at(0x28, latin1(4)) });
export const EFI_FVH_SIGNATURE = '_FVH';
