/**
 * igvmbuilder's VSM start context: a VBS register list (igvm `X64VbsVpContext`), one
 * register per start-context entry in this order: CS, DS, SS, ES, FS, GS, CR0, CR3, CR4,
 * EFER, RFLAGS, RIP, RSP.
 *
 * The layouts (register list, register, segment value) are declared in
 * ../formats/igvm/vp-context.ts.
 */
import { VBS_REGISTER_LIST, VBS_SEGMENT_VALUE, VBS_U64_VALUE, VBS_VP_CONTEXT_REGISTER } from '../formats/igvm/vp-context.js';
import type { SegmentRegister, StartContext } from './start-context.js';

const HV = { Cs: 0x60001, Ds: 0x60003, Ss: 0x60002, Es: 0x60000, Fs: 0x60004, Gs: 0x60005, Cr0: 0x40000, Cr3: 0x40002, Cr4: 0x40003, Efer: 0x80001, Rflags: 0x20011, Rip: 0x20010, Rsp: 0x20004 } as const;

export function encodeVbsContext(ctx: StartContext, vtl: number): Uint8Array {
  const regs: Array<[number, SegmentRegister | bigint]> = [
    [HV.Cs, ctx.cs], [HV.Ds, ctx.data], [HV.Ss, ctx.data], [HV.Es, ctx.data], [HV.Fs, ctx.data], [HV.Gs, ctx.data],
    [HV.Cr0, ctx.cr0], [HV.Cr3, ctx.cr3], [HV.Cr4, ctx.cr4], [HV.Efer, ctx.efer], [HV.Rflags, ctx.rflags], [HV.Rip, ctx.rip], [HV.Rsp, ctx.rsp],
  ];
  const out = new Uint8Array(VBS_REGISTER_LIST.size + regs.length * VBS_VP_CONTEXT_REGISTER.size);
  VBS_REGISTER_LIST.encodeInto({ registerCount: regs.length }, out, 0);
  regs.forEach(([name, value], i) => {
    const bytes = typeof value === 'bigint' ? VBS_U64_VALUE.encode({ value }) : VBS_SEGMENT_VALUE.encode(value);
    VBS_VP_CONTEXT_REGISTER.encodeInto({ vtl, name, value: bytes }, out, VBS_REGISTER_LIST.size + i * VBS_VP_CONTEXT_REGISTER.size);
  });
  return out;
}
