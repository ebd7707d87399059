/**
 * The `--trace` text format: one line per measured operation, so two traces can be
 * compared line by line (`prelaunch trace diff`, or plain `diff`).
 *
 *   # prelaunch trace v1 <key=value …>
 *   <index> gpa=0x<gpa> <TYPE> contents=<sha384 hex> digest=<launch digest hex> <label>   (SNP)
 *   <index> offset=<n> length=<n> sha256=<hex of this piece> <label>                       (SEV, SEV-ES)
 */
import { toHex } from '../bytes/hex.js';
import { SNP_PAGE_TYPE_NAMES } from '../plan/ops.js';
import type { SnpTraceEvent } from '../measure/snp-engine.js';
import type { SevTraceEvent } from '../measure/sev-engine.js';

export const TRACE_HEADER = '# prelaunch trace v1';

export function traceHeader(fields: Record<string, string | number>): string {
  return `${TRACE_HEADER} ${Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ')}`;
}

export function snpTraceLine(e: SnpTraceEvent): string {
  const gpa = e.op.gpa.toString(16).padStart(12, '0');
  return `${e.index} gpa=0x${gpa} ${SNP_PAGE_TYPE_NAMES[e.op.type].padEnd(10)} contents=${toHex(e.contents)} digest=${toHex(e.digest)} ${e.op.label}`;
}

export function sevTraceLine(e: SevTraceEvent): string {
  return `${e.index} offset=${e.offset} length=${e.length} sha256=${e.sha256 ? toHex(e.sha256) : '-'} ${e.label}`;
}

export interface TraceDivergence {
  /** 0-based operation index of the first difference, or null when equal */
  index: number | null;
  a: string | null;
  b: string | null;
  /** fields that differ in that line (gpa, type, contents, digest, label, …) */
  fields: string[];
}

function fieldsOf(line: string): Record<string, string> {
  const parts = line.split(/\s+/);
  const out: Record<string, string> = {};
  const rest: string[] = [];
  parts.slice(1).forEach((p) => {
    const eq = p.indexOf('=');
    if (eq > 0) out[p.slice(0, eq)] = p.slice(eq + 1);
    else if (!out.type && /^[A-Z]+$/.test(p)) out.type = p;
    else rest.push(p);
  });
  out.label = rest.join(' ');
  return out;
}

/** Compare two traces and name the first operation that differs. */
export function diffTraces(a: string, b: string): TraceDivergence {
  const ops = (t: string): string[] => t.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const la = ops(a);
  const lb = ops(b);
  const n = Math.max(la.length, lb.length);
  for (let i = 0; i < n; i++) {
    const x = la[i] ?? null;
    const y = lb[i] ?? null;
    if (x === y) continue;
    if (x === null || y === null) return { index: i, a: x, b: y, fields: ['length'] };
    const fx = fieldsOf(x);
    const fy = fieldsOf(y);
    const keys = [...new Set([...Object.keys(fx), ...Object.keys(fy)])];
    return { index: i, a: x, b: y, fields: keys.filter((k) => fx[k] !== fy[k]) };
  }
  return { index: null, a: null, b: null, fields: [] };
}
