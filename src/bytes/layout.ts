/**
 * Byte layouts, declared once. A layout is a field table — the structure's name as its spec
 * spells it and its fields in order — from which everything else is derived:
 *
 * - `decode`: binary-parser's decoder for the table (the one wrapper around it, ./struct.ts);
 *   every failure is a {@link ParseError} naming the structure and the byte offset in the input
 *   (ERR_TRUNCATED when the input is too short, ERR_MALFORMED for a failed check or a `u64`
 *   value above 2^53);
 * - `encode` / `encodePartial` / `encodeInto`: the writer (exactly `size` bytes; reserved bytes
 *   and gaps are zero; a value out of its field's range is a RangeError, never wrapped);
 * - `size` and `offsets` (per field);
 * - `field(name)`: a fixed-offset accessor that reads or writes one field in a DataView without
 *   decoding the structure (for hot loops).
 *
 * Declaring one:
 *
 *     export const SEV_METADATA_SECTION = defineLayout('SEV metadata section', {
 *       gpa: u32, size: u32, type: u32,
 *     });
 *     export type SevMetadataSection = LayoutValue<typeof SEV_METADATA_SECTION>;
 *
 * Field types: `u8 u16 u32` (numbers), `u64` (a number; decoding refuses values above 2^53),
 * `u64n` (a bigint, for values that may exceed 2^53), `u16be u32be` (big-endian), `bytes(n)`
 * (a Uint8Array copy), `latin1(n)` (a string of n one-byte characters), `reserved(n)` (skipped
 * on decode, zero on encode, absent from the value), `nested(layout)` and `array(type, n)`.
 * `at(offset, type)` pins a field to the offset its spec table gives: the gap before it is
 * reserved, and a table whose fields do not land there is refused when it is defined. The
 * option `size` pads the structure to its spec size; `check` rejects decoded values.
 *
 * The value type is inferred from the table: no hand-written interface repeats it.
 */
import { ParseError } from '../errors.js';
import { compileDecoder, type Decoder } from './struct.js';

// ---- field types -----------------------------------------------------------------------

export type ScalarKind = 'u8' | 'u16' | 'u32' | 'u64' | 'u64n' | 'u16be' | 'u32be';

/** A field type. `D` is the decoded value's type, `E` what the writer accepts. */
export interface Field<D = unknown, E = D> {
  readonly kind: ScalarKind | 'bytes' | 'latin1' | 'reserved' | 'nested' | 'array';
  /** bytes it occupies */
  readonly size: number;
  /** the offset `at` pinned it to */
  readonly at?: number;
  /** phantom: the decoded type */
  readonly _decoded?: D;
  /** phantom: the encoded type */
  readonly _encoded?: E;
}
export interface ScalarField<D, E = D> extends Field<D, E> { readonly kind: ScalarKind }
export interface BytesField extends Field<Uint8Array> { readonly kind: 'bytes' }
export interface Latin1Field extends Field<string> { readonly kind: 'latin1' }
export interface ReservedField extends Field<never> { readonly kind: 'reserved'; readonly reserved: true }
export interface NestedField<F extends Fields> extends Field<LayoutValue<Layout<F>>, LayoutInput<Layout<F>>> { readonly kind: 'nested'; readonly layout: Layout<F> }
export interface ArrayField<D, E> extends Field<D[], readonly E[]> { readonly kind: 'array'; readonly count: number; readonly element: ScalarField<D, E> | Layout<Fields> }

export type Fields = Readonly<Record<string, Field>>;

const scalar = <D, E = D>(kind: ScalarKind, size: number): ScalarField<D, E> => Object.freeze({ kind, size });
export const u8: ScalarField<number> = scalar('u8', 1);
export const u16: ScalarField<number> = scalar('u16', 2);
export const u32: ScalarField<number> = scalar('u32', 4);
/** 64-bit, decoded as a number: a value above 2^53 is ERR_MALFORMED (never rounded) */
export const u64: ScalarField<number, number | bigint> = scalar('u64', 8);
/** 64-bit, decoded as a bigint (values that may use all 64 bits: policies, addresses, registers) */
export const u64n: ScalarField<bigint, bigint | number> = scalar('u64n', 8);
export const u16be: ScalarField<number> = scalar('u16be', 2);
export const u32be: ScalarField<number> = scalar('u32be', 4);

