/**
 * Hash backends: NIST SHA-256/SHA-384 vectors one-shot and streamed in odd chunk sizes,
 * cross-checked with node:crypto, and identical launch digests from the node and noble backends.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes/hex.js';
import { HASH_BACKENDS, defaultBackend, loadHashBackend, nodeBackend, type HashAlgorithm, type HashBackend } from '../../src/hash/index.js';
import { nobleBackend } from '../../src/hash/noble.js';
import { measure } from '../../src/measure/api.js';
import { referenceLine } from '../../src/report/measure-report.js';
import { argsToOptions, loadVectors, makeWorkDir, removeWorkDir } from '../support/snp-vectors.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

// FIPS 180-2 / NIST CSRC example values
const NIST: Array<[string, Uint8Array, HashAlgorithm, string]> = [
  ['"abc"', utf8('abc'), 'sha256', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ['""', utf8(''), 'sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['448-bit', utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), 'sha256', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ['10^6 × "a"', new Uint8Array(1_000_000).fill(0x61), 'sha256', 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
  ['"abc"', utf8('abc'), 'sha384', 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7'],
  ['""', utf8(''), 'sha384', '38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b'],
  [
    '896-bit',
    utf8('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'),
    'sha384',
    '09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039',
  ],
  ['10^6 × "a"', new Uint8Array(1_000_000).fill(0x61), 'sha384', '9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985'],
];

/** titled by label and algorithm: a test title never prints the data (a million bytes) */
const NIST_CASES = NIST.map(([label, data, alg, want]) => ({ name: `${label} ${alg}`, data, alg, want }));

const BACKENDS: HashBackend[] = [nodeBackend, nobleBackend];
const CHUNKS = [1, 3, 7, 63, 64, 65, 111, 127, 128, 129, 1000, 4095, 4097, 65537];

describe.each(BACKENDS.map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  it.each(NIST_CASES)('$name one-shot', ({ data, alg, want }) => {
    expect(toHex(backend.hash(alg, data))).toBe(want);
    expect(want).toBe(createHash(alg).update(data).digest('hex'));
  });

  it.each(NIST_CASES)('$name streamed in odd chunk sizes', ({ data, alg, want }) => {
    for (const chunk of CHUNKS) {
      if (data.length > 100_000 && chunk < 63) continue; // a million one-byte updates proves nothing more
      const h = backend.create(alg);
      for (let i = 0; i < data.length; i += chunk) h.update(data.subarray(i, i + chunk));
      expect(toHex(h.digest()), `chunk ${chunk}`).toBe(want);
    }
  });

  it('agrees with node:crypto on pseudo-random data at every length around block boundaries', () => {
    const data = createHash('shake256', { outputLength: 1200 }).update('prelaunch hash test').digest();
    for (const alg of ['sha256', 'sha384'] as const) {
      for (let n = 0; n <= 300; n++) {
        const slice = new Uint8Array(data.subarray(0, n));
        expect(toHex(backend.hash(alg, slice))).toBe(createHash(alg).update(slice).digest('hex'));
      }
    }
  });

  it.each(NIST_CASES)('$name hashInto: the digest written at an offset, nothing else touched', ({ data, alg, want }) => {
    const size = alg === 'sha256' ? 32 : 48;
    const out = new Uint8Array(size + 20).fill(0xa5);
    backend.hashInto(alg, data, out, 7);
    expect(toHex(out.subarray(7, 7 + size))).toBe(want);
    expect([...out.subarray(0, 7), ...out.subarray(7 + size)].every((b) => b === 0xa5)).toBe(true);
  });

  it('hashInto may write into its own input (the SNP PAGE_INFO chain does), and refuses an out-of-range offset', () => {
    const info = createHash('shake256', { outputLength: 112 }).update('page info').digest();
    const want = createHash('sha384').update(info).digest('hex');
    const buf = new Uint8Array(info);
    backend.hashInto('sha384', buf, buf, 0);
    expect(toHex(buf.subarray(0, 48))).toBe(want);
    expect(buf.subarray(48)).toEqual(new Uint8Array(info.subarray(48)));
    // bytes ≥ 0x80 survive the node backend's latin1 round trip
    const all = new Uint8Array(256).map((_, i) => i);
    const out = new Uint8Array(48);
    backend.hashInto('sha384', all, out, 0);
    expect(toHex(out)).toBe(createHash('sha384').update(all).digest('hex'));
    expect(() => backend.hashInto('sha384', all, new Uint8Array(60), 13)).toThrow(RangeError);
  });

  it('update() is chainable and the digest length is right', () => {
    expect(backend.create('sha256').update(utf8('a')).update(utf8('bc')).digest()).toHaveLength(32);
    expect(toHex(backend.create('sha384').update(utf8('ab')).update(utf8('c')).digest())).toBe(NIST[4]![3]);
  });
});

describe('backend selection', () => {
  it('node is the default; both load by name; unknown names are refused', async () => {
    expect(defaultBackend).toBe(nodeBackend);
    expect(HASH_BACKENDS).toEqual(['node', 'noble']);
    expect((await loadHashBackend('node')).name).toBe('node');
    expect((await loadHashBackend('noble')).name).toBe('noble');
    await expect(loadHashBackend('md5' as never)).rejects.toThrow(RangeError);
  });
});

describe('node and noble give identical launch digests', () => {
  const file = loadVectors();
  let work = '';
  beforeAll(() => {
    work = makeWorkDir(file);
  });
  afterAll(() => removeWorkDir(work));

  const IDS = [
    'snp.qemu.deb-OVMF.EPYC-v4.v2.dump',
    'snp.ec2.deb-OVMF.v2.dump',
    'seves.qemu.deb-OVMF.EPYC-v4.v2.dump',
  ];
  // plus the first success of each mode/VMM with direct boot where there is one
  const pick = (re: RegExp): string => file.vectors.find((v) => re.test(v.id) && v.expected !== undefined && !v.may_reject)!.id;
  const ids = [...IDS, pick(/^sev\./), pick(/^snp\.gce\./), pick(/^snp\..*k5m-i3m-a/), pick(/^seves\..*k5m/), pick(/^svsm\./), pick(/^ovmfhash\./), pick(/ovmfhash-of/)];

  it.each(ids)('%s', (id) => {
    const v = file.vectors.find((x) => x.id === id)!;
    const call = argsToOptions(v.args, work);
    const a = measure({ ...call.options, hashBackend: nodeBackend });
    const b = measure({ ...call.options, hashBackend: nobleBackend });
    expect(toHex(b.digest)).toBe(toHex(a.digest));
    expect(b.vmsas).toEqual(a.vmsas);
    expect(referenceLine(b, call.format, call.verbose)).toBe(v.expected);
  });

  it('covers firmware with more than one vCPU and all three VMMs', () => {
    expect(new Set(ids).size).toBe(ids.length);
    expect(fs.existsSync(work)).toBe(true);
  });
});
