/** TDX reports: plain-data JSON documents and text renderings for `prelaunch tdx`, `tdx replay`, `tdx diff`. */
import { toHex } from '../bytes/hex.js';
import { eventTypeName } from '../formats/tdx/tcg-events.js';
import type { TdxPageOrder } from '../plan/tdx.js';
import type { EventBasis, Replay, RtmrDiff, RtmrDivergence, RtmrValues } from '../measure/rtmr.js';

export interface TdxPolicyFields {
  /** TD_ATTRIBUTES (u64) */
  tdAttributes?: bigint | null;
  xfam?: bigint | null;
  mrconfigid?: Uint8Array | null;
  mrowner?: Uint8Array | null;
  mrownerconfig?: Uint8Array | null;
}

export interface TdxReportInput {
  tool: string;
  firmware: { path: string; size: number; sha256: string };
  orders: readonly TdxPageOrder[];
  /** how the order was chosen */
  orderSource: string;
  mrtd: Partial<Record<TdxPageOrder, Uint8Array>>;
  policy: TdxPolicyFields;
  memory: number | null;
  rtmr: RtmrValues | null;
  warnings: string[];
}

const TD_ATTRIBUTE_BITS: Array<[number, string]> = [[0, 'DEBUG'], [28, 'SEPT_VE_DISABLE'], [30, 'PKS'], [31, 'KL'], [63, 'PERFMON']];