export function bytes(length: number): BytesField {
  return Object.freeze({ kind: 'bytes', size: checkedLength(length) });
}
export function latin1(length: number): Latin1Field {
  return Object.freeze({ kind: 'latin1', size: checkedLength(length) });
}
export function reserved(length: number): ReservedField {
  return Object.freeze({ kind: 'reserved', size: checkedLength(length), reserved: true });
}
export function nested<F extends Fields>(layout: Layout<F>): NestedField<F> {
  return Object.freeze({ kind: 'nested', size: layout.size, layout });
}
export function array<D, E>(element: ScalarField<D, E>, count: number): ArrayField<D, E>;
export function array<F extends Fields>(element: Layout<F>, count: number): ArrayField<LayoutValue<Layout<F>>, LayoutInput<Layout<F>>>;
export function array(element: ScalarField<unknown> | Layout<Fields>, count: number): ArrayField<unknown, unknown> {
  return Object.freeze({ kind: 'array', size: element.size * checkedLength(count), count, element });
}
/** `type`, pinned to the offset the spec table gives it (see the module comment). */
export function at<T extends Field>(offset: number, type: T): T {
  if (!Number.isInteger(offset) || offset < 0) throw new TypeError(`field offset ${offset} is not a non-negative integer`);
  return Object.freeze({ ...type, at: offset });
}

function checkedLength(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`field length ${n} is not a non-negative integer`);
  return n;
}

// ---- types derived from a table --------------------------------------------------------

type ValueKeys<F> = { [K in keyof F]: F[K] extends ReservedField ? never : K }[keyof F];
type DecodedOf<T> = T extends Field<infer D, unknown> ? D : never;
type EncodedOf<T> = T extends Field<unknown, infer E> ? E : never;

/** The decoded value of a layout. */
export type LayoutValue<L> = L extends Layout<infer F> ? { [K in ValueKeys<F>]: DecodedOf<F[K]> } : never;
/** What the layout's writer takes: every field (64-bit ones as number or bigint). */
export type LayoutInput<L> = L extends Layout<infer F> ? { readonly [K in ValueKeys<F>]: EncodedOf<F[K]> } : never;
/** The names of a layout's value fields. */
export type LayoutField<L> = L extends Layout<infer F> ? ValueKeys<F> & string : never;

/** Reads and writes one field in place. `at` is where the structure starts in the view. */
export interface FieldAccessor<D, E = D> {
  /** the field's offset in the structure */
  readonly offset: number;
  readonly size: number;
  read(view: DataView, at?: number): D;
  write(view: DataView, at: number, value: E): void;
}

export interface DecodeContext {
  /** added to offsets in errors when the bytes are a window into a larger input */
  readonly base?: number;
  /** the input's name for errors (a file path) */
  readonly source?: string;
}

export interface Layout<F extends Fields = Fields> {
  /** the structure's name as its spec spells it (errors name it) */
  readonly name: string;
  /** its size in bytes */
  readonly size: number;
  readonly fields: F;
  /** each value field's offset in the structure */
  readonly offsets: { readonly [K in ValueKeys<F>]: number };
  /** the post-decode check, if any */
  check?(value: LayoutValue<Layout<F>>): string | null;
  /** Decode the structure at `offset` of `bytes` (ParseError on failure). */
  decode(bytes: Uint8Array, offset?: number, ctx?: DecodeContext): LayoutValue<Layout<F>>;
  /** The `size` bytes of `value`. */
  encode(value: LayoutInput<Layout<F>>): Uint8Array;
  /** The `size` bytes of `value`, the fields it leaves out zero. */
  encodePartial(value: Partial<LayoutInput<Layout<F>>>): Uint8Array;
  /** Write `value` into `target[offset, offset + size)` (every byte of it). */
  encodeInto(value: LayoutInput<Layout<F>>, target: Uint8Array, offset?: number): void;
  /** The accessor of one field. */
  field<K extends ValueKeys<F>>(name: K): FieldAccessor<DecodedOf<F[K]>, EncodedOf<F[K]>>;
}

