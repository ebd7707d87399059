/** src/bytes: hex/base64 strictness, GUID byte order, the test fixture writer (layouts: layout.test.ts). */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { guidFromBytes, guidToBytes } from '../../src/bytes/guid.js';
import { equalBytes, fromBase64, fromHex, toBase64, toHex } from '../../src/bytes/hex.js';
import { bytesSource, forEachChunk } from '../../src/bytes/source.js';
import { StructWriter, setU64 } from '../support/struct-writer.js';
import { OVMF_TABLE_FOOTER_GUID } from '../../src/formats/ovmf/defs.js';

const OVMF_FD = fileURLToPath(new URL('../../firmware-samples/debian/OVMF.fd', import.meta.url));

describe('hex', () => {
  it('round-trips every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const hex = toHex(all);
    expect(hex).toBe(Buffer.from(all).toString('hex'));
    expect(fromHex(hex)).toEqual(all);
    expect(fromHex(hex.toUpperCase())).toEqual(all);
  });
  it('round-trips random data of many lengths', () => {
    for (let n = 0; n < 70; n++) {
      const b = new Uint8Array(randomBytes(n));
      expect(fromHex(toHex(b))).toEqual(b);
    }
  });
  it.each(['a', 'abc', 'zz', '0x00', ' 00', '00 ', '0g', '-1', '１２'])('rejects %j', (t) => {
    expect(fromHex(t)).toBeNull();
  });
  it('accepts the empty string', () => {
    expect(fromHex('')).toEqual(new Uint8Array(0));
  });
});

describe('equalBytes', () => {
  it('short and long inputs (the long ones go to Buffer.compare in Node)', () => {
    for (const n of [0, 1, 63, 64, 4096]) {
      const a = new Uint8Array(n).map((_, i) => i * 7);
      expect(equalBytes(a, a.slice())).toBe(true);
      if (n > 0) {
        const b = a.slice();
        b[n - 1]! ^= 1;
        expect(equalBytes(a, b)).toBe(false);
        const c = a.slice();
        c[0]! ^= 0x80;
        expect(equalBytes(a, c)).toBe(false);
      }
      expect(equalBytes(a, new Uint8Array(n + 1))).toBe(false);
    }
  });
});

describe('base64', () => {
  it('matches Buffer for lengths 0..40 and round-trips', () => {
    for (let n = 0; n <= 40; n++) {
      const b = new Uint8Array(randomBytes(n));
      const t = toBase64(b);
      expect(t).toBe(Buffer.from(b).toString('base64'));
      expect(fromBase64(t)).toEqual(b);
    }
  });
  it.each([
    ['missing padding', 'QQ'],
    ['missing one pad', 'QUI'],
    ['non-canonical trailing bits', 'QR=='],
    ['non-canonical trailing bits (one pad)', 'QUJ='],
    ['url-safe alphabet', 'ab-_'],
    ['whitespace', 'QUJD\n'],
    ['inner padding', 'QQ==QUJD'],
    ['three pads', 'Q==='],
    ['bad character', 'QU*D'],
  ])('rejects %s (%j)', (_what, t) => {
    expect(fromBase64(t)).toBeNull();
  });
});

describe('GUIDs', () => {
  it('use the mixed-endian on-disk layout (the OVMF footer GUID as it sits in OVMF.fd)', () => {
    const onDisk = 'de82b596b21ff745baeaa366c55a082d';
    expect(toHex(guidToBytes(OVMF_TABLE_FOOTER_GUID))).toBe(onDisk);
    // the same 16 bytes really are 48 bytes before the end of the Debian image
    const fd = fs.readFileSync(OVMF_FD);
    const at = fd.subarray(fd.length - 48, fd.length - 32);
    expect(toHex(at)).toBe(onDisk);
    expect(guidFromBytes(at)).toBe(OVMF_TABLE_FOOTER_GUID);
  });
  it('round-trip, accept upper case and read at an offset', () => {
    const g = '00f771de-1a7e-4fcb-890e-68c77e2fb44e';
    const b = guidToBytes(g.toUpperCase());
    expect(guidFromBytes(b)).toBe(g);
    const padded = new Uint8Array(20);
    padded.set(b, 3);
    expect(guidFromBytes(padded, 3)).toBe(g);
    expect(guidFromBytes(padded, 3)).toBe(guidFromBytes(guidToBytes(g))); // input not modified
  });
  it('reject malformed input', () => {
    expect(() => guidToBytes('not-a-guid')).toThrow(TypeError);
    expect(() => guidToBytes('00f771de-1a7e-4fcb-890e-68c77e2fb44')).toThrow(TypeError);
    expect(() => guidFromBytes(new Uint8Array(15))).toThrow(RangeError);
    expect(() => guidFromBytes(new Uint8Array(16), 1)).toThrow(RangeError);
  });
});

describe('StructWriter / setU64 / sources', () => {
  it('writes little-endian fields', () => {
    const w = new StructWriter(24).u8(0, 0xab).u16(1, 0x1234).u32(3, 0xdeadbeef).u64(7, 0x0102030405060708n).u64(15, -1n);
    expect(toHex(w.bytes)).toBe('ab3412efbeadde0807060504030201ffffffffffffffff00'.padEnd(48, '0'));
    const v = new DataView(new ArrayBuffer(8));
    setU64(v, 0, 2 ** 53 - 1);
    expect(v.getBigUint64(0, true)).toBe(2n ** 53n - 1n);
  });
  it('bytesSource refuses reads past the end and forEachChunk covers a range exactly', () => {
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    const s = bytesSource(data, 'mem');
    expect(() => s.read(90, 11)).toThrow(RangeError);
    expect(() => s.read(-1, 1)).toThrow(RangeError);
    const seen: number[] = [];
    forEachChunk(s, 5, 90, 7, (b) => seen.push(...b));
    expect(seen).toEqual([...data.subarray(5, 95)]);
    expect(equalBytes(s.read(0, 100), data)).toBe(true);
  });
});
