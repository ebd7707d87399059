/**
 * The `igvm inspect` report: a plain-data view of an IGVM file (platforms and masks, every
 * header, page ranges per platform, decoded VP contexts, parameter areas and their uses,
 * required memory, SNP ID blocks), its text rendering and an SVG memory map.
 */
import { toHex } from '../bytes/hex.js';
import {
  IgvmPageDataType, IgvmPlatformType, PAGE_SIZE_2M, PAGE_SIZE_4K, PageDataFlags, RelocationFlags, RequiredMemoryFlags,
  VBS_AARCH64_REGISTERS, VBS_X64_REGISTERS, headerTypeName, platformTypeName,
} from '../formats/igvm/defs.js';
import { directiveCount, directiveSegments, pageAt, rowLocation } from '../formats/igvm/directives.js';
import { dataLength, headerMask, readData, supportedPlatforms, type HeaderLocation, type IgvmDirectiveHeader } from '../formats/igvm/model.js';
import type { ParsedIgvm } from '../formats/igvm/parse.js';
import { vpContextPlatform } from '../formats/igvm/validate.js';
import { decodeNativeVpContext, decodeVbsRegisters } from '../formats/igvm/vp-context.js';
import { IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY } from '../formats/igvm/snp-id-block.js';
import { decodeVmsa, type Segment } from '../formats/snp/vmsa.js';
import { copyBytes } from '../bytes/source.js';
import type { CorimDocument, CorimSignature } from '../formats/igvm/model.js';
import { corimLaunchDigest, describeCorim } from '../igvm-corim/profile.js';
import { COSE_ALG_ES384, decodeCoseSign1 } from '../igvm-corim/cose.js';

const h = (n: number | bigint): string => `0x${n.toString(16)}`;
/** bytes of a P-384 coordinate */
const P384_COMPONENT_SIZE = 48;

export const SEV_FEATURE_BITS: Readonly<Record<number, string>> = {
  0: 'SNPActive', 1: 'vTOM', 2: 'ReflectVC', 3: 'RestrictInjection', 4: 'AlternateInjection', 5: 'DebugSwap', 6: 'PreventHostIBS',
  7: 'BTBIsolation', 8: 'VmplSSS', 9: 'SecureTSC', 14: 'VmsaRegProt', 15: 'SmtProtection',
};
const SNP_POLICY_BITS: Readonly<Record<number, string>> = { 16: 'SMT', 17: 'RESERVED_MBO', 18: 'MIGRATE_MA', 19: 'DEBUG', 20: 'SINGLE_SOCKET' };

function bitNames(v: bigint, names: Readonly<Record<number, string>>): string[] {
  const out: string[] = [];
  for (let b = 0; b < 64; b++) if ((v >> BigInt(b)) & 1n) out.push(names[b] ?? `bit${b}`);
  return out;
}

export type PageKind = 'NORMAL' | 'ZERO-FILL' | 'UNMEASURED' | 'SECRETS' | 'CPUID' | 'SHARED' | 'VMSA' | 'PARAMETER';

export interface PageRun {
  start: string;
  end: string;
  pages: number;
  kind: PageKind;
  /** directive indexes covered */
  headers: string;
  label: string;
}

export interface IgvmInspection {
  file: string;
  size: number;
  formatVersion: number;
  architecture: string;
  pageSize: number;
  variableHeaders: { offset: string; size: number; count: number };
  fileData: { offset: string; size: number };
  checksum: string;
  platforms: Array<{ header: number; offset: string; type: string; compatibilityMask: string; highestVtl: number; platformVersion: number; sharedGpaBoundary: string }>;
  initializations: Array<{ header: number; offset: string; type: string; compatibilityMask: string | null; fields: Record<string, unknown> }>;
  directives: Array<{ header: number; offset: string; type: string; compatibilityMask: string | null; fields: Record<string, unknown> }>;
  /** per platform: the GPA ranges its directives touch, merged into runs */
  memoryMap: Array<{ platform: string; compatibilityMask: string; runs: PageRun[] }>;
  vpContexts: Array<{ header: number; platform: string; compatibilityMask: string; vpIndex: number; gpa: string; context: Record<string, unknown> }>;
  parameterAreas: Array<{ index: number; bytes: number; initialData: boolean; declaredBy: number; usages: Array<{ header: number; type: string; byteOffset: number }>; inserts: Array<{ header: number; gpa: string; compatibilityMask: string }> }>;
  requiredMemory: Array<{ header: number; gpa: string; bytes: number; compatibilityMask: string; vtl2Protectable: boolean }>;
  snpIdBlocks: Array<Record<string, unknown>>;
}

