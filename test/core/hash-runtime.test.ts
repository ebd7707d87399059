/**
 * The hash backend is chosen at run time (issue 13, item 3): in Node the default is `node`
 * (node:crypto, the fast path), found through process.getBuiltinModule rather than a static
 * import; where the runtime has no node:crypto (a browser) the default is `noble` and the
 * `node` backend refuses to be used instead of failing at import.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as hash from '../../src/hash/index.js';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

const abc = new TextEncoder().encode('abc');
const sha384abc = createHash('sha384').update(abc).digest('hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('hash backend selection', () => {
  it('in Node the default backend is node:crypto', () => {
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
  it('without node:crypto (no process.getBuiltinModule, as in a browser) the default is noble and node refuses', async () => {
    vi.stubGlobal('process', { ...process, getBuiltinModule: undefined });
    vi.resetModules();
    const h = await import('../../src/hash/index.js');
    expect(h.defaultBackend.name).toBe('noble');
    expect(hex(h.defaultBackend.hash('sha384', abc))).toBe(sha384abc);
    expect(() => h.hashBackend('node')).toThrow(/needs node:crypto/);
    expect(() => h.nodeBackend.hash('sha384', abc)).toThrow(/needs node:crypto/);
    expect(() => h.nodeBackend.create('sha256')).toThrow(/needs node:crypto/);
    expect(() => h.nodeBackend.hashInto('sha256', abc, new Uint8Array(32), 0)).toThrow(/needs node:crypto/);
  });
  it('a measurement made where node:crypto is missing equals the node one', async () => {
    const fs = await import('node:fs');
    const ovmf = fs.readFileSync(new URL('../../firmware-samples/debian/OVMF.fd', import.meta.url));
    const { measureSnp, vcpuTypeSig } = await import('../../src/index.js');
    const expected = measureSnp({ ovmf, vcpus: 2, vcpuSig: vcpuTypeSig('EPYC-v4') }).digest;
    vi.stubGlobal('process', { ...process, getBuiltinModule: undefined });
    vi.resetModules();
    const fresh = await import('../../src/index.js');
    expect(fresh.defaultBackend.name).toBe('noble');
    expect(hex(fresh.measureSnp({ ovmf, vcpus: 2, vcpuSig: fresh.vcpuTypeSig('EPYC-v4') }).digest)).toBe(hex(expected));
  });
});
