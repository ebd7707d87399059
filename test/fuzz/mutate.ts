/**
 * Inputs for the property-based fuzz tests: real samples mutated the ways hostile files
 * differ (bit flips, truncation, size/offset fields set to huge values, spliced random
 * bytes), and plain random bytes. Each input carries a short description for reports.
 */
import fc from 'fast-check';
import { crc32 } from '../../src/bytes/crc32.js';
import { bytesSource } from '../../src/bytes/source.js';
import { parseOvmf } from '../../src/formats/ovmf/parse.js';

export interface FuzzInput {
  bytes: Uint8Array;
  /** which sample and which mutations, for a failure report */
  desc: string;
}

type Op =
  | ({ k: 'flip'; bit: number } & Pos)
  | ({ k: 'u32'; v: number } & Pos)
  | ({ k: 'u64'; v: bigint } & Pos)
  | { k: 'trunc'; keep: number }
  | ({ k: 'bytes'; data: Uint8Array } & Pos)
  /** the same u32 at `count` places `stride` apart: every entry of a table (sections, headers) at once */
  | ({ k: 'spray'; v: number; stride: number; count: number } & Pos);

/** where a mutation lands: `at` from the start or the end, or near one of the sample's hot spots */
interface Pos { at: number; end: boolean; hot: { i: number; delta: number } | null }

/** values a size, count or offset field is set to */
const HUGE32 = [0xffffffff, 0x80000000, 0x7fffffff, 0x10000000, 0xfffff000, 0x1000, 0, 1];
const HUGE64 = [(1n << 44n), (1n << 52n), (1n << 63n), (1n << 64n) - 1n, 0xffffffffn, (1n << 32n)];

/** a position: from the start or from the end (footers, trailers), often 4- or 8-aligned */
const pos = fc.record({ at: fc.oneof(fc.nat(0x400), fc.nat(0x20000)), end: fc.boolean(), hot: fc.option(fc.record({ i: fc.nat(), delta: fc.nat(36) }), { freq: 2 }) });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('flip' as const), bit: fc.nat(7) }).chain((o) => pos.map((p) => ({ ...o, ...p }))) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('u32' as const), v: fc.constantFrom(...HUGE32) }).chain((o) => pos.map((p) => ({ ...o, ...p, at: p.at & ~3 }))) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('u64' as const), v: fc.constantFrom(...HUGE64) }).chain((o) => pos.map((p) => ({ ...o, ...p, at: p.at & ~7 }))) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('trunc' as const), keep: fc.nat(0x20000) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('bytes' as const), data: fc.uint8Array({ minLength: 1, maxLength: 64 }) }).chain((o) => pos.map((p) => ({ ...o, ...p }))) },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('spray' as const), v: fc.constantFrom(...HUGE32), stride: fc.constantFrom(8, 12, 16, 24, 32, 40), count: fc.integer({ min: 2, max: 64 }) })
      .chain((o) => pos.map((p) => ({ ...o, ...p, at: p.at & ~3, hot: p.hot && { ...p.hot, delta: p.hot.delta & ~3 } }))),
  },
);

function place(len: number, p: Pos, width: number, hot: readonly number[]): number {
  if (len < width) return -1;
  if (p.hot && hot.length) {
    const at = hot[p.hot.i % hot.length]! + p.hot.delta;
    return at + width <= len ? at : -1;
  }
  const { at, end } = p;
  const room = len - width + 1;
  return end ? len - width - (at % room) : at % room;
}

export function applyOps(sample: Uint8Array, ops: Op[], hot: readonly number[] = []): Uint8Array {
  let b = sample.slice();
  for (const o of ops) {
    if (o.k === 'trunc') {
      b = b.slice(0, o.keep % (b.length + 1));
      continue;
    }
    if (o.k === 'spray') {
      const v = new DataView(b.buffer, b.byteOffset, b.length);
      const first = place(b.length, o, 4, hot);
      for (let i = 0, at = first; first >= 0 && i < o.count && at + 4 <= b.length; i++, at += o.stride) v.setUint32(at, o.v, true);
      continue;
    }
    const width = o.k === 'flip' ? 1 : o.k === 'u32' ? 4 : o.k === 'u64' ? 8 : o.data.length;
    const at = place(b.length, o, width, hot);
    if (at < 0) continue;
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    if (o.k === 'flip') b[at]! ^= 1 << o.bit;
    else if (o.k === 'u32') v.setUint32(at, o.v, true);
    else if (o.k === 'u64') v.setBigUint64(at, o.v, true);
    else b.set(o.data, at);
  }
  return b;
}

const where = (o: Pos): string => (o.hot ? `hot${o.hot.i}+${o.hot.delta}` : `${o.end ? '-' : ''}${o.at}`);
const show = (o: Op): string =>
  o.k === 'spray' ? `spray(${where(o)},0x${o.v.toString(16)},${o.stride}x${o.count})` : o.k === 'trunc' ? `trunc(${o.keep})` : o.k === 'bytes' ? `bytes(${where(o)},${o.data.length})` : `${o.k}(${where(o)},${o.k === 'flip' ? o.bit : `0x${o.v.toString(16)}`})`;

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

/**
 * Where a sample's structures are (found by parsing the unmutated sample): the entries of the
 * OVMF SEV and TDX metadata tables, the IGVM variable headers. Mutations land near them half
 * of the time — a size field set to 2 GiB in every SEV section is what finds a memory bomb.
 */
export function hotSpots(b: Uint8Array): number[] {
  const out: number[] = [];
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  if (b.length >= 32 && v.getUint32(0, true) === 0x4d564749) {
    const vho = v.getUint32(8, true);
    const end = Math.min(b.length, vho + v.getUint32(12, true));
    for (let at = vho; at + 8 <= end; at += 8 + ((v.getUint32(at + 4, true) + 7) & ~7)) out.push(at, at + 8);
    return out;
  }
  try {
    const img = parseOvmf(bytesSource(b));
    img.sevMetadata?.sections.forEach((_, i) => out.push(img.sevMetadata!.offset + 16 + 12 * i));
    img.tdxMetadata?.sections.forEach((_, i) => out.push(img.tdxMetadata!.offset + 16 + 32 * i));
    if (img.sevMetadata) out.push(img.sevMetadata.offset);
    if (img.tdxMetadata) out.push(img.tdxMetadata.offset);
  } catch {
    /* not OVMF */
  }
  return out;
}

/** a sample (by name) with 1-6 mutations; `fix` (e.g. {@link fixIgvm}) repairs checksums in 7 of 8 */
export function mutated(samples: Record<string, Uint8Array>, fix?: (b: Uint8Array) => Uint8Array): fc.Arbitrary<FuzzInput> {
  const names = Object.keys(samples);
  const hot = Object.fromEntries(names.map((n) => [n, hotSpots(samples[n]!)]));
  return fc.tuple(fc.constantFrom(...names), fc.array(op, { minLength: 1, maxLength: 6 }), fc.nat(7)).map(([name, ops, f]) => {
    const bytes = applyOps(samples[name]!, ops, hot[name]);
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
