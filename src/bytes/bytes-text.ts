/**
 * Bytes given as text: a digest, an ID, HOST_DATA, an ID block or a signature, on the command
 * line, in a file or in a document. One rule for all of them (docs/cli.md, "Bytes as text"):
 *
 * 1. whitespace around the text is ignored (with `wrapped`, whitespace inside it too: base64
 *    or hex that a tool wrapped over several lines);
 * 2. **hex first**: an even number of hex digits, with or without `0x`, is hex — if it
 *    decodes to a size the input accepts;
 * 3. otherwise **base64** (standard alphabet, canonical padding) that decodes to an accepted
 *    size;
 * 4. anything else is refused, naming the flag, the size expected and what the text was.
 *
 * For a fixed size n ≥ 3 the two spellings cannot be confused (2n hex digits against
 * 4⌈n/3⌉ base64 characters); the order decides only for inputs of several sizes (signatures).
 * Browser-safe (no Node Buffer).
 */
import { PrelaunchError, type ErrorCode } from '../errors.js';
import { fromBase64, fromHex } from './hex.js';

export type BytesTextEncoding = 'hex' | 'base64';

export interface BytesTextOptions {
  /** the size accepted: a byte count, or a test of one (inputs of several sizes) */
  size: number | ((n: number) => boolean);
  /** the spellings accepted (default: hex and base64, hex first) */
  encodings?: readonly BytesTextEncoding[];
  /** ignore whitespace inside the text too (line-wrapped files) */
  wrapped?: boolean;
}

const BOTH: readonly BytesTextEncoding[] = ['hex', 'base64'];

/** The bytes `text` spells under the rule above, or null when it spells none of an accepted size. */
export function decodeBytesText(text: string, o: BytesTextOptions): Uint8Array | null {
  const t = o.wrapped ? text.replace(/\s+/g, '') : text.trim();
  const fits = typeof o.size === 'number' ? (n: number): boolean => n === o.size : o.size;
  for (const enc of o.encodings ?? BOTH) {
    const b = enc === 'hex' ? fromHex(t.replace(/^0x/i, '')) : fromBase64(t);
    if (b && fits(b.length)) return b;
  }
  return null;
}

export interface ParseBytesTextOptions extends BytesTextOptions {
  /** what the value is, for the message (default "N bytes") */
  what?: string;
  /** the error's code (default ERR_MALFORMED: a data error; ERR_INVALID_OPTION for a usage error) */
  code?: ErrorCode;
}

/**
 * {@link decodeBytesText}, refusing text that spells no accepted size with a PrelaunchError
 * `flag: must be WHAT: …; got …` (the sizes a fixed-size input takes in each spelling, and
 * how many bytes the text held in each).
 */
export function parseBytesText(text: string, flag: string, o: ParseBytesTextOptions): Uint8Array {
  const b = decodeBytesText(text, o);
  if (b) return b;
  const encodings = o.encodings ?? BOTH;
  const t = o.wrapped ? text.replace(/\s+/g, '') : text.trim();
  const hex = encodings.includes('hex') ? fromHex(t.replace(/^0x/i, '')) : null;
  const b64 = encodings.includes('base64') ? fromBase64(t) : null;
  const got = hex ? `${hex.length} bytes of hex` : b64 ? `${b64.length} bytes of base64` : encodings.length > 1 ? 'neither hex nor base64' : `not ${encodings[0]}`;
  let expected: string;
  if (typeof o.size === 'number') {
    const n = o.size;
    const forms = encodings.map((e) => (e === 'hex' ? `${2 * n} hex digits` : `${Math.ceil(n / 3) * 4} base64 characters`)).join(' or ');
    expected = `${o.what ?? `${n} bytes`}: ${n} bytes as ${forms}`;
  } else {
    expected = `${o.what ?? 'bytes'} as ${encodings.join(' or ')}`;
  }
  return fail(o.code ?? 'ERR_MALFORMED', flag, `must be ${expected}; got ${got}`);
}

function fail(code: ErrorCode, flag: string, problem: string): never {
  throw new PrelaunchError(code, `${flag}: ${problem}`, { option: flag });
}
