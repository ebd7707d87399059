/**
 * OVMF/EDK2 reset-vector GUIDed table: the GUIDs and section types, as EDK2
 * (OvmfPkg/ResetVector, OvmfPkg/Include/WorkArea) and QEMU (hw/i386/pc_sysfw_ovmf.c) define them.
 */

/** The footer entry that closes the table, 32 bytes before the end of the image. */
export const OVMF_TABLE_FOOTER_GUID = '96b582de-1fb2-45f7-baea-a366c55a082d';
/** Data: u32 AP reset EIP for SEV-ES/SNP. */
export const SEV_ES_RESET_BLOCK_GUID = '00f771de-1a7e-4fcb-890e-68c77e2fb44e';
/** Data: u32 GPA, u32 size of the SEV kernel-hashes table (AmdSevX64 builds). */
export const SEV_HASH_TABLE_RV_GUID = '7255371f-3a3b-4b04-927b-1da6efa8d454';
/** Data: u32 offset, from the end of the image, of the "ASEV" SEV metadata. */
export const SEV_METADATA_GUID = 'dc886566-984a-4798-a75e-5585a7bf67cc';
/** Data: u32 GPA, u32 size of the SEV launch-secret area. */
export const SEV_SECRET_BLOCK_GUID = '4c2eb361-7d9b-4cc3-8081-127c90d3d294';
/** Data: u32 offset of the SVSM entry point inside an SVSM image. */
export const SVSM_INFO_GUID = 'a789a612-0597-4c4b-a49f-cbb1fe9d1ddd';
/** Data: u32 offset, from the end of the image, of the "TDVF" TDX metadata. */
export const TDX_METADATA_OFFSET_GUID = 'e47a6535-984a-4798-865e-4685a7bf8ec2';
/** The GUID stored just before the TDVF descriptor (informational). */
export const TDX_METADATA_GUID = 'e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae';

export const KNOWN_TABLE_ENTRIES: Readonly<Record<string, string>> = {
  [SEV_ES_RESET_BLOCK_GUID]: 'SEV_ES_RESET_BLOCK',
  [SEV_HASH_TABLE_RV_GUID]: 'SEV_HASH_TABLE_RV',
  [SEV_METADATA_GUID]: 'SEV_METADATA_OFFSET',
  [SEV_SECRET_BLOCK_GUID]: 'SEV_SECRET_BLOCK',
  [SVSM_INFO_GUID]: 'SVSM_INFO',
  [TDX_METADATA_OFFSET_GUID]: 'TDX_METADATA_OFFSET',
};

/** SEV metadata section types (OvmfPkg/Include/Library/... "SEV_SECTION"). */
export enum SevSectionType {
  SNP_SEC_MEM = 1,
  SNP_SECRETS = 2,
  CPUID = 3,
  SVSM_CAA = 4,
  SNP_KERNEL_HASHES = 0x10,
}

export function sevSectionTypeName(type: number): string {
  return SevSectionType[type] ?? `unknown (${type})`;
}

/** TDVF section types (TDX Virtual Firmware design guide §11; td-shim adds 7 and 8). */
export const TDVF_SECTION_TYPES: Readonly<Record<number, string>> = {
  0: 'BFV', 1: 'CFV', 2: 'TD_HOB', 3: 'TempMem', 4: 'PermMem', 5: 'Payload', 6: 'PayloadParam', 7: 'TD_INFO', 8: 'TD_PARAMS',
};
export const TDVF_ATTR_MR_EXTEND = 0x1;
export const TDVF_ATTR_PAGE_AUG = 0x2;

/** Firmware is loaded so that it ends at 4 GiB. */
export const FOUR_GIB = 0x1_0000_0000;
export const PAGE_SIZE = 4096;
