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
  const truncated = (at: number): ParseError => new ParseError('ERR_TRUNCATED', STRUCTURE, base + at, at < 18 ? 'the range coder needs 5 bytes' : 'the compressed stream ends early', opts.source);
  const pos = decodeStream(input, out, lc, lp, pb, truncated, fail);
  if (pos !== declared) throw fail(input.length, `the stream ended after ${pos} of ${declared} declared bytes`);
  return out;
}

/**
 * The range-coded stream after the 13-byte header, decoded into `out`; returns the bytes
 * produced. Every bit goes through the same step — marked `// BIT:` — written out where it is
 * used instead of called: with the range coder's state in this function's locals V8 keeps it in
 * registers, and decoding OVMF's 13.5 MB volume takes ~0.6x the time of the version that
 * called a closure per bit (docs/performance.md, "LZMA").
 */
function decodeStream(input: Uint8Array, out: Uint8Array, lc: number, lp: number, pb: number, truncated: (at: number) => Error, fail: (at: number, problem: string) => Error): number {
  const inLen = input.length;
  let inPos = 13;
  if (inLen < inPos + 5) throw truncated(inPos);
  if (input[inPos] !== 0) throw fail(inPos, 'the range coder\'s first byte is not 0');
  let range = 0xffff_ffff;
  let code = ((input[inPos + 1]! << 24) | (input[inPos + 2]! << 16) | (input[inPos + 3]! << 8) | input[inPos + 4]!) >>> 0;
  inPos += 5;
  if (code === range) throw fail(inPos - 4, 'corrupt range coder start');
  const IS_MATCH = 0, IS_REP = 192, IS_REP_G0 = 204, IS_REP_G1 = 216, IS_REP_G2 = 228, IS_REP0_LONG = 240, POS_SLOT = 432, SPEC_POS = 688, ALIGN = 803, LEN = 819, REP_LEN = 1333, LITERAL = 1847;
  const probs = new Uint16Array(LITERAL + (0x300 << (lc + lp))).fill(PROB_INIT);
  const outSize = out.length;
  const pbMask = (1 << pb) - 1;
  const lpMask = (1 << lp) - 1;
  let state = 0, rep0 = 0, rep1 = 0, rep2 = 0, rep3 = 0, pos = 0;
  let b: number; // the bit the last BIT step decoded
  while (pos < outSize) {
    const posState = pos & pbMask;
    { // BIT: decode one bit with probs[IS_MATCH + (state << 4) + posState]
      const i_ = IS_MATCH + (state << 4) + posState;
      const p_ = probs[i_]!;
      const bound_ = (range >>> 11) * p_;
      if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
      if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
    }
    if (b === 0) {
      const prev = pos > 0 ? out[pos - 1]! : 0;
      const at = LITERAL + 0x300 * (((pos & lpMask) << lc) + (prev >>> (8 - lc)));
      let sym = 1;
      if (state >= 7) {
        if (rep0 >= pos) throw fail(inPos, `match distance ${rep0 + 1} reaches before the start of the output`);
        let matchByte = out[pos - rep0 - 1]!;
        while (sym < 0x100) {
          const matchBit = (matchByte >>> 7) & 1;
          matchByte <<= 1;
          { // BIT: decode one bit with probs[at + ((1 + matchBit) << 8) + sym]
            const i_ = at + ((1 + matchBit) << 8) + sym;
            const p_ = probs[i_]!;
            const bound_ = (range >>> 11) * p_;
            if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
            if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
          }
          sym = (sym << 1) | b;
          if (matchBit !== b) break;
        }
      }
      while (sym < 0x100) {
        { // BIT: decode one bit with probs[at + sym]
          const i_ = at + sym;
          const p_ = probs[i_]!;
          const bound_ = (range >>> 11) * p_;
          if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
          if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
        }
        sym = (sym << 1) | b;
      }
      out[pos++] = sym & 0xff;
      state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
      continue;
    }
    let len: number;
    let lenAt: number;
    { // BIT: decode one bit with probs[IS_REP + state]
      const i_ = IS_REP + state;
      const p_ = probs[i_]!;
      const bound_ = (range >>> 11) * p_;
      if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
      if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
    }
    if (b !== 0) {
      if (pos === 0) throw fail(inPos, 'a repeated match before any output');
      { // BIT: decode one bit with probs[IS_REP_G0 + state]
        const i_ = IS_REP_G0 + state;
        const p_ = probs[i_]!;
        const bound_ = (range >>> 11) * p_;
        if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
        if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
      }
      if (b === 0) {
        { // BIT: decode one bit with probs[IS_REP0_LONG + (state << 4) + posState]
          const i_ = IS_REP0_LONG + (state << 4) + posState;
          const p_ = probs[i_]!;
          const bound_ = (range >>> 11) * p_;
          if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
          if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
        }
        if (b === 0) {
          state = state < 7 ? 9 : 11;
          if (rep0 >= pos) throw fail(inPos, `match distance ${rep0 + 1} reaches before the start of the output`);
          out[pos] = out[pos - rep0 - 1]!;
          pos++;
          continue;
        }
      } else {
        let dist: number;
        { // BIT: decode one bit with probs[IS_REP_G1 + state]
          const i_ = IS_REP_G1 + state;
          const p_ = probs[i_]!;
          const bound_ = (range >>> 11) * p_;
          if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
          if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
        }
        if (b === 0) dist = rep1;
        else {
          { // BIT: decode one bit with probs[IS_REP_G2 + state]
            const i_ = IS_REP_G2 + state;
            const p_ = probs[i_]!;
            const bound_ = (range >>> 11) * p_;
            if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
            if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
          }
          if (b === 0) dist = rep2;
          else {
            dist = rep3;
            rep3 = rep2;
          }
          rep2 = rep1;
        }
        rep1 = rep0;
        rep0 = dist;
      }
      lenAt = REP_LEN;
      state = state < 7 ? 8 : 11;
    } else {
      rep3 = rep2;
      rep2 = rep1;
      rep1 = rep0;
      lenAt = LEN;
      state = state < 7 ? 7 : 10;
    }
    // the length: choice, choice2, then a 3- or 8-bit tree
    {
      let base: number, bits: number, tree: number;
      { // BIT: decode one bit with probs[lenAt]
        const i_ = lenAt;
        const p_ = probs[i_]!;
        const bound_ = (range >>> 11) * p_;
        if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
        if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
      }
      if (b === 0) { base = 0; bits = 3; tree = lenAt + 2 + (posState << 3); }
      else {
        { // BIT: decode one bit with probs[lenAt + 1]
          const i_ = lenAt + 1;
          const p_ = probs[i_]!;
          const bound_ = (range >>> 11) * p_;
          if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
          if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
        }
        if (b === 0) { base = 8; bits = 3; tree = lenAt + 2 + 128 + (posState << 3); }
        else { base = 16; bits = 8; tree = lenAt + 2 + 256; }
      }
      let m = 1;
      for (let k = 0; k < bits; k++) {
        { // BIT: decode one bit with probs[tree + m]
          const i_ = tree + m;
          const p_ = probs[i_]!;
          const bound_ = (range >>> 11) * p_;
          if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
          if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
        }
        m = (m << 1) + b;
      }
      len = base + m - (1 << bits);
    }
    if (lenAt === LEN) {
      const lenState = len < 3 ? len : 3;
      let slot = 1;
      for (let k = 0; k < 6; k++) {
        { // BIT: decode one bit with probs[POS_SLOT + (lenState << 6) + slot]
          const i_ = POS_SLOT + (lenState << 6) + slot;
          const p_ = probs[i_]!;
          const bound_ = (range >>> 11) * p_;
          if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
          if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
        }
        slot = (slot << 1) + b;
      }
      slot -= 64;
      if (slot < 4) rep0 = slot;
      else {
        const n = (slot >>> 1) - 1;
        let dist = (2 | (slot & 1)) * 2 ** n;
        if (slot < 14) {
          const at = SPEC_POS + dist - slot;
          let m = 1, sym = 0;
          for (let k = 0; k < n; k++) {
            { // BIT: decode one bit with probs[at + m]
              const i_ = at + m;
              const p_ = probs[i_]!;
              const bound_ = (range >>> 11) * p_;
              if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
              if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
            }
            m = (m << 1) + b;
            sym |= b << k;
          }
          dist += sym;
        } else {
          let d = 0;
          for (let k = 0; k < n - 4; k++) {
            range >>>= 1;
            let bb = 0;
            if (code >= range) { code -= range; bb = 1; }
            d = d * 2 + bb;
            if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = ((code * 256) + input[inPos++]!) >>> 0; }
          }
          let m = 1, sym = 0;
          for (let k = 0; k < 4; k++) {
            { // BIT: decode one bit with probs[ALIGN + m]
              const i_ = ALIGN + m;
              const p_ = probs[i_]!;
              const bound_ = (range >>> 11) * p_;
              if (code < bound_) { range = bound_; probs[i_] = p_ + ((2048 - p_) >>> 5); b = 0; } else { range -= bound_; code -= bound_; probs[i_] = p_ - (p_ >>> 5); b = 1; }
              if (range < K_TOP) { if (inPos >= inLen) throw truncated(inPos); range = (range * 256) >>> 0; code = (code * 256 + input[inPos++]!) >>> 0; }
            }
            m = (m << 1) + b;
            sym |= b << k;
          }
          dist += d * 16 + sym;
        }
        rep0 = dist;
      }
      if (rep0 === 0xffff_ffff) break; // end marker
    }
    len += 2;
    if (rep0 >= pos) throw fail(inPos, `match distance ${rep0 + 1} reaches before the start of the output (${pos} bytes)`);
    if (len > outSize - pos) throw fail(inPos, `a match of ${len} bytes runs past the declared size ${outSize}`);
    if (rep0 === 0) {
      // a run of one byte (firmware volumes hold long runs of 0x00 and 0xFF)
      out.fill(out[pos - 1]!, pos, pos + len);
      pos += len;
    } else {
      let src = pos - rep0 - 1;
      for (let k = 0; k < len; k++) out[pos++] = out[src++]!;
    }
  }
  return pos;
}
