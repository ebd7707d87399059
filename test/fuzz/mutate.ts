/**
 * Inputs for the property-based fuzz tests: real samples mutated the ways hostile files
 * differ (bit flips, truncation, size/offset fields set to huge values, spliced random
 * bytes), and plain random bytes. Each input carries a short description for reports.
 */
import fc from 'fast-check';
import { crc32 } from '../../src/bytes/crc32.js';

export interface FuzzInput {
  bytes: Uint8Array;
  /** which sample and which mutations, for a failure report */
  desc: string;
}

type Op =
  | { k: 'flip'; at: number; end: boolean; bit: number }
  | { k: 'u32'; at: number; end: boolean; v: number }
  | { k: 'u64'; at: number; end: boolean; v: bigint }
  | { k: 'trunc'; keep: number }
  | { k: 'bytes'; at: number; end: boolean; data: Uint8Array }
  /** the same u32 at `count` places `stride` apart: every entry of a table (sections, headers) at once */
  | { k: 'spray'; at: number; end: boolean; v: number; stride: number; count: number };

/** values a size, count or offset field is set to */
const HUGE32 = [0xffffffff, 0x80000000, 0x7fffffff, 0x10000000, 0xfffff000, 0x1000, 0, 1];
const HUGE64 = [(1n << 44n), (1n << 52n), (1n << 63n), (1n << 64n) - 1n, 0xffffffffn, (1n << 32n)];

/** a position: from the start or from the end (footers, trailers), often 4- or 8-aligned */
const pos = fc.record({ at: fc.oneof(fc.nat(0x400), fc.nat(0x20000)), end: fc.boolean() });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('flip' as const), bit: fc.nat(7) }).chain((o) => pos.map((p) => ({ ...o, ...p }))) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('u32' as const), v: fc.constantFrom(...HUGE32) }).chain((o) => pos.map((p) => ({ ...o, ...p, at: p.at & ~3 }))) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('u64' as const), v: fc.constantFrom(...HUGE64) }).chain((o) => pos.map((p) => ({ ...o, ...p, at: p.at & ~7 }))) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('trunc' as const), keep: fc.nat(0x20000) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('bytes' as const), data: fc.uint8Array({ minLength: 1, maxLength: 64 }) }).chain((o) => pos.map((p) => ({ ...o, ...p }))) },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('spray' as const), v: fc.constantFrom(...HUGE32), stride: fc.constantFrom(8, 12, 16, 24, 32, 40), count: fc.integer({ min: 2, max: 64 }) })
      .chain((o) => pos.map((p) => ({ ...o, ...p, at: p.at & ~3 }))),
  },
);

function place(len: number, at: number, end: boolean, width: number): number {
  if (len < width) return -1;
  const room = len - width + 1;
  return end ? len - width - (at % room) : at % room;
}

export function applyOps(sample: Uint8Array, ops: Op[]): Uint8Array {
  let b = sample.slice();
  for (const o of ops) {
    if (o.k === 'trunc') {
      b = b.slice(0, o.keep % (b.length + 1));
      continue;
    }
    if (o.k === 'spray') {
      const v = new DataView(b.buffer, b.byteOffset, b.length);
      const first = place(b.length, o.at, o.end, 4);
      for (let i = 0, at = first; first >= 0 && i < o.count && at + 4 <= b.length; i++, at += o.stride) v.setUint32(at, o.v, true);
      continue;
    }
    const width = o.k === 'flip' ? 1 : o.k === 'u32' ? 4 : o.k === 'u64' ? 8 : o.data.length;
    const at = place(b.length, o.at, o.end, width);
    if (at < 0) continue;
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    if (o.k === 'flip') b[at]! ^= 1 << o.bit;
    else if (o.k === 'u32') v.setUint32(at, o.v, true);
    else if (o.k === 'u64') v.setBigUint64(at, o.v, true);
    else b.set(o.data, at);
  }
  return b;
}

const show = (o: Op): string =>
  o.k === 'spray' ? `spray(${o.end ? '-' : ''}${o.at},0x${o.v.toString(16)},${o.stride}x${o.count})` : o.k === 'trunc' ? `trunc(${o.keep})` : o.k === 'bytes' ? `bytes(${o.end ? '-' : ''}${o.at},${o.data.length})` : `${o.k}(${o.end ? '-' : ''}${o.at},${o.k === 'flip' ? o.bit : `0x${o.v.toString(16)}`})`;

/**
 * Make a mutated IGVM file pass the fixed header's checks that would otherwise stop nearly
 * every mutation at the door: total_file_size and the CRC-32 of the headers (IGVM spec:
 * fixed header with checksum 0, then the variable headers).
 */
export function fixIgvm(b: Uint8Array): Uint8Array {
  if (b.length < 32) return b;
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  if (v.getUint32(0, true) !== 0x4d564749) return b;
  v.setUint32(0x10, b.length, true);
  const vho = v.getUint32(8, true);
  const vhs = v.getUint32(12, true);
  if (vho + vhs > b.length) return b;
  const fixed = b.slice(0, v.getUint32(4, true) === 2 ? 32 : 24);
  fixed.fill(0, 0x14, 0x18);
  v.setUint32(0x14, crc32(b.subarray(vho, vho + vhs), crc32(fixed)), true);
  return b;
}

/** a sample (by name) with 1-6 mutations; `fix` (e.g. {@link fixIgvm}) repairs checksums in 7 of 8 */
export function mutated(samples: Record<string, Uint8Array>, fix?: (b: Uint8Array) => Uint8Array): fc.Arbitrary<FuzzInput> {
  const names = Object.keys(samples);
  return fc.tuple(fc.constantFrom(...names), fc.array(op, { minLength: 1, maxLength: 6 }), fc.nat(7)).map(([name, ops, f]) => {
    const bytes = applyOps(samples[name]!, ops);
    const fixed = fix && f !== 0;
    return { bytes: fixed ? fix(bytes) : bytes, desc: `${name} ${ops.map(show).join(' ')}${fixed ? ' +fix' : ''}` };
  });
}

/** random bytes, or a sample mutated (3:1) */
export function hostile(samples: Record<string, Uint8Array>, maxRandom = 4096, fix?: (b: Uint8Array) => Uint8Array): fc.Arbitrary<FuzzInput> {
  return fc.oneof(
    { weight: 3, arbitrary: mutated(samples, fix) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: maxRandom }).map((bytes) => ({ bytes, desc: `random(${bytes.length})` })) },
  );
}
