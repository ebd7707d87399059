/** Output of `igvm diff`: text (one line per difference) or JSON (the IgvmDiff as data). */
import type { DiffHeader, IgvmDiff } from '../igvm-diff/diff.js';

export interface IgvmDiffReportContext {
  tool: string;
  a: string;
  b: string;
}

const kv = (f: DiffHeader['fields'], only?: string[]): string =>
  Object.entries(f).filter(([k]) => !only || only.includes(k)).map(([k, v]) => `${k}=${String(v)}`).join(' ');

export function renderIgvmDiff(d: IgvmDiff, ctx: IgvmDiffReportContext, json: boolean): string {
  if (json) return JSON.stringify({ tool: ctx.tool, files: { a: ctx.a, b: ctx.b }, ...d }, null, 2) + '\n';
  const out: string[] = [];
  out.push(`A: ${ctx.a} (${d.a.size} bytes, format version ${d.a.formatVersion})`);
  out.push(`B: ${ctx.b} (${d.b.size} bytes, format version ${d.b.formatVersion})`);
  if (d.identical) out.push('', 'no differences: same headers, same digests');
  if (d.removed.length || d.added.length || d.changed.length) {
    out.push('', 'headers:');
    for (const x of d.removed) out.push(`  - ${x.key}  ${kv(x.fields)}`);
    for (const x of d.added) out.push(`  + ${x.key}  ${kv(x.fields)}`);
    for (const x of d.changed) out.push(`  ~ ${x.key}  A: ${kv(x.a, x.fields)}  B: ${kv(x.b, x.fields)}`);
  }
  if (d.platforms.length) out.push('', 'digests:');
  for (const p of d.platforms) {
    const side = (s: IgvmDiff['platforms'][number]['a']): string => (s === null ? 'no such platform' : s.digest ?? `cannot measure: ${s.error}`);
    out.push(`  ${p.platform.padEnd(8)} ${p.equal ? 'same' : 'DIFFERENT'}`);
    out.push(`    A ${side(p.a)}`);
    out.push(`    B ${side(p.b)}`);
    const f = p.firstDifference;
    if (f) {
      const pg = (x: typeof f.a): string => (x ? `${x.gpa} ${x.type} (${x.label})` : 'none');
      out.push(`    first measured page that differs: #${f.index} (${f.what}): A ${pg(f.a)}, B ${pg(f.b)}`);
    }
  }
  return out.join('\n') + '\n';
}