// ---- defining a layout -----------------------------------------------------------------

interface Slot {
  readonly name: string;
  readonly offset: number;
  readonly type: Field;
}

const TWO32 = 0x1_0000_0000;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const U64_MAX = (1n << 64n) - 1n;

/** Every layout defined so far (by the modules loaded so far): the tests walk them. */
const LAYOUTS: Layout[] = [];
export function definedLayouts(): readonly Layout[] {
  return LAYOUTS;
}

export interface LayoutOptions<F extends Fields> {
  /** the structure's size, when its fields end before it (the rest is reserved) */
  readonly size?: number;
  /** post-decode check: a problem description (ERR_MALFORMED) or null */
  readonly check?: (value: LayoutValue<Layout<F>>) => string | null;
}

export function defineLayout<const F extends Fields>(name: string, fields: F, options: LayoutOptions<F> = {}): Layout<F> {
  return makeLayout(name, fields, options, true);
}

function makeLayout<F extends Fields>(name: string, fields: F, options: LayoutOptions<F>, register: boolean): Layout<F> {
  const slots: Slot[] = [];
  let pos = 0;
  for (const [key, type] of Object.entries(fields)) {
    if (type.at !== undefined) {
      if (type.at < pos) throw new TypeError(`${name}: field ${key} is declared at 0x${type.at.toString(16)} but the fields before it end at 0x${pos.toString(16)}`);
      pos = type.at;
    }
    slots.push({ name: key, offset: pos, type });
    pos += type.size;
  }
  const size = options.size ?? pos;
  if (size < pos) throw new TypeError(`${name}: fields take ${pos} bytes, more than the declared size ${size}`);
  const values = slots.filter((s) => s.type.kind !== 'reserved');
  const offsets = Object.freeze(Object.fromEntries(values.map((s) => [s.name, s.offset])));
  const check = options.check;

  let decoder: Decoder | null = null; // compiled on the first decode
  const post = postProcessor(values);
  const writers = values.map((s) => writerOf(name, s.name, s.offset, s.type));
  const bySlot = new Map(values.map((s, i) => [s.name, writers[i]!]));
  const accessors = new Map<string, FieldAccessor<unknown, unknown>>();

  const layout: Layout<F> = {
    name,
    size,
    fields,
    offsets: offsets as Layout<F>['offsets'],
    ...(check ? { check } : {}),
    decode(input, offset = 0, ctx = {}) {
      const where = (ctx.base ?? 0) + offset;
      if (offset < 0 || offset + size > input.length) {
        throw new ParseError('ERR_TRUNCATED', name, where, `needs ${size} bytes, only ${Math.max(0, input.length - offset)} available`, ctx.source);
      }
      decoder ??= compileDecoder(name, parserSteps(slots, size));
      let value: Record<string, unknown>;
      try {
        value = decoder(input, offset);
      } catch (e) {
        throw new ParseError('ERR_MALFORMED', name, where, (e as Error).message, ctx.source);
      }
      if (post) {
        const problem = post(value);
        if (problem) throw new ParseError('ERR_MALFORMED', name, where, problem, ctx.source);
      }
      const t = value as LayoutValue<Layout<F>>;
      const bad = check?.(t);
      if (bad) throw new ParseError('ERR_MALFORMED', name, where, bad, ctx.source);
      return t;
    },
    encode(value) {
      const out = new Uint8Array(size);
      write(value as Record<string, unknown>, out, 0, false);
      return out;
    },
    encodePartial(value) {
      const out = new Uint8Array(size);
      write(value as Record<string, unknown>, out, 0, true);
      return out;
    },
    encodeInto(value, target, offset = 0) {
      if (!Number.isInteger(offset) || offset < 0 || offset + size > target.length) throw new RangeError(`${name}: ${size} bytes do not fit at offset ${offset} of ${target.length}`);
      target.fill(0, offset, offset + size);
      write(value as Record<string, unknown>, target, offset, false);
    },
    field(key) {
      let a = accessors.get(key as string);
      if (!a) {
        const slot = values.find((s) => s.name === key);
        if (!slot) throw new TypeError(`${name} has no field ${String(key)}`);
        a = accessorOf(name, slot);
        accessors.set(key as string, a);
      }
      return a as never;
    },
  };

  function write(value: Record<string, unknown>, out: Uint8Array, at: number, partial: boolean): void {
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    if (partial) {
      for (const k of Object.keys(value)) {
        const w = bySlot.get(k);
        if (!w) throw new TypeError(`${name} has no field ${k}`);
        if (value[k] !== undefined) w(view, out, at, value[k]);
      }
      return;
    }
    for (let i = 0; i < writers.length; i++) writers[i]!(view, out, at, value[values[i]!.name]);
  }

  if (register) LAYOUTS.push(layout as unknown as Layout);
  return Object.freeze(layout);
}

