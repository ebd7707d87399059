/**
 * `igvm diff`: what differs between two parsed IGVM files.
 *
 * - headers: every header gets a key (what it is and where it applies: platform type, mask,
 *   vp index, parameter area index, GPA…) and a few fields; a key in one file only is added or
 *   removed, a key in both whose fields differ is changed. PAGE_DATA headers are compared as
 *   ranges: consecutive 4K pages (in file order) with the same mask, flags, data type and
 *   data/no-data make one range, keyed by mask and first GPA. Data is compared by SHA-256.
 * - per platform (SEV-SNP, SEV-ES, SEV, TDX, VBS): each file's launch digest, as `igvm measure`
 *   computes it (measureIgvm), or why it cannot be computed;
 * - for SEV-SNP, TDX and VBS, the first page (VBS: or VP register) whose measurement differs: both plans are walked page
 *   by page in lockstep (GPA, page type, content bytes), so nothing is kept per page and
 *   no page is read twice.
 */
import { toHex } from '../bytes/hex.js';
import { PrelaunchError } from '../errors.js';
import { IgvmPlatformType, PAGE_SIZE_4K, headerTypeName, platformTypeName } from '../formats/igvm/defs.js';
import { directiveSegments, pageAt } from '../formats/igvm/directives.js';
import { dataLength, readData, supportedPlatforms, type IgvmData, type IgvmDirectiveHeader, type IgvmInitializationHeader, type IgvmPlatformHeader } from '../formats/igvm/model.js';
import type { ParsedIgvm } from '../formats/igvm/parse.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { measureIgvm, type IgvmMeasurePlatform } from '../measure/igvm.js';
import { SNP_PAGE_TYPE_NAMES, type SnpPlan } from '../plan/ops.js';
import { planIgvmTdx } from '../plan/igvm-tdx.js';
import { planIgvmVbs, type VbsPlan } from '../plan/igvm-vbs.js';
import type { TdxMrtdPlan } from '../plan/tdx.js';
import { equalBytes } from '../bytes/hex.js';

export interface DiffHeader {
  /** what and where: "PAGE_DATA mask 0x1 0x1000-0x3fff", "VP_CONTEXT mask 0x1 vp 0", … */
  key: string;
  stage: 'fixed' | 'platform' | 'initialization' | 'directive';
  fields: Record<string, string | number | boolean | null>;
}
export interface DiffChange {
  key: string;
  stage: DiffHeader['stage'];
  a: DiffHeader['fields'];
  b: DiffHeader['fields'];
  /** the fields whose values differ */
  fields: string[];
}
export interface DiffPage {
  gpa: string;
  type: string;
  label: string;
}
export interface DiffPlatform {
  platform: IgvmMeasurePlatform;
  /** null: the file has no such platform */
  a: { compatibilityMask: string; digest: string | null; error: string | null } | null;
  b: DiffPlatform['a'];
  equal: boolean;
  /** the first measured page that differs (SEV-SNP, TDX, VBS; null when none does or not both measured) */
  firstDifference: { index: number; a: DiffPage | null; b: DiffPage | null; what: string } | null;
}
export interface IgvmDiff {
  a: { size: number; formatVersion: number };
  b: { size: number; formatVersion: number };
  identical: boolean;
  added: DiffHeader[];
  removed: DiffHeader[];
  changed: DiffChange[];
  platforms: DiffPlatform[];
}

const h = (n: number | bigint): string => `0x${n.toString(16)}`;

// ---- headers ------------------------------------------------------------------------------

