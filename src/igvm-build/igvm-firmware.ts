/**
 * Hyper-V IGVM firmware as igvmbuilder embeds it (svsm@f4bc4bcd tools/igvmbuilder/src/
 * igvm_firmware.rs `IgvmFirmware::parse`, `translate_directive`, `add_parameter_directives`,
 * `finalize_fw_info`): `--firmware` with `hyper-v` is itself an IGVM file, parsed as igvm 0.4.0
 * parses it (`IgvmFile::new_from_binary(…, None)`: every platform, full validation), and its
 * directives are rewritten for the file being built. M is the builder's compatibility mask
 * (every selected platform's bit). Masks are not remapped: a firmware header is taken when its
 * mask shares a bit with M, whatever platform that bit means in the firmware file, and what is
 * taken gets M.
 *
 * In file order:
 * - PAGE_DATA (mask ∩ M): the page at GPA 0 with data is dropped, its first 8 bytes are the
 *   start RIP; NORMAL, CPUID_DATA and CPUID_XF pages are kept (GPA, flags, data type, data)
 *   with mask M; a SECRETS page is dropped, its GPA becomes the secrets page and GPA + 4K the
 *   calling-area page. Kept and secrets pages widen the firmware range [lowest, highest + 4K).
 *   (A page at GPA 0 without data is an ordinary page.)
 * - VP_CONTEXT holding an SNP VMSA (mask ∩ M): vp_index must be 0; its registers become the
 *   InitialGuestContext (./initial-guest-context.ts), and with the vTOM SEV feature its
 *   virtual_tom is the build's vTOM. The context itself is not kept.
 * - PARAMETER_AREA (no mask): recorded (its initial data is ignored). VP_COUNT,
 *   ENVIRONMENT_INFO, COMMAND_LINE, MADT, DEVICE_TREE, SRAT usages: recorded with their area.
 *   MEMORY_MAP: must be at offset 0, alone in its area. PARAMETER_INSERT (mask ∩ M): the area's
 *   GPA.
 * - REQUIRED_MEMORY: ignored. Anything else (a native or VBS context, MMIO_RANGES, SLIT, PPTT,
 *   ERROR_RANGE, SNP_ID_BLOCK, VBS_MEASUREMENT): "unsupported directives".
 * Then, by ascending original area index, each inserted area: the memory-map area becomes the
 * GuestFwInfoBlock's memory map (address, size capped at u32); any other area with usages is
 * re-declared with the next index from `parameterCount` (4): PARAMETER_AREA (no data), its
 * usages in file order, PARAMETER_INSERT at its GPA with mask M. Areas never inserted or
 * without usages vanish.
 * The firmware info: start = lowest, size = highest − lowest (both must fit in u32), in low
 * memory; no start RIP or no SNP context is an error. The pre-validated regions depend on the
 * boot loader ({@link finalizeIgvmFwInfo}).
 */
import type { ByteSource } from '../bytes/source.js';
import { IgvmHeaderType, IgvmPageDataType, PAGE_SIZE_4K } from '../formats/igvm/defs.js';
import { directiveSegments, pageAt } from '../formats/igvm/directives.js';
import { readData, type IgvmDirectiveHeader, type PageData } from '../formats/igvm/model.js';
import { parseIgvm } from '../formats/igvm/parse.js';
import { vpContextPlatform } from '../formats/igvm/validate.js';
import { decodeVmsa } from '../formats/snp/vmsa.js';
import { emptyFwInfo, type GuestFwInfo } from './boot-params.js';
import { BuildError } from './errors.js';
import { INITIAL_GUEST_CONTEXT, type InitialGuestContext } from './initial-guest-context.js';

const INPUT = 'firmware';
const TWO32 = 0x1_0000_0000;
const VTOM_FEATURE = 1n << 1n;
const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

/** The parameter usages igvmbuilder carries over (igvm_firmware.rs `translate_directive`). */
const CARRIED_USAGES: ReadonlySet<number> = new Set([
  IgvmHeaderType.VP_COUNT_PARAMETER, IgvmHeaderType.ENVIRONMENT_INFO_PARAMETER, IgvmHeaderType.COMMAND_LINE,
  IgvmHeaderType.MADT, IgvmHeaderType.DEVICE_TREE, IgvmHeaderType.SRAT,
]);

export interface IgvmFirmware {
  /** the firmware's GuestFwInfoBlock before {@link finalizeIgvmFwInfo} (no pre-validated regions) */
  fwInfo: GuestFwInfo;
  /** the directives taken into the build, in igvmbuilder's order (pages, then re-declared parameter areas) */
  directives: IgvmDirectiveHeader[];
  /** the InitialGuestContext page's structure (184 bytes) */
  guestContext: Uint8Array;
  /** from the VMSA when it has the vTOM feature, else 0 */
  vtom: bigint;
  /** the mask the kept directives carry (the build's) */
  mask: number;
}

