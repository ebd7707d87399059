/**
 * IGVM → measurement plan, with the semantics of COCONUT-SVSM's `igvmmeasure`
 * (svsm@f4bc4bcd tools/igvmmeasure, igvm 0.4.0), the tool QEMU/KVM users compare against:
 *
 * - the platform is the first SUPPORTED_PLATFORM of the requested type; its mask M selects
 *   directives with `mask & M != 0`;
 * - PAGE_DATA, in file order: UNMEASURED → UNMEASURED page; SECRETS → SECRETS; CPUID_DATA /
 *   CPUID_XF → CPUID; NORMAL with data → NORMAL (SHA-384 of the 4K page); NORMAL without data
 *   → NORMAL of 4K zeros, or ZERO with `nativeZero`. The SHARED flag is ignored. A 2 MB page
 *   without data is 512 4K pages; with data igvmmeasure asserts, so it is an error here;
 * - PARAMETER_INSERT → ONE UNMEASURED page at its GPA, whatever the area's size;
 * - every SNP/SEV-ES VP_CONTEXT → VMSA page at its GPA, its mask NOT checked;
 * - SNP_ID_BLOCK (mask & M != 0) is not measured; the last one's `ld` is the expected digest;
 * - SEV / SEV-ES: one SHA-256 over every page with data (whatever its type or flags) and
 *   every VMSA page, in order.
 * `checkKvm` adds igvmmeasure's --check-kvm rules. Where the igvm crate's own measurer
 * differs, see docs/igvm.md.
 */
import { copyBytes, type ByteSource } from '../bytes/source.js';
import { FirmwareError } from '../errors.js';
import { IgvmPageDataType, IgvmPlatformType, PAGE_SIZE_2M, PAGE_SIZE_4K, PageDataFlags, headerTypeName } from '../formats/igvm/defs.js';
import { dataLength, readData, supportedPlatforms, type IgvmData, type IgvmDirectiveRecord, type IgvmFile, type SnpIdBlock } from '../formats/igvm/model.js';
import { directiveSegments, pageAt, rowLocation } from '../formats/igvm/directives.js';
import { PageDataWord as PD } from '../formats/igvm/headers.js';
import { headerLayout, vpContextPlatform, type HeaderLocation, type IgvmLayout } from '../formats/igvm/validate.js';
import { SnpPageType, VMSA_GPA } from '../formats/snp/page-info.js';
import { VMSA_OFFSETS } from '../formats/snp/vmsa.js';
import type { PageContent, SevPlan, SnpPageOp, SnpPlan } from './ops.js';

export type IgvmSevPlatform = 'sev-snp' | 'sev-es' | 'sev';
export const IGVM_SEV_PLATFORMS: readonly IgvmSevPlatform[] = ['sev-snp', 'sev-es', 'sev'];

const PLATFORM_TYPE: Record<IgvmSevPlatform, IgvmPlatformType> = {
  'sev-snp': IgvmPlatformType.SEV_SNP,
  'sev-es': IgvmPlatformType.SEV_ES,
  sev: IgvmPlatformType.SEV,
};

export interface IgvmPlanOptions {
  platform?: IgvmSevPlatform;
  /** measure pages without data as SNP ZERO pages (igvmmeasure --native-zero) */
  nativeZero?: boolean;
  /** igvmmeasure --check-kvm: one VMSA, at 0xFFFFFFFFF000, CR0 0x31 or 0x30, no PARAMETER_INSERT after it */
  checkKvm?: boolean;
  /** header locations, for labels and messages (default: the serializer's layout) */
  layout?: IgvmLayout;
}

export interface IgvmIdBlockRef {
  /** the expected launch digest the ID block carries */
  ld: Uint8Array;
  location: HeaderLocation;
  /** the header itself (its keys and signatures, for checks beyond the digest) */
  header: SnpIdBlock;
}

export interface IgvmMeasurePlan {
  platform: IgvmSevPlatform;
  compatibilityMask: number;
  plan: SnpPlan | SevPlan;
  /** the SNP_ID_BLOCK igvmmeasure checks the digest against (SEV-SNP only) */
  idBlock: IgvmIdBlockRef | null;
  vmsaCount: number;
}

