/**
 * igvmbuilder's VSM start context: a VBS register list (igvm `X64VbsVpContext`), one
 * register per start-context entry in this order: CS, DS, SS, ES, FS, GS, CR0, CR3, CR4,
 * EFER, RFLAGS, RIP, RSP.
 *
 *   0x00 register_count u32
 *   then per register (32 bytes): +0 vtl u8 · +1 register_name u32 (Hyper-V name) ·
 *        +5 reserved[11] · +16 value[16]
 *   value: a segment is {base u64, limit u32, selector u16, attributes u16};
 *          anything else is a u64 in the low 8 bytes
 */
import { StructWriter } from '../bytes/writer.js';
import type { SegmentRegister, StartContext } from './start-context.js';

const HV = { Cs: 0x60001, Ds: 0x60003, Ss: 0x60002, Es: 0x60000, Fs: 0x60004, Gs: 0x60005, Cr0: 0x40000, Cr3: 0x40002, Cr4: 0x40003, Efer: 0x80001, Rflags: 0x20011, Rip: 0x20010, Rsp: 0x20004 } as const;

export function encodeVbsContext(ctx: StartContext, vtl: number): Uint8Array {
  const regs: Array<[number, SegmentRegister | bigint]> = [
    [HV.Cs, ctx.cs], [HV.Ds, ctx.data], [HV.Ss, ctx.data], [HV.Es, ctx.data], [HV.Fs, ctx.data], [HV.Gs, ctx.data],
    [HV.Cr0, ctx.cr0], [HV.Cr3, ctx.cr3], [HV.Cr4, ctx.cr4], [HV.Efer, ctx.efer], [HV.Rflags, ctx.rflags], [HV.Rip, ctx.rip], [HV.Rsp, ctx.rsp],
  ];
  const w = new StructWriter(4 + regs.length * 32);
  w.u32(0, regs.length);
  regs.forEach(([name, value], i) => {
    const at = 4 + i * 32;
    w.u8(at, vtl).u32(at + 1, name);
    if (typeof value === 'bigint') w.u64(at + 16, value);
    else w.u64(at + 16, value.base).u32(at + 24, value.limit).u16(at + 28, value.selector).u16(at + 30, value.attributes);
  });
  return w.bytes;
}
