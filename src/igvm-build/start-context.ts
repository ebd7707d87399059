/**
 * The BSP start context igvmbuilder derives every platform's context from
 * (context.rs `construct_start_context`): flat 4 GiB segments, CR0/CR4/EFER, RFLAGS, RIP, RSP.
 * CR0.PG and EFER.LME/LMA are always present here and stripped per platform where needed.
 */
export interface SegmentRegister { selector: number; attributes: number; base: bigint; limit: number }

export interface StartContext {
  cs: SegmentRegister;
  /** DS, SS, ES, FS, GS all use this one */
  data: SegmentRegister;
  cr0: bigint;
  cr3: bigint;
  cr4: bigint;
  efer: bigint;
  rflags: bigint;
  rip: bigint;
  rsp: bigint;
}

export function startContext(rip: bigint, rsp: bigint, cr3: bigint, longMode: boolean): StartContext {
  return {
    cs: { selector: 0x08, attributes: longMode ? 0xa09b : 0xc09b, base: 0n, limit: 0xffff_ffff },
    data: { selector: 0x10, attributes: 0xa093, base: 0n, limit: 0xffff_ffff },
    cr0: 0x8000_0031n,
    cr3,
    cr4: 0x60n,
    efer: 0xd00n,
    rflags: 2n,
    rip,
    rsp,
  };
}
