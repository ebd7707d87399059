/**
 * go-tdx-guest `check -config FILE.textproto`: a checkconfig.Config in protobuf text format
 * (google/go-tdx-guest proto/checkconfig.proto: Config.policy → Policy.td_quote_body_policy →
 * TDQuoteBodyPolicy; tools/check/check.go parseConfig reads prototext only when the file name
 * ends in `.textproto`, binary otherwise).
 *
 * - `any_mr_td` (repeated, each 48 bytes): every MRTD of the selection (validate.go
 *   byteCheckAny accepts a quote whose MR_TD equals any of them), so both page orders fit.
 * - `rtmrs` (repeated): exactly four entries or none (validate.go checkOptionsLengths); an empty
 *   entry is not checked (byteCheck skips a zero-length value). RTMR3 is always empty (runtime),
 *   RTMR0 empty when the document does not predict it. One set per configuration: the
 *   selection must agree on RTMR0-2 (narrow it with --select).
 * - `xfam`, `td_attributes` (8 bytes, little-endian as in the quote), `mr_config_id` (48
 *   bytes): written when the selection carries exactly one value.
 */
import { OptionError } from '../errors.js';
import type { GoldenEntry } from '../golden/engine.js';
import { unique } from './select.js';
import { bytesLiteral, le64Hex } from './textproto.js';

export function goTdxGuestConfig(entries: GoldenEntry[]): string {
  const tdx = entries.filter((e) => e.mode === 'tdx');
  if (tdx.length === 0) throw new OptionError('--select', 'the selection has no tdx entries (a go-tdx-guest configuration checks a TD quote)');
  const sets = unique(tdx.map((e) => JSON.stringify([e.tdx?.rtmr0 ?? null, e.tdx?.rtmr1 ?? null, e.tdx?.rtmr2 ?? null])));
  if (sets.length !== 1) {
    throw new OptionError('--select', `a go-tdx-guest check configuration holds one set of RTMRs; the selection has ${sets.length} (narrow it, e.g. --select artifact=NAME,shape=NAME)`);
  }
  const [rtmr0, rtmr1, rtmr2] = JSON.parse(sets[0]!) as Array<string | null>;
  const one = (values: Array<string | null | undefined>, field: string): string | null => {
    const v = unique(values.map((x) => x ?? null));
    if (v.length > 1) throw new OptionError('--select', `the selection carries ${v.length} ${field} values; a go-tdx-guest configuration holds one (narrow it with --select)`);
    return v[0] ?? null;
  };
  const xfam = one(tdx.map((e) => e.tdx?.xfam), 'xfam');
  const tdAttributes = one(tdx.map((e) => e.tdx?.tdAttributes), 'tdAttributes');
  const mrConfigId = one(tdx.map((e) => e.tdx?.mrConfigId), 'mrConfigId');
  const shapes = unique(tdx.map((e) => e.tdx?.shape ?? e.igvm?.platform ?? '-'));
  const lines = [
    `# ${unique(tdx.map((e) => e.artifact)).join(', ')}: shape ${shapes.join(', ')}, page order ${unique(tdx.map((e) => e.tdx?.pageOrder ?? 'igvm')).join(', ')}; save as FILE.textproto (check reads text format only under that name)`,
    'policy {',
    '  td_quote_body_policy {',
  ];
  if (tdAttributes) lines.push(`    td_attributes: ${bytesLiteral(le64Hex(BigInt(tdAttributes)))}`);
  if (xfam) lines.push(`    xfam: ${bytesLiteral(le64Hex(BigInt(xfam)))}`);
  if (mrConfigId) lines.push(`    mr_config_id: ${bytesLiteral(mrConfigId)}`);
  if (rtmr0 || rtmr1 || rtmr2) for (const r of [rtmr0, rtmr1, rtmr2, null]) lines.push(`    rtmrs: ${r ? bytesLiteral(r) : '""'}`);
  for (const m of unique(tdx.map((e) => e.measurement))) if (m) lines.push(`    any_mr_td: ${bytesLiteral(m)}`);
  lines.push('  }', '}');
  return lines.join('\n') + '\n';
}
