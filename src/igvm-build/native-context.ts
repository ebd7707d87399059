/**
 * igvmbuilder's NATIVE start context (`construct_native_start_context`): an igvm
 * `IgvmNativeVpContextX64`, 232 bytes (zero-padded to a 4K page by the serializer). Only
 * the fields the start context sets are written (the layout is NATIVE_VP_CONTEXT in
 * ../formats/igvm/vp-context.ts): rsp, rip, rflags, code (from CS, raw attributes), data
 * (from DS), gs_base (DS base), cr0, cr3, cr4, efer (CR0/EFER keep PG/LME/LMA).
 */
import { CONTEXT_PAGE_SIZE, NATIVE_VP_CONTEXT } from '../formats/igvm/vp-context.js';
import type { SegmentRegister, StartContext } from './start-context.js';

const segment = (s: SegmentRegister) => ({ selector: s.selector, attributes: s.attributes, base: Number(s.base), limit: s.limit });

export function encodeNativeContext(ctx: StartContext): Uint8Array {
  // the context in a zeroed 4K page, as a VP_CONTEXT carries it
  const page = new Uint8Array(CONTEXT_PAGE_SIZE);
  page.set(NATIVE_VP_CONTEXT.encodePartial({
    rsp: ctx.rsp, rip: ctx.rip, rflags: ctx.rflags, code: segment(ctx.cs), data: segment(ctx.data),
    gsBase: ctx.data.base, cr0: ctx.cr0, cr3: ctx.cr3, cr4: ctx.cr4, efer: ctx.efer,
  }));
  return page;
}
