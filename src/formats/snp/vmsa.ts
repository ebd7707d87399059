/**
 * The SEV-ES/SNP VM save area (VMSA): one 4 KiB page per vCPU, measured at launch.
 * Only the fields a VMM sets at reset are modelled; every other byte is zero.
 * Offsets follow the AMD APM vol. 2 table "VMSA layout, state save area" (and Linux
 * `struct sev_es_save_area`).
 */
import { StructWriter } from '../../bytes/writer.js';

export const VMSA_SIZE = 4096;

/** A segment register in the save area: u16 selector, u16 attrib, u32 limit, u64 base. */
export interface Segment { selector: number; attrib: number; limit: number; base: number }

export const VMSA_OFFSETS = {
  es: 0x00, cs: 0x10, ss: 0x20, ds: 0x30, fs: 0x40, gs: 0x50, gdtr: 0x60, ldtr: 0x70, idtr: 0x80, tr: 0x90,
  efer: 0xd0, cr4: 0x148, cr3: 0x150, cr0: 0x158, dr7: 0x160, dr6: 0x168, rflags: 0x170, rip: 0x178,
  gPat: 0x268, rdx: 0x310, sevFeatures: 0x3b0, xcr0: 0x3e8, mxcsr: 0x408, x87Fcw: 0x410,
} as const;

export interface VmsaRegisters {
  es: Segment; cs: Segment; ss: Segment; ds: Segment; fs: Segment; gs: Segment;
  gdtr: Segment; ldtr: Segment; idtr: Segment; tr: Segment;
  efer: bigint; cr4: bigint; cr0: bigint; dr7: bigint; dr6: bigint; rflags: bigint; rip: bigint;
  gPat: bigint; rdx: bigint; sevFeatures: bigint; xcr0: bigint;
  /** u32 */ mxcsr: number;
  /** u16 */ x87Fcw: number;
}

const SEGMENTS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'gdtr', 'ldtr', 'idtr', 'tr'] as const;
const U64S = ['efer', 'cr4', 'cr0', 'dr7', 'dr6', 'rflags', 'rip', 'gPat', 'rdx', 'sevFeatures', 'xcr0'] as const;

export function encodeVmsa(r: VmsaRegisters): Uint8Array {
  const w = new StructWriter(VMSA_SIZE);
  for (const name of SEGMENTS) {
    const s = r[name];
    const off = VMSA_OFFSETS[name];
    w.u16(off, s.selector).u16(off + 2, s.attrib).u32(off + 4, s.limit).u64(off + 8, s.base);
  }
  for (const name of U64S) w.u64(VMSA_OFFSETS[name], r[name]);
  w.u32(VMSA_OFFSETS.mxcsr, r.mxcsr).u16(VMSA_OFFSETS.x87Fcw, r.x87Fcw);
  return w.bytes;
}

export function decodeVmsa(page: Uint8Array): VmsaRegisters {
  if (page.length < VMSA_SIZE) throw new RangeError('a VMSA page is 4096 bytes');
  const v = new DataView(page.buffer, page.byteOffset, page.length);
  const seg = (off: number): Segment => ({
    selector: v.getUint16(off, true), attrib: v.getUint16(off + 2, true), limit: v.getUint32(off + 4, true), base: Number(v.getBigUint64(off + 8, true)),
  });
  const out: Record<string, unknown> = {};
  for (const name of SEGMENTS) out[name] = seg(VMSA_OFFSETS[name]);
  for (const name of U64S) out[name] = v.getBigUint64(VMSA_OFFSETS[name], true);
  out.mxcsr = v.getUint32(VMSA_OFFSETS.mxcsr, true);
  out.x87Fcw = v.getUint16(VMSA_OFFSETS.x87Fcw, true);
  return out as unknown as VmsaRegisters;
}
