/**
 * `igvm build`: COCONUT-SVSM's igvmbuilder (svsm@f4bc4bcd, igvm 0.4.0) re-implemented so that
 * the same inputs give a byte-identical IGVM file. The file model is returned; the caller
 * serializes it with `serializeIgvm` (laid out as igvm 0.4.0 does).
 *
 * Guest-physical layout (see docs/igvm-build.md):
 *   0x10000          boot loader image, then a 24 KiB stack (BldrLaunchInfo at its top),
 *                    4 initial page-table pages (root = last), the boot-loader CPUID page
 *   0x800000         filesystem image
 *   kernel region    0x8000000 (Vanadium 0x7FF80000000), 16 MiB: the boot image (./boot-image.ts)
 *   VMSA             0xFFFFFFFFF000 (QEMU/Vanadium), or the last page of the kernel region (Hyper-V)
 *   firmware         OVMF ending at 4 GiB; the TDX stage 1 at 4 GiB − 4 KiB
 *
 * Directive order: REQUIRED_MEMORY, the parameter areas/usages/inserts and the non-SNP
 * contexts in creation order, then every PAGE_DATA and the SNP VMSA in creation order, or
 * sorted by GPA (stable) with `sort`.
 */
import { asSource, copyBytes, inputBytes, type ByteInput } from '../bytes/source.js';
import { IgvmArchitecture, IgvmHeaderType, IgvmPageDataType, IgvmPlatformType } from '../formats/igvm/defs.js';
import { directiveTable } from '../formats/igvm/directives.js';
import type { IgvmDirectiveHeader, IgvmFile, IgvmInitializationHeader, IgvmPlatformHeader, PageData } from '../formats/igvm/model.js';
import { encodeBldrStackPage, BLDR_LAUNCH_INFO_SIZE } from './bldr-launch.js';
import { emptyFwInfo, type BootParamBlock } from './boot-params.js';
import { prepareBootImage, type BootImageInfo } from './boot-image.js';
import { encodeCpuidPage } from './cpuid-page.js';
import { parseKernelElf } from './elf.js';
import { BuildError } from './errors.js';
import { encodeNativeContext } from './native-context.js';
import { parseOvmfFirmware, type OvmfFirmware } from './ovmf-firmware.js';
import { finalizeIgvmFwInfo, parseIgvmFirmware, type IgvmFirmware } from './igvm-firmware.js';
import { initPageTables } from './page-tables.js';
import { igvmbuilderVmsa, type ExtraSevFeature } from './snp-vmsa.js';
import { startContext, type StartContext } from './start-context.js';
import { encodeTdpStartContext } from './tdp-start.js';
import { encodeVbsContext } from './vbs-context.js';

export const SNP_MASK = 0x01;
export const NATIVE_MASK = 0x02;
export const TDP_MASK = 0x04;
export const VSM_MASK = 0x10;
export const FULL_MASK = SNP_MASK | NATIVE_MASK | TDP_MASK | VSM_MASK;

export const BLDR_BASE = 0x10000;
export const BLDR_STACK_SIZE = 0x6000;
export const KERNEL_FS_BASE = 0x800000;
export const INIT_PT_COUNT = 4;
/** igvm_builder.rs IGVM_PARAMETER_COUNT: the builder's own parameter areas 0..3; Hyper-V firmware's follow */
const IGVM_PARAMETER_COUNT = 4;
const PAGE = 4096;
const FOUR_GIB = 0x1_0000_0000;

export type Hypervisor = 'qemu' | 'hyper-v' | 'vanadium';
export const HYPERVISORS: readonly Hypervisor[] = ['qemu', 'hyper-v', 'vanadium'];

export interface IgvmBuildOptions {
  hypervisor: Hypervisor;
  /** the SVSM kernel ELF */
  kernel: ByteInput;
  /** the kernel's name in messages (its path) */
  kernelName?: string;
  bldr?: ByteInput | null;
  tdxStage1?: ByteInput | null;
  /** loaded at 0x800000; its pages are referenced, not copied: keep the source readable until the file is serialized */
  filesystem?: ByteInput | null;
  /** QEMU/Vanadium: a flat OVMF image (referenced like the filesystem) */
  firmware?: ByteInput | null;
  /** 1..4 (default 1) */
  comport?: number;
  /** SNP guest policy */
  policy?: bigint | null;
  snp?: boolean;
  tdp?: boolean;
  native?: boolean;
  vsm?: boolean;
  noVtom?: boolean;
  altInjection?: boolean;
  sevFeatures?: readonly ExtraSevFeature[];
  sort?: boolean;
}

