/**
 * POSIX ustar archives (POSIX.1-2001 pax/ustar header, GNU long names), read whole: the
 * capture's `fwcfg.tar` and `tables.tar`. Header (512 bytes, then the data padded to 512):
 *   0x000 100 name   0x07c 12 size (octal ASCII)   0x094 8 chksum   0x09c 1 typeflag
 *   0x101 6 magic "ustar"   0x159 155 prefix (ustar: name = prefix + "/" + name)
 * typeflag '0' or NUL regular file, '5' directory, 'L' (GNU) the next entry's long name,
 * 'x'/'g' pax headers (skipped). Two zero blocks end the archive.
 */
import { ParseError } from '../errors.js';

export interface TarEntry { name: string; data: Uint8Array }

const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (const c of b) {
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
};

/** The regular files of a tar archive, by name (a leading "./" removed). */
export function readTar(bytes: Uint8Array, source?: string): Map<string, TarEntry> {
  const files = new Map<string, TarEntry>();
  let p = 0;
  let longName: string | null = null;
  while (p + 512 <= bytes.length) {
    const h = bytes.subarray(p, p + 512);
    if (h.every((x) => x === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    const sizeText = latin1(h.subarray(124, 136)).trim();
    const chk = latin1(h.subarray(148, 156)).trim();
    if (!/^[0-7]+$/.test(chk) || parseInt(chk, 8) !== sum) throw new ParseError('ERR_MALFORMED', 'tar header', p, 'checksum mismatch (not a tar archive)', source);
    if (!/^[0-7]*$/.test(sizeText)) throw new ParseError('ERR_MALFORMED', 'tar header', p, `size field ${JSON.stringify(sizeText)} is not octal`, source);
    const size = sizeText ? parseInt(sizeText, 8) : 0;
    const type = String.fromCharCode(h[156]!);
    if (p + 512 + size > bytes.length) throw new ParseError('ERR_TRUNCATED', 'tar entry', p, `${size} data bytes run past the ${bytes.length}-byte archive`, source);
    const data = bytes.subarray(p + 512, p + 512 + size);
    let name = latin1(h.subarray(0, 100));
    if (latin1(h.subarray(257, 262)) === 'ustar') {
      const prefix = latin1(h.subarray(345, 500));
      if (prefix) name = `${prefix}/${name}`;
    }
    if (longName !== null) {
      name = longName;
      longName = null;
    }
    if (type === 'L') longName = latin1(data);
    else if (type === '0' || type === '\0') files.set(name.replace(/^\.\//, ''), { name, data });
    p += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
