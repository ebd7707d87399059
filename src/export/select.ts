/** `--select key=value,…`: the golden entries an export covers. */
import { OptionError } from '../errors.js';
import type { GoldenEntry } from '../golden/engine.js';

const KEYS = ['artifact', 'mode', 'vmmType', 'vmsaProfile', 'vcpuType', 'vcpuSig', 'vcpus', 'guestFeatures', 'policy', 'hostData', 'pageOrder', 'shape', 'tdAttributes', 'xfam', 'mrConfigId'] as const;
type Key = (typeof KEYS)[number];
/** tdx entries' own values (entry.tdx) */
const TDX_KEYS: ReadonlySet<Key> = new Set(['pageOrder', 'shape', 'tdAttributes', 'xfam', 'mrConfigId']);

function valueOf(e: GoldenEntry, key: Key): unknown {
  if (key === 'shape' && e.tpm) return e.tpm.shape; // a tpm entry's launch shape
  if (TDX_KEYS.has(key)) return (e.tdx as Record<string, unknown> | undefined)?.[key] ?? null;
  return e[key as Exclude<Key, 'pageOrder' | 'shape' | 'tdAttributes' | 'xfam' | 'mrConfigId'>];
}

export function selectEntries(entries: GoldenEntry[], selector: string | undefined): GoldenEntry[] {
  if (!selector) return entries;
  const conds = selector.split(',').map((part) => {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    if (eq < 1 || !(KEYS as readonly string[]).includes(key)) throw new OptionError('--select', `${JSON.stringify(part)}: use key=value with key one of ${KEYS.join(', ')}`);
    return { key: key as Key, value: part.slice(eq + 1).trim() };
  });
  const norm = (v: unknown): string => (v === null || v === undefined ? 'null' : String(v).toLowerCase());
  const eqv = (a: unknown, b: string): boolean => {
    if (norm(a) === b.toLowerCase()) return true;
    try { return typeof a === 'string' && /^0x/i.test(a) && BigInt(a) === BigInt(b); } catch { return false; }
  };
  const out = entries.filter((e) => conds.every((c) => eqv(valueOf(e, c.key), c.value)));
  if (out.length === 0) throw new OptionError('--select', `no entry matches ${selector}`);
  return out;
}

/** Distinct values in first-seen order. */
export function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