/** Where things went (the manifest's memory layout). */
export interface BuildLayout {
  compatibilityMask: number;
  formatVersion: 1 | 2;
  vtom: bigint;
  kernel: { base: number; size: number; maxSize: number; virtBase: bigint; entry: bigint; directMap: bigint; heapPages: number };
  bootParams: number;
  cpuidPage: number;
  secretsPage: number;
  vmsa: number | null;
  bldr: { base: number; size: number; stack: number; pageTables: number; cpuidPage: number; end: number } | null;
  filesystem: { base: number; size: number } | null;
  firmware: { base: number; size: number; mask: number; prevalidated: Array<{ base: number; size: number }> } | null;
  tdxStage1: number | null;
  startRip: bigint;
  startRsp: bigint;
}

export interface IgvmBuildResult {
  file: IgvmFile;
  layout: BuildLayout;
  /** informational lines igvmbuilder prints */
  notes: string[];
}

const COM_PORTS: Readonly<Record<number, number>> = { 1: 0x3f8, 2: 0x2f8, 3: 0x3e8, 4: 0x2e8 };

function range(start: number, size: number): { start: number; end: number; size: number; pages: number } {
  if (start % PAGE !== 0) throw new RangeError(`range 0x${start.toString(16)} is not page aligned`);
  const pages = Math.ceil(size / PAGE);
  return { start, end: start + pages * PAGE, size, pages };
}

