/**
 * The firmware facts cache: what identification reads from an OVMF image's compressed volumes,
 * kept between runs keyed by the image's SHA-256. A hit gives the same prediction as a fresh
 * read; a damaged or foreign entry is read again and replaced; --no-cache and
 * PRELAUNCH_CACHE_DIR=off keep nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzParams } from '../support/fuzz.js';
import {
  checkEdk2FirmwareFacts, edk2FactsKey, edk2FirmwareFacts, identifyEdk2Firmware, memoryFactsCache, readEdk2FirmwareFacts,
  type Edk2FirmwareFacts, type FirmwareFactsCache,
} from '../../src/measured-boot/edk2-firmware.js';
import { predictTpmPcrs } from '../../src/measured-boot/predict.js';
import { expectOk, PROJECT, runCliInProcess } from '../support/cli.js';
import { syntheticBzImage } from '../tdx/synthetic-kernel.js';

const CODE = path.join(PROJECT, 'firmware-samples/debian-sid/OVMF_CODE_4M.fd');
const code = new Uint8Array(fs.readFileSync(CODE));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-facts-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A cache that records what it was asked. */
function recording(): FirmwareFactsCache & { gets: string[]; sets: string[]; store: Map<string, unknown> } {
  const store = new Map<string, unknown>();
  const gets: string[] = [];
  const sets: string[] = [];
  return { store, gets, sets, get: (k) => (gets.push(k), store.get(k)), set: (k, v) => { sets.push(k); store.set(k, JSON.parse(JSON.stringify(v))); } };
}

describe('firmware facts', () => {
  const fresh = readEdk2FirmwareFacts(code);
  it('read from Debian sid OVMF_CODE_4M: the version string, the modules identification needs, the DXE volume digests', () => {
    expect(fresh.versionStrings).toEqual(['2026.08+ds-2']);
    expect(fresh.modules).toEqual(expect.arrayContaining(['DxeCore', 'Tcg2Dxe', 'SmbiosPlatformDxe']));
    expect(fresh.dxeFv?.length).toBe(0xe80000);
    expect(fresh.dxeFv?.digests.sha384).toMatch(/^[0-9a-f]{96}$/);
    expect(checkEdk2FirmwareFacts(JSON.parse(JSON.stringify(fresh)))).toEqual(fresh);
  });
  it('the key names the facts version and the image SHA-256', () => {
    expect(edk2FactsKey(code)).toMatch(/^edk2-facts-v\d+-[0-9a-f]{64}$/);
    const other = code.slice();
    other[0x1000] = other[0x1000]! ^ 1;
    expect(edk2FactsKey(other)).not.toBe(edk2FactsKey(code));
  });
  it('a miss reads and stores; a hit is used as stored, without reading the image again', () => {
    const c = recording();
    expect(edk2FirmwareFacts(code, { cache: c })).toEqual(fresh);
    expect(c.sets).toHaveLength(1);
    // a hit: the stored facts are what is returned (a changed module list shows it was used)
    const key = c.sets[0]!;
    const marked = { ...(c.store.get(key) as Edk2FirmwareFacts), modules: [...fresh.modules, 'MarkerDxe'] };
    c.store.set(key, marked);
    expect(edk2FirmwareFacts(code, { cache: c }).modules).toContain('MarkerDxe');
    expect(c.sets).toHaveLength(1);
  });
  it.each([
    ['not an object', 'text'],
    ['a module list of numbers', { ...fresh, modules: [1, 2] }],
    ['a short digest', { ...fresh, dxeFv: { length: 0xc00000, digests: { sha256: 'ab', sha384: fresh.dxeFv!.digests.sha384 } } }],
    ['no PEI length', { ...fresh, peiFv: { ...fresh.peiFv, length: undefined } }],
    ['PEI modules not strings', { ...fresh, peiFv: { ...fresh.peiFv, modules: [1] } }],
    ['a bad SMBIOS type 0', { ...fresh, smbiosType0: { vendor: 1 } }],
  ])('a damaged entry (%s) is read again from the image and replaced', (_, bad) => {
    expect(checkEdk2FirmwareFacts(bad)).toBeNull();
    const c = recording();
    c.store.set(edk2FactsKey(code), bad);
    expect(edk2FirmwareFacts(code, { cache: c })).toEqual(fresh);
    expect(c.store.get(edk2FactsKey(code))).toEqual(fresh);
  });
  it('fuzz: a cache entry of any shape is refused or taken whole, never thrown on', () => {
    const mutated = fc.record({
      modules: fc.oneof(fc.constant(fresh.modules), fc.array(fc.string()), fc.anything()),
      versionStrings: fc.oneof(fc.constant(fresh.versionStrings), fc.anything()),
      smbiosType0: fc.oneof(fc.constant(fresh.smbiosType0), fc.constant(null), fc.anything()),
      dxeFv: fc.oneof(fc.constant(fresh.dxeFv), fc.constant(null), fc.record({ length: fc.anything(), digests: fc.dictionary(fc.constantFrom('sha256', 'sha384', 'x'), fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$|^[0-9a-f]{96}$/), fc.anything())) })),
      peiFv: fc.oneof(fc.constant(fresh.peiFv), fc.constant(null), fc.anything()),
    }, { requiredKeys: [] });
    fc.assert(fc.property(fc.oneof(mutated, fc.anything(), fc.jsonValue()), (v) => {
      const r = checkEdk2FirmwareFacts(v);
      if (r !== null) expect(checkEdk2FirmwareFacts(JSON.parse(JSON.stringify(r)))).toEqual(r);
    }), fuzzParams({ numRuns: 300 }));
  });
  it('a prediction from cached facts equals one from the image; identification still refuses what is not modelled', () => {
    const kernel = syntheticBzImage();
    const o = { firmware: code, kernel, append: null, qemuVersion: '11.1', memory: 1024 << 20 };
    const c = memoryFactsCache(recording());
    const a = predictTpmPcrs(o);
    predictTpmPcrs({ ...o, firmwareFactsCache: c });
    const b = predictTpmPcrs({ ...o, firmwareFactsCache: c });
    expect(b.pcrs).toEqual(a.pcrs);
    expect(b.events.map((e) => e.digests)).toEqual(a.events.map((e) => e.digests));
    expect(() => identifyEdk2Firmware(code, { factsCache: c, target: 'tdx' })).toThrow(expect.objectContaining({ code: 'ERR_FIRMWARE_UNSUPPORTED' }));
  });
});

