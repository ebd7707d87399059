/**
 * igvmbuilder's NATIVE start context (`construct_native_start_context`): an igvm
 * `IgvmNativeVpContextX64`, 232 bytes (zero-padded to a 4K page by the serializer). Only
 * the fields the start context sets are written (the full table is in
 * ../formats/igvm/vp-context.ts); CR0/EFER keep PG/LME/LMA and CS keeps its raw attributes.
 *
 *   0x20 rsp u64 · 0x80 rip u64 · 0x88 rflags u64
 *   0xA8 code {selector u16, attributes u16, base u32, limit u32}
 *   0xB4 data {selector u16, attributes u16, base u32, limit u32} (from DS)
 *   0xC0 gs_base u64 · 0xC8 cr0 u64 · 0xD0 cr3 u64 · 0xD8 cr4 u64 · 0xE0 efer u64
 */
import { StructWriter } from '../bytes/writer.js';
import { CONTEXT_PAGE_SIZE } from '../formats/igvm/vp-context.js';
import type { StartContext } from './start-context.js';

export function encodeNativeContext(ctx: StartContext): Uint8Array {
  // the context in a zeroed 4K page, as a VP_CONTEXT carries it
  const w = new StructWriter(CONTEXT_PAGE_SIZE);
  w.u64(0x20, ctx.rsp).u64(0x80, ctx.rip).u64(0x88, ctx.rflags)
    .u16(0xa8, ctx.cs.selector).u16(0xaa, ctx.cs.attributes).u32(0xac, Number(ctx.cs.base)).u32(0xb0, ctx.cs.limit)
    .u16(0xb4, ctx.data.selector).u16(0xb6, ctx.data.attributes).u32(0xb8, Number(ctx.data.base)).u32(0xbc, ctx.data.limit)
    .u64(0xc0, ctx.data.base).u64(0xc8, ctx.cr0).u64(0xd0, ctx.cr3).u64(0xd8, ctx.cr4).u64(0xe0, ctx.efer);
  return w.bytes;
}
