/**
 * TDX golden values: which entry of a golden document the quote's TD registers match — MRTD,
 * RTMR0–3, XFAM, TD attributes, MRCONFIGID — or, when none does, the nearest entries and the
 * fields they differ in (as `golden --check` does for SEV-SNP, src/golden/check.ts).
 *
 * Two sources of entries, normalised to {@link TdxGoldenEntry}:
 * - a prelaunch golden document (src/golden/engine.ts): entries with `mode: "tdx"`, whose
 *   `measurement` is the MRTD and whose `tdx` object holds rtmr0..rtmr2, tdAttributes, xfam,
 *   mrConfigId and the RTMR1/RTMR2 event digests (null where the model does not predict them);
 * - a TDX prediction (`prelaunch tdx --firmware … --memory … --json`): its MRTD (one entry per
 *   page order), RTMR0–2 values, TD attributes, XFAM and MRCONFIGID, and the predicted event
 *   list of each RTMR — with `--ccel`, the first log event that differs is named from it
 *   (src/measure/rtmr.ts diffRtmrs, as `prelaunch tdx diff` does);
 * - a plain TDX reference document: `{ "tdx": [ { "name", "mrtd", "rtmr0".."rtmr3", "xfam",
 *   "tdAttributes", "mrConfigId" }, … ] }` (any field but mrtd may be absent or null) — for
 *   values from another source, e.g. a measured boot.
 * XFAM and TD attributes are given either as the 64-bit value (`0x61ee7`, as golden documents
 * carry them) or as the quote's 8 bytes in hex (`e71e060000000000`).
 * A field absent or null in an entry is not compared; RTMR3 is never predicted by prelaunch
 * (the guest extends it at run time).
 */
import { PrelaunchError } from '../../errors.js';

export interface TdxGoldenEntry {
  /** how the entry is named in messages (artifact, shape, page order; or the entry's name) */
  readonly label: string;
  readonly mrtd: string;
  readonly rtmr0?: string | null;
  readonly rtmr1?: string | null;
  readonly rtmr2?: string | null;
  readonly rtmr3?: string | null;
  readonly xfam?: string | null;
  readonly tdAttributes?: string | null;
  readonly mrConfigId?: string | null;
  /** RTMR1's kernel event digest, RTMR2's command line and initrd event digests (for --ccel) */
  readonly kernelDigest?: string | null;
  readonly cmdlineDigest?: string | null;
  readonly initrdDigest?: string | null;
  /** the launch inputs the entry was computed from (sha256 by input), for explaining a mismatch */
  readonly inputs?: Readonly<Record<string, string | null>>;
  /** a `prelaunch tdx --json` prediction's events (every RTMR), for naming the first differing log event */
  readonly events?: ReadonlyArray<{ readonly rtmr: number; readonly digest: string | null; readonly type: string; readonly description: string }>;
}

export interface TdxGoldenInput {
  readonly name: string;
  readonly entries: readonly TdxGoldenEntry[];
}

type Add = (id: string, ok: boolean | 'skipped', detail: string) => boolean;

const HEX = /^[0-9a-fA-F]*$/;
/**
 * An 8-byte attribute field (XFAM, TD attributes): `0x…` is the 64-bit value (as golden
 * manifests and documents write it: `"xfam": "0x61ee7"`), stored little-endian in the quote;
 * 16 hex digits without `0x` are the quote's bytes as they are (`e71e060000000000`).
 */
function u64OrNull(v: unknown, where: string): string | null | undefined {
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{1,16}$/.test(v)) {
    let n = BigInt(v);
    let out = '';
    for (let i = 0; i < 8; i++, n >>= 8n) out += Number(n & 0xffn).toString(16).padStart(2, '0');
    return out;
  }
  return hexOrNull(v, where, 8);
}

