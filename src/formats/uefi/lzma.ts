/**
 * LZMA ("LZMA alone") decoder, for the compressed sections of edk2 firmware volumes (GUIDed
 * section EE4E5898-3914-4259-9D6E-DC7BD79403CF, MdeModulePkg LzmaCustomDecompressLib):
 *
 *   0x00  1  properties byte: lc + 9 × (lp + 5 × pb)
 *   0x01  4  dictionary size (u32 LE)
 *   0x05  8  uncompressed size (u64 LE; all ones = unknown, the stream ends with an end marker)
 *   0x0d  …  range-coded stream
 *
 * Written from the format's description (Igor Pavlov's LZMA SDK lzma-specification, public
 * domain). Hostile input safe: the declared size is capped by the caller before anything is
 * allocated, every distance is checked against the bytes produced, and a stream that runs
 * past its input fails with a ParseError instead of reading beyond it.
 */
import { ParseError } from '../../errors.js';

const STRUCTURE = 'LZMA stream';
const K_TOP = 1 << 24;
const PROB_INIT = 1024;

export interface LzmaOptions {
  /** largest uncompressed size accepted (a declared size above it is refused before allocating) */
  maxOutput: number;
  /** added to offsets in errors (where the stream starts in its file) */
  base?: number;
  source?: string;
}

/** The uncompressed size an LZMA-alone header declares (null when unknown), without decoding. */
export function lzmaDeclaredSize(input: Uint8Array): number | null {
  if (input.length < 13) return null;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 4; i++) lo += input[5 + i]! * 2 ** (8 * i);
  for (let i = 0; i < 4; i++) hi += input[9 + i]! * 2 ** (8 * i);
  if (lo === 0xffff_ffff && hi === 0xffff_ffff) return null;
  return hi * 2 ** 32 + lo;
}

