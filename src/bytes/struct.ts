/**
 * The one wrapper around binary-parser. binary-parser decodes but reports failures as plain
 * `Error`s (or whatever DataView throws) without naming the structure; this wrapper checks
 * the length first, turns 64-bit fields into safe numbers and reports every failure as a
 * {@link ParseError} naming the structure and the byte offset in the input.
 */
import { Parser } from 'binary-parser';
import { ParseError } from '../errors.js';
import { plainBytes } from './source.js';

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

const STRUCTS: Array<StructSpec<unknown>> = [];

export function defineStruct<T>(name: string, parser: Parser, check?: (value: T) => string | null): StructSpec<T> {
  const size = parser.sizeOf();
  if (!Number.isInteger(size)) throw new TypeError(`${name}: struct size must be static`);
  const spec: StructSpec<T> = { name, size, parser, ...(check ? { check } : {}) };
  STRUCTS.push(spec as StructSpec<unknown>);
  return spec;
}

/** Every structure defined so far (by the modules loaded so far). */
export function definedStructs(): ReadonlyArray<StructSpec<unknown>> {
  return STRUCTS;
}

// ---- decoders compiled at build time
//
// binary-parser turns a Parser into JavaScript source and compiles it with `new Function` on
// its first parse: in a CLI process that is ~1.5 ms of every start-up for the structures one
// command uses, and V8's code cache cannot keep such code. `npm run build` therefore writes
// binary-parser's code for every structure into build/struct-decoders.js
// (scripts/gen-struct-decoders.mjs), which the CLI bundle includes: it hands the functions to
// installCompiledStructs, keyed by the parser's fingerprint. decodeStruct uses one only when
// the fingerprint of the parser it is decoding matches (a parser changed since the build is
// compiled as usual). Library users and the tests compile as usual too.

type CompiledDecoder = (buffer: Uint8Array, constructorFn: unknown) => unknown;
let compiledStructs: Readonly<Record<string, CompiledDecoder>> | null = null;

/** The build's precompiled decoders (see above); called by build/struct-decoders.js. */
export function installCompiledStructs(decoders: Readonly<Record<string, CompiledDecoder>>): void {
  compiledStructs = decoders;
}

interface ParserNode { type: string; varName: string; endian: string; options: unknown; next?: ParserNode; compiled?: CompiledDecoder }

/** What a parser's generated code depends on: every field's type, name, byte order and options, in order. */
export function structFingerprint(parser: Parser): string {
  const parts: string[] = [];
  for (let p: ParserNode | undefined = parser as unknown as ParserNode; p; p = p.next) parts.push(`${p.type}:${p.varName}:${p.endian}:${JSON.stringify(p.options)}`);
  return parts.join('|');
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
  if (compiledStructs !== null) {
    const node = spec.parser as unknown as ParserNode;
    if (node.compiled === undefined) {
      const fn = compiledStructs[structFingerprint(spec.parser)];
      if (fn !== undefined) node.compiled = fn;
    }
  }
  try {
    value = spec.parser.parse(plainBytes(bytes).subarray(offset, offset + spec.size)) as Record<string, unknown>;
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
