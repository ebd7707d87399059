/**
 * Can the host stack launch this firmware at all? The one place where the rules of QEMU's
 * firmware loader and of the SNP launch flow are checked on the parsed firmware model, before
 * any plan is built. A digest for a guest that cannot be launched is worse than no digest:
 * every measurement path (`measure`, `golden`, the library's `measure*`) refuses such firmware
 * through {@link requireLaunchable}, and `ovmf inspect` shows the same reasons per mode.
 *
 * The rules, with the code that enforces them on a real host:
 *
 * Loading the image (QEMU, OVMF at the top of the 4 GiB space):
 * - `-bios FILE`: hw/i386/x86-common.c `x86_bios_rom_init` refuses a size that is 0 or not a
 *   multiple of 64 KiB ("qemu: could not load PC BIOS"); the size is held in an `int`.
 * - pflash (`-drive if=pflash`): hw/i386/pc_sysfw.c `pc_system_flash_map` refuses a size that is
 *   0 or not a multiple of 4 KiB ("system firmware block device … has invalid size") and a
 *   combined size above `max-fw-size` (8 MiB by default, at most 16 MiB).
 * - SNP firmware cannot come from pflash: an SNP VM has no read-only memory slots (KVM
 *   `kvm_arch_has_readonly_mem`), so `pc_system_firmware_init` stops with "pflash with kvm
 *   requires KVM readonly memory support" (AMDSEV#223, #236). SNP means `-bios`.
 * - SEV and SEV-ES may use either.
 *
 * The SNP launch (QEMU target/i386/sev.c, KVM arch/x86/kvm/svm/sev.c):
 * - `pc_system_parse_sev_metadata` ignores an "ASEV" header whose length is below 16 or above
 *   its file offset; without metadata `sev_snp_launch_finish` stops ("Failed to locate SEV
 *   metadata header").
 * - Every metadata section becomes one SNP_LAUNCH_UPDATE (`snp_populate_metadata_pages`):
 *   a zero length stops QEMU (`sev_snp_launch_update`: "SNP_LAUNCH_UPDATE called with invalid
 *   address / length"); KVM `snp_launch_update` refuses a length that is not a multiple of
 *   4 KiB; a GPA that is not page aligned fails QEMU's range check ("expected update of GPA
 *   range"); KVM populates a private page only once (`kvm_gmem_populate`: -EEXIST), so sections
 *   may not overlap each other or the firmware, which is populated first; the 32-bit GPA and
 *   size must describe memory below 4 GiB. These bounds also keep the plan small: the sections
 *   of a launchable image cover less than 4 GiB, whatever the file declares.
 * - A section type QEMU does not know is measured as ZERO pages (`snp_metadata_desc_to_page_type`
 *   default): a warning, not an error.
 * SEV and SEV-ES never read the metadata sections (only SNP populates them).
 */
import { FirmwareError } from '../errors.js';
import { FOUR_GIB, PAGE_SIZE, SevSectionType } from '../formats/ovmf/defs.js';
import type { OvmfImage } from '../formats/ovmf/parse.js';
import { SEV_METADATA_HEADER } from '../formats/ovmf/sev-metadata.js';
import type { VmmType } from '../formats/snp/vmsa-profiles.js';

/** What the firmware is launched as. `snp:ovmf-hash` loads it as `snp` does. */
export type LaunchMode = 'sev' | 'seves' | 'snp';

/**
 * How the firmware reaches guest memory. `qemu` (the default): QEMU's `-bios` / pflash loader,
 * whose rules are checked (size; SEV metadata QEMU can find, for SNP). `raw`: the image is
 * placed so that it ends at 4 GiB exactly as given — the reference tools' model, for other
 * loaders and for test fixtures that are not whole firmware images; the SNP_LAUNCH_UPDATE
 * rules still apply.
 */
export type FirmwareLoader = 'qemu' | 'raw';