const where = (loc: HeaderLocation): string => `${headerTypeName(loc.type)} header #${loc.index} at offset 0x${loc.offset.toString(16)}`;

function kvmFail(loc: HeaderLocation, problem: string): never {
  throw new FirmwareError(`KVM check failed at ${where(loc)}: ${problem}`, { check: 'kvm', headerIndex: loc.index, offset: loc.offset });
}

/** The page content of IGVM data (zero-padded to 4K when built in memory and shorter). */
function pageContent(d: IgvmData): PageContent {
  if (d.kind === 'file' && d.length === PAGE_SIZE_4K) return { kind: 'source', source: d.source, offset: d.offset };
  const page = new Uint8Array(PAGE_SIZE_4K);
  page.set(readData(d).subarray(0, PAGE_SIZE_4K));
  return { kind: 'bytes', bytes: page };
}

function pageDataLabel(index: number, page: number, noData: boolean): string {
  return `PAGE_DATA #${index}${page >= 0 ? ` page ${page}` : ''}${noData ? ' (no data)' : ''}`;
}

/**
 * A PAGE_DATA page operation other than a 4K page of the file (those are {@link FilePageOp}s):
 * an unmeasured, zero, secrets or CPUID page, or a page built from in-memory data. The label
 * ("PAGE_DATA #12 page 3 (no data)") is made when something reads it (a trace, an error).
 */
class PageDataOp implements SnpPageOp {
  constructor(
    readonly gpa: number,
    readonly type: SnpPageType,
    readonly content: PageContent | null,
    private readonly header: number,
    private readonly page: number,
    private readonly noData: boolean,
  ) {}
  get label(): string {
    return pageDataLabel(this.header, this.page, this.noData);
  }
}

/**
 * The op nearly every PAGE_DATA header of a file becomes: its 4K of file data, measured as a
 * NORMAL page (what PageDataOp would be, in fewer fields). A file can hold thousands, and
 * everything kept for each page is copied by V8's young-generation GC, so its content is
 * described afresh on each read (short-lived, so the GC never copies it) and its label is
 * made on demand.
 */
class FilePageOp implements SnpPageOp {
  // assigned in the constructor (a class field would add an initializer call per op)
  declare readonly type: SnpPageType;
  constructor(
    readonly gpa: number,
    private readonly source: ByteSource,
    private readonly offset: number,
    private readonly header: number,
  ) {
    this.type = SnpPageType.NORMAL;
  }
  get content(): PageContent {
    return { kind: 'source', source: this.source, offset: this.offset };
  }
  get label(): string {
    return pageDataLabel(this.header, -1, false);
  }
}