describe('the CLI cache directory', () => {
  const kernelFile = path.join(tmp, 'bzImage');
  fs.writeFileSync(kernelFile, syntheticBzImage());
  const argv = ['tpm', 'predict', '--firmware', CODE, '--kernel', kernelFile, '--qemu-version', '11.1', '--memory', '1024', '--json'];
  const run = (dir: string, extra: string[] = []) => runCliInProcess([...argv, ...extra], { env: { ...process.env, PRELAUNCH_CACHE_DIR: dir } });
  it('PRELAUNCH_CACHE_DIR holds one entry per image; a second run and a run with a damaged entry print the same', async () => {
    const dir = path.join(tmp, 'cache');
    const first = expectOk(await run(dir));
    const entries = fs.readdirSync(dir);
    expect(entries).toEqual([`${edk2FactsKey(code)}.json`]);
    expect(expectOk(await run(dir))).toBe(first);
    fs.writeFileSync(path.join(dir, entries[0]!), '{"modules": 7}');
    expect(expectOk(await run(dir))).toBe(first);
    expect(checkEdk2FirmwareFacts(JSON.parse(fs.readFileSync(path.join(dir, entries[0]!), 'utf8')))).not.toBeNull();
    expect(fs.readdirSync(dir)).toHaveLength(1); // no temporary file left
  });
  it('--no-cache and PRELAUNCH_CACHE_DIR=off keep nothing', async () => {
    const dir = path.join(tmp, 'none');
    expectOk(await run(dir, ['--no-cache']));
    expect(fs.existsSync(dir)).toBe(false);
    expectOk(await runCliInProcess(argv, { env: { ...process.env, PRELAUNCH_CACHE_DIR: 'off', HOME: path.join(tmp, 'home') } }));
    expect(fs.existsSync(path.join(tmp, 'home'))).toBe(false);
  });
  it('a cache directory that cannot be written leaves the run uncached, with the same output', async () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, '');
    expect(expectOk(await run(path.join(file, 'sub')))).toBe(expectOk(await run(path.join(tmp, 'ok'))));
  });
});
