/**
 * The one wrapper around binary-parser. Layouts are declared as field tables (./layout.ts);
 * this module turns a table into a binary-parser Parser and runs it. binary-parser's types
 * stay inside this module: nothing it exports names them.
 *
 * `defineStruct`/`decodeStruct` (a hand-built Parser) remain only for the IGVM headers until
 * they are declared as layouts too.
 */
import { Parser } from 'binary-parser';
import { ParseError } from '../errors.js';
import type { ParserStep, ScalarKind } from './layout.js';
import { plainBytes } from './source.js';


/** A compiled layout decoder: the fields of the structure at `offset` (bounds already checked). */
export type Decoder = (bytes: Uint8Array, offset: number) => Record<string, unknown>;

const PRIMITIVE: Readonly<Record<ScalarKind, string>> = {
  u8: 'uint8', u16: 'uint16le', u32: 'uint32le', u64: 'uint64le', u64n: 'uint64le', u16be: 'uint16be', u32be: 'uint32be',
};

function build(steps: readonly ParserStep[]): Parser {
  let p = new Parser();
  for (const s of steps) {
    switch (s.op) {
      case 'scalar':
        p = (p as unknown as Record<string, (name: string) => Parser>)[PRIMITIVE[s.kind]]!.call(p, s.name);
        break;
      case 'bytes':
        p = p.buffer(s.name, { length: s.length, clone: true });
        break;
      case 'latin1':
        p = p.string(s.name, { length: s.length, encoding: 'latin1' });
        break;
      case 'skip':
        p = p.seek(s.length);
        break;
      case 'nested':
        p = p.nest(s.name, { type: build(s.steps) });
        break;
      case 'array':
        p = p.array(s.name, { type: typeof s.element === 'string' ? PRIMITIVE[s.element] : build(s.element), length: s.count });
        break;
    }
  }
  return p;
}

/**
 * Compiled parsers by shape (the parser program with the top-level field names left out):
 * binary-parser compiles each parser with `new Function` on first use (~0.3 ms), and many
 * small layouts share a shape (a footer entry's one u32, the 16-byte metadata descriptors).
 */
const SHAPES = new Map<string, { readonly parser: Parser; readonly size: number; readonly names: readonly string[] }>();

/** The binary-parser decoder of a layout's parser program (./layout.ts calls it once per layout). */
export function compileDecoder(name: string, steps: readonly ParserStep[]): Decoder {
  const names = steps.filter((s) => s.op !== 'skip').map((s) => s.name);
  const key = JSON.stringify(steps.map((s) => (s.op === 'skip' ? s : { ...s, name: '' })));
  let shape = SHAPES.get(key);
  if (!shape) {
    const parser = build(steps);
    const size = parser.sizeOf();
    if (!Number.isInteger(size)) throw new TypeError(`${name}: struct size must be static`);
    shape = { parser, size, names };
    SHAPES.set(key, shape);
  }
  const { parser, size } = shape;
  const from = shape.names;
  if (from.every((n, i) => n === names[i])) return (bytes, offset) => parser.parse(plainBytes(bytes).subarray(offset, offset + size)) as Record<string, unknown>;
  // the same shape under other field names
  return (bytes, offset) => {
    const v = parser.parse(plainBytes(bytes).subarray(offset, offset + size)) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) out[names[i]!] = v[from[i]!];
    return out;
  };
}

// ---- hand-built parsers (IGVM headers, until they are layouts) --------------------------

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

/** The 64-bit fields of each structure (binary-parser returns them as bigint), found on the first decode. */
const U64_FIELDS = new WeakMap<StructSpec<unknown>, readonly string[]>();

export function defineStruct<T>(name: string, parser: Parser, check?: (value: T) => string | null): StructSpec<T> {
  const size = parser.sizeOf();
  if (!Number.isInteger(size)) throw new TypeError(`${name}: struct size must be static`);
  return { name, size, parser, ...(check ? { check } : {}) };
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Decode `spec` at `offset` of `bytes`. `base` is added to offsets in error messages when
 * `bytes` is a window into a larger input (so errors name the offset in the file).
 */
export function decodeStruct<T>(spec: StructSpec<T>, bytes: Uint8Array, offset: number, ctx: { base?: number; source?: string } = {}): T {
  const at = (ctx.base ?? 0) + offset;
  if (offset < 0 || offset + spec.size > bytes.length) {
    throw new ParseError('ERR_TRUNCATED', spec.name, at, `needs ${spec.size} bytes, only ${Math.max(0, bytes.length - offset)} available`, ctx.source);
  }
  let value: Record<string, unknown>;
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
