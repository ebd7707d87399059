/**
 * The one wrapper around binary-parser. Layouts are declared as field tables (./layout.ts);
 * this module turns a table into a binary-parser Parser and runs it. binary-parser's types
 * stay inside this module: nothing it exports names them.
 */
import { Parser } from 'binary-parser';
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