function pageKind(d: IgvmDirectiveHeader & { kind: 'page-data' }): PageKind {
  if (d.flags & PageDataFlags.SHARED) return 'SHARED';
  if (d.dataType === IgvmPageDataType.SECRETS) return 'SECRETS';
  if (d.dataType === IgvmPageDataType.CPUID_DATA || d.dataType === IgvmPageDataType.CPUID_XF) return 'CPUID';
  if (d.flags & PageDataFlags.UNMEASURED) return 'UNMEASURED';
  return d.data && dataLength(d.data) > 0 ? 'NORMAL' : 'ZERO-FILL';
}

function decodeVmsaFields(page: Uint8Array): Record<string, unknown> {
  const r = decodeVmsa(page);
  const seg = (s: Segment) => ({ selector: h(s.selector), attrib: h(s.attrib), limit: h(s.limit), base: h(s.base) });
  return {
    sevFeatures: h(r.sevFeatures), sevFeatureNames: bitNames(r.sevFeatures, SEV_FEATURE_BITS),
    vmpl: r.vmpl, cpl: r.cpl,
    cr0: h(r.cr0), cr3: h(r.cr3), cr4: h(r.cr4), efer: h(r.efer), rip: h(r.rip), rsp: h(r.rsp), rflags: h(r.rflags),
    rax: h(r.rax), rsi: h(r.rsi), xcr0: h(r.xcr0), gPat: h(r.gPat), dr6: h(r.dr6), dr7: h(r.dr7), virtualTom: h(r.virtualTom),
    cs: seg(r.cs), ds: seg(r.ds), es: seg(r.es), fs: seg(r.fs), gs: seg(r.gs), ss: seg(r.ss), gdtr: seg(r.gdtr), idtr: seg(r.idtr), tr: seg(r.tr), ldtr: seg(r.ldtr),
  };
}

function directiveFields(d: IgvmDirectiveHeader): Record<string, unknown> {
  switch (d.kind) {
    case 'page-data': {
      const flags = [d.flags & PageDataFlags.IS_2MB_PAGE ? '2MB' : '', d.flags & PageDataFlags.UNMEASURED ? 'UNMEASURED' : '', d.flags & PageDataFlags.SHARED ? 'SHARED' : ''].filter(Boolean);
      return { gpa: h(d.gpa), flags: h(d.flags), flagNames: flags, dataType: IgvmPageDataType[d.dataType] ?? d.dataType, fileOffset: d.data?.kind === 'file' ? h(d.data.offset) : d.data ? 'in memory' : null };
    }
    case 'parameter-area': return { parameterAreaIndex: d.parameterAreaIndex, numberOfBytes: d.numberOfBytes, initialData: d.initialData ? dataLength(d.initialData) : 0 };
    case 'parameter-usage': return { parameterAreaIndex: d.parameterAreaIndex, byteOffset: d.byteOffset };
    case 'parameter-insert': return { gpa: h(d.gpa), parameterAreaIndex: d.parameterAreaIndex };
    case 'vp-context': return { gpa: h(d.gpa), vpIndex: d.vpIndex, dataBytes: dataLength(d.data) };
    case 'required-memory': return { gpa: h(d.gpa), numberOfBytes: d.numberOfBytes, vtl2Protectable: (d.flags & RequiredMemoryFlags.VTL2_PROTECTABLE) !== 0 };
    case 'error-range': return { gpa: h(d.gpa), sizeBytes: d.sizeBytes };
    case 'snp-id-block': return { ld: toHex(d.ld) };
    case 'vbs-measurement': return { version: d.version, productId: d.productId, moduleId: d.moduleId, securityVersion: d.securityVersion, policyFlags: h(d.policyFlags), bootDigestAlgo: d.bootDigestAlgo, signingAlgo: d.signingAlgo, bootMeasurementDigest: toHex(d.bootMeasurementDigest) };
    case 'unknown': return { length: d.content.length, content: toHex(d.content.subarray(0, 64)) };
  }
}