// ---- decoding: the binary-parser program and the 64-bit conversion ---------------------

/** What ./struct.ts turns into a binary-parser Parser. */
export type ParserStep =
  | { readonly op: 'scalar'; readonly name: string; readonly kind: ScalarKind }
  | { readonly op: 'bytes' | 'latin1' | 'skip'; readonly name: string; readonly length: number }
  | { readonly op: 'nested'; readonly name: string; readonly steps: readonly ParserStep[] }
  | { readonly op: 'array'; readonly name: string; readonly count: number; readonly element: ScalarKind | readonly ParserStep[] };

function parserSteps(slots: readonly Slot[], size: number): ParserStep[] {
  const steps: ParserStep[] = [];
  let pos = 0;
  for (const s of slots) {
    if (s.offset > pos) steps.push({ op: 'skip', name: '', length: s.offset - pos });
    steps.push(stepOf(s.name, s.type));
    pos = s.offset + s.type.size;
  }
  if (size > pos) steps.push({ op: 'skip', name: '', length: size - pos });
  return steps;
}

function stepsOfLayout(l: Layout): readonly ParserStep[] {
  let pos = 0;
  const slots: Slot[] = [];
  for (const [name, type] of Object.entries(l.fields)) {
    if (type.at !== undefined) pos = type.at;
    slots.push({ name, offset: pos, type });
    pos += type.size;
  }
  return parserSteps(slots, l.size);
}

function stepOf(name: string, t: Field): ParserStep {
  switch (t.kind) {
    case 'bytes':
    case 'latin1':
      return { op: t.kind, name, length: t.size };
    case 'reserved':
      return { op: 'skip', name: '', length: t.size };
    case 'nested':
      return { op: 'nested', name, steps: stepsOfLayout((t as NestedField<Fields>).layout) };
    case 'array': {
      const a = t as ArrayField<unknown, unknown>;
      return { op: 'array', name, count: a.count, element: isLayout(a.element) ? stepsOfLayout(a.element) : (a.element.kind as ScalarKind) };
    }
    default:
      return { op: 'scalar', name, kind: t.kind };
  }
}

function isLayout(x: unknown): x is Layout<Fields> {
  return typeof (x as Layout).decode === 'function';
}

type Post = (value: Record<string, unknown>) => string | null;

