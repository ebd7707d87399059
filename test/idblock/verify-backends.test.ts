/**
 * verifyP384 goes through OpenSSL (node:crypto) in Node and through @noble/curves elsewhere
 * (src/sign/ecdsa-p384.ts). Both must accept exactly the same signatures: valid ones, the
 * high-S twin of a valid one (plain ECDSA, as the AMD secure processor checks it), and nothing
 * else — a changed message, r or s, another key, a point off the curve, r or s out of range.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { P384_ORDER, p384PublicKey, signP384, verifyP384, type EcPoint, type EcdsaSignature } from '../../src/sign/ecdsa-p384.js';

const bytes = (seed: string, n: number): Uint8Array => new Uint8Array(createHash('shake256', { outputLength: n }).update(seed).digest());
/** a valid private scalar from a seed (reduced below n, never 0) */
const key = (seed: string): Uint8Array => {
  let d = BigInt('0x' + Buffer.from(bytes(seed, 48)).toString('hex')) % (P384_ORDER - 1n) + 1n;
  const out = new Uint8Array(48);
  for (let i = 47; i >= 0; i--) { out[i] = Number(d & 0xffn); d >>= 8n; }
  return out;
};

interface Case { name: string; pub: EcPoint; msg: Uint8Array; sig: EcdsaSignature; want: boolean }

function cases(): Case[] {
  const out: Case[] = [];
  for (let i = 0; i < 6; i++) {
    const d = key(`verify/${i}`);
    const pub = p384PublicKey(d);
    const msg = bytes(`verify/msg/${i}`, 96 + i * 311);
    const sig = signP384(d, msg);
    const other = p384PublicKey(key(`verify/other/${i}`));
    const flipped = msg.slice();
    flipped[i % flipped.length]! ^= 1;
    out.push(
      { name: `#${i} valid`, pub, msg, sig, want: true },
      { name: `#${i} high S`, pub, msg, sig: { r: sig.r, s: P384_ORDER - sig.s }, want: true },
      { name: `#${i} message changed`, pub, msg: flipped, sig, want: false },
      { name: `#${i} r + 1`, pub, msg, sig: { r: sig.r + 1n, s: sig.s }, want: false },
      { name: `#${i} s + 1`, pub, msg, sig: { r: sig.r, s: (sig.s % (P384_ORDER - 1n)) + 1n }, want: false },
      { name: `#${i} another key`, pub: other, msg, sig, want: false },
      { name: `#${i} off the curve`, pub: { x: pub.x, y: pub.y + 1n }, msg, sig, want: false },
      { name: `#${i} r = 0`, pub, msg, sig: { r: 0n, s: sig.s }, want: false },
      { name: `#${i} s = n`, pub, msg, sig: { r: sig.r, s: P384_ORDER }, want: false },
      { name: `#${i} x >= 2^384`, pub: { x: pub.x + (1n << 384n), y: pub.y }, msg, sig, want: false },
    );
  }
  return out;
}

describe('verifyP384: OpenSSL and noble agree', () => {
  it('node:crypto is what "auto" uses here', () => {
    const c = cases()[0]!;
    expect(verifyP384(c.pub, c.msg, c.sig, 'node')).toBe(true);
  });
  for (const c of cases()) {
    it(c.name, () => {
      expect(verifyP384(c.pub, c.msg, c.sig, 'node')).toBe(c.want);
      expect(verifyP384(c.pub, c.msg, c.sig, 'noble')).toBe(c.want);
      expect(verifyP384(c.pub, c.msg, c.sig)).toBe(c.want);
    });
  }
});