export function planIgvmMeasurement(file: IgvmFile, options: IgvmPlanOptions = {}): IgvmMeasurePlan {
  const platform = options.platform ?? 'sev-snp';
  const layout = options.layout ?? headerLayout(file);
  const snp = platform === 'sev-snp';
  const plat = supportedPlatforms(file).find((p) => p.platformType === PLATFORM_TYPE[platform]);
  if (!plat) {
    const have = supportedPlatforms(file).map((p) => IgvmPlatformType[p.platformType] ?? p.platformType).join(', ');
    throw new FirmwareError(`IGVM file is not compatible with the specified platform: it has no ${IgvmPlatformType[PLATFORM_TYPE[platform]]} platform header (it has ${have})`, { platform });
  }
  const mask = plat.compatibilityMask;
  const ops: SnpPageOp[] = [];
  const pieces: SevPlan['pieces'] = [];
  let idBlock: IgvmIdBlockRef | null = null;
  let vmsaCount = 0;
  const zeroPage = new Uint8Array(PAGE_SIZE_4K);
  const zeroContent: PageContent = { kind: 'bytes', bytes: zeroPage };

  const t = file.directives;
  /** PAGE_DATA row `p` of the table (the common case is made in line below) */
  const page = (p: number, loc: HeaderLocation): void => {
    const { gpa, flags, dataType, data } = pageAt(t, p);
    const is2m = (flags & PageDataFlags.IS_2MB_PAGE) !== 0;
    if (is2m && data && dataLength(data) > 0) {
      throw new FirmwareError(`${where(loc)}: a 2 MB page with data cannot be measured the way igvmmeasure does (it asserts the data is empty or 2 MB, and igvm 0.4.0 reads only 4K)`, { headerIndex: loc.index });
    }
    const pages = is2m ? PAGE_SIZE_2M / PAGE_SIZE_4K : 1;
    if (is2m && snp) {
      // 512 identical pages (no data, checked above): one run op, not 512 objects — a file of
      // 32-byte headers would otherwise hold ~30 KB of plan per header
      let type: SnpPageType | null = null;
      let content: PageContent | null = null;
      let noData = false;
      if (dataType === IgvmPageDataType.NORMAL) {
        if (flags & PageDataFlags.UNMEASURED) type = SnpPageType.UNMEASURED;
        else if (options.nativeZero) [type, noData] = [SnpPageType.ZERO, true];
        else [type, content, noData] = [SnpPageType.NORMAL, zeroContent, true];
      } else if (dataType === IgvmPageDataType.SECRETS) type = SnpPageType.SECRETS;
      else if (dataType === IgvmPageDataType.CPUID_DATA || dataType === IgvmPageDataType.CPUID_XF) type = SnpPageType.CPUID;
      if (type !== null) {
        const index = loc.index;
        ops.push({ gpa, type, content, label: pageDataLabel(index, 0, noData), pages, pageLabel: (k) => pageDataLabel(index, k, noData) });
      }
      return;
    }
    if (is2m) return; // SEV / SEV-ES: a page without data adds nothing
    if (!snp) {
      if (data && dataLength(data) > 0) {
        const c = pageContent(data);
        pieces.push({ label: pageDataLabel(loc.index, -1, false), content: c.kind === 'source' ? { kind: 'range', source: c.source, offset: c.offset, length: PAGE_SIZE_4K } : { kind: 'bytes', bytes: c.bytes } });
      }
      return;
    }
    if (dataType === IgvmPageDataType.NORMAL) {
      if (flags & PageDataFlags.UNMEASURED) ops.push(new PageDataOp(gpa, SnpPageType.UNMEASURED, null, loc.index, -1, false));
      else if (!data || dataLength(data) === 0) {
        if (options.nativeZero) ops.push(new PageDataOp(gpa, SnpPageType.ZERO, null, loc.index, -1, true));
        else ops.push(new PageDataOp(gpa, SnpPageType.NORMAL, zeroContent, loc.index, -1, true));
      } else if (data.kind === 'file' && data.length === PAGE_SIZE_4K) ops.push(new FilePageOp(gpa, data.source, data.offset, loc.index));
      else ops.push(new PageDataOp(gpa, SnpPageType.NORMAL, pageContent(data), loc.index, -1, false));
    } else if (dataType === IgvmPageDataType.SECRETS) ops.push(new PageDataOp(gpa, SnpPageType.SECRETS, null, loc.index, -1, false));
    else if (dataType === IgvmPageDataType.CPUID_DATA || dataType === IgvmPageDataType.CPUID_XF) ops.push(new PageDataOp(gpa, SnpPageType.CPUID, null, loc.index, -1, false));
  };

  const record = (h: IgvmDirectiveRecord, loc: HeaderLocation): void => {
    switch (h.kind) {
      case 'parameter-insert': {
        if ((h.compatibilityMask & mask) === 0) return;
        if (options.checkKvm && vmsaCount > 0) kvmFail(loc, 'the VMSA must be the final page directive in the IGVM file: QEMU/KVM measures the VMSA when the launch is finalized, not in file order');
        if (snp) ops.push({ gpa: h.gpa, type: SnpPageType.UNMEASURED, content: null, label: `PARAMETER_INSERT #${loc.index} area ${h.parameterAreaIndex}` });
        return;
      }
      case 'vp-context': {
        if (vpContextPlatform(file, h.compatibilityMask)?.kind !== 'snp-vmsa') return;
        if (options.checkKvm) {
          if (vmsaCount > 0) kvmFail(loc, 'more than one VMSA: QEMU/KVM only sets the VMSA of the first virtual CPU');
          if (h.gpa !== VMSA_GPA) kvmFail(loc, `the VMSA GPA 0x${h.gpa.toString(16).padStart(16, '0')} is not 0xFFFFFFFFF000, where KVM always places it`);
          const cr0 = new DataView(copyBytes(readData(h.data, VMSA_OFFSETS.cr0, 8)).buffer).getBigUint64(0, true);
          if (cr0 !== 0x31n && cr0 !== 0x30n) kvmFail(loc, `VMSA CR0 is 0x${cr0.toString(16)}, not 0x31 (protected mode) or 0x30 (real mode), the value KVM measures`);
        }
        const label = `VP_CONTEXT #${loc.index} vp ${h.vpIndex} mask 0x${h.compatibilityMask.toString(16)}`;
        const c = pageContent(h.data);
        if (snp) ops.push({ gpa: h.gpa, type: SnpPageType.VMSA, content: c, label });
        else pieces.push({ label, content: c.kind === 'source' ? { kind: 'range', source: c.source, offset: c.offset, length: PAGE_SIZE_4K } : { kind: 'bytes', bytes: c.bytes } });
        vmsaCount++;
        return;
      }
      case 'snp-id-block': {
        if ((h.compatibilityMask & mask) !== 0) idBlock = { ld: h.ld, location: loc, header: h };
        return;
      }
      default:
        return;
    }
  };
  // The common case, an SNP 4K page of file data measured as NORMAL, is made in line from the
  // columns (thousands per file; this runs once per process, mostly before V8 optimizes it):
  // the op page() would make.
  for (const rows of directiveSegments(t, layout.firstDirective)) {
    if (rows.kind === 'record') {
      record(rows.header, rows.location);
      continue;
    }
    const w = t.pages;
    const source = t.source!;
    // the loop reads locals only (each module-constant read is bytecode of its own)
    const words = PD.Count, maskAt = PD.CompatibilityMask, offsetAt = PD.FileOffset, typeAt = PD.DataTypeReserved, flagsAt = PD.Flags, gpaLo = PD.GpaLo, gpaHi = PD.GpaHi, normal = IgvmPageDataType.NORMAL;
    for (let p = rows.from, at = p * words; p < rows.to; p++, at += words) {
      if ((w[at + maskAt]! & mask) === 0) continue;
      const off = w[at + offsetAt]!;
      if (snp && off !== 0 && w[at + typeAt] === normal && w[at + flagsAt] === 0) {
        ops.push(new FilePageOp(w[at + gpaHi]! * 0x1_0000_0000 + w[at + gpaLo]!, source, off, rows.index + (p - rows.from)));
        continue;
      }
      page(p, rowLocation(rows, p));
    }
  }

  return {
    platform,
    compatibilityMask: mask,
    plan: snp ? { kind: 'snp', initialDigest: null, ops } : { kind: 'sev', pieces },
    idBlock: snp ? idBlock : null,
    vmsaCount,
  };
}

