/**
 * Split a shell script, a `ps` line or /proc/PID/cmdline (NUL-separated) into commands of
 * words, working on bytes so that a non-UTF-8 `-append` keeps its exact bytes (H7). Covers
 * what launch scripts use: '…' and "…" quoting, backslash escapes and `\` line
 * continuations, comments, `;` `&&` `||` `|` `&` and newlines between commands, and
 * redirections (dropped with their target). A `$` or backquote expansion is kept as a mark
 * on the word, so the caller can refuse it where it matters: prelaunch does not run shells.
 */
import { PrelaunchError } from '../errors.js';

export interface ShellWord {
  bytes: Uint8Array;
  /** the word holds an unexpanded `$…` or `` `…` `` */
  expansion: boolean;
  /** 1-based line where the word starts */
  line: number;
}

const SP = 0x20, TAB = 0x09, NL = 0x0a, CR = 0x0d, HASH = 0x23, SQ = 0x27, DQ = 0x22, BS = 0x5c, DOLLAR = 0x24, BQ = 0x60;
const SEMI = 0x3b, AMP = 0x26, PIPE = 0x7c, LT = 0x3c, GT = 0x3e;

function fail(file: string, line: number, problem: string): PrelaunchError {
  return new PrelaunchError('ERR_MALFORMED', `${file}:${line}: ${problem}`, { file, line });
}

/** The commands of `text`, each a list of words. */
export function shellCommands(text: Uint8Array, file: string): ShellWord[][] {
  if (text.includes(0)) {
    // /proc/PID/cmdline: one argument per NUL-terminated string, exact
    const words: ShellWord[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      if (text[i] === 0) {
        words.push({ bytes: text.slice(start, i), expansion: false, line: 1 });
        start = i + 1;
      }
    }
    if (start < text.length) words.push({ bytes: text.slice(start), expansion: false, line: 1 });
    return [words];
  }
  const commands: ShellWord[][] = [];
  let cmd: ShellWord[] = [];
  let cur: number[] = [];
  let inWord = false;
  let expansion = false;
  let line = 1;
  let wordLine = 1;
  let dropNext = false;
  const endWord = (): void => {
    if (inWord) {
      if (dropNext) dropNext = false;
      else cmd.push({ bytes: Uint8Array.from(cur), expansion, line: wordLine });
    }
    cur = [];
    inWord = false;
    expansion = false;
  };
  const endCommand = (): void => {
    endWord();
    if (dropNext) throw fail(file, line, 'a redirection without a target');
    if (cmd.length) commands.push(cmd);
    cmd = [];
  };
  const startWord = (): void => {
    if (!inWord) {
      inWord = true;
      wordLine = line;
    }
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === NL) line++;
    if (c === SP || c === TAB || c === CR) {
      endWord();
    } else if (c === NL) {
      endCommand();
    } else if (c === HASH && !inWord) {
      while (i + 1 < text.length && text[i + 1] !== NL) i++;
    } else if (c === BS) {
      if (i + 1 >= text.length) throw fail(file, line, 'a backslash at the end of the input');
      const n = text[++i]!;
      if (n === NL) {
        line++;
        continue; // line continuation
      }
      startWord();
      cur.push(n);
    } else if (c === SQ) {
      startWord();
      const start = line;
      for (i++; i < text.length && text[i] !== SQ; i++) {
        if (text[i] === NL) line++;
        cur.push(text[i]!);
      }
      if (i >= text.length) throw fail(file, start, "unterminated ' quote");
    } else if (c === DQ) {
      startWord();
      const start = line;
      for (i++; i < text.length && text[i] !== DQ; i++) {
        const d = text[i]!;
        if (d === NL) line++;
        if (d === BS && i + 1 < text.length && [DQ, BS, DOLLAR, BQ, NL].includes(text[i + 1]!)) {
          const n = text[++i]!;
          if (n === NL) line++;
          else cur.push(n);
        } else {
          if (d === DOLLAR || d === BQ) expansion = true;
          cur.push(d);
        }
      }
      if (i >= text.length) throw fail(file, start, 'unterminated " quote');
    } else if (c === SEMI || c === AMP || c === PIPE) {
      // &> and >& are redirections; everything else separates commands
      if (c === AMP && text[i + 1] === GT) {
        endWord();
        i++;
        if (text[i + 1] === GT) i++;
        dropNext = true;
        continue;
      }
      endCommand();
      if ((c === AMP || c === PIPE) && text[i + 1] === c) i++;
      if (c === SEMI && text[i + 1] === SEMI) i++;
    } else if (c === LT || c === GT) {
      // a redirection: an fd number just before it belongs to it; the target word is dropped
      if (inWord && cur.length && cur.every((b) => b >= 0x30 && b <= 0x39)) {
        cur = [];
        inWord = false;
      } else endWord();
      if (c === LT && text[i + 1] === LT) throw fail(file, line, 'here-documents (<<) are not supported: give the QEMU command line alone');
      if (text[i + 1] === GT || text[i + 1] === AMP || text[i + 1] === PIPE) i++;
      if (text[i] === AMP && i + 1 < text.length && text[i + 1]! >= 0x30 && text[i + 1]! <= 0x39) {
        i++; // 2>&1: the target is the fd itself
        continue;
      }
      dropNext = true;
    } else {
      if (c === DOLLAR || c === BQ) expansion = true;
      startWord();
      cur.push(c);
    }
  }
  endCommand();
  return commands;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A word as text; refuses bytes that are not UTF-8 (only -append may carry those). */
export function wordText(w: ShellWord, file: string): string {
  try {
    return decoder.decode(w.bytes);
  } catch {
    throw fail(file, w.line, 'an argument that is not UTF-8 (only -append may hold raw bytes)');
  }
}
