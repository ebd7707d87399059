/**
 * EFI GUIDs. On disk a GUID is 16 bytes in the mixed-endian Microsoft layout: the first
 * three fields little-endian, the last eight bytes as written (Python's `uuid.bytes_le`).
 * In the model GUIDs are lowercase canonical strings.
 */
import { toHex } from './hex.js';

export const GUID_SIZE = 16;

/** Canonical string → 16 on-disk bytes. */
export function guidToBytes(guid: string): Uint8Array {
  const hex = guid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`not a GUID: ${guid}`);
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = parseInt(hex.substr(i * 2, 2), 16);
  // reverse the first three fields (4, 2, 2 bytes)
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

/** 16 on-disk bytes → canonical lowercase string. Reads `bytes` only (never writes to it). */
export function guidFromBytes(bytes: Uint8Array, offset = 0): string {
  if (!Number.isInteger(offset) || offset < 0 || offset + GUID_SIZE > bytes.length) throw new RangeError('a GUID needs 16 bytes');
  const h = toHex(bytes.subarray(offset, offset + GUID_SIZE));
  // the first three fields (4, 2, 2 bytes) are little-endian on disk
  const le = (from: number, to: number): string => {
    let s = '';
    for (let i = to - 2; i >= from; i -= 2) s += h.slice(i, i + 2);
    return s;
  };
  return `${le(0, 8)}-${le(8, 12)}-${le(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
