/**
 * The hash backend is chosen at run time (issue 13, item 3): in Node the default is `node`
 * (node:crypto, the fast path), found through process.getBuiltinModule rather than a static
 * import; where the runtime has no node:crypto the default is `noble` and the `node` backend
 * refuses to be used instead of failing at import. The second part runs the library, bundled
 * by esbuild for the browser, in a fresh V8 context without `process`, `Buffer` or `require`
 * (no module state of this process is touched).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as hash from '../../src/hash/index.js';
import { measureSnp, vcpuTypeSig } from '../../src/index.js';
import { PROJECT } from '../support/cli.js';

const abc = new TextEncoder().encode('abc');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha384abc = createHash('sha384').update(abc).digest('hex');

describe('hash backend selection in Node', () => {
  it('the default backend is node:crypto', () => {
    expect(hash.defaultBackend).toBe(hash.nodeBackend);
    expect(hash.hashBackend('node')).toBe(hash.nodeBackend);
    expect(hash.hashBackend('noble')).toBe(hash.nobleBackend);
    expect(hex(hash.defaultBackend.hash('sha384', abc))).toBe(sha384abc);
  });
  it('loadHashBackend resolves to the same backends; an unknown name is refused', async () => {
    expect(await hash.loadHashBackend('node')).toBe(hash.nodeBackend);
    expect(await hash.loadHashBackend('noble')).toBe(hash.nobleBackend);
    expect(() => hash.hashBackend('openssl' as never)).toThrow(/unknown hash backend/);
  });
});

/** What the bundle hands back from the sandbox. */
interface Sandboxed {
  backend: string;
  hashBackendNode: string;
  nodeBackendUse: string;
  abc: string;
  snp: string;
}

describe('without node:crypto (the library bundled for the browser, in a context with no Node globals)', async () => {
  const bundled = await build({
    stdin: {
      contents: `
        import { defaultBackend, hashBackend, nodeBackend, measureSnp, vcpuTypeSig, toHex } from './src/index.ts';
        const attempt = (f) => { try { f(); return 'no error'; } catch (e) { return String(e.message); } };
        globalThis.result = {
          backend: defaultBackend.name,
          hashBackendNode: attempt(() => hashBackend('node')),
          nodeBackendUse: attempt(() => nodeBackend.hash('sha384', globalThis.abc)),
          abc: toHex(defaultBackend.hash('sha384', globalThis.abc)),
          snp: toHex(measureSnp({ ovmf: globalThis.ovmf, vcpus: 2, vcpuSig: vcpuTypeSig('EPYC-v4') }).digest),
        };`,
      resolveDir: PROJECT, loader: 'js', sourcefile: 'sandbox.js',
    },
    bundle: true, platform: 'browser', format: 'iife', write: false, logLevel: 'silent',
  });
  const ovmf = new Uint8Array(fs.readFileSync(path.join(PROJECT, 'firmware-samples/debian/OVMF.fd')));
  const context = vm.createContext({ abc: new Uint8Array(abc), ovmf, TextEncoder, TextDecoder });
  vm.runInContext(bundled.outputFiles[0]!.text, context);
  const got = (context as { result: Sandboxed }).result;

  it('the context really has no Node: no process, Buffer or require', () => {
    expect(vm.runInContext('[typeof process, typeof Buffer, typeof require].join()', context)).toBe('undefined,undefined,undefined');
  });
  it('the default backend is noble and hashes as OpenSSL does', () => {
    expect(got.backend).toBe('noble');
    expect(got.abc).toBe(sha384abc);
  });
  it('the node backend refuses, naming what is missing', () => {
    expect(got.hashBackendNode).toMatch(/needs node:crypto/);
    expect(got.nodeBackendUse).toMatch(/needs node:crypto/);
  });
  it('an SNP launch digest there equals the one made here with node:crypto', () => {
    const here = measureSnp({ ovmf, vcpus: 2, vcpuSig: vcpuTypeSig('EPYC-v4'), hashBackend: hash.nodeBackend }).digest;
    expect(got.snp).toBe(hex(here));
  });
});