/** binary-parser decodes 64-bit fields as bigints: `u64` ones become numbers (or a problem). */
function postProcessor(slots: readonly Slot[]): Post | null {
  const parts: Post[] = [];
  for (const s of slots) {
    const k = s.name;
    const t = s.type;
    if (t.kind === 'u64') {
      parts.push((v) => {
        const b = v[k] as bigint;
        if (b > MAX_SAFE) return `field ${k} = 0x${b.toString(16)} is out of range`;
        v[k] = Number(b);
        return null;
      });
    } else if (t.kind === 'nested') {
      const inner = postOfLayout((t as NestedField<Fields>).layout);
      if (inner) parts.push((v) => prefix(k, inner(v[k] as Record<string, unknown>)));
    } else if (t.kind === 'array') {
      const e = (t as ArrayField<unknown, unknown>).element;
      if (isLayout(e)) {
        const inner = postOfLayout(e);
        if (inner) {
          parts.push((v) => {
            const list = v[k] as Array<Record<string, unknown>>;
            for (let i = 0; i < list.length; i++) {
              const p = prefix(`${k}[${i}]`, inner(list[i]!));
              if (p) return p;
            }
            return null;
          });
        }
      } else if (e.kind === 'u64') {
        parts.push((v) => {
          const list = v[k] as Array<bigint | number>;
          for (let i = 0; i < list.length; i++) {
            const b = list[i] as bigint;
            if (b > MAX_SAFE) return `field ${k}[${i}] = 0x${b.toString(16)} is out of range`;
            list[i] = Number(b);
          }
          return null;
        });
      }
    }
  }
  if (parts.length === 0) return null;
  return (v) => {
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!(v);
      if (p) return p;
    }
    return null;
  };
}

function postOfLayout(l: Layout<Fields>): Post | null {
  return postProcessor(Object.entries(l.fields).filter(([, t]) => t.kind !== 'reserved').map(([name, type]) => ({ name, offset: 0, type })));
}

function prefix(k: string, problem: string | null): string | null {
  return problem === null ? null : problem.replace(/^field /, `field ${k}.`);
}

// ---- encoding --------------------------------------------------------------------------

type Writer = (view: DataView, out: Uint8Array, at: number, value: unknown) => void;

