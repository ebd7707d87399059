/**
 * src/bytes/layout.ts: one field table per structure, from which the decoder (binary-parser),
 * the writer, the offsets and the fixed-offset accessors are derived. Expected bytes are
 * written out by hand from the tables below (little-endian unless the field says `be`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes/hex.js';
import { array, at, bytes, defineLayout, latin1, nested, reserved, u16, u16be, u32, u32be, u64, u64n, u8, type LayoutValue } from '../../src/bytes/layout.js';
import { ParseError } from '../../src/errors.js';

const PAIR = defineLayout('TEST_PAIR', { lo: u16, hi: u16 });
const HDR = defineLayout(
  'TEST_HEADER',
  {
    magic: latin1(4), // 0x00
    size: u32, // 0x04
    big: u64, // 0x08
    wide: u64n, // 0x10
    flags: u8, // 0x18
    pad: reserved(1), // 0x19
    kind: u16be, // 0x1a
    tag: u32be, // 0x1c
    blob: bytes(3), // 0x20
    pair: at(0x24, nested(PAIR)), // 0x24 (one reserved byte before it)
    words: array(u16, 2), // 0x28
    pairs: array(PAIR, 2), // 0x2c
  },
  { size: 0x38, check: (v) => (v.magic === 'GOOD' ? null : `bad magic ${JSON.stringify(v.magic)}`) },
);
type Hdr = LayoutValue<typeof HDR>;

const VALUE: Hdr = {
  magic: 'GOOD', size: 0x1234, big: 2 ** 40 + 5, wide: 0xfedc_ba98_7654_3210n, flags: 0xab, kind: 0x0102, tag: 0x0a0b0c0d,
  blob: Uint8Array.of(1, 2, 3), pair: { lo: 0x1111, hi: 0x2222 }, words: [0x3344, 0x5566], pairs: [{ lo: 7, hi: 8 }, { lo: 9, hi: 10 }],
};
const BYTES_HEX =
  '474f4f44' + '34120000' + '0500000000010000' + '1032547698badcfe' + 'ab' + '00' + '0102' + '0a0b0c0d' + '010203' + '00' +
  '11112222' + '44336655' + '07000800' + '09000a00' + '00000000';

describe('defineLayout: size and offsets', () => {
  it('derives the size, the offsets and pads to the declared size', () => {
    expect(HDR.size).toBe(0x38);
    expect(HDR.offsets).toEqual({ magic: 0, size: 4, big: 8, wide: 0x10, flags: 0x18, kind: 0x1a, tag: 0x1c, blob: 0x20, pair: 0x24, words: 0x28, pairs: 0x2c });
    expect(PAIR.size).toBe(4);
  });
  it('refuses a field pinned before the end of the previous one, and fields larger than the size', () => {
    expect(() => defineLayout('BAD', { a: u32, b: at(2, u16) })).toThrow(TypeError);
    expect(() => defineLayout('BAD', { a: u64 }, { size: 4 })).toThrow(TypeError);
    expect(() => bytes(-1)).toThrow(TypeError);
  });
});

describe('encode / decode', () => {
  it('encodes to the spec bytes and decodes them back', () => {
    const b = HDR.encode(VALUE);
    expect(toHex(b)).toBe(BYTES_HEX);
    expect(HDR.decode(b)).toEqual(VALUE);
  });
  it('decodes at an offset and copies byte fields (no view of the input)', () => {
    const buf = new Uint8Array(0x40);
    HDR.encodeInto(VALUE, buf, 8);
    const v = HDR.decode(buf, 8);
    expect(v).toEqual(VALUE);
    buf[8 + 0x20] = 0xff;
    expect(v.blob[0]).toBe(1);
  });
  it('decodes a Node Buffer like its bytes', () => {
    expect(HDR.decode(Buffer.from(HDR.encode(VALUE)))).toEqual(VALUE);
  });
  it('encodeInto writes every byte of the structure, reserved ones as zero', () => {
    const buf = new Uint8Array(0x40).fill(0xee);
    HDR.encodeInto(VALUE, buf, 4);
    expect(toHex(buf.subarray(4, 4 + 0x38))).toBe(BYTES_HEX);
    expect(buf[3]).toBe(0xee);
    expect(buf[4 + 0x38]).toBe(0xee);
    expect(() => HDR.encodeInto(VALUE, buf, 9)).toThrow(RangeError);
  });
  it('encodePartial leaves the fields not given zero', () => {
    const b = HDR.encodePartial({ size: 5, pair: { lo: 1, hi: 2 } });
    expect(b.length).toBe(0x38);
    const v = new DataView(b.buffer);
    expect(v.getUint32(4, true)).toBe(5);
    expect(v.getUint32(0x24, true)).toBe(0x0002_0001);
    expect(b.filter((x) => x !== 0).length).toBe(3);
    expect(() => HDR.encodePartial({ nope: 1 } as never)).toThrow(TypeError);
  });
  it('writes arrays shorter than their count with zeros after them', () => {
    const b = HDR.encode({ ...VALUE, pairs: [{ lo: 7, hi: 8 }] });
    expect(toHex(b.subarray(0x2c, 0x34))).toBe('0700080000000000');
  });
  it('refuses values out of their field range instead of wrapping them', () => {
    expect(() => HDR.encode({ ...VALUE, size: 2 ** 32 })).toThrow(/TEST_HEADER\.size/);
    expect(() => HDR.encode({ ...VALUE, flags: -1 })).toThrow(RangeError);
    expect(() => HDR.encode({ ...VALUE, big: 2 ** 53 })).toThrow(RangeError);
    expect(() => HDR.encode({ ...VALUE, wide: 1n << 64n })).toThrow(RangeError);
    expect(() => HDR.encode({ ...VALUE, blob: new Uint8Array(2) })).toThrow(/3 bytes/);
    expect(() => HDR.encode({ ...VALUE, magic: 'BAD' })).toThrow(RangeError);
    expect(() => HDR.encode({ ...VALUE, words: [1, 2, 3] })).toThrow(RangeError);
    // 64-bit fields take a bigint too
    expect(HDR.decode(HDR.encode({ ...VALUE, big: 7n, wide: 7 }))).toMatchObject({ big: 7, wide: 7n });
  });
});

describe('errors name the structure and the byte offset', () => {
  const good = HDR.encode(VALUE);
  it('ERR_TRUNCATED with the offset in the file', () => {
    const buf = new Uint8Array(0x30);
    buf.set(good.subarray(0, 0x28), 8);
    let err: unknown;
    try {
      HDR.decode(buf, 8, { base: 0x1000, source: 'fw.fd' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect(err).toMatchObject({ code: 'ERR_TRUNCATED', structure: 'TEST_HEADER', offset: 0x1008 });
    expect((err as Error).message).toBe('fw.fd: TEST_HEADER at offset 0x1008: needs 56 bytes, only 40 available');
    expect(() => HDR.decode(good, -1)).toThrow(expect.objectContaining({ code: 'ERR_TRUNCATED' }));
  });
  it('ERR_MALFORMED for a failed check', () => {
    const bad = good.slice();
    bad[0] = 0x58;
    expect(() => HDR.decode(bad, 0, { base: 0x40 })).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED', structure: 'TEST_HEADER', offset: 0x40 }));
  });
  it('ERR_MALFORMED for a u64 above 2^53 (never rounded); u64n keeps all 64 bits', () => {
    const huge = HDR.encode({ ...VALUE, big: 0 });
    new DataView(huge.buffer).setBigUint64(8, 1n << 60n, true);
    expect(() => HDR.decode(huge)).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED', message: expect.stringMatching(/field big = 0x1000000000000000 is out of range/) }));
    const L = defineLayout('TEST_U64_ARRAY', { n: nested(defineLayout('TEST_INNER', { q: u64 })), list: array(u64, 2) });
    const b = new Uint8Array(24);
    new DataView(b.buffer).setBigUint64(16, 1n << 62n, true);
    expect(() => L.decode(b)).toThrow(/field list\[1\] = 0x4000000000000000/);
    new DataView(b.buffer).setBigUint64(16, 0n, true);
    new DataView(b.buffer).setBigUint64(0, 1n << 62n, true);
    expect(() => L.decode(b)).toThrow(/field n\.q = 0x4000000000000000/);
  });
});

describe('fixed-offset accessors', () => {
  const b = HDR.encode(VALUE);
  const view = new DataView(b.buffer);
  it('read what decode reads, at the field offsets', () => {
    expect(HDR.field('size').offset).toBe(4);
    expect(HDR.field('size').read(view)).toBe(VALUE.size);
    expect(HDR.field('big').read(view)).toBe(VALUE.big);
    expect(HDR.field('wide').read(view)).toBe(VALUE.wide);
    expect(HDR.field('flags').read(view)).toBe(VALUE.flags);
    expect(HDR.field('kind').read(view)).toBe(VALUE.kind);
    expect(HDR.field('tag').read(view)).toBe(VALUE.tag);
    expect(HDR.field('blob').read(view)).toEqual(VALUE.blob);
    expect(HDR.field('magic').read(view)).toBe('GOOD');
    expect(HDR.field('pair').read(view)).toEqual(VALUE.pair);
    expect(HDR.field('pairs').read(view)).toEqual(VALUE.pairs);
  });
  it('write one field in place, at a structure offset', () => {
    const buf = new Uint8Array(0x48);
    HDR.encodeInto(VALUE, buf, 0x10);
    const v = new DataView(buf.buffer);
    HDR.field('big').write(v, 0x10, 2 ** 53 - 1);
    HDR.field('size').write(v, 0x10, 0xdead_beef);
    HDR.field('wide').write(v, 0x10, 1n);
    HDR.field('blob').write(v, 0x10, Uint8Array.of(9, 9, 9));
    expect(HDR.decode(buf, 0x10)).toEqual({ ...VALUE, big: 2 ** 53 - 1, size: 0xdead_beef, wide: 1n, blob: Uint8Array.of(9, 9, 9) });
    expect(() => HDR.field('blob').write(v, 0x10, new Uint8Array(4))).toThrow(RangeError);
  });
  it('a u64 read above 2^53 is ERR_MALFORMED', () => {
    const buf = new Uint8Array(0x38);
    new DataView(buf.buffer).setBigUint64(8, 1n << 53n, true);
    expect(() => HDR.field('big').read(new DataView(buf.buffer))).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED', structure: 'TEST_HEADER' }));
  });
  it('latin1 reads what decode reads, bytes above 0x7f included', () => {
    const L = defineLayout('TEST_SIG', { sig: latin1(4) });
    const raw = Uint8Array.of(0x41, 0x80, 0xe9, 0x00);
    expect(L.field('sig').read(new DataView(raw.buffer))).toBe(L.decode(raw).sig);
  });
  it('layouts of the same shape under other names decode each under its own names', () => {
    const A = defineLayout('TEST_SHAPE_A', { x: u32, y: u16 });
    const B = defineLayout('TEST_SHAPE_B', { p: u32, q: u16 });
    const raw = Uint8Array.of(1, 0, 0, 0, 2, 0);
    expect(A.decode(raw)).toEqual({ x: 1, y: 2 });
    expect(B.decode(raw)).toEqual({ p: 1, q: 2 });
  });
  it('an unknown field is a TypeError', () => {
    expect(() => HDR.field('nope' as never)).toThrow(TypeError);
  });
});

describe('property: decode(encode(v)) = v, and the accessors agree with decode', () => {
  const u = (max: number): fc.Arbitrary<number> => fc.integer({ min: 0, max });
  const pair = fc.record({ lo: u(0xffff), hi: u(0xffff) });
  const value: fc.Arbitrary<Hdr> = fc.record({
    magic: fc.constant('GOOD'),
    size: u(0xffff_ffff),
    big: fc.maxSafeNat(),
    wide: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    flags: u(0xff),
    kind: u(0xffff),
    tag: u(0xffff_ffff),
    blob: fc.uint8Array({ minLength: 3, maxLength: 3 }).map((x) => Uint8Array.from(x)),
    pair,
    words: fc.tuple(u(0xffff), u(0xffff)),
    pairs: fc.tuple(pair, pair),
  });
  it('for random values', () => {
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 16 }), (v, off) => {
        const buf = new Uint8Array(off + HDR.size);
        HDR.encodeInto(v, buf, off);
        const d = HDR.decode(buf, off);
        expect(d).toEqual(v);
        const view = new DataView(buf.buffer);
        for (const k of ['size', 'big', 'wide', 'flags', 'kind', 'tag', 'blob', 'pair'] as const) expect(HDR.field(k).read(view, off)).toEqual(d[k]);
      }),
      { numRuns: 200 },
    );
  });
  it('for random bytes: decode either succeeds and re-encodes to the same bytes (reserved zero), or fails with a ParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 0x40 }), (raw) => {
        const b = Uint8Array.from(raw);
        try {
          const d = HDR.decode(b);
          const again = HDR.encode(d);
          const expected = b.slice(0, HDR.size);
          expected[0x19] = 0;
          expected[0x23] = 0;
          expected.fill(0, 0x34);
          expect(again).toEqual(expected);
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