export function lzmaDecompress(input: Uint8Array, opts: LzmaOptions): Uint8Array {
  const base = opts.base ?? 0;
  const fail = (at: number, problem: string): ParseError => new ParseError('ERR_MALFORMED', STRUCTURE, base + at, problem, opts.source);
  if (input.length < 13) throw new ParseError('ERR_TRUNCATED', STRUCTURE, base, `needs a 13-byte header, only ${input.length} bytes`, opts.source);
  let d = input[0]!;
  if (d >= 9 * 5 * 5) throw fail(0, `properties byte 0x${d.toString(16)} is out of range`);
  const lc = d % 9;
  d = (d / 9) | 0;
  const lp = d % 5;
  const pb = (d / 5) | 0;
  const declared = lzmaDeclaredSize(input);
  if (declared === null) throw fail(5, 'the uncompressed size is not declared (edk2 always declares it)');
  if (declared > opts.maxOutput) throw fail(5, `declares ${declared} uncompressed bytes, more than the ${opts.maxOutput} accepted`);
  const out = new Uint8Array(declared);
  const outSize = declared;

  // range decoder
  let inPos = 13;
  const inLen = input.length;
  if (inLen < inPos + 5) throw new ParseError('ERR_TRUNCATED', STRUCTURE, base + inPos, 'the range coder needs 5 bytes', opts.source);
  if (input[inPos] !== 0) throw fail(inPos, 'the range coder\'s first byte is not 0');
  let range = 0xffff_ffff;
  let code = ((input[inPos + 1]! << 24) | (input[inPos + 2]! << 16) | (input[inPos + 3]! << 8) | input[inPos + 4]!) >>> 0;
  inPos += 5;
  if (code === range) throw fail(inPos - 4, 'corrupt range coder start');

  // offsets into probs
  const IS_MATCH = 0; // 12 << 4
  const IS_REP = 192; // 12
  const IS_REP_G0 = 204;
  const IS_REP_G1 = 216;
  const IS_REP_G2 = 228;
  const IS_REP0_LONG = 240; // 12 << 4
  const POS_SLOT = 432; // 4 × 64
  const SPEC_POS = 688; // 115 (index 0 unused by the base-dist − slot addressing)
  const ALIGN = 803; // 16
  const LEN = 819; // choice, choice2, low 16×8, mid 16×8, high 256 = 514
  const REP_LEN = 1333; // 514
  const LITERAL = 1847; // 0x300 << (lc + lp)
  const probs = new Uint16Array(LITERAL + (0x300 << (lc + lp))).fill(PROB_INIT);

  const bit = (i: number): number => {
    const p = probs[i]!;
    const bound = (range >>> 11) * p;
    let b: number;
    if (code < bound) {
      range = bound;
      probs[i] = p + ((2048 - p) >>> 5);
      b = 0;
    } else {
      range = (range - bound) >>> 0;
      code = (code - bound) >>> 0;
      probs[i] = p - (p >>> 5);
      b = 1;
    }
    if (range < K_TOP) {
      if (inPos >= inLen) throw new ParseError('ERR_TRUNCATED', STRUCTURE, base + inPos, 'the compressed stream ends early', opts.source);
      range = (range << 8) >>> 0;
      code = ((code << 8) | input[inPos++]!) >>> 0;
    }
    return b;
  };
  const direct = (n: number): number => {
    let res = 0;
    for (let i = 0; i < n; i++) {
      range >>>= 1;
      let b = 0;
      if (code >= range) {
        code = (code - range) >>> 0;
        b = 1;
      }
      res = res * 2 + b;
      if (range < K_TOP) {
        if (inPos >= inLen) throw new ParseError('ERR_TRUNCATED', STRUCTURE, base + inPos, 'the compressed stream ends early', opts.source);
        range = (range << 8) >>> 0;
        code = ((code << 8) | input[inPos++]!) >>> 0;
      }
    }
    return res;
  };
  const tree = (at: number, n: number): number => {
    let m = 1;
    for (let i = 0; i < n; i++) m = (m << 1) + bit(at + m);
    return m - (1 << n);
  };
  const reverse = (at: number, n: number): number => {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < n; i++) {
      const b = bit(at + m);
      m = (m << 1) + b;
      sym |= b << i;
    }
    return sym;
  };
  const length = (at: number, posState: number): number => {
    if (bit(at) === 0) return tree(at + 2 + (posState << 3), 3);
    if (bit(at + 1) === 0) return 8 + tree(at + 2 + 128 + (posState << 3), 3);
    return 16 + tree(at + 2 + 256, 8);
  };

  const pbMask = (1 << pb) - 1;
  const lpMask = (1 << lp) - 1;
  let state = 0;
  let rep0 = 0;
  let rep1 = 0;
  let rep2 = 0;
  let rep3 = 0;
  let pos = 0;
  while (pos < outSize) {
    const posState = pos & pbMask;
    if (bit(IS_MATCH + (state << 4) + posState) === 0) {
      const prev = pos > 0 ? out[pos - 1]! : 0;
      const at = LITERAL + 0x300 * (((pos & lpMask) << lc) + (prev >>> (8 - lc)));
      let sym = 1;
      if (state >= 7) {
        if (rep0 >= pos) throw fail(inPos, `match distance ${rep0 + 1} reaches before the start of the output`);
        let matchByte = out[pos - rep0 - 1]!;
        while (sym < 0x100) {
          const matchBit = (matchByte >>> 7) & 1;
          matchByte <<= 1;
          const b = bit(at + ((1 + matchBit) << 8) + sym);
          sym = (sym << 1) | b;
          if (matchBit !== b) break;
        }
      }
      while (sym < 0x100) sym = (sym << 1) | bit(at + sym);
      out[pos++] = sym & 0xff;
      state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
      continue;
    }
    let len: number;
    if (bit(IS_REP + state) !== 0) {
      if (pos === 0) throw fail(inPos, 'a repeated match before any output');
      if (bit(IS_REP_G0 + state) === 0) {
        if (bit(IS_REP0_LONG + (state << 4) + posState) === 0) {
          state = state < 7 ? 9 : 11;
          if (rep0 >= pos) throw fail(inPos, `match distance ${rep0 + 1} reaches before the start of the output`);
          out[pos] = out[pos - rep0 - 1]!;
          pos++;
          continue;
        }
      } else {
        let dist: number;
        if (bit(IS_REP_G1 + state) === 0) dist = rep1;
        else {
          if (bit(IS_REP_G2 + state) === 0) dist = rep2;
          else {
            dist = rep3;
            rep3 = rep2;
          }
          rep2 = rep1;
        }
        rep1 = rep0;
        rep0 = dist;
      }
      len = length(REP_LEN, posState);
      state = state < 7 ? 8 : 11;
    } else {
      rep3 = rep2;
      rep2 = rep1;
      rep1 = rep0;
      len = length(LEN, posState);
      state = state < 7 ? 7 : 10;
      const lenState = len < 3 ? len : 3;
      const slot = tree(POS_SLOT + (lenState << 6), 6);
      if (slot < 4) rep0 = slot;
      else {
        const n = (slot >>> 1) - 1;
        let dist = (2 | (slot & 1)) * 2 ** n;
        if (slot < 14) dist += reverse(SPEC_POS + dist - slot, n);
        else dist += direct(n - 4) * 16 + reverse(ALIGN, 4);
        rep0 = dist;
      }
      if (rep0 === 0xffff_ffff) break; // end marker
    }
    len += 2;
    if (rep0 >= pos) throw fail(inPos, `match distance ${rep0 + 1} reaches before the start of the output (${pos} bytes)`);
    if (len > outSize - pos) throw fail(inPos, `a match of ${len} bytes runs past the declared size ${outSize}`);
    let src = pos - rep0 - 1;
    for (let i = 0; i < len; i++) out[pos++] = out[src++]!;
  }
  if (pos !== outSize) throw fail(inPos, `the stream ended after ${pos} of ${outSize} declared bytes`);
  return out;
}