/** The 8 bytes of a u64 field as they appear in a TD quote (little-endian hex). */
function u64QuoteHex(v: bigint): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += Number((v >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0');
  return s;
}

export function tdAttributeNames(v: bigint): string[] {
  const names = TD_ATTRIBUTE_BITS.filter(([bit]) => (v >> BigInt(bit)) & 1n).map(([, n]) => n);
  const known = TD_ATTRIBUTE_BITS.reduce((m, [bit]) => m | (1n << BigInt(bit)), 0n);
  if (v & ~known) names.push(`other bits 0x${(v & ~known).toString(16)}`);
  return names;
}

const ORDER_TEXT: Record<TdxPageOrder, string> = {
  single: 'single-pass: per page PAGE.ADD then 16 MR.EXTEND (upstream KVM, QEMU >= 9)',
  two: 'two-pass: per section all PAGE.ADD, then all MR.EXTEND (QEMU 8.2 TDX stacks)',
};

const BASIS_TEXT: Record<EventBasis, string> = {
  fixed: 'fixed by firmware',
  computed: 'computed from inputs',
  'vmm-supplied': 'VMM-defined, from supplied file',
  'vmm-unknown': 'VMM-defined, NOT SUPPLIED',
};

export function tdxReportJson(r: TdxReportInput): Record<string, unknown> {
  const single = r.orders.length === 1 ? r.orders[0]! : null;
  const mrtdHex = Object.fromEntries(r.orders.map((o) => [o, toHex(r.mrtd[o]!)]));
  const p = r.policy;
  return {
    mrtd: single ? mrtdHex[single] : mrtdHex,
    pageOrder: single ?? 'both',
    pageOrderSource: r.orderSource,
    tool: r.tool,
    firmware: r.firmware,
    policy: {
      tdAttributes: p.tdAttributes != null ? { value: `0x${p.tdAttributes.toString(16)}`, quoteHex: u64QuoteHex(p.tdAttributes), flags: tdAttributeNames(p.tdAttributes) } : null,
      xfam: p.xfam != null ? { value: `0x${p.xfam.toString(16)}`, quoteHex: u64QuoteHex(p.xfam) } : null,
      mrconfigid: p.mrconfigid ? toHex(p.mrconfigid) : null,
      mrowner: p.mrowner ? toHex(p.mrowner) : null,
      mrownerconfig: p.mrownerconfig ? toHex(p.mrownerconfig) : null,
    },
    ...(r.rtmr
      ? {
          memory: r.memory,
          ...(r.rtmr.firmware ? { edk2: r.rtmr.firmware } : {}),
          rtmrs: r.rtmr.rtmrs.map((v, i) => ({
            index: i,
            value: v ? toHex(v) : null,
            events: r.rtmr!.events.filter((e) => e.rtmr === i).map((e) => ({
              rtmr: e.rtmr,
              mrIndex: e.rtmr + 1,
              type: eventTypeName(e.eventType),
              digest: e.digest ? toHex(e.digest) : null,
              basis: e.basis,
              description: e.description,
            })),
          })),
        }
      : {}),
    warnings: r.warnings,
  };
}

/** The text report. `warnings` are not part of it: the CLI prints them on stderr (`warning: …`). */
export function renderTdxReport(r: TdxReportInput): string {
  const out: string[] = [];
  for (const o of r.orders) out.push(`MRTD ${toHex(r.mrtd[o]!)}  (${ORDER_TEXT[o]})`);
  out.push(`  page order: ${r.orderSource}`);
  out.push(`  firmware: ${r.firmware.path} (${r.firmware.size} bytes, sha256 ${r.firmware.sha256})`);
  const p = r.policy;
  if (p.tdAttributes != null) out.push(`TD_ATTRIBUTES 0x${p.tdAttributes.toString(16)} (quote bytes ${u64QuoteHex(p.tdAttributes)}; ${tdAttributeNames(p.tdAttributes).join(', ') || 'no flags'})`);
  if (p.xfam != null) out.push(`XFAM          0x${p.xfam.toString(16)} (quote bytes ${u64QuoteHex(p.xfam)})`);
  if (p.mrconfigid) out.push(`MRCONFIGID    ${toHex(p.mrconfigid)}`);
  if (p.mrowner) out.push(`MROWNER       ${toHex(p.mrowner)}`);
  if (p.mrownerconfig) out.push(`MROWNERCONFIG ${toHex(p.mrownerconfig)}`);
  if (r.rtmr) {
    out.push('');
    const id = r.rtmr.firmware;
    if (id) out.push(`edk2 ${id.generation} (${id.generationSource}): RTMR events of that generation`);
    r.rtmr.rtmrs.forEach((v, i) => {
      out.push(`RTMR${i} ${v ? toHex(v) : '(unknown: some VMM-defined events were not supplied)'}`);
      for (const e of r.rtmr!.events.filter((x) => x.rtmr === i)) {
        out.push(`  ${(e.digest ? toHex(e.digest) : '?'.repeat(96))}  ${eventTypeName(e.eventType)}: ${e.description} [${BASIS_TEXT[e.basis]}]`);
      }
    });
  }
  return out.join('\n') + '\n';
}

export function replayJson(rep: Replay, file: string): Record<string, unknown> {
  return {
    file,
    specId: rep.log.specId,
    events: rep.events.map((e) => ({ index: e.index, offset: e.offset, mrIndex: e.mrIndex, rtmr: e.rtmr, type: e.typeName, digest: toHex(e.digest), description: e.description })),
    rtmrs: rep.rtmrs.map(toHex),
  };
}

export function renderReplay(rep: Replay, file: string): string {
  const out: string[] = [`${file}: ${rep.events.length} events (TCG crypto-agile log, spec ${rep.log.specId.version})`];
  for (const e of rep.events) out.push(`${String(e.index).padStart(3)} ${e.rtmr === null ? '  -  ' : `RTMR${e.rtmr}`} ${toHex(e.digest)} ${e.typeName}: ${e.description}`);
  out.push('');
  rep.rtmrs.forEach((v, i) => out.push(`RTMR${i} ${toHex(v)}`));
  return out.join('\n') + '\n';
}

function divergenceLines(d: RtmrDivergence): string[] {
  const side = (label: string, e: RtmrDivergence['predicted']): string =>
    e ? `  ${label} ${e.digest ?? '(unknown)'} ${e.type}: ${e.description}${e.logIndex !== undefined ? ` (log event #${e.logIndex})` : ''}` : `  ${label} (no event)`;
  return [`RTMR${d.rtmr} event ${d.position + 1} differs:`, side('predicted', d.predicted), side('log      ', d.actual)];
}

export function renderRtmrDiff(d: RtmrDiff): string {
  const out: string[] = [];
  if (!d.first) out.push('all predicted events match the log');
  else {
    out.push(`first divergent event: RTMR${d.first.rtmr}, event ${d.first.position + 1} of that register${d.first.actual?.logIndex !== undefined ? ` (log event #${d.first.actual.logIndex})` : ''}`);
    for (const r of d.registers) if (r) for (const line of divergenceLines(r)) out.push(line);
  }
  for (const u of d.unchecked) out.push(`not compared (not predicted): RTMR${u.rtmr} event ${u.position + 1} ${u.predicted?.description ?? ''}; log has ${u.actual?.digest}`);
  d.actualRtmrs.forEach((v, i) => out.push(`log RTMR${i} ${v}`));
  return out.join('\n') + '\n';
}