/**
 * The PARAMETER_INSERTs for mask `mask` whose area is more than one 4K page, where this plan
 * (igvmmeasure) and a QEMU/KVM launch measure differently: QEMU inserts the whole area as one
 * UNMEASURED range (backends/igvm.c `qigvm_directive_parameter_insert` →
 * `set_guest_state(gpa, region, param_entry->size, CGS_PAGE_TYPE_UNMEASURED)`), and KVM's
 * SNP_LAUNCH_UPDATE measures each 4K page of a range (arch/x86/kvm/svm/sev.c
 * `sev_gmem_post_populate`, one firmware call per page) — as the igvm crate's measurer does —
 * while igvmmeasure measures one page. Not modelled as a rule yet: `igvm measure` warns.
 */
export function multiPageParameterInserts(file: IgvmFile, mask: number): Array<{ gpa: number; pages: number; area: number }> {
  const areaBytes = new Map<number, number>();
  const out: Array<{ gpa: number; pages: number; area: number }> = [];
  for (const d of file.directives.records) {
    if (d.kind === 'parameter-area') areaBytes.set(d.parameterAreaIndex, d.numberOfBytes);
    else if (d.kind === 'parameter-insert' && (d.compatibilityMask & mask) !== 0) {
      const bytes = areaBytes.get(d.parameterAreaIndex) ?? 0;
      if (bytes > PAGE_SIZE_4K) out.push({ gpa: d.gpa, pages: Math.ceil(bytes / PAGE_SIZE_4K), area: d.parameterAreaIndex });
    }
  }
  return out;
}