interface MapItem { start: number; pages: number; kind: PageKind; header: number; label: string }

/** One platform's memory-map items, in GPA order and merged into runs. */
function mergeRuns(items: MapItem[]): PageRun[] {
  items.sort((a, b) => a.start - b.start || a.header - b.header);
  const runs: Array<MapItem & { first: number; last: number }> = [];
  for (const it of items) {
    const prev = runs[runs.length - 1];
    if (prev && prev.kind === it.kind && prev.label === it.label && prev.start + prev.pages * PAGE_SIZE_4K === it.start) {
      prev.pages += it.pages;
      prev.last = it.header;
    } else runs.push({ ...it, first: it.header, last: it.header });
  }
  return runs.map((r) => ({
    start: h(r.start),
    end: h(r.start + r.pages * PAGE_SIZE_4K - 1),
    pages: r.pages,
    kind: r.kind,
    headers: r.first === r.last ? `#${r.first}` : `#${r.first}-#${r.last}`,
    label: r.label,
  }));
}

/** A CoRIM header's data, decoded: the launch-measurement summary, or the COSE_Sign1's protected header and signature. */
function corimFields(x: CorimDocument | CorimSignature, file: ParsedIgvm['file']): Record<string, unknown> {
  const bytes = copyBytes(readData(x.data));
  const platforms = supportedPlatforms(file).filter((p) => (p.compatibilityMask & x.compatibilityMask) !== 0).map((p) => platformTypeName(p.platformType));
  const data = x.data.kind === 'file' ? { fileOffset: h(x.data.offset) } : {};
  if (x.kind === 'corim-document') {
    const c = describeCorim(bytes);
    const lm = corimLaunchDigest(c);
    return {
      platforms, ...data, size: bytes.length, id: c.id, profile: c.profile, launchMeasurementProfile: c.launchMeasurementProfile,
      ...(lm ? { model: lm.model, digest: lm.digest, svn: lm.svn } : {}), tags: c.tags, ...(c.problems.length ? { problems: c.problems } : {}),
    };
  }
  const s = decodeCoseSign1(bytes);
  return { platforms, ...data, size: bytes.length, alg: s.alg === COSE_ALG_ES384 ? 'ES384' : s.alg, contentType: s.contentType, ...(s.signer !== null ? { signer: s.signer } : {}), signature: toHex(s.signature) };
}