export function buildIgvm(options: IgvmBuildOptions): IgvmBuildResult {
  const o = {
    ...options,
    kernel: inputBytes(options.kernel),
    bldr: options.bldr ? inputBytes(options.bldr) : null,
    tdxStage1: options.tdxStage1 ? inputBytes(options.tdxStage1) : null,
    filesystem: options.filesystem ? asSource(options.filesystem, 'filesystem') : null,
    firmware: options.firmware ? asSource(options.firmware, 'firmware') : null,
  };
  const hv = o.hypervisor;
  if (!HYPERVISORS.includes(hv)) throw new BuildError('hypervisor', `"${String(hv)}" is not one of qemu, hyper-v, vanadium`, 'ERR_INVALID_OPTION');
  let mask = 0;
  if (o.snp) mask |= SNP_MASK;
  if (o.tdp) mask |= TDP_MASK;
  if (o.vsm) mask |= VSM_MASK;
  if (o.native) mask |= NATIVE_MASK;
  if (mask === 0) throw new BuildError('platform', 'No platform specified: give at least one of --snp, --tdp, --native, --vsm');
  const has = (m: number): boolean => (mask & m) !== 0;
  const comport = o.comport ?? 1;
  if (!COM_PORTS[comport]) throw new BuildError('--comport', `${comport} is not in 1..4`, 'ERR_INVALID_OPTION');
  // rules igvmbuilder checks late, checked up front here (same outcome: no file)
  if (o.policy != null && !has(SNP_MASK)) throw new BuildError('--policy', 'Policy not supported by the specified platform(s): a guest policy needs --snp');
  if (o.policy != null && (o.policy < 0n || o.policy >= 1n << 64n)) throw new BuildError('--policy', 'does not fit in 64 bits', 'ERR_INVALID_OPTION');

  // firmware: OVMF for QEMU/Vanadium, an IGVM file for Hyper-V (igvmbuilder firmware.rs `parse_firmware`)
  let firmware: OvmfFirmware | null = null;
  let igvmFw: IgvmFirmware | null = null;
  if (o.firmware) {
    if (hv === 'hyper-v') igvmFw = parseIgvmFirmware(o.firmware, IGVM_PARAMETER_COUNT, mask);
    else firmware = parseOvmfFirmware(o.firmware, mask);
  }
  const fwRange = firmware?.fwInfo ?? igvmFw?.fwInfo ?? null;

  // ---- GPA map ----
  let stage1: { start: number; size: number } | null = null;
  if (o.tdxStage1) {
    if (!has(TDP_MASK)) throw new BuildError('tdx-stage1', 'TDP platform must be specified when using --tdx-stage1');
    const len = o.tdxStage1.length;
    if ((FOUR_GIB - len) % PAGE !== 0) throw new BuildError('tdx-stage1', `Stage1 image must be exactly 4096 bytes, it is ${len}`);
    stage1 = { start: FOUR_GIB - len, size: len };
  } else if (has(TDP_MASK)) {
    throw new BuildError('tdx-stage1', 'TDP platform requires --tdx-stage1');
  }
  const [kernelBase, kernelMaxSize] = hv === 'vanadium' ? [0x7ff_8000_0000, 0x8000_0000] : [0x0800_0000, 0x0100_0000];
  const kernelMinSize = 0x0100_0000;
  if (fwRange) {
    const fs = fwRange.start, fe = fs + fwRange.size;
    if (fs < kernelBase + kernelMaxSize && fe > kernelBase) throw new BuildError('firmware', `Firmware region overlaps kernel region (firmware 0x${fs.toString(16)}-0x${fe.toString(16)}, kernel 0x${kernelBase.toString(16)}-0x${(kernelBase + kernelMaxSize).toString(16)})`);
  }
  // only Hyper-V IGVM firmware brings a guest context (one more boot-parameter page, after the block)
  const includeGuestContext = igvmFw !== null;
  const gcSize = includeGuestContext ? PAGE : 0;
  const general = PAGE + gcSize, madt = general + PAGE, memoryMap = madt + PAGE, deviceTree = memoryMap + PAGE, paramTotal = deviceTree + PAGE;

  let bldrLayout: BuildLayout['bldr'] = null;
  let bldrImage = range(0, 0), bldrStack = range(0, 0), initPt = range(0, 0), bldrCpuid = 0, bldrEnd = 0;
  if (o.bldr) {
    bldrImage = range(BLDR_BASE, o.bldr.length);
    bldrStack = range(bldrImage.end, BLDR_STACK_SIZE);
    initPt = range(bldrStack.end, INIT_PT_COUNT * PAGE);
    bldrCpuid = initPt.end;
    bldrEnd = bldrCpuid + PAGE;
    bldrLayout = { base: bldrImage.start, size: o.bldr.length, stack: bldrStack.start, pageTables: initPt.start, cpuidPage: bldrCpuid, end: bldrEnd };
  }
  if (fwRange && bldrEnd > fwRange.start) throw new BuildError('bldr', 'Boot loader overlaps firmware image');
  const fsLen = o.filesystem?.size ?? 0;
  const kernelFs = range(KERNEL_FS_BASE, fsLen);
  const vmsaInKernelRange = hv === 'hyper-v';
  const vmsaGpa = vmsaInKernelRange ? kernelBase + kernelMinSize - PAGE : 0xffff_ffff_f000;
  const kernel = range(kernelBase, kernelMinSize);
  const apStartContextAddr = bldrStack.start;

  const vtom = firmware ? firmware.fwInfo.vtom : igvmFw ? igvmFw.vtom : hv === 'hyper-v' ? 0x0000_4000_0000_0000n : 0n;

  // ---- boot parameter block ----
  const fwInfo = firmware ? firmware.fwInfo : igvmFw ? finalizeIgvmFwInfo(igvmFw.fwInfo, o.bldr ? { start: bldrImage.start, end: bldrEnd } : null) : emptyFwInfo();
  const params: BootParamBlock = {
    paramAreaSize: paramTotal, paramPageOffset: general, memoryMapOffset: memoryMap, madtOffset: madt, madtSize: PAGE,
    dtOffset: deviceTree, dtSize: PAGE,
    guestContextOffset: gcSize, // igvmbuilder stores the guest-context *size* here (equal to its offset when present)
    debugSerialPort: COM_PORTS[comport]!, firmware: fwInfo, vmsaInKernelRange: vmsaInKernelRange ? 1 : 0,
    kernelBase, kernelMinSize, kernelMaxSize, useAlternateInjection: o.altInjection ? 1 : 0,
    hasQemuTestdev: hv === 'qemu' || hv === 'vanadium' ? 1 : 0, hasTestIorequests: hv === 'qemu' ? 1 : 0,
  };

  // ---- directives ----
  const directives: IgvmDirectiveHeader[] = [];
  const page = (gpa: number | bigint, m: number, data: Uint8Array | null, dataType = IgvmPageDataType.NORMAL): PageData => ({
    kind: 'page-data', gpa: Number(gpa), compatibilityMask: m, flags: 0, dataType, data: data && data.length ? { kind: 'bytes', bytes: data } : null,
  });
  const emptyPages = (gpa: number, size: number, m: number, dataType = IgvmPageDataType.NORMAL): void => {
    for (let g = gpa; g < gpa + size; g += PAGE) directives.push(page(g, m, null, dataType));
  };
  const dataPages = (gpa: bigint, data: Uint8Array | null, length: bigint, m: number): void => {
    let g = Number(gpa);
    let left = Number(length);
    if (data) {
      for (let off = 0; off < data.length; off += PAGE) {
        // a chunk shorter than 4K still occupies a page (zero-padded by the serializer)
        directives.push({ kind: 'page-data', gpa: g, compatibilityMask: m, flags: 0, dataType: IgvmPageDataType.NORMAL, data: { kind: 'bytes', bytes: data.subarray(off, Math.min(off + PAGE, data.length)) } });
        if (left <= PAGE) return;
        g += PAGE;
        left -= PAGE;
      }
    }
    if (left !== 0) emptyPages(g, left, m);
  };

  if (has(~VSM_MASK)) directives.push({ kind: 'required-memory', gpa: kernelBase, compatibilityMask: mask & ~VSM_MASK, numberOfBytes: kernelMinSize, flags: 0 });
  if (has(VSM_MASK)) directives.push({ kind: 'required-memory', gpa: kernelBase, compatibilityMask: VSM_MASK, numberOfBytes: kernelMinSize, flags: 1 });

  const elf = parseKernelElf(o.kernel, o.kernelName ?? 'kernel');
  const boot: BootImageInfo = prepareBootImage({
    bootParams: params, kernelRegionStart: BigInt(kernel.start), kernelRegionPageCount: BigInt(kernel.pages),
    bldrStart: BigInt(bldrImage.start), bldrEnd: BigInt(bldrEnd), kernelFsStart: BigInt(kernelFs.start), kernelFsEnd: BigInt(kernelFs.start + kernelFs.size),
    vtom, apStartContextAddr,
  }, elf, (gpa, data, length) => dataPages(gpa, data, length, mask));

  let ctx: StartContext;
  let cpuidAddr: number;
  if (o.bldr) {
    for (let off = 0, g = bldrImage.start; off < o.bldr.length; off += PAGE, g += PAGE) {
      const buf = new Uint8Array(PAGE);
      buf.set(o.bldr.subarray(off, Math.min(off + PAGE, o.bldr.length)));
      directives.push(page(g, mask, buf));
    }
    const pt = initPageTables(initPt.start);
    pt.pages.forEach((p, i) => directives.push(page(initPt.start + i * PAGE, FULL_MASK, p)));
    const stackTop = bldrStack.end;
    const dataAddr = stackTop - PAGE;
    directives.push(page(dataAddr, mask, encodeBldrStackPage({
      kernelEntry: boot.entryPoint, kernelStack: boot.initialStack, kernelLaunchInfo: boot.kernelLaunchInfo, kernelPtPaddr: boot.pagingRoot,
      kernelPtCount: boot.totalPtPages, kernelPdptPaddr: boot.kernelPdptPaddr, kernelPml4eIndex: boot.kernelPml4eIndex,
      pageTableStart: initPt.start, pageTableEnd: initPt.end, pageTableRoot: pt.root, pageTableMapVaddr: 4n << 30n,
      cpuidAddr: bldrCpuid, cBitPosition: 0, platformType: 0, apStartContextAddr,
    })));
    if (dataAddr - bldrStack.start !== 0) emptyPages(bldrStack.start, dataAddr - bldrStack.start, mask);
    ctx = startContext(BigInt(bldrImage.start + 2), BigInt(bldrStack.end - BLDR_LAUNCH_INFO_SIZE), BigInt(pt.root), false);
    cpuidAddr = bldrCpuid;
  } else {
    if (has(TDP_MASK) || (has(SNP_MASK) && vtom === 0n)) {
      throw new BuildError('bldr', `--bldr required but not specified (a boot loader is needed for ${has(TDP_MASK) ? 'TDP' : 'SNP without vTOM, i.e. on QEMU/Vanadium'})`);
    }
    ctx = startContext(boot.entryPoint, boot.initialStack, 0n, true);
    cpuidAddr = Number(boot.cpuidPaddr);
  }

  const bpGpa = Number(boot.bootParamsPaddr);
  if (firmware) for (const p of firmware.pages) directives.push({ kind: 'page-data', gpa: p.gpa, compatibilityMask: firmware.mask, flags: 0, dataType: IgvmPageDataType.NORMAL, data: p.data });
  if (igvmFw) {
    // igvm_builder.rs: the firmware's directives, then its guest context in the boot parameters
    directives.push(...igvmFw.directives);
    const gc = new Uint8Array(PAGE);
    gc.set(igvmFw.guestContext);
    directives.push(page(bpGpa + gcSize, mask, gc));
  }

  const area = (index: number, bytes: number): void => { directives.push({ kind: 'parameter-area', numberOfBytes: bytes, parameterAreaIndex: index, initialData: null }); };
  area(1, PAGE);
  area(2, PAGE);
  area(3, PAGE);
  area(0, PAGE);
  const usage = (type: IgvmHeaderType, index: number, byteOffset: number): void => { directives.push({ kind: 'parameter-usage', type, parameterAreaIndex: index, byteOffset }); };
  usage(IgvmHeaderType.VP_COUNT_PARAMETER, 0, 0);
  usage(IgvmHeaderType.ENVIRONMENT_INFO_PARAMETER, 0, 4);
  usage(IgvmHeaderType.MADT, 2, 0);
  usage(IgvmHeaderType.DEVICE_TREE, 3, 0);
  usage(IgvmHeaderType.MEMORY_MAP, 1, 0);
  const insert = (gpa: number, index: number): void => { directives.push({ kind: 'parameter-insert', gpa, compatibilityMask: mask, parameterAreaIndex: index }); };
  insert(bpGpa + memoryMap, 1);
  insert(bpGpa + madt, 2);
  insert(bpGpa + deviceTree, 3);
  insert(bpGpa + general, 0);

  const highestVtl = firmware || igvmFw ? 2 : 0;
  if (has(SNP_MASK)) {
    const vmsaVtom = o.noVtom ? 0n : vtom;
    directives.push({ kind: 'vp-context', gpa: vmsaGpa, compatibilityMask: SNP_MASK, vpIndex: 0, data: { kind: 'bytes', bytes: igvmbuilderVmsa(ctx, vmsaVtom, o.sevFeatures ?? [], hv === 'vanadium') } });
  }
  if (has(VSM_MASK)) directives.push({ kind: 'vp-context', gpa: 0, compatibilityMask: VSM_MASK, vpIndex: 0, data: { kind: 'bytes', bytes: encodeVbsContext(ctx, highestVtl) } });
  if (has(NATIVE_MASK)) directives.push({ kind: 'vp-context', gpa: 0, compatibilityMask: NATIVE_MASK, vpIndex: 0, data: { kind: 'bytes', bytes: encodeNativeContext(ctx) } });
  if (has(TDP_MASK)) {
    const img = o.tdxStage1!;
    if (img.length !== PAGE) throw new BuildError('tdx-stage1', `the TDX stage 1 image must be exactly 4096 bytes, it is ${img.length}`);
    const bytes = copyBytes(img); // the caller's image stays as it was
    bytes.set(encodeTdpStartContext(Number(ctx.rip & 0xffff_ffffn), Number(ctx.rsp & 0xffff_ffffn)), 0);
    directives.push(page(stage1!.start, TDP_MASK, bytes));
  }

  if (o.filesystem) {
    // referenced, not copied, like the firmware's pages (a 32 MiB image is 8,192 pages);
    // only a partial last page is padded in memory, as igvmbuilder pads it
    const fs = o.filesystem;
    for (let off = 0, g = kernelFs.start; off < fs.size; off += PAGE, g += PAGE) {
      if (fs.size - off >= PAGE) {
        directives.push({ kind: 'page-data', gpa: g, compatibilityMask: mask, flags: 0, dataType: IgvmPageDataType.NORMAL, data: { kind: 'file', source: fs, offset: off, length: PAGE } });
      } else {
        const buf = new Uint8Array(PAGE);
        buf.set(fs.read(off, fs.size - off));
        directives.push(page(g, mask, buf));
      }
    }
  }

  if (has(SNP_MASK)) {
    directives.push(page(cpuidAddr, SNP_MASK, encodeCpuidPage(), IgvmPageDataType.CPUID_DATA));
    emptyPages(Number(boot.secretsPaddr), PAGE, SNP_MASK, IgvmPageDataType.SECRETS);
  }
  if (has(TDP_MASK)) {
    emptyPages(Number(boot.cpuidPaddr), PAGE, TDP_MASK);
    emptyPages(Number(boot.secretsPaddr), PAGE, TDP_MASK);
  }

  // ---- initialization and platforms ----
  const initializations: IgvmInitializationHeader[] = [];
  if (o.policy != null) initializations.push({ kind: 'guest-policy', policy: o.policy, compatibilityMask: SNP_MASK });
  const platforms: IgvmPlatformHeader[] = [];
  const plat = (m: number, type: IgvmPlatformType, vtl: number, boundary: bigint): void => {
    platforms.push({ kind: 'supported-platform', compatibilityMask: m, highestVtl: vtl, platformType: type, platformVersion: 1, sharedGpaBoundary: boundary });
  };
  if (has(SNP_MASK)) plat(SNP_MASK, IgvmPlatformType.SEV_SNP, highestVtl, vtom);
  if (has(TDP_MASK)) plat(TDP_MASK, IgvmPlatformType.TDX, highestVtl, 0n);
  if (has(VSM_MASK)) plat(VSM_MASK, IgvmPlatformType.VSM_ISOLATION, highestVtl, 0n);
  if (has(NATIVE_MASK)) plat(NATIVE_MASK, IgvmPlatformType.NATIVE, 0, 0n);

  // ---- page directives last, optionally sorted by GPA (stable) ----
  // PAGE_DATA and the SNP VMSA (the only VP context with the SNP mask) are "pages"
  const isPage = (d: IgvmDirectiveHeader): boolean => d.kind === 'page-data' || (d.kind === 'vp-context' && d.compatibilityMask === SNP_MASK);
  const pages = directives.filter(isPage);
  const others = directives.filter((d) => !isPage(d));
  if (o.sort) pages.sort((a, b) => (a as { gpa: number }).gpa - (b as { gpa: number }).gpa);

  const formatVersion = has(NATIVE_MASK) ? 2 : 1;
  const file: IgvmFile = { formatVersion, architecture: IgvmArchitecture.X64, pageSize: PAGE, platforms, initializations, directives: directiveTable([...others, ...pages]) };
  const layout: BuildLayout = {
    compatibilityMask: mask, formatVersion, vtom,
    kernel: { base: kernelBase, size: kernelMinSize, maxSize: kernelMaxSize, virtBase: boot.virtBase, entry: boot.entryPoint, directMap: boot.directMapBase, heapPages: Number(boot.heapPages) },
    bootParams: bpGpa, cpuidPage: cpuidAddr, secretsPage: Number(boot.secretsPaddr), vmsa: has(SNP_MASK) ? vmsaGpa : null,
    bldr: bldrLayout, filesystem: o.filesystem ? { base: kernelFs.start, size: fsLen } : null,
    firmware: firmware || igvmFw ? { base: fwInfo.start, size: fwInfo.size, mask: firmware?.mask ?? mask, prevalidated: fwInfo.prevalidated.map((r) => ({ ...r })) } : null,
    tdxStage1: stage1?.start ?? null, startRip: ctx.rip, startRsp: ctx.rsp,
  };
  return { file, layout, notes: firmware?.notes ?? [] };
}
