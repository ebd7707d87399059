/**
 * CRC-32 as zlib `crc32` and Rust's crc32fast compute it: reflected polynomial 0xEDB88320,
 * initial value and final xor 0xFFFFFFFF. Incremental: `crc32(b, crc32(a))` equals
 * `crc32(a ‖ b)`.
 *
 * The IGVM parser checks the CRC of every variable-header section: ~260 KB for a file with
 * 8,000 pages, once per process, so V8 never optimizes the loop (a byte at a time took ~3 ms
 * there). Large inputs go to Node's zlib.crc32 (Node ≥ 20.15; reached without a static import,
 * so this module stays portable). Loading zlib costs ~1-3 ms itself, so small inputs, and
 * runtimes without it, use a slicing-by-8 loop (eight 256-entry tables, eight bytes a step).
 * Tests check both against zlib.
 */
import { nodeBuiltin } from '../runtime.js';
type Crc32 = (bytes: Uint8Array, previous?: number) => number;

/** below this many bytes the JavaScript loop costs less than loading zlib */
const NATIVE_FROM = 128 * 1024;
let native: Crc32 | null | undefined;

function nativeCrc32(): Crc32 | null {
  if (native === undefined) {
    const zlib = nodeBuiltin<{ crc32?: Crc32 }>('node:zlib');
    native = typeof zlib?.crc32 === 'function' ? zlib.crc32 : null;
  }
  return native;
}

/** CRC-32 of `bytes`, continuing from `previous` (the CRC of everything before them). */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const fast = bytes.length >= NATIVE_FROM ? nativeCrc32() : null;
  return fast ? fast(bytes, previous >>> 0) : crc32Portable(bytes, previous);
}

/**
 * The CRC-32 function for a caller with many inputs (the IGVM serializer keys every 4K page
 * it writes by its CRC): zlib's where Node has it (loaded once, then native per call), else
 * the portable loop.
 */
export function crc32ForMany(): (bytes: Uint8Array, previous?: number) => number {
  const fast = nativeCrc32();
  return fast ? (bytes, previous = 0) => fast(bytes, previous >>> 0) : crc32Portable;
}

let tables: Int32Array | null = null;

function makeTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) t[k * 256 + n] = t[(k - 1) * 256 + n]! >>> 8 ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  }
  return t;
}

/** The portable implementation (slicing-by-8; exported for tests). */
export function crc32Portable(bytes: Uint8Array, previous = 0): number {
  const t = (tables ??= makeTables());
  let c = ~previous;
  let i = 0;
  const n = bytes.length;
  for (const end = n - (n % 8); i < end; i += 8) {
    const a = c ^ (bytes[i]! | bytes[i + 1]! << 8 | bytes[i + 2]! << 16 | bytes[i + 3]! << 24);
    c = t[0x700 + (a & 0xff)]! ^ t[0x600 + (a >>> 8 & 0xff)]! ^ t[0x500 + (a >>> 16 & 0xff)]! ^ t[0x400 + (a >>> 24)]!
      ^ t[0x300 + bytes[i + 4]!]! ^ t[0x200 + bytes[i + 5]!]! ^ t[0x100 + bytes[i + 6]!]! ^ t[bytes[i + 7]!]!;
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
