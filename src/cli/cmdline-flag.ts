/**
 * `--append TEXT` / `--append-file FILE`: the kernel command line as the bytes QEMU measures
 * (src/formats/linux/cmdline.ts). Node decodes argv as UTF-8 and replaces every byte that is
 * not UTF-8 with U+FFFD, so the bytes of a non-UTF-8 `--append` are lost before prelaunch sees
 * them: an argument holding U+FFFD is refused, and `--append-file` passes exact bytes.
 */
import * as fs from 'node:fs';
import { OptionError } from '../errors.js';
import { cmdlineBytes, type KernelCmdline } from '../formats/linux/cmdline.js';
import { readFileBytes } from './io.js';

/** Larger command-line files are refused before they are read (Linux takes at most a few KiB). */
export const MAX_CMDLINE_FILE = 1 << 20;

/**
 * Refuse a command-line argument whose bytes argv decoding may have replaced. `flag` names the
 * option; `fileFlag` the exact-bytes alternative to suggest.
 */
export function checkArgvCmdline(text: string, flag: string, fileFlag: string): string {
  const at = text.indexOf('\uFFFD');
  if (at >= 0) {
    throw new OptionError(
      flag,
      `holds U+FFFD at character ${at}: the argument was not UTF-8 (the shell passed bytes that were replaced before prelaunch saw them), ` +
        `so its bytes are unknown; put the exact command line in a file and use ${fileFlag} FILE (a real U+FFFD can be written there too)`,
    );
  }
  cmdlineBytes(text, flag); // NUL cannot come through argv; lone surrogates cannot either, but keep one rule
  return text;
}

/** The exact bytes of a command-line file. The file is the command line: a trailing newline is part of it. */
export function readCmdlineFile(file: string, flag: string): Uint8Array {
  try {
    const st = fs.statSync(file);
    if (st.isFile() && st.size > MAX_CMDLINE_FILE) throw new OptionError(flag, `${file} is ${st.size} bytes; a kernel command line file may hold at most ${MAX_CMDLINE_FILE}`);
  } catch (e) {
    if (e instanceof OptionError) throw e;
    // readFileBytes reports a missing or unreadable file
  }
  const bytes = readFileBytes(file, flag);
  if (bytes.length > MAX_CMDLINE_FILE) throw new OptionError(flag, `${file} holds more than ${MAX_CMDLINE_FILE} bytes; a kernel command line file may hold at most that`);
  cmdlineBytes(bytes, `${flag} ${file}`);
  return bytes;
}

/**
 * The command line of `--append` / `--append-file` (the flag names differ per command), or
 * undefined when neither is given. Both at once are refused.
 */
export function cmdlineFromFlags(append: string | undefined, appendFile: string | undefined, flags = { text: '--append', file: '--append-file' }): KernelCmdline | undefined {
  if (append !== undefined && appendFile !== undefined) throw new OptionError(flags.file, `give ${flags.text} or ${flags.file}, not both`);
  if (append !== undefined) return checkArgvCmdline(append, flags.text, flags.file);
  if (appendFile !== undefined) return readCmdlineFile(appendFile, flags.file);
  return undefined;
}

/** A warning line when a command-line file ends with a newline (kept: QEMU would get it too if the shell passed it). */
export function trailingNewlineWarning(c: KernelCmdline | undefined, flag = '--append-file'): string | null {
  if (!(c instanceof Uint8Array) || c.length === 0) return null;
  const last = c[c.length - 1];
  return last === 0x0a || last === 0x0d
    ? `warning: ${flag}: the command line ends with a ${last === 0x0a ? 'newline' : 'carriage return'}, which is measured as part of it (a launch with -append "$(cat FILE)" drops trailing newlines: strip it from the file if yours does)`
    : null;
}