function rangeError(layout: string, field: string, what: string, v: unknown): RangeError {
  return new RangeError(`${layout}.${field} must be ${what}, got ${typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
}

function uint(layout: string, field: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw rangeError(layout, field, `an integer in 0..0x${max.toString(16)}`, v);
  return v;
}

function writerOf(layout: string, field: string, off: number, t: Field): Writer {
  switch (t.kind) {
    case 'u8':
      return (view, _o, at, v) => view.setUint8(at + off, uint(layout, field, v, 0xff));
    case 'u16':
      return (view, _o, at, v) => view.setUint16(at + off, uint(layout, field, v, 0xffff), true);
    case 'u16be':
      return (view, _o, at, v) => view.setUint16(at + off, uint(layout, field, v, 0xffff), false);
    case 'u32':
      return (view, _o, at, v) => view.setUint32(at + off, uint(layout, field, v, 0xffff_ffff), true);
    case 'u32be':
      return (view, _o, at, v) => view.setUint32(at + off, uint(layout, field, v, 0xffff_ffff), false);
    case 'u64':
    case 'u64n':
      return (view, _o, at, v) => {
        if (typeof v === 'bigint') {
          if (v < 0n || v > U64_MAX) throw rangeError(layout, field, 'a 64-bit unsigned integer', v);
          view.setBigUint64(at + off, v, true);
        } else {
          const n = uint(layout, field, v, Number.MAX_SAFE_INTEGER);
          view.setUint32(at + off, n >>> 0, true);
          view.setUint32(at + off + 4, Math.floor(n / TWO32), true);
        }
      };
    case 'bytes':
      return (_view, out, at, v) => {
        if (!(v instanceof Uint8Array) || v.length !== t.size) throw rangeError(layout, field, `${t.size} bytes`, v instanceof Uint8Array ? `${v.length} bytes` : v);
        out.set(v, at + off);
      };
    case 'latin1':
      return (_view, out, at, v) => {
        if (typeof v !== 'string' || v.length !== t.size || /[^\0-\xff]/.test(v)) throw rangeError(layout, field, `${t.size} one-byte characters`, v);
        for (let i = 0; i < v.length; i++) out[at + off + i] = v.charCodeAt(i);
      };
    case 'nested': {
      const l = (t as NestedField<Fields>).layout;
      return (_view, out, at, v) => l.encodeInto(v as never, out, at + off);
    }
    case 'array': {
      const a = t as ArrayField<unknown, unknown>;
      const e = a.element;
      const one: Writer = isLayout(e) ? (_view, out, at, v) => e.encodeInto(v as never, out, at) : writerOf(layout, field, 0, e);
      return (view, out, at, v) => {
        if (!Array.isArray(v) || v.length > a.count) throw rangeError(layout, field, `an array of at most ${a.count} elements`, Array.isArray(v) ? `${v.length} elements` : v);
        for (let i = 0; i < v.length; i++) one(view, out, at + off + i * e.size, v[i]);
      };
    }
    default:
      throw new TypeError(`${layout}.${field}: no writer for a ${t.kind} field`);
  }
}

// ---- fixed-offset accessors ------------------------------------------------------------

function accessorOf(layout: string, s: Slot): FieldAccessor<unknown, unknown> {
  const off = s.offset;
  const t = s.type;
  const base = { offset: off, size: t.size };
  const w = writerOf(layout, s.name, off, t);
  const checked = (view: DataView, at: number, v: unknown): void => w(view, new Uint8Array(view.buffer, view.byteOffset, view.byteLength), at, v);
  switch (t.kind) {
    case 'u8':
      return { ...base, read: (view, at = 0) => view.getUint8(at + off), write: (view, at, v) => view.setUint8(at + off, v as number) };
    case 'u16':
      return { ...base, read: (view, at = 0) => view.getUint16(at + off, true), write: (view, at, v) => view.setUint16(at + off, v as number, true) };
    case 'u16be':
      return { ...base, read: (view, at = 0) => view.getUint16(at + off, false), write: (view, at, v) => view.setUint16(at + off, v as number, false) };
    case 'u32':
      return { ...base, read: (view, at = 0) => view.getUint32(at + off, true), write: (view, at, v) => view.setUint32(at + off, v as number, true) };
    case 'u32be':
      return { ...base, read: (view, at = 0) => view.getUint32(at + off, false), write: (view, at, v) => view.setUint32(at + off, v as number, false) };
    case 'u64':
      return {
        ...base,
        read(view, at = 0) {
          const hi = view.getUint32(at + off + 4, true);
          if (hi > 0x1f_ffff) throw new ParseError('ERR_MALFORMED', layout, at, `field ${s.name} = 0x${view.getBigUint64(at + off, true).toString(16)} is out of range`);
          return hi * TWO32 + view.getUint32(at + off, true);
        },
        // the hot-loop form: a number below 2^53, written without a BigInt
        write(view, at, v) {
          if (typeof v === 'number') {
            view.setUint32(at + off, v >>> 0, true);
            view.setUint32(at + off + 4, Math.floor(v / TWO32) >>> 0, true);
          } else checked(view, at, v);
        },
      };
    case 'u64n':
      return { ...base, read: (view, at = 0) => view.getBigUint64(at + off, true), write: checked };
    case 'bytes':
      return { ...base, read: (view, at = 0) => new Uint8Array(view.buffer, view.byteOffset + at + off, t.size), write: checked };
    case 'latin1': {
      // as binary-parser decodes a latin1 string (TextDecoder's "latin1", i.e. windows-1252)
      const text = new TextDecoder('latin1');
      return { ...base, read: (view, at = 0) => text.decode(new Uint8Array(view.buffer, view.byteOffset + at + off, t.size)), write: checked };
    }
    default: {
      // nested and array fields: read through a one-field layout of their own
      let one: Layout | null = null;
      return {
        ...base,
        read(view, at = 0) {
          one ??= makeLayout(`${layout}.${s.name}`, { v: { ...t, at: off } as Field }, {}, false) as unknown as Layout;
          return (one.decode(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), at) as unknown as { v: unknown }).v;
        },
        write: checked,
      };
    }
  }
}
