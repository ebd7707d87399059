/**
 * Validating the JSON and YAML documents prelaunch reads (golden manifests and documents,
 * attestation reports as JSON, `tdx --json` predictions, `measure --json` output) before any
 * field of them is used. Each document's schema is declared once, in src/schema/<name>.ts, as
 * a JSON Schema (draft 2020-12) written in the small subset {@link SCHEMA_KEYWORDS}; the same
 * object is published as docs/schemas/<name>.schema.json (test/core/schemas.test.ts checks
 * they are equal, and that ajv agrees with this validator).
 *
 * A document that does not match is one ERR_MALFORMED error naming the file and the JSON path
 * of the first problem: `reference-values.json: $.entries[3].policy: expected hex like 0x30000,
 * got "0x"`. A leaf's `title` is what the message says is expected.
 */
import { PrelaunchError } from '../errors.js';

/** The JSON Schema subset understood here (anything else in a declaration is a bug: the test rejects it). */
export const SCHEMA_KEYWORDS = [
  '$schema', '$id', '$ref', '$defs', 'title', 'description', 'default', 'format',
  'type', 'const', 'enum', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum',
  'items', 'minItems', 'maxItems', 'properties', 'required', 'additionalProperties', 'dependentRequired', 'oneOf',
] as const;

type TypeName = 'null' | 'boolean' | 'string' | 'integer' | 'number' | 'object' | 'array';

