/**
 * src/bytes/bytes-text.ts: the one rule for bytes given as text (hex first, then base64, each
 * only at an accepted size), and the commands that take such values through it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBytesText, parseBytesText } from '../../src/bytes/bytes-text.js';
import { toBase64, toHex } from '../../src/bytes/hex.js';
import { expectCleanError, expectOk, PROJECT, runCliInProcess } from '../support/cli.js';
import { thrownPrelaunchError } from '../support/thrown.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-bytes-text-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const bytes = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed) & 0xff);

const thrown = thrownPrelaunchError;

describe('decodeBytesText', () => {
  it('hex (either case, with or without 0x) and base64 of the accepted size; surrounding whitespace ignored', () => {
    const b = bytes(48);
    for (const t of [toHex(b), toHex(b).toUpperCase(), `0x${toHex(b)}`, `  ${toHex(b)}\n`, toBase64(b), `${toBase64(b)}\n`]) expect(decodeBytesText(t, { size: 48 })).toEqual(b);
  });
  it('the wrong size in either spelling is null', () => {
    expect(decodeBytesText(toHex(bytes(47)), { size: 48 })).toBeNull();
    expect(decodeBytesText(toBase64(bytes(49)), { size: 48 })).toBeNull();
    expect(decodeBytesText('not bytes', { size: 48 })).toBeNull();
  });
  it('hex first: text that is both even-length hex and base64 is hex when hex gives an accepted size', () => {
    const text = 'abcd'; // hex: 2 bytes; base64: 3 bytes
    expect(decodeBytesText(text, { size: () => true })).toEqual(Uint8Array.of(0xab, 0xcd));
    expect(decodeBytesText(text, { size: 2 })).toEqual(Uint8Array.of(0xab, 0xcd));
    expect(decodeBytesText(text, { size: 3 })).toEqual(Uint8Array.of(0x69, 0xb7, 0x1d));
  });
  it('64 hex digits are also 64 base64 characters: for a 48-byte value they are read as base64 (hex is tried at its size only)', () => {
    const t = toHex(bytes(32));
    expect(decodeBytesText(t, { size: 48 })).toHaveLength(48);
    expect(decodeBytesText('A'.repeat(64), { size: 48 })).toEqual(new Uint8Array(48)); // 48 zero bytes in base64 are all hex digits
  });
  it('encodings restricts the spellings; wrapped ignores whitespace inside', () => {
    const b = bytes(96);
    expect(decodeBytesText(toBase64(b), { size: 96, encodings: ['hex'] })).toBeNull();
    const wrapped = toBase64(b).replace(/(.{64})/g, '$1\n');
    expect(decodeBytesText(wrapped, { size: 96 })).toBeNull();
    expect(decodeBytesText(wrapped, { size: 96, wrapped: true })).toEqual(b);
  });
});

describe('parseBytesText', () => {
  it('names the flag, the sizes in each spelling and what the text held; ERR_MALFORMED unless told', () => {
    const e = thrown(() => parseBytesText(toHex(bytes(47)), '--measurement', { size: 48, what: 'a SHA-384 launch digest' }));
    expect(e.code).toBe('ERR_MALFORMED');
    expect(e.message).toBe('--measurement: must be a SHA-384 launch digest: 48 bytes as 96 hex digits or 64 base64 characters; got 47 bytes of hex');
    expect(thrown(() => parseBytesText('zz', '--mrowner', { size: 48, code: 'ERR_INVALID_OPTION' })).code).toBe('ERR_INVALID_OPTION');
    expect(thrown(() => parseBytesText('zz', '--x', { size: 16 })).message).toMatch(/got neither hex nor base64$/);
    expect(thrown(() => parseBytesText('zz', '--x', { size: 16, encodings: ['hex'] })).message).toBe('--x: must be 16 bytes: 16 bytes as 32 hex digits; got not hex');
  });
});

describe('commands that take bytes as text', () => {
  const M = bytes(48, 7);
  it('id-block --measurement: hex, 0x-hex and base64 give the same ID block', async () => {
    const key = path.join(PROJECT, 'test/vectors/keys/id_key_a.pem');
    const outs = [];
    for (const m of [toHex(M), `0x${toHex(M)}`, toBase64(M)]) outs.push(expectOk(await runCliInProcess(['id-block', '--measurement', m, '--id-key', key, '--json'])));
    expect(new Set(outs).size).toBe(1);
    expect(JSON.parse(outs[0]!).measurement).toBe(toHex(M));
  });
  it('a wrong size is a data error naming the flag (exit 1, ERR_MALFORMED)', async () => {
    const r = await runCliInProcess(['id-block', '--measurement', toHex(bytes(47)), '--id-key', 'k.pem']);
    expect(expectCleanError(r, 1, 'ERR_MALFORMED')).toMatch(/^error: --measurement: must be a SHA-384 launch digest/);
  });
  it('tdx --mrconfigid: hex or base64; another size is a usage error (exit 2)', async () => {
    const fw = path.join(PROJECT, 'firmware-samples/debian/OVMF.fd');
    const a = await runCliInProcess(['tdx', '--firmware', fw, '--page-order', 'single', '--mrconfigid', toHex(M), '--json']);
    const b = await runCliInProcess(['tdx', '--firmware', fw, '--page-order', 'single', '--mrconfigid', toBase64(M), '--json']);
    expect(expectOk(a)).toBe(expectOk(b));
    expect(expectCleanError(await runCliInProcess(['tdx', '--firmware', fw, '--mrconfigid', 'abcd']), 2, 'ERR_INVALID_OPTION')).toMatch(/^error: --mrconfigid: must be 48 bytes/);
  });
  it('id-block verify: the ID block and ID auth as files of raw bytes, hex text or wrapped base64 text', async () => {
    const key = path.join(PROJECT, 'test/vectors/keys/id_key_a.pem');
    const bin = (f: string): string => path.join(tmp, f);
    expectOk(await runCliInProcess(['id-block', '--measurement', toHex(M), '--id-key', key, '--id-block-out', bin('b.bin'), '--id-auth-out', bin('a.bin')]));
    const block = fs.readFileSync(bin('b.bin'));
    const auth = fs.readFileSync(bin('a.bin'));
    fs.writeFileSync(bin('b.hex'), toHex(block) + '\n');
    fs.writeFileSync(bin('a.hex'), toHex(auth) + '\n');
    fs.writeFileSync(bin('a.b64'), toBase64(auth).replace(/(.{64})/g, '$1\n') + '\n');
    for (const [b, a] of [['b.bin', 'a.bin'], ['b.hex', 'a.hex'], ['b.bin', 'a.b64']]) {
      const r = await runCliInProcess(['id-block', 'verify', '--id-block', bin(b!), '--id-auth', bin(a!), '--measurement', toBase64(M)]);
      expect(expectOk(r)).toMatch(/measurement match: {2}ok/);
    }
  });
});
