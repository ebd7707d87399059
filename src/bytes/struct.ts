/**
 * The one wrapper around binary-parser. binary-parser decodes but reports failures as plain
 * `Error`s (or whatever DataView throws) without naming the structure; this wrapper checks
 * the length first, turns 64-bit fields into safe numbers and reports every failure as a
 * {@link ParseError} naming the structure and the byte offset in the input.
 */
import { Parser } from 'binary-parser';
import { ParseError } from '../errors.js';

export { Parser };

export interface StructSpec<T> {
  /** the structure's name as the spec spells it, used in error messages */
  readonly name: string;
  /** its fixed size in bytes */
  readonly size: number;
  readonly parser: Parser;
  /** post-decode field checks; return a problem description or null */
  readonly check?: (value: T) => string | null;
  /** phantom */
  readonly _t?: T;
}

/**
 * The 64-bit fields of each structure (binary-parser returns them as bigint), found on the
 * first decode. Converting just those — instead of walking every field of every decoded
 * object — cut the wrapper's cost from ~2 µs to a few hundred ns per structure, which matters
 * for IGVM files with thousands of page headers (docs/performance.md).
 */
const U64_FIELDS = new WeakMap<StructSpec<unknown>, readonly string[]>();

export function defineStruct<T>(name: string, parser: Parser, check?: (value: T) => string | null): StructSpec<T> {
  const size = parser.sizeOf();
  if (!Number.isInteger(size)) throw new TypeError(`${name}: struct size must be static`);
  return { name, size, parser, ...(check ? { check } : {}) };
}

/**
 * Decode `spec` at `offset` of `bytes`. `base` is added to offsets in error messages when
 * `bytes` is a window into a larger input (so errors name the offset in the file).
 */
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function decodeStruct<T>(spec: StructSpec<T>, bytes: Uint8Array, offset: number, ctx: { base?: number; source?: string } = {}): T {
  const at = (ctx.base ?? 0) + offset;
  if (offset < 0 || offset + spec.size > bytes.length) {
    throw new ParseError('ERR_TRUNCATED', spec.name, at, `needs ${spec.size} bytes, only ${Math.max(0, bytes.length - offset)} available`, ctx.source);
  }
  let value: Record<string, unknown>;
  try {
    value = spec.parser.parse(bytes.subarray(offset, offset + spec.size)) as Record<string, unknown>;
  } catch (e) {
    throw new ParseError('ERR_MALFORMED', spec.name, at, (e as Error).message, ctx.source);
  }
  let u64 = U64_FIELDS.get(spec as StructSpec<unknown>);
  if (!u64) {
    u64 = Object.keys(value).filter((k) => typeof value[k] === 'bigint');
    U64_FIELDS.set(spec as StructSpec<unknown>, u64);
  }
  for (let i = 0; i < u64.length; i++) {
    const k = u64[i]!;
    const v = value[k] as bigint;
    if (v > MAX_SAFE) throw new ParseError('ERR_MALFORMED', spec.name, at, `field ${k} = 0x${v.toString(16)} is out of range`, ctx.source);
    value[k] = Number(v);
  }
  const t = value as T;
  const problem = spec.check?.(t);
  if (problem) throw new ParseError('ERR_MALFORMED', spec.name, at, problem, ctx.source);
  return t;
}