function hexOrNull(v: unknown, where: string, bytes: number): string | null | undefined {
  if (v === undefined || v === null) return v;
  if (typeof v !== 'string' || !HEX.test(v) || v.length !== bytes * 2) throw new PrelaunchError('ERR_MALFORMED', `${where}: not ${bytes} bytes of hex`);
  return v.toLowerCase();
}

/**
 * The TDX entries of a parsed golden JSON document (a prelaunch golden document or a plain TDX
 * reference document); a document without any is an error naming it.
 */
export function tdxGoldenEntries(doc: unknown, name: string): TdxGoldenInput {
  const o = doc as { entries?: unknown; tdx?: unknown };
  const out: TdxGoldenEntry[] = [];
  if (o && typeof o === 'object' && Array.isArray(o.tdx)) {
    o.tdx.forEach((e: unknown, i: number) => {
      const where = `${name}: tdx[${i}]`;
      if (!e || typeof e !== 'object') throw new PrelaunchError('ERR_MALFORMED', `${where}: not an object`);
      const r = e as Record<string, unknown>;
      const mrtd = hexOrNull(r.mrtd, `${where}.mrtd`, 48);
      if (!mrtd) throw new PrelaunchError('ERR_MALFORMED', `${where}.mrtd: missing`);
      out.push({
        label: typeof r.name === 'string' ? r.name : `tdx[${i}]`,
        mrtd,
        rtmr0: hexOrNull(r.rtmr0, `${where}.rtmr0`, 48),
        rtmr1: hexOrNull(r.rtmr1, `${where}.rtmr1`, 48),
        rtmr2: hexOrNull(r.rtmr2, `${where}.rtmr2`, 48),
        rtmr3: hexOrNull(r.rtmr3, `${where}.rtmr3`, 48),
        xfam: u64OrNull(r.xfam, `${where}.xfam`),
        tdAttributes: u64OrNull(r.tdAttributes, `${where}.tdAttributes`),
        mrConfigId: hexOrNull(r.mrConfigId, `${where}.mrConfigId`, 48),
      });
    });
  } else if (isTdxPrediction(o)) {
    const p = o as unknown as Prediction;
    const where = `${name} (a prelaunch tdx prediction)`;
    // a register with no predicted events was not predicted (`prelaunch tdx` without --kernel
    // writes RTMR1/RTMR2 as empty lists): not compared
    const regs = [0, 1, 2, 3].map((i) => p.rtmrs.find((r) => r.index === i && r.events.length > 0));
    const events = p.rtmrs.flatMap((r) => r.events);
    const mrtds: Array<[string, unknown]> = typeof p.mrtd === 'string' ? [['', p.mrtd]] : Object.entries(p.mrtd as Record<string, unknown>);
    for (const [order, mrtd] of mrtds) {
      out.push({
        label: `${name}${order ? ` (${order} page order)` : ''}`,
        mrtd: hexOrNull(mrtd, `${where}.mrtd`, 48)!,
        rtmr0: hexOrNull(regs[0]?.value ?? null, `${where}.rtmrs[0].value`, 48),
        rtmr1: hexOrNull(regs[1]?.value ?? null, `${where}.rtmrs[1].value`, 48),
        rtmr2: hexOrNull(regs[2]?.value ?? null, `${where}.rtmrs[2].value`, 48),
        xfam: hexOrNull(p.policy?.xfam?.quoteHex ?? null, `${where}.policy.xfam`, 8),
        tdAttributes: hexOrNull(p.policy?.tdAttributes?.quoteHex ?? null, `${where}.policy.tdAttributes`, 8),
        mrConfigId: hexOrNull(p.policy?.mrconfigid ?? null, `${where}.policy.mrconfigid`, 48),
        events,
      });
    }
  } else if (o && typeof o === 'object' && Array.isArray(o.entries)) {
    o.entries.forEach((e: unknown, i: number) => {
      const r = e as Record<string, unknown>;
      if (!r || r.mode !== 'tdx' || typeof r.measurement !== 'string') return;
      const t = (r.tdx ?? {}) as Record<string, unknown>;
      const where = `${name}: entries[${i}].tdx`;
      const label = [r.artifact, t.shape, t.pageOrder, r.stack].filter((x) => typeof x === 'string' && x).join(' / ') || `entries[${i}]`;
      out.push({
        label,
        mrtd: hexOrNull(r.measurement, `${name}: entries[${i}].measurement`, 48)!,
        rtmr0: hexOrNull(t.rtmr0, `${where}.rtmr0`, 48),
        rtmr1: hexOrNull(t.rtmr1, `${where}.rtmr1`, 48),
        rtmr2: hexOrNull(t.rtmr2, `${where}.rtmr2`, 48),
        xfam: u64OrNull(t.xfam, `${where}.xfam`),
        tdAttributes: u64OrNull(t.tdAttributes, `${where}.tdAttributes`),
        mrConfigId: hexOrNull(t.mrConfigId, `${where}.mrConfigId`, 48),
        kernelDigest: hexOrNull(t.kernelDigest, `${where}.kernelDigest`, 48),
        cmdlineDigest: hexOrNull(t.cmdlineDigest, `${where}.cmdlineDigest`, 48),
        initrdDigest: hexOrNull(t.initrdDigest, `${where}.initrdDigest`, 48),
        ...(r.inputs && typeof r.inputs === 'object' ? { inputs: r.inputs as Record<string, string | null> } : {}),
      });
    });
  }
  if (out.length === 0) throw new PrelaunchError('ERR_MALFORMED', `${name}: no TDX entries (a golden document with mode "tdx" entries, a \`prelaunch tdx --json\` prediction, or {"tdx": [{"mrtd": …}, …]})`);
  return { name, entries: out };
}

