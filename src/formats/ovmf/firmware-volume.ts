/**
 * The PI firmware volume header, as file-kind sniffing reads it (its "_FVH" signature). The
 * layout is declared once, with the rest of the PI volume format, in ../uefi/firmware-volume.ts.
 */
export { EFI_FIRMWARE_VOLUME_HEADER } from '../uefi/firmware-volume.js';
export const EFI_FVH_SIGNATURE = '_FVH';