interface ParameterArea {
  numberOfBytes: number;
  usages: Array<{ type: IgvmHeaderType; byteOffset: number }>;
  memoryMap: boolean;
  gpa: number | null;
}

function u32(what: string, v: number): number {
  if (v >= TWO32) throw new BuildError(INPUT, `${what} ${hex(v)} does not fit in 32 bits (igvmbuilder: out of range integral type conversion)`);
  return v;
}

function unsupported(what: string, index: number): never {
  throw new BuildError(INPUT, `IGVM firmware file contains unsupported directives: ${what} (header #${index}); igvmbuilder takes only PAGE_DATA, SNP VP contexts, parameter areas, their inserts and the VP_COUNT, ENVIRONMENT_INFO, COMMAND_LINE, MADT, DEVICE_TREE, SRAT and MEMORY_MAP usages`, 'ERR_FIRMWARE_UNSUPPORTED');
}

/** Parse and translate Hyper-V IGVM firmware for a build with mask `mask`. */
export function parseIgvmFirmware(src: ByteSource, parameterCount: number, mask: number): IgvmFirmware {
  const parsed = parseIgvm(src);
  const file = parsed.file;
  const t = file.directives;
  const fw = emptyFwInfo();
  const out: IgvmDirectiveHeader[] = [];
  const areas = new Map<number, ParameterArea>();
  let startRip: bigint | null = null;
  let context: Omit<InitialGuestContext, 'rip'> | null = null;
  let vtom = 0n;
  let lowest = Number.POSITIVE_INFINITY;
  let highest = 0;
  const widen = (gpa: number): void => {
    lowest = Math.min(lowest, gpa);
    highest = Math.max(highest, gpa + PAGE_SIZE_4K);
  };

  const page = (h: PageData): void => {
    if ((h.compatibilityMask & mask) === 0) return;
    if (h.gpa === 0 && h.data !== null) {
      // the reset page (it PVALIDATEs the first 1 MB, which the SVSM does itself): only its RIP is kept
      const d = readData(h.data, 0, 8);
      startRip = new DataView(d.buffer, d.byteOffset, 8).getBigUint64(0, true);
      return;
    }
    if (h.dataType === IgvmPageDataType.NORMAL || h.dataType === IgvmPageDataType.CPUID_DATA || h.dataType === IgvmPageDataType.CPUID_XF) {
      widen(h.gpa);
      out.push({ kind: 'page-data', gpa: h.gpa, compatibilityMask: mask, flags: h.flags, dataType: h.dataType, data: h.data });
    } else if (h.dataType === IgvmPageDataType.SECRETS) {
      widen(h.gpa);
      fw.secretsPage = u32('the SECRETS page GPA', h.gpa);
      fw.caaPage = u32('the calling-area page GPA (secrets + 4K)', h.gpa + PAGE_SIZE_4K);
    }
  };
  const area = (index: number, header: number, what: string): ParameterArea => {
    const a = areas.get(index);
    if (!a) throw new BuildError(INPUT, `${what} (header #${header}) names parameter area ${index}, which is not declared`);
    return a;
  };

  for (const s of directiveSegments(t, parsed.layout.firstDirective)) {
    if (s.kind === 'pages') {
      for (let p = s.from; p < s.to; p++) page(pageAt(t, p));
      continue;
    }
    const h = s.header;
    const at = s.location.index;
    switch (h.kind) {
      case 'parameter-area':
        if (areas.has(h.parameterAreaIndex)) throw new BuildError(INPUT, `Parameter area ${h.parameterAreaIndex} exists more than once`);
        areas.set(h.parameterAreaIndex, { numberOfBytes: h.numberOfBytes, usages: [], memoryMap: false, gpa: null });
        break;
      case 'parameter-insert':
        if ((h.compatibilityMask & mask) !== 0) area(h.parameterAreaIndex, at, 'PARAMETER_INSERT').gpa = h.gpa;
        break;
      case 'parameter-usage': {
        if (h.type === IgvmHeaderType.MEMORY_MAP) {
          if (h.byteOffset !== 0) throw new BuildError(INPUT, `Memory map parameter specified with non-zero offset ${hex(h.byteOffset)} (header #${at})`);
          const a = area(h.parameterAreaIndex, at, 'MEMORY_MAP');
          if (a.usages.length > 0 || a.memoryMap) throw new BuildError(INPUT, `Memory map inhabits a parameter area with other parameters (area ${h.parameterAreaIndex}, header #${at})`);
          a.memoryMap = true;
        } else if (CARRIED_USAGES.has(h.type)) {
          const a = area(h.parameterAreaIndex, at, IgvmHeaderType[h.type] ?? hex(h.type));
          if (a.memoryMap) throw new BuildError(INPUT, `Memory map inhabits a parameter area with other parameters (area ${h.parameterAreaIndex}, header #${at})`);
          a.usages.push({ type: h.type, byteOffset: h.byteOffset });
        } else {
          unsupported(IgvmHeaderType[h.type] ?? hex(h.type), at);
        }
        break;
      }
      case 'vp-context': {
        const plat = vpContextPlatform(file, h.compatibilityMask);
        if (plat?.kind !== 'snp-vmsa') unsupported(`a ${plat?.kind === 'vbs' ? 'VBS' : 'native'} VP context`, at);
        if ((h.compatibilityMask & mask) === 0) break;
        if (h.vpIndex !== 0) throw new BuildError(INPUT, `IGVM firmware file contains VP context for VP with index > 0 (vp_index ${h.vpIndex}, header #${at})`);
        const v = decodeVmsa(readData(h.data, 0, PAGE_SIZE_4K));
        context = {
          cr0: v.cr0, cr3: v.cr3, cr4: v.cr4, efer: v.efer, gdtBase: v.gdtr.base, gdtLimit: v.gdtr.limit, codeSelector: v.cs.selector, dataSelector: v.ds.selector,
          rax: v.rax, rcx: v.rcx, rdx: v.rdx, rbx: v.rbx, rsp: v.rsp, rbp: v.rbp, rsi: v.rsi, rdi: v.rdi,
          r8: v.r8, r9: v.r9, r10: v.r10, r11: v.r11, r12: v.r12, r13: v.r13, r14: v.r14, r15: v.r15,
        };
        if (v.sevFeatures & VTOM_FEATURE) {
          vtom = v.virtualTom;
          fw.vtom = vtom;
        }
        break;
      }
      case 'required-memory':
        break;
      default:
        unsupported(h.kind === 'unknown' ? `header type ${hex(h.type)}` : h.kind.toUpperCase().replace(/-/g, '_'), at);
    }
  }

  // the parameter areas, by ascending original index (igvmbuilder keeps them in a BTreeMap)
  let next = parameterCount;
  for (const [, a] of [...areas].sort((x, y) => x[0] - y[0])) {
    if (a.gpa === null) continue;
    if (a.memoryMap) {
      fw.memoryMapAddress = u32('the memory-map parameter area GPA', a.gpa);
      fw.memoryMapSize = Math.min(a.numberOfBytes, TWO32 - 1);
      continue;
    }
    if (a.usages.length === 0) continue;
    const index = next++;
    out.push({ kind: 'parameter-area', numberOfBytes: a.numberOfBytes, parameterAreaIndex: index, initialData: null });
    for (const u of a.usages) out.push({ kind: 'parameter-usage', type: u.type, parameterAreaIndex: index, byteOffset: u.byteOffset });
    out.push({ kind: 'parameter-insert', gpa: a.gpa, compatibilityMask: mask, parameterAreaIndex: index });
  }

  if (lowest === Number.POSITIVE_INFINITY) throw new BuildError(INPUT, 'the IGVM firmware has no page for this build\'s platforms (igvmbuilder: out of range integral type conversion)');
  fw.start = u32('the firmware start (its lowest page)', lowest);
  fw.size = u32('the firmware size', highest - lowest);
  fw.inLowMemory = 1;
  if (context === null) throw new BuildError(INPUT, 'IGVM firmware does not contain guest context (an SNP VP context for this build\'s platforms)');
  if (startRip === null) throw new BuildError(INPUT, 'IGVM firmware does not contain starting RIP (a page with data at GPA 0)');
  const guestContext = INITIAL_GUEST_CONTEXT.encode({ ...(context as Omit<InitialGuestContext, 'rip'>), rip: startRip });
  return { fwInfo: fw, directives: out, guestContext, vtom, mask };
}

/**
 * igvm_firmware.rs `finalize_fw_info`: the memory below the firmware is pre-validated — all of
 * it without a boot loader, else the two ranges around the boot loader's area.
 */
export function finalizeIgvmFwInfo(fw: GuestFwInfo, bldr: { start: number; end: number } | null): GuestFwInfo {
  const prevalidated = bldr === null || bldr.end === 0
    ? [{ base: 0, size: fw.start }]
    : [{ base: 0, size: bldr.start }, { base: bldr.end, size: fw.start - bldr.end }];
  return { ...fw, prevalidated };
}