interface Prediction {
  mrtd: string | Record<string, string>;
  policy?: { tdAttributes?: { quoteHex?: string } | null; xfam?: { quoteHex?: string } | null; mrconfigid?: string | null };
  rtmrs: Array<{ index: number; value?: string | null; events: Array<{ rtmr: number; digest: string | null; type: string; description: string }> }>;
}

/** Whether a parsed JSON document is a `prelaunch tdx --json` prediction (an MRTD and RTMR event lists). */
export function isTdxPrediction(o: unknown): boolean {
  const p = o as Partial<Prediction> | null;
  return !!p && typeof p === 'object' && (typeof p.mrtd === 'string' || (typeof p.mrtd === 'object' && p.mrtd !== null)) &&
    Array.isArray(p.rtmrs) && p.rtmrs.every((r) => r && typeof r === 'object' && Number.isInteger(r.index) && Array.isArray(r.events) &&
      r.events.every((e) => e && typeof e === 'object' && Number.isInteger(e.rtmr) && e.rtmr >= 0 && e.rtmr <= 3 && typeof e.type === 'string' && typeof e.description === 'string' && (e.digest === null || (typeof e.digest === 'string' && /^[0-9a-fA-F]{96}$/.test(e.digest)))));
}

export interface TdxRegisters {
  readonly mrtd: string;
  readonly rtmrs: readonly [string, string, string, string];
  readonly xfam: string;
  readonly tdAttributes: string;
  readonly mrConfigId: string;
}

interface Comparison {
  readonly field: string;
  readonly quote: string;
  readonly entry: string;
  readonly equal: boolean;
}

function compare(v: TdxRegisters, e: TdxGoldenEntry): Comparison[] {
  const out: Comparison[] = [];
  const add = (field: string, quote: string, entry: string | null | undefined): void => {
    if (entry === null || entry === undefined) return;
    out.push({ field, quote, entry, equal: quote.toLowerCase() === entry.toLowerCase() });
  };
  add('mrtd', v.mrtd, e.mrtd);
  add('rtmr0', v.rtmrs[0], e.rtmr0);
  add('rtmr1', v.rtmrs[1], e.rtmr1);
  add('rtmr2', v.rtmrs[2], e.rtmr2);
  add('rtmr3', v.rtmrs[3], e.rtmr3);
  add('xfam', v.xfam, e.xfam);
  add('tdAttributes', v.tdAttributes, e.tdAttributes);
  add('mrConfigId', v.mrConfigId, e.mrConfigId);
  return out;
}