export interface Schema {
  $schema?: string;
  $id?: string;
  $ref?: string;
  $defs?: Record<string, Schema>;
  title?: string;
  description?: string;
  default?: unknown;
  format?: string;
  type?: TypeName | TypeName[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  dependentRequired?: Record<string, string[]>;
  /** the branches of every oneOf here are mutually exclusive, so "the first that matches" is oneOf */
  oneOf?: Schema[];
}

export interface SchemaProblem {
  /** JSON path: $, $.entries[3].policy, $["odd key"] */
  path: string;
  problem: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOf(v: unknown): TypeName {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as TypeName;
}

const TYPE_WORDS: Record<TypeName, string> = { null: 'null', boolean: 'true or false', string: 'a string', integer: 'an integer', number: 'a number', object: 'an object', array: 'a list' };

/** A value as a message shows it: short, one line. */
export function shown(v: unknown): string {
  if (isObj(v)) return 'an object';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

function key(path: string, k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
}

/** schema levels descended (the documents here are a few levels deep; a report may nest {"report": …}) */
const MAX_DEPTH = 64;

const patterns = new Map<string, RegExp>();
function regex(p: string): RegExp {
  let r = patterns.get(p);
  if (!r) patterns.set(p, (r = new RegExp(p, 'u')));
  return r;
}

class Checker {
  constructor(private readonly root: Schema) {}

  private resolve(s: Schema): Schema {
    let out = s;
    for (let hops = 0; out.$ref !== undefined; hops++) {
      const m = /^#\/\$defs\/([^/]+)$/.exec(out.$ref);
      const target = out.$ref === '#' ? this.root : m ? this.root.$defs?.[m[1]!] : undefined;
      if (!target || hops > 16) throw new Error(`schema ${this.root.$id}: unresolvable $ref ${out.$ref}`);
      out = { ...target, ...(out.title !== undefined ? { title: out.title } : {}) };
    }
    return out;
  }

  /** What a schema expects, in words (its title, or what its keywords say). */
  expected(s0: Schema): string {
    const s = this.resolve(s0);
    if (s.title !== undefined) return s.title;
    if (s.const !== undefined) return JSON.stringify(s.const);
    if (s.enum) return `one of ${s.enum.map((x) => JSON.stringify(x)).join(', ')}`;
    if (s.oneOf) return s.oneOf.map((b) => this.expected(b)).join(' or ');
    const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
    let words = types.map((t) => TYPE_WORDS[t]).join(' or ') || 'a value';
    if (s.pattern !== undefined) words += ` matching /${s.pattern}/`;
    if (s.minimum !== undefined || s.maximum !== undefined) words += ` within ${s.minimum ?? '-∞'}..${s.maximum ?? '∞'}`;
    return words;
  }

  check(s0: Schema, v: unknown, path: string, depth = 0): SchemaProblem | null {
    if (depth > MAX_DEPTH) return { path, problem: `nested more than ${MAX_DEPTH} levels deep` };
    const s = this.resolve(s0);
    const bad = (): SchemaProblem => ({ path, problem: `expected ${this.expected(s)}, got ${shown(v)}` });
    if (s.oneOf) {
      const fails: SchemaProblem[] = [];
      for (const b of s.oneOf) {
        const p = this.check(b, v, path, depth + 1);
        if (!p) return null;
        fails.push(p);
      }
      // one branch of the value's own type (an object where an object or null is allowed): its deeper problem
      const sameType = s.oneOf.map((b, i) => [this.resolve(b), i] as const).filter(([b]) => b.type !== undefined && ([] as TypeName[]).concat(b.type).some((t) => t === typeOf(v) || (t === 'number' && typeOf(v) === 'integer')));
      if (sameType.length === 1 && (isObj(v) || Array.isArray(v))) return fails[sameType[0]![1]]!;
      return bad();
    }
    if (s.const !== undefined && v !== s.const) return bad();
    if (s.enum && !s.enum.includes(v as never)) return bad();
    if (s.type !== undefined) {
      const t = typeOf(v);
      const ok = ([] as TypeName[]).concat(s.type).some((x) => x === t || (x === 'number' && t === 'integer'));
      if (!ok) return bad();
    }
    if (typeof v === 'string') {
      if (s.minLength !== undefined && v.length < s.minLength) return bad();
      if (s.maxLength !== undefined && v.length > s.maxLength) return bad();
      if (s.pattern !== undefined && !regex(s.pattern).test(v)) return bad();
    }
    if (typeof v === 'number') {
      if (s.minimum !== undefined && v < s.minimum) return bad();
      if (s.maximum !== undefined && v > s.maximum) return bad();
    }
    if (Array.isArray(v)) {
      if (s.minItems !== undefined && v.length < s.minItems) return { path, problem: `expected at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}, got ${v.length}` };
      if (s.maxItems !== undefined && v.length > s.maxItems) return { path, problem: `expected at most ${s.maxItems} items, got ${v.length}` };
      if (s.items) {
        for (let i = 0; i < v.length; i++) {
          const p = this.check(s.items, v[i], `${path}[${i}]`, depth + 1);
          if (p) return p;
        }
      }
    }
    if (isObj(v)) {
      for (const k of s.required ?? []) {
        if (!Object.hasOwn(v, k)) return { path, problem: `missing ${JSON.stringify(k)}` };
      }
      for (const [k, needs] of Object.entries(s.dependentRequired ?? {})) {
        if (!Object.hasOwn(v, k)) continue;
        for (const n of needs) if (!Object.hasOwn(v, n)) return { path: key(path, k), problem: `needs ${JSON.stringify(n)} beside it` };
      }
      for (const [k, x] of Object.entries(v)) {
        const ps = s.properties && Object.hasOwn(s.properties, k) ? s.properties[k]! : undefined;
        if (ps) {
          const p = this.check(ps, x, key(path, k), depth + 1);
          if (p) return p;
        } else if (s.additionalProperties === false) {
          return { path: key(path, k), problem: `unknown key (allowed here: ${Object.keys(s.properties ?? {}).join(', ')})` };
        } else if (isObj(s.additionalProperties)) {
          const p = this.check(s.additionalProperties, x, key(path, k), depth + 1);
          if (p) return p;
        }
      }
    }
    return null;
  }
}

/** The first place `value` does not match `schema`, or null. */
export function schemaProblem(schema: Schema, value: unknown): SchemaProblem | null {
  return new Checker(schema).check(schema, value, '$');
}

/**
 * Check a parsed document against its schema; a mismatch is ERR_MALFORMED naming `file` and
 * the path (what the file is, e.g. "a prelaunch golden document", in `what`).
 */
export function validateDocument<T>(schema: Schema, value: unknown, file: string, what?: string): T {
  const p = schemaProblem(schema, value);
  if (p) {
    const hint = what && p.path === '$' && schema.title === undefined ? ` (not ${what})` : '';
    throw new PrelaunchError('ERR_MALFORMED', `${file}: ${p.path}: ${p.problem}${hint}`, { file, path: p.path });
  }
  return value as T;
}

/**
 * JSON.parse with a clean error: ERR_MALFORMED naming the file. `what` says what the file
 * should be (e.g. "a prelaunch golden document (prelaunch golden output)").
 */
export function parseJsonDocument(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new PrelaunchError('ERR_MALFORMED', `${file}: not valid JSON (${what} expected): ${(e as Error).message.split('\n')[0]}`, { file });
  }
}
