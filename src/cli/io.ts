/**
 * The CLI's file adapters: files become windowed {@link ByteSource}s (streamed, never read
 * whole), and outputs are written to a temporary file and renamed, so a failure never
 * leaves a partial output behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PrelaunchError } from '../errors.js';
import type { ByteSource } from '../bytes/source.js';

const WINDOW = 1024 * 1024;

function ioError(what: string, file: string, e: unknown): PrelaunchError {
  const err = e as NodeJS.ErrnoException;
  const why =
    err.code === 'ENOENT' ? 'no such file' :
    err.code === 'EACCES' ? 'permission denied' :
    err.code === 'EISDIR' ? 'is a directory' :
    err.message;
  return new PrelaunchError('ERR_IO', `${what} ${file}: ${why}`, { file });
}

export interface FileSource extends ByteSource {
  close(): void;
}

/** Open `file` for streamed random access. `flag` names the option it came from, for messages. */
export function openFileSource(file: string, flag: string): FileSource {
  let fd: number;
  let size: number;
  try {
    fd = fs.openSync(file, 'r');
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      fs.closeSync(fd);
      throw Object.assign(new Error('not a regular file'), { code: st.isDirectory() ? 'EISDIR' : 'EINVAL' });
    }
    size = st.size;
  } catch (e) {
    throw ioError(`${flag}: cannot open`, file, e);
  }
  let window = new Uint8Array(0);
  let winStart = 0;
  let big = new Uint8Array(0);
  const fill = (buf: Uint8Array, offset: number, length: number): void => {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, buf, done, length - done, offset + done);
      if (n === 0) throw new PrelaunchError('ERR_IO', `${flag}: ${file} shrank while being read`, { file });
      done += n;
    }
  };
  return {
    name: file,
    size,
    read(offset: number, length: number): Uint8Array {
      if (offset < 0 || length < 0 || offset + length > size) throw new RangeError(`read past the end of ${file}`);
      if (offset >= winStart && offset + length <= winStart + window.length) return window.subarray(offset - winStart, offset - winStart + length);
      if (length > WINDOW) {
        // large streaming reads go straight into a reused buffer of their own
        if (big.length !== length) big = new Uint8Array(length);
        fill(big, offset, length);
        return big;
      }
      const n = Math.min(WINDOW, size - offset);
      if (window.length !== n) window = new Uint8Array(n);
      fill(window, offset, n);
      winStart = offset;
      return window.subarray(0, length);
    },
    close(): void {
      try { fs.closeSync(fd); } catch { /* already closed */ }
    },
  };
}

export function fileSize(file: string, flag: string): number {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: st.isDirectory() ? 'EISDIR' : 'EINVAL' });
    return st.size;
  } catch (e) {
    throw ioError(`${flag}: cannot read`, file, e);
  }
}

export function readFileBytes(file: string, flag: string): Uint8Array {
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (e) {
    throw ioError(`${flag}: cannot read`, file, e);
  }
}

/**
 * Write a command's output to stdout. On POSIX it goes straight to fd 1 with fs.writeSync:
 * creating `process.stdout` (a stream over a pipe, file or TTY) costs ~1.5 ms of every
 * process's start-up (docs/performance.md). A non-blocking pipe that is full (EAGAIN) hands
 * the rest to process.stdout, which queues it; once the reader has gone (EPIPE) the rest of
 * the output is dropped quietly, as `prelaunch … | head -1` expects.
 */
let stdoutState: 'fd' | 'stream' | 'closed' = process.platform === 'win32' ? 'stream' : 'fd';
export function writeStdout(text: string | Uint8Array): void {
  if (stdoutState === 'stream') {
    process.stdout.write(text);
    return;
  }
  if (stdoutState === 'closed') return;
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let done = 0;
  try {
    while (done < buf.length) done += fs.writeSync(1, buf, done, buf.length - done);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') {
      stdoutState = 'closed';
      return;
    }
    if (code !== 'EAGAIN') throw e;
    stdoutState = 'stream';
    process.stdout.write(buf.subarray(done));
  }
}

/** Write `data` to `file` atomically (temporary file in the same directory, then rename). */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.rmSync(tmp, { force: true }); } catch { /* nothing to clean */ }
    throw ioError('cannot write', file, e);
  }
}

/** Buffered text output to a file (atomically, on close) or to stderr. */
export interface TextSink {
  write(line: string): void;
  close(): void;
  discard(): void;
}

export function textSink(target: string): TextSink {
  if (target === '-') {
    return { write: (l) => process.stderr.write(l + '\n'), close: () => {}, discard: () => {} };
  }
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w');
  } catch (e) {
    throw ioError('--trace: cannot write', target, e);
  }
  let buf: string[] = [];
  const flush = (): void => {
    if (buf.length) fs.writeSync(fd, buf.join('\n') + '\n');
    buf = [];
  };
  return {
    write(line) {
      buf.push(line);
      if (buf.length >= 4096) flush();
    },
    close() {
      flush();
      fs.closeSync(fd);
      fs.renameSync(tmp, target);
    },
    discard() {
      try { fs.closeSync(fd); } catch { /* closed */ }
      fs.rmSync(tmp, { force: true });
    },
  };
}

/** Files opened for one command, closed together (`finally { files.close() }`). */
export class OpenFiles {
  private readonly sources: FileSource[] = [];
  /** Open `file` (resolved against `baseDir` when given); `flag` names it in messages. */
  open(file: string, flag: string, baseDir?: string): FileSource {
    const s = openFileSource(baseDir ? path.resolve(baseDir, file) : file, flag);
    this.sources.push(s);
    return s;
  }
  close(): void {
    for (const s of this.sources.splice(0)) s.close();
  }
}