const KIB = 1024;
const MIB = 1024 * KIB;
/** `x86_bios_rom_init` holds the size in an `int` */
export const BIOS_MAX_SIZE = 2 ** 31 - 1;
/** `pc_machine_set_max_fw_size` accepts at most 16 MiB of pflash */
export const PFLASH_MAX_SIZE = 16 * MIB;

const MODE_NAME: Record<LaunchMode, string> = { sev: 'SEV', seves: 'SEV-ES', snp: 'SEV-SNP' };
const hx = (n: number): string => `0x${n.toString(16)}`;

function biosProblem(size: number): string | null {
  if (size === 0) return 'the file is empty';
  if (size % (64 * KIB) !== 0) return `its size ${size} (${hx(size)}) is not a multiple of 64 KiB`;
  if (size > BIOS_MAX_SIZE) return `its size ${size} does not fit QEMU's 32-bit signed BIOS size`;
  return null;
}

function pflashProblem(size: number): string | null {
  if (size === 0) return 'the file is empty';
  if (size % (4 * KIB) !== 0) return `its size ${size} (${hx(size)}) is not a multiple of 4 KiB`;
  if (size > PFLASH_MAX_SIZE) return `its size ${size} is above pflash's 16 MiB limit`;
  return null;
}

/** Why QEMU cannot load an image of `size` bytes as firmware for `mode`, or null. */
export function firmwareLoadProblem(size: number, mode: LaunchMode): string | null {
  const bios = biosProblem(size);
  if (mode === 'snp') {
    return bios === null
      ? null
      : `QEMU cannot load it with -bios: ${bios} (x86_bios_rom_init: "could not load PC BIOS"), and SNP firmware cannot come from pflash (an SNP VM has no read-only memory: "pflash with kvm requires KVM readonly memory support")`;
  }
  const pflash = pflashProblem(size);
  if (bios === null || pflash === null) return null;
  return bios === pflash
    ? `QEMU cannot load it as firmware: ${bios}`
    : `QEMU cannot load it as firmware: not with -bios (${bios}; x86_bios_rom_init: "could not load PC BIOS"), not as pflash (${pflash}; pc_system_flash_map: "has invalid size")`;
}

/**
 * Why the SEV metadata sections of `img` cannot be populated by SNP_LAUNCH_UPDATE, or []. The
 * firmware itself occupies [gpa, 4 GiB) unless `firmwareInGuest` is false.
 */
export function snpSectionProblems(img: OvmfImage, firmwareInGuest = true): string[] {
  const out: string[] = [];
  const sections = img.sevMetadata?.sections ?? [];
  const ranges: Array<{ i: number; start: number; end: number; what: string }> = [];
  sections.forEach((s, i) => {
    const what = `section ${i} (${s.typeName} at GPA ${hx(s.gpa)}, size ${hx(s.size)})`;
    const end = s.gpa + s.size;
    if (s.size === 0) out.push(`${what} has length 0: QEMU stops ("SNP_LAUNCH_UPDATE called with invalid address / length", sev_snp_launch_update)`);
    else if (s.size % PAGE_SIZE !== 0) out.push(`${what}: the size is not a multiple of 4 KiB, which KVM's SNP_LAUNCH_UPDATE refuses`);
    else if (s.gpa % PAGE_SIZE !== 0) out.push(`${what}: the GPA is not page aligned, which QEMU's SNP_LAUNCH_UPDATE range check refuses`);
    else if (end > FOUR_GIB) out.push(`${what} runs past 4 GiB (to ${hx(end)}): it is not guest memory`);
    else if (firmwareInGuest && end > img.gpa) out.push(`${what} overlaps the firmware at ${hx(img.gpa)}..4 GiB, whose pages are already populated (KVM populates a page once)`);
    else ranges.push({ i, start: s.gpa, end, what });
  });
  ranges.sort((a, b) => a.start - b.start || a.i - b.i);
  for (let k = 1; k < ranges.length; k++) {
    const a = ranges[k - 1]!;
    const b = ranges[k]!;
    if (b.start < a.end) {
      const [first, second] = a.i < b.i ? [a, b] : [b, a];
      out.push(`${second.what} overlaps ${first.what}: KVM populates a page once`);
    }
  }
  return out;
}

