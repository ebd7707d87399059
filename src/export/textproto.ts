/** Protocol-buffer text format helpers for the check-tool configurations (go-sev-guest, go-tdx-guest). */

/** A `bytes` field value: every byte as a `\xNN` escape in a quoted string. */
export function bytesLiteral(hex: string): string {
  let s = '"';
  for (let i = 0; i < hex.length; i += 2) s += `\\x${hex.slice(i, i + 2)}`;
  return s + '"';
}

/** A 64-bit value as the 8 little-endian bytes a TD quote holds it in (TD_ATTRIBUTES, XFAM), in hex. */
export function le64Hex(v: bigint): string {
  let s = '';
  for (let i = 0n; i < 8n; i++) s += ((v >> (8n * i)) & 0xffn).toString(16).padStart(2, '0');
  return s;
}