function describeHeaders(p: ParsedIgvm, backend: HashBackend): DiffHeader[] {
  const sha = (d: IgvmData | null): string | null => (d === null || dataLength(d) === 0 ? null : toHex(backend.hash('sha256', readData(d))));
  const out: DiffHeader[] = [];
  const f = p.file;
  out.push({ key: 'fixed header', stage: 'fixed', fields: { formatVersion: f.formatVersion, architecture: f.architecture, pageSize: f.pageSize } });
  const plat = (x: IgvmPlatformHeader): DiffHeader => x.kind === 'unknown'
    ? { key: `${headerTypeName(x.type)}`, stage: 'platform', fields: { length: x.content.length, sha256: toHex(backend.hash('sha256', x.content)) } }
    : { key: `SUPPORTED_PLATFORM ${platformTypeName(x.platformType)}`, stage: 'platform', fields: { compatibilityMask: h(x.compatibilityMask), highestVtl: x.highestVtl, platformVersion: x.platformVersion, sharedGpaBoundary: h(x.sharedGpaBoundary) } };
  const init = (x: IgvmInitializationHeader): DiffHeader => {
    const st = 'initialization' as const;
    switch (x.kind) {
      case 'guest-policy': return { key: `GUEST_POLICY mask ${h(x.compatibilityMask)}`, stage: st, fields: { policy: h(x.policy) } };
      case 'relocatable-region': return { key: `RELOCATABLE_REGION mask ${h(x.compatibilityMask)} vp ${x.vpIndex} vtl ${x.vtl}`, stage: st, fields: { flags: x.flags, gpa: h(x.relocationRegionGpa), size: h(x.relocationRegionSize), alignment: h(x.relocationAlignment), minimumGpa: h(x.minimumRelocationGpa), maximumGpa: h(x.maximumRelocationGpa) } };
      case 'page-table-relocation-region': return { key: `PAGE_TABLE_RELOCATION_REGION mask ${h(x.compatibilityMask)}`, stage: st, fields: { vpIndex: x.vpIndex, vtl: x.vtl, gpa: h(x.gpa), size: h(x.size), usedSize: h(x.usedSize) } };
      case 'corim-document': return { key: `CORIM_DOCUMENT mask ${h(x.compatibilityMask)}`, stage: st, fields: { size: dataLength(x.data), sha256: sha(x.data) } };
      case 'corim-signature': return { key: `CORIM_SIGNATURE mask ${h(x.compatibilityMask)}`, stage: st, fields: { size: dataLength(x.data), sha256: sha(x.data) } };
      case 'unknown': return { key: headerTypeName(x.type), stage: st, fields: { length: x.content.length, sha256: toHex(backend.hash('sha256', x.content)) } };
    }
  };
  const dir = (x: Exclude<IgvmDirectiveHeader, { kind: 'page-data' }>): DiffHeader => {
    const st = 'directive' as const;
    switch (x.kind) {
      case 'parameter-area': return { key: `PARAMETER_AREA index ${x.parameterAreaIndex}`, stage: st, fields: { bytes: x.numberOfBytes, initialData: sha(x.initialData) } };
      case 'parameter-usage': return { key: `${headerTypeName(x.type).replace(/^IGVM_VHT_/, '').replace(/ \(.*$/, '')} area ${x.parameterAreaIndex}`, stage: st, fields: { byteOffset: x.byteOffset } };
      case 'parameter-insert': return { key: `PARAMETER_INSERT mask ${h(x.compatibilityMask)} gpa ${h(x.gpa)}`, stage: st, fields: { parameterAreaIndex: x.parameterAreaIndex } };
      case 'vp-context': return { key: `VP_CONTEXT mask ${h(x.compatibilityMask)} vp ${x.vpIndex}`, stage: st, fields: { gpa: h(x.gpa), size: dataLength(x.data), sha256: sha(x.data) } };
      case 'required-memory': return { key: `REQUIRED_MEMORY mask ${h(x.compatibilityMask)} gpa ${h(x.gpa)}`, stage: st, fields: { bytes: x.numberOfBytes, flags: x.flags } };
      case 'error-range': return { key: `ERROR_RANGE mask ${h(x.compatibilityMask)} gpa ${h(x.gpa)}`, stage: st, fields: { sizeBytes: x.sizeBytes } };
      case 'snp-id-block': return { key: `SNP_ID_BLOCK mask ${h(x.compatibilityMask)}`, stage: st, fields: { ld: toHex(x.ld), familyId: toHex(x.familyId), imageId: toHex(x.imageId), version: x.version, guestSvn: x.guestSvn, authorKeyEnabled: x.authorKeyEnabled, idPublicKey: toHex(backend.hash('sha256', x.idPublicKey)), idKeySignature: toHex(backend.hash('sha256', x.idKeySignature)) } };
      case 'vbs-measurement': return { key: `VBS_MEASUREMENT mask ${h(x.compatibilityMask)}`, stage: st, fields: { version: x.version, productId: x.productId, moduleId: x.moduleId, securityVersion: x.securityVersion, policyFlags: x.policyFlags, bootMeasurementDigest: toHex(x.bootMeasurementDigest) } };
      case 'unknown': return { key: headerTypeName(x.type), stage: st, fields: { length: x.content.length, sha256: toHex(backend.hash('sha256', x.content)) } };
    }
  };
  for (const x of f.platforms) out.push(plat(x));
  for (const x of f.initializations) out.push(init(x));
  // PAGE_DATA ranges: the current run of each mask
  interface Run { mask: number; start: number; next: number; flags: number; dataType: number; withData: boolean; pages: number; sha: Hasher | null }
  type Hasher = ReturnType<HashBackend['create']>;
  const open = new Map<number, Run>();
  const close = (r: Run): void => {
    out.push({
      key: `PAGE_DATA mask ${h(r.mask)} from ${h(r.start)}`,
      stage: 'directive',
      fields: { end: h(r.next - 1), pages: r.pages, flags: h(r.flags), dataType: r.dataType, data: r.withData ? toHex(r.sha!.digest()) : 'none' },
    });
  };
  const t = f.directives;
  for (const s of directiveSegments(t, p.layout.firstDirective)) {
    if (s.kind === 'record') {
      out.push(dir(s.header));
      continue;
    }
    for (let i = s.from; i < s.to; i++) {
      const pg = pageAt(t, i);
      const size = pg.flags & 1 ? 512 * PAGE_SIZE_4K : PAGE_SIZE_4K;
      const withData = pg.data !== null && dataLength(pg.data) > 0;
      let r = open.get(pg.compatibilityMask);
      if (!r || r.next !== pg.gpa || r.flags !== pg.flags || r.dataType !== pg.dataType || r.withData !== withData) {
        if (r) close(r);
        r = { mask: pg.compatibilityMask, start: pg.gpa, next: pg.gpa, flags: pg.flags, dataType: pg.dataType, withData, pages: 0, sha: withData ? backend.create('sha256') : null };
        open.set(pg.compatibilityMask, r);
      }
      if (withData) r.sha!.update(readData(pg.data!));
      r.next += size;
      r.pages++;
    }
  }
  for (const r of open.values()) close(r);
  // a key may repeat (two headers for the same thing): number the repeats
  const seen = new Map<string, number>();
  for (const x of out) {
    const n = (seen.get(x.key) ?? 0) + 1;
    seen.set(x.key, n);
    if (n > 1) x.key += ` (#${n})`;
  }
  return out;
}

