/**
 * The decoders `npm run build` compiles ahead of time (scripts/gen-struct-decoders.mjs →
 * build/struct-decoders.js, injected into the CLI bundle; src/bytes/struct.ts) must decode
 * exactly what binary-parser's own run-time compilation decodes, for every structure.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Parser, decodeStruct, defineStruct, definedStructs, installCompiledStructs, structFingerprint } from '../../src/bytes/struct.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GENERATED = path.join(ROOT, 'build/struct-decoders.js');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}
const bytes = (seed: string, n: number): Uint8Array => new Uint8Array(createHash('shake256', { outputLength: n }).update(seed).digest());
type Compiled = (buffer: Uint8Array, constructorFn: unknown) => unknown;
/** binary-parser's own compilation of `p` (what Parser.compile does) */
const runtimeCompile = (p: Parser): Compiled => new Function('imports', 'TextDecoder', `return function (buffer, constructorFn) { ${p.getCode()} };`)([], TextDecoder) as Compiled;

describe('build-time struct decoders', () => {
  it('exist (npm run build writes them)', () => {
    expect(fs.existsSync(GENERATED), `${GENERATED}: run npm run build`).toBe(true);
  });

  it('cover every structure and decode exactly as binary-parser does', async () => {
    for (const f of sources(path.join(ROOT, 'src')).filter((x) => /\bdefineStruct(<[^(]*>)?\(/.test(fs.readFileSync(x, 'utf8')))) await import(pathToFileURL(f).href);
    // the object the generated module hands to installCompiledStructs
    const src = fs.readFileSync(GENERATED, 'utf8');
    const body = src.slice(src.indexOf('installCompiledStructs({') + 'installCompiledStructs('.length, src.lastIndexOf(');'));
    const captured = new Function(`return ${body};`)() as Record<string, Compiled>;
    const specs = definedStructs();
    expect(specs.length).toBeGreaterThan(30);
    for (const spec of specs) {
      const fn = captured[structFingerprint(spec.parser)];
      expect(fn, spec.name).toBeTypeOf('function');
      const reference = runtimeCompile(spec.parser);
      for (let i = 0; i < 8; i++) {
        const b = bytes(`${spec.name}/${i}`, spec.size);
        expect(fn!(b, undefined), `${spec.name} #${i}`).toEqual(reference(b, undefined));
      }
    }
  });

  it('decodeStruct uses one only for a parser whose fingerprint matches', () => {
    const a = defineStruct<{ x: number; y: number }>('TEST_A', new Parser().uint32le('x').uint32le('y'));
    const b = defineStruct<{ x: number; y: number }>('TEST_B', new Parser().uint32le('x').uint16le('y').uint16le('z'));
    let calls = 0;
    const fake = (buffer: Uint8Array): unknown => {
      calls++;
      return { x: buffer[0], y: 4242 };
    };
    installCompiledStructs({ [structFingerprint(a.parser)]: fake });
    const buf = bytes('t', 8);
    expect(decodeStruct(a, buf, 0)).toEqual({ x: buf[0], y: 4242 });
    expect(calls).toBe(1);
    // another layout: binary-parser compiles it as usual
    const v = new DataView(buf.buffer);
    expect(decodeStruct(b, buf, 0)).toMatchObject({ x: v.getUint32(0, true), y: v.getUint16(4, true) });
    expect(calls).toBe(1);
    installCompiledStructs({});
  });
});
