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
import { at, bytes, defineLayout, nested, reserved, u16, u32, u64n, u8, type LayoutValue } from '../../bytes/layout.js';
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
/** A VBS register's 16-byte value: a segment register (`HV_X64_SEGMENT_REGISTER`) or a u64 in the low 8 bytes. */
export const VBS_SEGMENT_VALUE = defineLayout('HV_X64_SEGMENT_REGISTER', { base: u64n, limit: u32, selector: u16, attributes: u16 });
export const VBS_U64_VALUE = defineLayout('VbsVpContextRegister u64 value', { value: u64n }, { size: 16 });
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

/** IgvmNativeVpContextX64's segment registers (code, data). */
export const NATIVE_VP_SEGMENT = defineLayout('IgvmNativeVpContextX64 segment', { selector: u16, attributes: u16, base: u32, limit: u32 });
/** igvm `IgvmNativeVpContextX64` (232 bytes; in a VP_CONTEXT, the rest of its 4K page is zero). */
export const NATIVE_VP_CONTEXT = defineLayout('IgvmNativeVpContextX64', {
  rax: u64n, rcx: u64n, rdx: u64n, rbx: u64n, rsp: u64n, rbp: u64n, rsi: u64n, rdi: u64n,
  r8: u64n, r9: u64n, r10: u64n, r11: u64n, r12: u64n, r13: u64n, r14: u64n, r15: u64n,
  rip: at(0x80, u64n), rflags: u64n, idtrBase: u64n, idtrLimit: u16, _reserved: reserved(4), gdtrLimit: at(0x9e, u16), gdtrBase: u64n,
  code: at(0xa8, nested(NATIVE_VP_SEGMENT)), data: nested(NATIVE_VP_SEGMENT),
  gsBase: at(0xc0, u64n), cr0: u64n, cr3: u64n, cr4: u64n, efer: at(0xe0, u64n),
}, { size: NATIVE_VP_CONTEXT_SIZE });

export interface NativeVpContext {
  gpr: Record<string, bigint>;
  rip: bigint; rflags: bigint; idtrBase: bigint; idtrLimit: number; gdtrLimit: number; gdtrBase: bigint;
  code: LayoutValue<typeof NATIVE_VP_SEGMENT>;
  data: LayoutValue<typeof NATIVE_VP_SEGMENT>;
  gsBase: bigint; cr0: bigint; cr3: bigint; cr4: bigint; efer: bigint;
}

const GPRS = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;

export function decodeNativeVpContext(page: Uint8Array): NativeVpContext {
  const c = NATIVE_VP_CONTEXT.decode(page);
  const gpr: Record<string, bigint> = {};
  for (const n of GPRS) gpr[n] = c[n];
  return {
    gpr, rip: c.rip, rflags: c.rflags, idtrBase: c.idtrBase, idtrLimit: c.idtrLimit, gdtrLimit: c.gdtrLimit,
    gdtrBase: c.gdtrBase, code: c.code, data: c.data, gsBase: c.gsBase, cr0: c.cr0, cr3: c.cr3, cr4: c.cr4, efer: c.efer,
  };
}