/** Warnings for SNP: metadata section types QEMU measures as ZERO pages without knowing them. */
export function snpSectionWarnings(img: OvmfImage): string[] {
  const out: string[] = [];
  img.sevMetadata?.sections.forEach((s, i) => {
    if (SevSectionType[s.type] === undefined) {
      out.push(`${img.source.name}: SEV metadata section ${i} at GPA ${hx(s.gpa)} has unknown type ${s.type} (${hx(s.type)}): measured as ZERO pages, as QEMU does (snp_metadata_desc_to_page_type)`);
    }
  });
  return out;
}

/** Why QEMU ignores the SEV metadata header (it then has none), or null. */
function metadataHeaderProblem(img: OvmfImage): string | null {
  const m = img.sevMetadata;
  if (!m) return 'the image has no SEV metadata (QEMU: "Failed to locate SEV metadata header"): SNP needs the SNP_SEC_MEM, secrets and CPUID pages it describes';
  if (m.size < SEV_METADATA_HEADER.size || m.size > m.offset) {
    return `the SEV metadata header declares length ${m.size}, which QEMU's pc_system_parse_sev_metadata ignores (it needs 16..${m.offset}), so QEMU finds no metadata ("Failed to locate SEV metadata header")`;
  }
  const need = SEV_METADATA_HEADER.size + 12 * m.sections.length;
  if (m.size < need) return `the SEV metadata header declares length ${m.size}, too short for its ${m.sections.length} sections (${need} bytes): QEMU copies only the declared length`;
  return null;
}

/**
 * Whose model a digest follows where sev-snp-measure and the real stack differ:
 * - `stack` (the library's default): QEMU + KVM. Firmware QEMU's loader refuses gets no digest,
 *   an unknown SEV metadata section type is measured as ZERO pages (with a warning), SEV_FEATURES
 *   bits no SEV-ES guest can carry are refused.
 * - `sev-snp-measure`: the drop-in model (`prelaunch measure` without a host stack). The digest is
 *   sev-snp-measure's, which places any file as given; wherever no real launch produces it a
 *   warning says so and why. An unknown section type is refused, as sev-snp-measure refuses it.
 * The SNP_LAUNCH_UPDATE section rules refuse under both: they also bound the plan.
 */
export type LaunchModel = 'stack' | 'sev-snp-measure';
export const LAUNCH_MODELS: readonly LaunchModel[] = ['stack', 'sev-snp-measure'];

/** Why QEMU's loader cannot load `img` as `mode` firmware (and, for SNP, find its SEV metadata). */
function loaderProblems(img: OvmfImage, mode: LaunchMode, vmm: VmmType, loader: FirmwareLoader): string[] {
  const out: string[] = [];
  const qemuLoader = vmm === 'QEMU' && loader === 'qemu';
  if (qemuLoader) {
    const load = firmwareLoadProblem(img.size, mode);
    if (load) out.push(load);
    if (mode === 'snp') {
      const header = metadataHeaderProblem(img);
      if (header) out.push(header);
    }
  } else if (img.size > FOUR_GIB) {
    out.push(`its size ${img.size} does not fit below 4 GiB`);
  }
  return out;
}

/**
 * Every reason the stack cannot launch `img` as `mode` with `vmm`, first the loader's, then the
 * SNP launch flow's. QEMU's loader and metadata rules apply to `vmm` QEMU; the SNP_LAUNCH_UPDATE
 * rules (KVM and the secure processor) to every VMM.
 */