export function inspectIgvm(parsed: ParsedIgvm): IgvmInspection {
  const { file, layout, info } = parsed;
  const total = layout.platforms.length + layout.initializations.length + directiveCount(file.directives);
  const platforms = file.platforms.map((p, i) => {
    const loc = layout.platforms[i]!;
    if (p.kind === 'unknown') return { header: loc.index, offset: h(loc.offset), type: headerTypeName(p.type), compatibilityMask: '-', highestVtl: 0, platformVersion: 0, sharedGpaBoundary: '-' };
    return { header: loc.index, offset: h(loc.offset), type: platformTypeName(p.platformType), compatibilityMask: h(p.compatibilityMask), highestVtl: p.highestVtl, platformVersion: p.platformVersion, sharedGpaBoundary: h(p.sharedGpaBoundary) };
  });
  const initializations = file.initializations.map((x, i) => {
    const loc = layout.initializations[i]!;
    const m = headerMask(x);
    let fields: Record<string, unknown>;
    if (x.kind === 'guest-policy') {
      const sevLike = supportedPlatforms(file).some((p) => (p.compatibilityMask & x.compatibilityMask) !== 0 && p.platformType === IgvmPlatformType.SEV_SNP);
      fields = { policy: h(x.policy), ...(sevLike ? { snpPolicy: { abiMinor: Number(x.policy & 0xffn), abiMajor: Number((x.policy >> 8n) & 0xffn), bits: bitNames(x.policy & ~0xffffn, SNP_POLICY_BITS) } } : {}) };
    } else if (x.kind === 'relocatable-region') {
      fields = { vpIndex: x.vpIndex, vtl: x.vtl, isVtl2: !!(x.flags & RelocationFlags.IS_VTL2), applyRip: !!(x.flags & RelocationFlags.APPLY_RIP), applyGdtr: !!(x.flags & RelocationFlags.APPLY_GDTR), alignment: h(x.relocationAlignment), gpa: h(x.relocationRegionGpa), size: h(x.relocationRegionSize), minimumGpa: h(x.minimumRelocationGpa), maximumGpa: h(x.maximumRelocationGpa) };
    } else if (x.kind === 'page-table-relocation-region') {
      fields = { vpIndex: x.vpIndex, vtl: x.vtl, gpa: h(x.gpa), size: h(x.size), usedSize: h(x.usedSize) };
    } else if (x.kind === 'corim-document' || x.kind === 'corim-signature') {
      fields = corimFields(x, file);
    } else fields = { length: x.content.length };
    return { header: loc.index, offset: h(loc.offset), type: headerTypeName(loc.type), compatibilityMask: m === null ? null : h(m), fields };
  });
  const directives: IgvmInspection['directives'] = [];
  const plats = supportedPlatforms(file);
  const mapItems: MapItem[][] = plats.map(() => []);
  const areaSize = new Map<number, number>();
  const vpContexts: IgvmInspection['vpContexts'] = [];
  const areas = new Map<number, IgvmInspection['parameterAreas'][number]>();
  const requiredMemory: IgvmInspection['requiredMemory'] = [];
  const snpIdBlocks: IgvmInspection['snpIdBlocks'] = [];
  const directive = (d: IgvmDirectiveHeader, loc: HeaderLocation): void => {
    const m = headerMask(d);
    directives.push({ header: loc.index, offset: h(loc.offset), type: headerTypeName(loc.type), compatibilityMask: m === null ? null : h(m), fields: directiveFields(d) });
    // the memory map of each platform
    if (d.kind === 'parameter-area') areaSize.set(d.parameterAreaIndex, d.numberOfBytes);
    plats.forEach((p, k) => {
      const mask = p.compatibilityMask;
      if (m !== null && (m & mask) === 0) return;
      const items = mapItems[k]!;
      if (d.kind === 'page-data') {
        const pages = d.flags & PageDataFlags.IS_2MB_PAGE ? PAGE_SIZE_2M / PAGE_SIZE_4K : 1;
        items.push({ start: d.gpa, pages, kind: pageKind(d), header: loc.index, label: IgvmPageDataType[d.dataType] ?? '' });
      } else if (d.kind === 'parameter-insert') {
        items.push({ start: d.gpa, pages: Math.max(1, (areaSize.get(d.parameterAreaIndex) ?? PAGE_SIZE_4K) / PAGE_SIZE_4K), kind: 'PARAMETER', header: loc.index, label: `parameter area ${d.parameterAreaIndex}` });
      } else if (d.kind === 'vp-context' && vpContextPlatform(file, d.compatibilityMask)?.kind === 'snp-vmsa' && d.compatibilityMask === mask) {
        items.push({ start: d.gpa, pages: 1, kind: 'VMSA', header: loc.index, label: `vp ${d.vpIndex}` });
      }
    });
    // VP contexts, parameter areas, required memory, ID blocks
    if (d.kind === 'vp-context') {
      const plat = vpContextPlatform(file, d.compatibilityMask);
      let context: Record<string, unknown> = {};
      const bytes = copyBytes(readData(d.data));
      if (plat?.kind === 'snp-vmsa') context = { kind: 'SEV VMSA', ...decodeVmsaFields(bytes) };
      else if (plat?.kind === 'native') {
        const c = decodeNativeVpContext(bytes);
        context = { kind: 'native x64', rip: h(c.rip), rsp: h(c.gpr.rsp!), rflags: h(c.rflags), cr0: h(c.cr0), cr3: h(c.cr3), cr4: h(c.cr4), efer: h(c.efer), gdtrBase: h(c.gdtrBase), gdtrLimit: h(c.gdtrLimit), idtrBase: h(c.idtrBase), code: c.code, data: c.data, gsBase: h(c.gsBase) };
      } else if (plat?.kind === 'vbs') {
        const names = file.architecture === 1 && file.formatVersion === 2 ? VBS_AARCH64_REGISTERS : VBS_X64_REGISTERS;
        const regs = decodeVbsRegisters(bytes);
        context = { kind: 'VBS registers', vtl: regs[0]?.vtl ?? null, registers: Object.fromEntries(regs.map((r) => [names[r.name] ?? h(r.name), toHex(r.value)])) };
      }
      vpContexts.push({ header: loc.index, platform: plat ? platformTypeName(plat.platformType) : '?', compatibilityMask: h(d.compatibilityMask), vpIndex: d.vpIndex, gpa: h(d.gpa), context });
    } else if (d.kind === 'parameter-area') {
      areas.set(d.parameterAreaIndex, { index: d.parameterAreaIndex, bytes: d.numberOfBytes, initialData: d.initialData !== null, declaredBy: loc.index, usages: [], inserts: [] });
    } else if (d.kind === 'parameter-usage') {
      areas.get(d.parameterAreaIndex)?.usages.push({ header: loc.index, type: headerTypeName(d.type).replace(/^IGVM_VHT_/, '').replace(/ \(.*$/, ''), byteOffset: d.byteOffset });
    } else if (d.kind === 'parameter-insert') {
      areas.get(d.parameterAreaIndex)?.inserts.push({ header: loc.index, gpa: h(d.gpa), compatibilityMask: h(d.compatibilityMask) });
    } else if (d.kind === 'required-memory') {
      requiredMemory.push({ header: loc.index, gpa: h(d.gpa), bytes: d.numberOfBytes, compatibilityMask: h(d.compatibilityMask), vtl2Protectable: (d.flags & RequiredMemoryFlags.VTL2_PROTECTABLE) !== 0 });
    } else if (d.kind === 'snp-id-block') {
      // qx and qy as stored (little-endian), the 48 bytes a P-384 key uses
      const key = (k: Uint8Array) => {
        const r = IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY.decode(k);
        return { curve: r.curve, qx: toHex(r.qx.subarray(0, P384_COMPONENT_SIZE)), qy: toHex(r.qy.subarray(0, P384_COMPONENT_SIZE)) };
      };
      snpIdBlocks.push({
        header: loc.index, offset: h(loc.offset), compatibilityMask: h(d.compatibilityMask), ld: toHex(d.ld), familyId: toHex(d.familyId), imageId: toHex(d.imageId),
        version: d.version, guestSvn: d.guestSvn, idKeyAlgorithm: d.idKeyAlgorithm, authorKeyAlgorithm: d.authorKeyAlgorithm, authorKeyEnabled: d.authorKeyEnabled,
        idPublicKey: key(d.idPublicKey), ...(d.authorKeyEnabled ? { authorPublicKey: key(d.authorPublicKey) } : {}),
      });
    }
  };
  const t = file.directives;
  for (const rows of directiveSegments(t, layout.firstDirective)) {
    if (rows.kind === 'record') {
      directive(rows.header, rows.location);
      continue;
    }
    for (let p = rows.from; p < rows.to; p++) directive(pageAt(t, p), rowLocation(rows, p));
  }
  const memoryMap = plats.map((p, k) => ({ platform: platformTypeName(p.platformType), compatibilityMask: h(p.compatibilityMask), runs: mergeRuns(mapItems[k]!) }));

  return {
    file: parsed.source.name,
    size: info.size,
    formatVersion: info.formatVersion,
    architecture: file.formatVersion === 2 ? (file.architecture === 1 ? 'AArch64' : 'X64') : 'X64',
    pageSize: file.pageSize,
    variableHeaders: { offset: h(info.variableHeaderOffset), size: info.variableHeaderSize, count: total },
    fileData: { offset: h(info.fileDataOffset), size: info.size - info.fileDataOffset },
    checksum: h(info.checksum),
    platforms, initializations, directives, memoryMap, vpContexts,
    parameterAreas: [...areas.values()], requiredMemory, snpIdBlocks,
  };
}

export function renderIgvmInspection(r: IgvmInspection): string {
  const out: string[] = [];
  const kv = (o: Record<string, unknown>): string =>
    Object.entries(o).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`).join(' ');
  out.push(`file:           ${r.file}`);
  out.push(`size:           ${r.size} bytes, format version ${r.formatVersion}, ${r.architecture}, ${r.pageSize}-byte pages`);
  out.push(`headers:        ${r.variableHeaders.count} at ${r.variableHeaders.offset} (${r.variableHeaders.size} bytes), checksum ${r.checksum}`);
  out.push(`file data:      ${r.fileData.size} bytes at ${r.fileData.offset}`);
  out.push('', 'platforms:');
  for (const p of r.platforms) out.push(`  #${p.header} ${p.type.padEnd(14)} mask ${p.compatibilityMask}  highest VTL ${p.highestVtl}  version ${p.platformVersion}  shared GPA boundary ${p.sharedGpaBoundary}`);
  out.push('', 'initialization:');
  if (!r.initializations.length) out.push('  (none)');
  for (const x of r.initializations) {
    // a CoRIM's tags are JSON-only: the line has the endorsed digest and SVN
    const { tags: _tags, ...fields } = x.fields;
    out.push(`  #${x.header} ${x.type} mask ${x.compatibilityMask ?? '-'}  ${kv(fields)}`);
  }
  for (const m of r.memoryMap) {
    out.push('', `memory map, ${m.platform} (mask ${m.compatibilityMask}):`);
    if (!m.runs.length) out.push('  (nothing)');
    for (const run of m.runs) out.push(`  ${run.start.padStart(16)}-${run.end.padEnd(16)} ${String(run.pages).padStart(5)} pages  ${run.kind.padEnd(10)} ${run.label.padEnd(12)} ${run.headers}`);
  }
  out.push('', 'VP contexts:');
  if (!r.vpContexts.length) out.push('  (none)');
  for (const v of r.vpContexts) {
    out.push(`  #${v.header} ${v.platform} mask ${v.compatibilityMask} vp ${v.vpIndex} gpa ${v.gpa}: ${String(v.context.kind ?? '')}`);
    const c = v.context;
    if (c.kind === 'SEV VMSA') {
      out.push(`      sev_features ${String(c.sevFeatures)} (${(c.sevFeatureNames as string[]).join(', ')})  vmpl ${String(c.vmpl)}`);
      out.push(`      cr0 ${String(c.cr0)} cr3 ${String(c.cr3)} cr4 ${String(c.cr4)} efer ${String(c.efer)} xcr0 ${String(c.xcr0)}`);
      out.push(`      rip ${String(c.rip)} rsp ${String(c.rsp)} rflags ${String(c.rflags)} rax ${String(c.rax)} rsi ${String(c.rsi)} virtual_tom ${String(c.virtualTom)}`);
      for (const s of ['cs', 'ds', 'ss', 'gdtr', 'idtr']) {
        const seg = c[s] as Record<string, string>;
        out.push(`      ${s.padEnd(4)} selector ${seg.selector} attrib ${seg.attrib} limit ${seg.limit} base ${seg.base}`);
      }
    } else {
      const { kind: _k, ...rest } = c;
      out.push(`      ${kv(rest)}`);
    }
  }
  out.push('', 'parameter areas:');
  if (!r.parameterAreas.length) out.push('  (none)');
  for (const a of r.parameterAreas) {
    const uses = a.usages.map((u) => `${u.type}@${u.byteOffset}`).join(', ') || 'no usages';
    const ins = a.inserts.map((x) => `inserted at ${x.gpa} (mask ${x.compatibilityMask})`).join(', ') || 'not inserted';
    out.push(`  area ${a.index}: ${a.bytes} bytes${a.initialData ? ', initial data' : ''} (#${a.declaredBy}); ${uses}; ${ins}`);
  }
  out.push('', 'required memory:');
  if (!r.requiredMemory.length) out.push('  (none)');
  for (const m of r.requiredMemory) out.push(`  #${m.header} ${m.gpa} ${m.bytes} bytes mask ${m.compatibilityMask}${m.vtl2Protectable ? ' VTL2-protectable' : ''}`);
  out.push('', 'SNP ID block:');
  if (!r.snpIdBlocks.length) out.push('  (none)');
  for (const b of r.snpIdBlocks) {
    out.push(`  #${String(b.header)} mask ${String(b.compatibilityMask)} ld ${String(b.ld)}`);
    out.push(`      family_id ${String(b.familyId)} image_id ${String(b.imageId)} version ${String(b.version)} guest_svn ${String(b.guestSvn)} author key ${b.authorKeyEnabled ? 'enabled' : 'disabled'}`);
  }
  out.push('', `directives (${r.directives.length}):`);
  for (const d of r.directives) out.push(`  #${d.header} ${d.offset} ${d.type} mask ${d.compatibilityMask ?? '-'}  ${kv(d.fields)}`);
  return out.join('\n') + '\n';
}

// ---- SVG memory map ----------------------------------------------------------------------

const COLOURS: Record<PageKind, string> = {
  NORMAL: '#4e79a7', 'ZERO-FILL': '#a0cbe8', UNMEASURED: '#bab0ac', SECRETS: '#e15759', CPUID: '#f28e2b', SHARED: '#59a14f', VMSA: '#b07aa1', PARAMETER: '#edc948',
};
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * One column per platform; runs in GPA order from the bottom up, each as tall as
 * log2(pages) allows (so a 1-page CPUID run and a 4096-page kernel are both visible); gaps
 * in the GPA space are collapsed and marked.
 */
export function renderIgvmSvg(r: IgvmInspection): string {
  const colW = 460;
  const rowH = (pages: number): number => 14 + 6 * Math.log2(pages);
  const heights = r.memoryMap.map((m) => m.runs.reduce((n, run, i) => n + rowH(run.pages) + (i && BigInt(m.runs[i - 1]!.end) + 1n !== BigInt(run.start) ? 8 : 0), 0));
  const title = `${r.file}: guest physical memory per platform`;
  // wide enough for the columns and the title (monospace 13 px ≈ 8 px per character)
  const width = Math.ceil(Math.max(Math.max(1, r.memoryMap.length) * colW + 20, title.length * 8 + 20));
  const legendW = 110;
  const perRow = Math.max(1, Math.floor((width - 20) / legendW));
  const legend = Object.entries(COLOURS);
  const legendRows = Math.ceil(legend.length / perRow);
  const top = 35 + legendRows * 16; // baseline of the platform headings
  const height = Math.max(...heights, 40) + top + 30;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="10">`);
  parts.push(`<text x="10" y="16" font-size="13">${esc(title)}</text>`);
  legend.forEach(([k, c], i) => {
    const lx = 10 + (i % perRow) * legendW;
    const ly = 26 + Math.floor(i / perRow) * 16;
    parts.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${c}"/><text x="${lx + 14}" y="${ly + 9}">${k}</text>`);
  });
  r.memoryMap.forEach((m, col) => {
    const x = 10 + col * colW;
    parts.push(`<text x="${x}" y="${top}" font-size="12">${esc(m.platform)} (mask ${m.compatibilityMask})</text>`);
    let y = height - 10;
    m.runs.forEach((run, i) => {
      if (i && BigInt(m.runs[i - 1]!.end) + 1n !== BigInt(run.start)) {
        y -= 8;
        parts.push(`<line x1="${x}" y1="${y + 4}" x2="${x + 120}" y2="${y + 4}" stroke="#999" stroke-dasharray="3,3"/>`);
      }
      const hgt = rowH(run.pages);
      y -= hgt;
      parts.push(`<rect x="${x}" y="${y.toFixed(1)}" width="120" height="${(hgt - 1).toFixed(1)}" fill="${COLOURS[run.kind]}"><title>${esc(`${run.start}-${run.end} ${run.pages} pages ${run.kind} ${run.label} ${run.headers}`)}</title></rect>`);
      parts.push(`<text x="${x + 126}" y="${(y + hgt / 2 + 3).toFixed(1)}">${esc(`${run.start} ${run.pages}p ${run.kind}${run.label && run.label !== 'NORMAL' ? ` ${run.label}` : ''}`)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