function compareHeaders(a: DiffHeader[], b: DiffHeader[]): Pick<IgvmDiff, 'added' | 'removed' | 'changed'> {
  const bm = new Map(b.map((x) => [x.key, x]));
  const am = new Map(a.map((x) => [x.key, x]));
  const removed = a.filter((x) => !bm.has(x.key));
  const added = b.filter((x) => !am.has(x.key));
  const changed: DiffChange[] = [];
  for (const x of a) {
    const y = bm.get(x.key);
    if (!y) continue;
    const keys = [...new Set([...Object.keys(x.fields), ...Object.keys(y.fields)])];
    const differ = keys.filter((k) => x.fields[k] !== y.fields[k]);
    if (differ.length) changed.push({ key: x.key, stage: x.stage, a: x.fields, b: y.fields, fields: differ });
  }
  return { added, removed, changed };
}

// ---- measured pages -----------------------------------------------------------------------

interface PlanPage {
  /** null: not a page (a VBS register) */
  gpa: number | null;
  type: string;
  label: string;
  /** the measured content (null: none is measured) */
  read: (() => Uint8Array) | null;
}

function* snpPages(plan: SnpPlan): Generator<PlanPage> {
  for (const op of plan.ops) {
    const c = op.content;
    const read = c === null ? null : c.kind === 'bytes' ? () => c.bytes : () => c.source.read(c.offset, PAGE_SIZE_4K);
    const n = op.pages ?? 1;
    for (let k = 0; k < n; k++) {
      yield { gpa: op.gpa + k * PAGE_SIZE_4K, type: SNP_PAGE_TYPE_NAMES[op.type], label: op.pageLabel ? op.pageLabel(k) : op.label, read };
    }
  }
}

function* tdxPages(plan: TdxMrtdPlan): Generator<PlanPage> {
  for (const op of plan.ops) {
    for (let k = 0; k < op.pages; k++) {
      const gpa = op.gpa + k * PAGE_SIZE_4K;
      if (op.kind === 'add') yield { gpa, type: 'PAGE.ADD', label: 'added, not extended', read: null };
      else {
        const { source, offset } = op;
        yield { gpa, type: op.kind === 'extend' ? 'MR.EXTEND' : 'PAGE.ADD+MR.EXTEND', label: 'measured', read: () => source.read(offset + k * PAGE_SIZE_4K, PAGE_SIZE_4K) };
      }
    }
  }
}