export function launchProblems(img: OvmfImage, mode: LaunchMode, vmm: VmmType = 'QEMU', loader: FirmwareLoader = 'qemu'): string[] {
  const out = loaderProblems(img, mode, vmm, loader);
  if (mode === 'snp') for (const p of snpSectionProblems(img)) out.push(p);
  return out;
}

/**
 * Check `img` for a launch as `mode` under `model`; returns the warnings to show. Under `stack`
 * every problem refuses (see {@link requireLaunchable}); under `sev-snp-measure` the loader's
 * problems are warnings (that tool's value, which no QEMU launch produces) and unknown SEV
 * metadata section types refuse, as that tool refuses them.
 */
export function checkLaunch(img: OvmfImage, mode: LaunchMode, vmm: VmmType, loader: FirmwareLoader, model: LaunchModel): string[] {
  if (model === 'stack') {
    requireLaunchable(img, mode, vmm, loader);
    return mode === 'snp' ? snpSectionWarnings(img) : [];
  }
  if (mode === 'snp') {
    const problems = snpSectionProblems(img);
    if (problems.length > 0) throw launchRefusal(img, mode, vmm, problems);
    img.sevMetadata?.sections.forEach((sec, i) => {
      if (SevSectionType[sec.type] === undefined) {
        throw new FirmwareError(
          `${img.source.name}: SEV metadata section ${i} has type ${sec.type} (${hx(sec.type)}), which sev-snp-measure refuses; ` +
            `QEMU measures it as ZERO pages (snp_metadata_desc_to_page_type): give the host stack (${STACK_FLAGS}) to measure it as QEMU does`,
          { mode, section: i, type: sec.type },
        );
      }
    });
  }
  return loaderProblems(img, mode, vmm, loader).map(
    (p) => `${img.source.name}: no ${vmm === 'QEMU' ? 'QEMU' : vmm} launch produces this ${MODE_NAME[mode]} digest: ${p}. It is sev-snp-measure's value (the file placed as given); give the host stack (${STACK_FLAGS}) to have such firmware refused`,
  );
}

/** The flags that give `prelaunch measure` a host stack (and so the `stack` model). */
const STACK_FLAGS = '--qemu-version, --stack, --from-qemu or --from-libvirt';

/** The {@link FirmwareError} naming the first reason `img` cannot be launched as `mode`. */
function launchRefusal(img: OvmfImage, mode: LaunchMode, vmm: VmmType, problems: string[]): FirmwareError {
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more: see \`prelaunch ovmf inspect\`)` : '';
  return new FirmwareError(`${img.source.name}: ${vmm === 'QEMU' ? 'QEMU' : vmm} cannot launch this firmware as ${MODE_NAME[mode]}: ${problems[0]}${more}; no launch digest exists for it`, { mode, vmm, problems });
}

/** Throw a {@link FirmwareError} naming the first reason `img` cannot be launched as `mode`. */
export function requireLaunchable(img: OvmfImage, mode: LaunchMode, vmm: VmmType = 'QEMU', loader: FirmwareLoader = 'qemu'): void {
  const problems = launchProblems(img, mode, vmm, loader);
  if (problems.length > 0) throw launchRefusal(img, mode, vmm, problems);
}


/**
 * The loader rules only (`snp:ovmf-hash`: the firmware pages alone): under `stack` a
 * {@link FirmwareError} if QEMU cannot load `img` as `mode` firmware; under `sev-snp-measure` a
 * warning saying so. Returns the warnings.
 */
export function checkLoadable(img: OvmfImage, mode: LaunchMode, loader: FirmwareLoader, model: LaunchModel): string[] {
  if (loader === 'raw') return [];
  const p = firmwareLoadProblem(img.size, mode);
  if (!p) return [];
  if (model === 'stack') throw launchRefusal(img, mode, 'QEMU', [p]);
  return [`${img.source.name}: no QEMU launch produces this ${MODE_NAME[mode]} firmware digest (snp:ovmf-hash): ${p}. It is sev-snp-measure's value (the file placed as given)`];
}
