/**
 * SNP PAGE_INFO (AMD SEV-SNP ABI §8.17.2, "LAUNCH_UPDATE"): the 0x70-byte structure the
 * secure processor hashes for every page to extend the launch digest:
 * `LD' = SHA-384(PAGE_INFO)`.
 *
 *   0x00  48  DIGEST_CUR   the launch digest so far
 *   0x30  48  CONTENTS     SHA-384 of the page (NORMAL, VMSA) or zero
 *   0x60   2  LENGTH       0x70
 *   0x62   1  PAGE_TYPE    see SnpPageType
 *   0x63   1  IMI_PAGE     0
 *   0x64   1  VMPL3_PERMS  0
 *   0x65   1  VMPL2_PERMS  0
 *   0x66   1  VMPL1_PERMS  0
 *   0x67   1  reserved
 *   0x68   8  GPA
 */
import { bytes, defineLayout, reserved, u16, u64, u8 } from '../../bytes/layout.js';

export const LD_SIZE = 48;
export const PAGE_INFO = defineLayout('PAGE_INFO', {
  digestCur: bytes(LD_SIZE), contents: bytes(LD_SIZE), length: u16, pageType: u8, imiPage: u8, vmpl3: u8, vmpl2: u8, vmpl1: u8, reserved: reserved(1), gpa: u64,
});
export const PAGE_INFO_SIZE = PAGE_INFO.size;

export enum SnpPageType {
  NORMAL = 1,
  VMSA = 2,
  ZERO = 3,
  UNMEASURED = 4,
  SECRETS = 5,
  CPUID = 6,
}

/** Page types whose CONTENTS field is the SHA-384 of the page; the others hash as zero. */
export function hasContents(type: SnpPageType): boolean {
  return type === SnpPageType.NORMAL || type === SnpPageType.VMSA;
}

/** The VMSA of every vCPU is measured at this GPA (the last page below 2^48; bits above 51 clear). */
export const VMSA_GPA = 0xffff_ffff_f000;