function firstDifference(a: Iterator<PlanPage>, b: Iterator<PlanPage>): DiffPlatform['firstDifference'] {
  const page = (p: PlanPage | undefined): DiffPage | null => (p ? { gpa: p.gpa === null ? '-' : h(p.gpa), type: p.type, label: p.label } : null);
  for (let index = 0; ; index++) {
    const x = a.next();
    const y = b.next();
    if (x.done && y.done) return null;
    if (x.done || y.done) return { index, a: page(x.done ? undefined : x.value), b: page(y.done ? undefined : y.value), what: `${x.done ? 'A' : 'B'} measures no more pages` };
    const p = x.value;
    const q = y.value;
    let what: string | null = null;
    if (p.gpa !== q.gpa) what = 'GPA';
    else if (p.type !== q.type) what = 'page type';
    else if ((p.read === null) !== (q.read === null)) what = 'content';
    else if (p.read && q.read) {
      // read one page, copy it (a windowed source may reuse its buffer), then the other
      const pa = p.read().slice();
      if (!equalBytes(pa, q.read())) what = 'content';
    }
    if (what) return { index, a: page(p), b: page(q), what };
  }
}

/** VBS: GPA-page chunks (the first page of a chunk carries the data) and VP register chunks, in the plan's order */
function* vbsPages(plan: VbsPlan): Generator<PlanPage> {
  for (const op of plan.ops) {
    if (op.kind === 'register') {
      const value = op.value;
      yield { gpa: null, type: `register 0x${op.name.toString(16)} vtl ${op.vtl}`, label: 'VP register', read: () => value };
      continue;
    }
    for (let k = 0; k < op.pages; k++) {
      const d = k === 0 ? op.data : null;
      yield { gpa: (op.pageNumber + k) * PAGE_SIZE_4K, type: `GPA page, metadata 0x${op.metadata.toString(16)}`, label: d ? 'data' : 'no data', read: d ? () => readData(d) : null };
    }
  }
}

const PLATFORMS: Array<[IgvmPlatformType, IgvmMeasurePlatform]> = [
  [IgvmPlatformType.SEV_SNP, 'sev-snp'], [IgvmPlatformType.TDX, 'tdx'], [IgvmPlatformType.VSM_ISOLATION, 'vbs'], [IgvmPlatformType.SEV_ES, 'sev-es'], [IgvmPlatformType.SEV, 'sev'],
];

function measureOne(p: ParsedIgvm, type: IgvmPlatformType, platform: IgvmMeasurePlatform, backend: HashBackend): { side: NonNullable<DiffPlatform['a']>; pages: Iterator<PlanPage> | null } | null {
  const plat = supportedPlatforms(p.file).find((x) => x.platformType === type);
  if (!plat) return null;
  try {
    const m = measureIgvm(p, { platform, hashBackend: backend });
    let pages: Iterator<PlanPage> | null = null;
    if (m.plan?.kind === 'snp') pages = snpPages(m.plan);
    else if (platform === 'tdx') pages = tdxPages(planIgvmTdx(p.file, { layout: p.layout }).plan);
    else if (platform === 'vbs') pages = vbsPages(planIgvmVbs(p.file, { layout: p.layout }).plan);
    return { side: { compatibilityMask: h(m.compatibilityMask), digest: toHex(m.digest), error: null }, pages };
  } catch (e) {
    if (!(e instanceof PrelaunchError)) throw e;
    return { side: { compatibilityMask: h(plat.compatibilityMask), digest: null, error: e.message }, pages: null };
  }
}

export function diffIgvm(a: ParsedIgvm, b: ParsedIgvm, options: { hashBackend?: HashBackend } = {}): IgvmDiff {
  const backend = options.hashBackend ?? defaultBackend;
  const headers = compareHeaders(describeHeaders(a, backend), describeHeaders(b, backend));
  const platforms: DiffPlatform[] = [];
  for (const [type, platform] of PLATFORMS) {
    const x = measureOne(a, type, platform, backend);
    const y = measureOne(b, type, platform, backend);
    if (!x && !y) continue;
    const equal = !!x && !!y && x.side.digest !== null && x.side.digest === y.side.digest;
    const first = x?.pages && y?.pages && !equal ? firstDifference(x.pages, y.pages) : null;
    platforms.push({ platform, a: x?.side ?? null, b: y?.side ?? null, equal, firstDifference: first });
  }
  // two files that cannot be measured for the same reason do not differ there
  const same = (p: DiffPlatform): boolean => p.equal || (p.a?.error != null && p.a.error === p.b?.error);
  const identical = headers.added.length === 0 && headers.removed.length === 0 && headers.changed.length === 0 && platforms.every(same);
  return { a: { size: a.info.size, formatVersion: a.info.formatVersion }, b: { size: b.info.size, formatVersion: b.info.formatVersion }, identical, ...headers, platforms };
}