/** The entry the registers match best (an exact MRTD match first), and its comparisons. */
export function bestTdxGoldenEntry(input: TdxGoldenInput, v: TdxRegisters): { entry: TdxGoldenEntry; comparisons: Comparison[]; matched: boolean; nearest: TdxGoldenEntry[] } {
  const scored = input.entries.map((entry, index) => {
    const comparisons = compare(v, entry);
    return { entry, index, comparisons, score: comparisons.filter((c) => c.equal).length, all: comparisons.every((c) => c.equal) };
  });
  scored.sort((a, b) => Number(b.all) - Number(a.all) || Number(b.comparisons[0]!.equal) - Number(a.comparisons[0]!.equal) || b.score - a.score || a.index - b.index);
  const best = scored[0]!;
  return { entry: best.entry, comparisons: best.comparisons, matched: best.all, nearest: scored.slice(0, 3).map((s) => s.entry) };
}

const short = (h: string): string => (h.length > 16 ? `${h.slice(0, 12)}…` : h);

/** Golden-value checks (`golden:<field>` for the best entry); returns what the result reports. */
export function matchTdxGolden(input: TdxGoldenInput, v: TdxRegisters, add: Add): { matched: boolean; entry?: string } {
  const best = bestTdxGoldenEntry(input, v);
  if (!best.matched && !best.comparisons[0]!.equal) {
    const near = best.nearest.map((e) => {
      const diff = compare(v, e).filter((c) => !c.equal).map((c) => `${c.field}${INPUT[c.field] ? ` (${INPUT[c.field]})` : ''}`);
      return `${e.label}: ${diff.join(', ')} ${diff.length === 1 ? 'differs' : 'differ'}`;
    });
    add('golden:mrtd', false, `MRTD ${short(v.mrtd)} matches no entry of ${input.name}; nearest: ${near.join('; ')}`);
    return { matched: false };
  }
  for (const c of best.comparisons) {
    add(`golden:${c.field}`, c.equal, c.equal ? `${c.field} ${short(c.quote)} = ${best.entry.label}` : `${c.field} ${short(c.quote)} is not ${short(c.entry)} of ${best.entry.label}${WHAT[c.field] ? ` (${WHAT[c.field]})` : ''}`);
  }
  return { matched: best.matched, entry: best.entry.label };
}

/** the launch inputs a differing field points at (for the nearest entries) */
const INPUT: Readonly<Record<string, string>> = {
  mrtd: 'firmware or page order',
  rtmr0: 'memory size or ACPI tables',
  rtmr1: 'kernel',
  rtmr2: 'command line or initrd',
  rtmr3: 'run time',
  xfam: 'VMM CPU features',
  tdAttributes: 'VMM TD attributes',
  mrConfigId: 'VMM config ID',
};

/** which launch inputs a register covers (for a mismatch line) */
const WHAT: Readonly<Record<string, string>> = {
  rtmr0: 'RTMR0 covers the TD HOB (memory size), the configuration volume and the ACPI tables',
  rtmr1: 'RTMR1 covers the kernel image and boot services applications',
  rtmr2: 'RTMR2 covers the kernel command line and the initrd',
  rtmr3: 'RTMR3 is extended by the guest at run time',
  xfam: 'XFAM is the CPU extended-feature set the VMM gave the TD',
  tdAttributes: 'TD attributes: debug, SEPT_VE_DISABLE, PKS, KL, PERFMON',
  mrConfigId: 'MRCONFIGID is set by the VMM at launch (e.g. a config hash)',
};
