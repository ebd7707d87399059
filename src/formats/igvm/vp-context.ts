/**
 * What an IGVM VP_CONTEXT's file data holds. It depends on the platform whose compatibility
 * mask equals the header's mask exactly (igvm 0.4.0):
 *
 *   SEV_SNP, SEV_ES  a 4K page: the AMD VMSA (field offsets in ../snp/vmsa.ts). igvm 0.4.0
 *                    models the first 0x670 bytes; bytes 0x670..0xFFF must be zero.
 *   NATIVE, SEV      a 4K page: IgvmNativeVpContextX64 (232 bytes), the rest zero:
 *                    0x00 rax rcx rdx rbx rsp rbp rsi rdi r8..r15 (16 × u64) · 0x80 rip · 0x88 rflags ·
 *                    0x90 idtr_base u64 · 0x98 idtr_limit u16 · 0x9A reserved u16[2] · 0x9E gdtr_limit u16 ·
 *                    0xA0 gdtr_base u64 · 0xA8 code {selector u16, attributes u16, base u32, limit u32} ·
 *                    0xB4 data {selector u16, attributes u16, base u32, limit u32} · 0xC0 gs_base u64 ·
 *                    0xC8 cr0 · 0xD0 cr3 · 0xD8 cr4 · 0xE0 efer (u64 each)
 *   VSM_ISOLATION    a VBS register list, not padded: register_count u32, then register_count ×
 *                    VbsVpContextRegister (32 bytes, starting at +4, unaligned):
 *                    0 vtl u8 · 1 register_name u32 (Hyper-V name) · 5 mbz[11] · 16 value[16]
 *   TDX, others      not allowed (TDX has an architectural reset state).
 */
import { bytes, defineLayout, reserved, u32, u8 } from '../../bytes/layout.js';
import { IgvmPlatformType, NATIVE_VP_CONTEXT_SIZE, PAGE_SIZE_4K, SEV_VMSA_STRUCT_SIZE } from './defs.js';

export type VpContextKind = 'snp-vmsa' | 'native' | 'vbs';

export function vpContextKind(platformType: number): VpContextKind | null {
  switch (platformType) {
    case IgvmPlatformType.SEV_SNP:
    case IgvmPlatformType.SEV_ES:
      return 'snp-vmsa';
    case IgvmPlatformType.NATIVE:
    case IgvmPlatformType.SEV:
      return 'native';
    case IgvmPlatformType.VSM_ISOLATION:
      return 'vbs';
    default:
      return null;
  }
}

/** Bytes of the context structure in its 4K page; the rest must be zero. */
export function pageContextSize(kind: 'snp-vmsa' | 'native'): number {
  return kind === 'snp-vmsa' ? SEV_VMSA_STRUCT_SIZE : NATIVE_VP_CONTEXT_SIZE;
}
export const CONTEXT_PAGE_SIZE = PAGE_SIZE_4K;

/** The VBS register list: its count, then that many registers (unaligned, from byte 4). */
export const VBS_REGISTER_LIST = defineLayout('VbsVpContext', { registerCount: u32 });
export const VBS_VP_CONTEXT_REGISTER = defineLayout('VbsVpContextRegister', { vtl: u8, name: u32, mbz: reserved(11), value: bytes(16) });
export const VBS_REGISTER_SIZE = VBS_VP_CONTEXT_REGISTER.size;
export const VBS_REGISTER_LIST_HEADER = VBS_REGISTER_LIST.size;

export interface VbsRegister { vtl: number; name: number; value: Uint8Array }

/** register_count of a VBS register list (its first VBS_REGISTER_LIST_HEADER bytes). */
export function vbsRegisterCount(list: Uint8Array): number {
  return VBS_REGISTER_LIST.decode(list).registerCount;
}

/** Decode a VBS register list (the caller has checked its length is 4 + 32·count). */
export function decodeVbsRegisters(blob: Uint8Array): VbsRegister[] {
  const count = vbsRegisterCount(blob);
  const out: VbsRegister[] = [];
  for (let i = 0; i < count; i++) out.push(VBS_VP_CONTEXT_REGISTER.decode(blob, VBS_REGISTER_LIST_HEADER + i * VBS_REGISTER_SIZE));
  return out;
}

export interface NativeVpContext {
  gpr: Record<string, bigint>;
  rip: bigint; rflags: bigint; idtrBase: bigint; idtrLimit: number; gdtrLimit: number; gdtrBase: bigint;
  code: { selector: number; attributes: number; base: number; limit: number };
  data: { selector: number; attributes: number; base: number; limit: number };
  gsBase: bigint; cr0: bigint; cr3: bigint; cr4: bigint; efer: bigint;
}

const GPRS = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;

export function decodeNativeVpContext(page: Uint8Array): NativeVpContext {
  const v = new DataView(page.buffer, page.byteOffset, page.length);
  const q = (o: number): bigint => v.getBigUint64(o, true);
  const seg = (o: number) => ({ selector: v.getUint16(o, true), attributes: v.getUint16(o + 2, true), base: v.getUint32(o + 4, true), limit: v.getUint32(o + 8, true) });
  const gpr: Record<string, bigint> = {};
  GPRS.forEach((n, i) => { gpr[n] = q(i * 8); });
  return {
    gpr, rip: q(0x80), rflags: q(0x88), idtrBase: q(0x90), idtrLimit: v.getUint16(0x98, true), gdtrLimit: v.getUint16(0x9e, true),
    gdtrBase: q(0xa0), code: seg(0xa8), data: seg(0xb4), gsBase: q(0xc0), cr0: q(0xc8), cr3: q(0xd0), cr4: q(0xd8), efer: q(0xe0),
  };
}
