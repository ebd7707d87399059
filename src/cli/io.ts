/**
 * The CLI's file adapters — the only place the CLI opens, reads or writes files.
 *
 * Inputs. Every input is a readable file or a stream (a pipe, `<(…)`, `/dev/stdin`,
 * `/dev/null`, a character device):
 * - {@link openFileSource}: a windowed {@link ByteSource} for the measured inputs (firmware,
 *   kernels, initrds, IGVM files). A regular file is read in windows, never whole; a stream
 *   is read once, sized as it is read, and buffered (in memory up to {@link SPOOL_MEMORY},
 *   beyond that in an unlinked temporary file in the OS temp directory), up to a cap.
 * - {@link readInput}: the whole of a small input (keys, ID blocks, JSON/YAML documents,
 *   event logs), read incrementally and refused beyond a cap its format allows
 *   ({@link LIMITS}) — never an allocation from the size a device reports.
 * - {@link inputSize}: the size of an input whose bytes are not used (`--vars-file`).
 * A path is `stat`ed before it is opened: a regular file is opened non-blocking, so a FIFO
 * that replaces it cannot block before its type is checked; a FIFO is opened like `cat`
 * opens one (waiting for its writer).
 *
 * Outputs. {@link Outputs} is one command's output transaction: every target is checked up
 * front (its directory exists and is a directory; it is not a directory), every file is
 * staged as a temporary file next to its target, and all are renamed together by
 * `commit()`; on an error, SIGINT/SIGTERM/SIGHUP or exit the temporary files are removed.
 * A symlink is written through (its target is replaced; the link stays). A target that is
 * not a regular file (a device such as /dev/null or /dev/stdout, a FIFO), or any path
 * under /dev or /proc, is written directly, without a temporary file.
 * {@link writeStdout} reports a failed write to stdout (ENOSPC, EIO…) as an error.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PrelaunchError } from '../errors.js';
import { bytesSource, type ByteSource } from '../bytes/source.js';
import { env, injectedIo, resolvePath } from './context.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * The most bytes read from each kind of input, by what its format allows; docs/cli.md
 * ("Files and streams") lists them.
 */
export const LIMITS = {
  /** a PEM or DER private/public key (a P-384 key is < 1 KiB as PEM) */
  key: 64 * KiB,
  /** a host stack file (`prelaunch host probe` output) or a QEMU firmware descriptor */
  stackFile: 1 * MiB,
  /** a QEMU command line (--from-qemu) or a libvirt domain XML (--from-libvirt) */
  launchConfig: 4 * MiB,
  /** a passphrase file (its first line is used) */
  passphrase: 64 * KiB,
  /** an ID block (96 bytes) or ID auth (4 KiB), raw or as base64/hex text; a detached signature */
  idBlob: 64 * KiB,
  /** `prelaunch measure` output (a line or its JSON document) for --from-measure */
  measureOutput: 1 * MiB,
  /** an SNP attestation report: 1184 bytes binary, or JSON */
  attestationReport: 1 * MiB,
  /** `verify` evidence: an SNP report (with its certificate table) or a TDX quote */
  evidence: 1 * MiB,
  /** a certificate file (PEM bundle or DER) for `verify` */
  certificate: 256 * KiB,
  /** a golden document (golden --check, export) */
  goldenDocument: 256 * MiB,
  /** a golden manifest (JSON or YAML) */
  manifest: 16 * MiB,
  /** a `tdx … --json` prediction (tdx diff) */
  tdxPrediction: 64 * MiB,
  /** a TDX CCEL event log (the ACPI CCEL table's log area) */
  ccel: 64 * MiB,
  /** one fw_cfg ACPI blob (QEMU caps its ACPI tables at 2 MiB: ACPI_BUILD_TABLE_MAX_SIZE) */
  acpiBlob: 16 * MiB,
  /** a `--trace` file (trace diff) */
  trace: 256 * MiB,
  /** igvm build's kernel (its bytes go into an IGVM file, whose offsets are 32-bit) */
  igvmBuildKernel: 1 * GiB,
  /** igvm build's --bldr and --tdx-stage1 (boot loaders below 4 GiB) */
  igvmBuildLoader: 64 * MiB,
  /** firmware (--ovmf, --firmware, --svsm) given as a stream; a regular file has no cap here */
  firmwareStream: 64 * MiB,
  /** a kernel or initrd given as a stream (QEMU loads both below 4 GiB) */
  bootStream: 4 * GiB,
  /** an IGVM file given as a stream (IGVM file offsets are 32-bit) */
  igvmStream: 4 * GiB,
  /** an OVMF vars store whose size is used (--vars-file; --vars-size is a 32-bit value) */
  varsFile: 4 * GiB - 1,
} as const;

const CHUNK = 1024 * 1024;
const WINDOW = 1024 * 1024;
/** how much of a stream is buffered in memory before it goes to a temporary file */
export const SPOOL_MEMORY = 16 * MiB;

function sizeText(n: number): string {
  if (n >= GiB && n % GiB === 0) return `${n / GiB} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= KiB && n % KiB === 0) return `${n / KiB} KiB`;
  return `${n} bytes`;
}

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    case 'ENOTDIR': return 'a component of the path is not a directory';
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EROFS': return 'read-only file system';
    case 'EIO': return 'input/output error';
    case 'EFBIG': return 'file too large';
    case 'ENXIO': return 'no such device (a FIFO with no reader?)';
    case 'ELOOP': return 'too many levels of symbolic links';
    case 'ENAMETOOLONG': return 'file name too long';
    default: return err.message ?? String(e);
  }
}

function ioError(what: string, file: string, e: unknown): PrelaunchError {
  if (e instanceof PrelaunchError) return e;
  return new PrelaunchError('ERR_IO', `${what} ${file}: ${errnoText(e)}`, { file });
}

function kindOf(st: fs.Stats): string {
  return st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a pipe' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a regular file';
}

// ---------------------------------------------------------------------------------------
// inputs

export interface InputOptions {
  /** `-` means standard input */
  stdin?: boolean;
  /** refuse anything but a regular file (without blocking on a FIFO) */
  regularOnly?: boolean;
}

/** An open input: a regular file (`size` known, positional reads) or a stream (`size` null). */
interface OpenInput {
  fd: number;
  size: number | null;
  close(): void;
  /** injected standard input (an in-process run): its bytes, instead of a descriptor */
  data?: Uint8Array;
}

/** The bytes of standard input when a run was given them ({@link CliIo.stdin}), else null. */
function injectedStdin(): Uint8Array | null {
  const s = injectedIo()?.stdin;
  if (s === undefined) return null;
  return typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
}

/** The descriptor `file` names when it is /dev/stdin or /dev/fd/N (/proc/self/fd/N), else null. */
function inheritedFd(file: string): number | null {
  if (process.platform === 'win32') return null;
  if (file === '/dev/stdin') return 0;
  const m = /^\/(?:dev|proc\/self)\/fd\/(\d{1,9})$/.exec(file);
  return m ? Number(m[1]) : null;
}

function openInput(file: string, flag: string, o: InputOptions = {}, verb = 'cannot read'): OpenInput {
  const what = `${flag}: ${verb}`;
  if ((o.stdin && file === '-') || file === '/dev/stdin') {
    const data = injectedStdin();
    if (data) {
      if (o.regularOnly) throw new PrelaunchError('ERR_IO', `${what} ${o.stdin && file === '-' ? 'standard input' : file}: is a pipe; a regular file is needed here`, { file });
      return { fd: -1, size: null, close: () => {}, data };
    }
  }
  if (o.stdin && file === '-') {
    try {
      fs.fstatSync(0);
    } catch (e) {
      throw ioError(what, 'standard input', e);
    }
    // stdin is read from where it stands (a redirected regular file may be positioned)
    return { fd: 0, size: null, close: () => {} };
  }
  const inherited = inheritedFd(file);
  if (inherited !== null) {
    // /dev/stdin, /dev/fd/N: the descriptor itself (a pipe from a Node parent is a socket,
    // which cannot be opened by path)
    let fst: fs.Stats;
    try {
      fst = fs.fstatSync(inherited);
    } catch (e) {
      throw ioError(what, file, e);
    }
    if (fst.isDirectory()) throw new PrelaunchError('ERR_IO', `${what} ${file}: is a directory`, { file });
    if (!fst.isFile() && o.regularOnly) throw new PrelaunchError('ERR_IO', `${what} ${file}: is ${kindOf(fst)}; a regular file is needed here`, { file });
    return { fd: inherited, size: fst.isFile() ? fst.size : null, close: () => {} };
  }
  const at = resolvePath(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(at); // stat, not open: a FIFO is not opened before its type is known
  } catch (e) {
    throw ioError(what, file, e);
  }
  if (st.isDirectory()) throw new PrelaunchError('ERR_IO', `${what} ${file}: is a directory`, { file });
  const regular = st.isFile();
  if (!regular && o.regularOnly) throw new PrelaunchError('ERR_IO', `${what} ${file}: is ${kindOf(st)}; a regular file is needed here`, { file });
  let fd: number;
  try {
    // a regular file is opened non-blocking, in case it was swapped for a FIFO since the stat
    fd = fs.openSync(at, regular ? fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) : fs.constants.O_RDONLY);
  } catch (e) {
    throw ioError(what, file, e);
  }
  const close = (): void => {
    try { fs.closeSync(fd); } catch { /* already closed */ }
  };
  try {
    const fst = fs.fstatSync(fd);
    if (fst.isDirectory()) throw new PrelaunchError('ERR_IO', `${what} ${file}: is a directory`, { file });
    if (fst.isFile()) return { fd, size: fst.size, close };
    if (regular || o.regularOnly) throw new PrelaunchError('ERR_IO', `${what} ${file}: is ${kindOf(fst)}; a regular file is needed here`, { file });
    return { fd, size: null, close };
  } catch (e) {
    close();
    throw ioError(what, file, e);
  }
}

function tooLarge(flag: string, file: string, maxBytes: number, what: string): PrelaunchError {
  return new PrelaunchError('ERR_IO', `${flag} ${file}: larger than ${sizeText(maxBytes)}, the most prelaunch reads for ${what}`, { file, limit: maxBytes });
}

/** Sleep `ms` without the event loop (a non-blocking descriptor that has no data yet). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** readSync at the current position, retrying EAGAIN (a non-blocking stdin) and EINTR. */
function readSome(fd: number, buf: Uint8Array, offset: number, length: number, position: number | null): number {
  for (;;) {
    try {
      return fs.readSync(fd, buf, offset, length, position);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') pause(5);
      else if (code !== 'EINTR') throw e;
    }
  }
}

/** Read chunks from the current position until EOF; `onChunk` gets each (a reused buffer). */
function readChunks(fd: number, file: string, flag: string, maxBytes: number, what: string, onChunk: (b: Uint8Array) => void, already = 0): number {
  const buf = new Uint8Array(CHUNK);
  let total = already;
  for (;;) {
    let n: number;
    try {
      n = readSome(fd, buf, 0, CHUNK, null);
    } catch (e) {
      throw ioError(`${flag}: cannot read`, file, e);
    }
    if (n === 0) return total;
    total += n;
    if (total > maxBytes) throw tooLarge(flag, file, maxBytes, what);
    onChunk(buf.subarray(0, n));
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === total) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * The whole of `file` (a regular file or a stream), read incrementally and refused with a
 * clear error once it passes `maxBytes`. `flag` names the option it came from and `what`
 * the kind of input, for messages. The memory used grows with what is actually read.
 */
export function readInput(file: string, flag: string, maxBytes: number, what: string, o: InputOptions = {}): Uint8Array {
  const input = openInput(file, flag, o);
  const name = o.stdin && file === '-' ? 'standard input' : file;
  try {
    if (input.data) {
      if (input.data.length > maxBytes) throw tooLarge(flag, name, maxBytes, what);
      return input.data.slice();
    }
    if (input.size !== null && input.size > maxBytes) throw tooLarge(flag, name, maxBytes, what);
    const chunks: Uint8Array[] = [];
    if (input.size !== null && input.size > 0) {
      // a regular file: read straight into one buffer of its size (copying chunks and then
      // concatenating them touched twice the memory: docs/performance.md, "tpm predict")
      const whole = new Uint8Array(input.size);
      let got = 0;
      while (got < whole.length) {
        let n: number;
        try {
          n = readSome(input.fd, whole, got, Math.min(CHUNK, whole.length - got), null);
        } catch (e) {
          throw ioError(`${flag}: cannot read`, name, e);
        }
        if (n === 0) return whole.slice(0, got); // the file shrank while read
        got += n;
      }
      chunks.push(whole);
    }
    const have = chunks.length ? chunks[0]!.length : 0;
    // a stream, or a file that grew while read: the rest in chunks
    const total = readChunks(input.fd, name, flag, maxBytes, what, (b) => chunks.push(b.slice()), have);
    return concat(chunks, total);
  } finally {
    input.close();
  }
}

/**
 * {@link readInput} with a default cap, for callers that have not picked one from their
 * format yet (prefer readInput with a cap from {@link LIMITS}).
 */
export function readFileBytes(file: string, flag: string, maxBytes = 64 * MiB, what = 'this input'): Uint8Array {
  return readInput(file, flag, maxBytes, what);
}

/** {@link inputSize} with the --vars-file cap (for callers on other branches). */
export function fileSize(file: string, flag: string): number {
  return inputSize(file, flag, LIMITS.varsFile, 'an input whose size is used');
}

/** The size of `file` (a regular file's from fstat; a stream's by reading it, up to `maxBytes`). */
export function inputSize(file: string, flag: string, maxBytes: number, what: string): number {
  const input = openInput(file, flag);
  try {
    if (input.data) {
      if (input.data.length > maxBytes) throw tooLarge(flag, file, maxBytes, what);
      return input.data.length;
    }
    if (input.size !== null) return input.size;
    return readChunks(input.fd, file, flag, maxBytes, what, () => {});
  } finally {
    input.close();
  }
}

export interface FileSource extends ByteSource {
  close(): void;
}

/** A ByteSource over an open descriptor of a regular file of `size` bytes (positional reads in windows). */
function fdSource(fd: number, name: string, flag: string, size: number, onClose: () => void): FileSource {
  let window = new Uint8Array(0);
  let winStart = 0;
  let big = new Uint8Array(0);
  const fill = (buf: Uint8Array, offset: number, length: number): void => {
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSome(fd, buf, done, length - done, offset + done);
      } catch (e) {
        throw ioError(`${flag}: cannot read`, name, e);
      }
      if (n === 0) throw new PrelaunchError('ERR_IO', `${flag}: ${name} shrank while being read`, { file: name });
      done += n;
    }
  };
  return {
    name,
    size,
    read(offset: number, length: number): Uint8Array {
      if (offset < 0 || length < 0 || offset + length > size) throw new RangeError(`read past the end of ${name}`);
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
    close: onClose,
  };
}

function memorySource(bytes: Uint8Array, name: string): FileSource {
  return { ...bytesSource(bytes, name), close() {} };
}

/** Write all of `data` to `fd` (a short write is continued, never ignored). */
function writeAll(fd: number, data: Uint8Array, position: number | null = null): void {
  let done = 0;
  while (done < data.length) {
    let n: number;
    try {
      n = fs.writeSync(fd, data, done, data.length - done, position === null ? null : position + done);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        pause(5);
        continue;
      }
      if (code === 'EINTR') continue;
      throw e;
    }
    if (n === 0) throw Object.assign(new Error('no progress writing'), { code: 'EIO' });
    done += n;
  }
}

/**
 * Buffer a stream (read once, to its end): in memory up to `memoryLimit` bytes, beyond that
 * in a temporary file that is unlinked as soon as it is created (nothing is left behind,
 * even on SIGKILL). Refused past `maxBytes`.
 */
function spoolStream(fd: number, file: string, flag: string, maxBytes: number, what: string, memoryLimit: number): FileSource {
  const chunks: Uint8Array[] = [];
  let inMemory = 0;
  let spooled = 0;
  let tmpFd = -1;
  let tmpPath: string | null = null;
  const dropTemp = (): void => {
    if (tmpFd >= 0) {
      try { fs.closeSync(tmpFd); } catch { /* closed */ }
      tmpFd = -1;
    }
    if (tmpPath) {
      try { fs.rmSync(tmpPath, { force: true }); } catch { /* gone */ }
      untrackTemp(tmpPath);
      tmpPath = null;
    }
  };
  try {
    const total = readChunks(fd, file, flag, maxBytes, what, (b) => {
      if (tmpFd < 0 && inMemory + b.length <= memoryLimit) {
        chunks.push(b.slice());
        inMemory += b.length;
        return;
      }
      try {
        if (tmpFd < 0) {
          const p = path.join(os.tmpdir(), `.prelaunch-stream.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
          tmpPath = p;
          trackTemp(p);
          tmpFd = fs.openSync(p, 'wx+', 0o600);
          try {
            fs.unlinkSync(p); // POSIX: the data lives while the descriptor is open
            untrackTemp(p);
            tmpPath = null;
          } catch { /* Windows: removed on close */ }
          for (const c of chunks) {
            writeAll(tmpFd, c, spooled);
            spooled += c.length;
          }
          chunks.length = 0;
        }
        writeAll(tmpFd, b, spooled);
        spooled += b.length;
      } catch (e) {
        throw new PrelaunchError('ERR_IO', `${flag} ${file}: cannot buffer the stream in the temporary directory ${os.tmpdir()}: ${errnoText(e)} (set TMPDIR, or give a regular file)`, { file });
      }
    });
    if (tmpFd < 0) return memorySource(concat(chunks, total), file);
    const keptFd = tmpFd;
    return fdSource(keptFd, file, flag, total, dropTemp);
  } catch (e) {
    dropTemp();
    throw e;
  }
}

/**
 * Open `file` for streamed random access. `flag` names the option it came from, for
 * messages. A stream (pipe, device) is read to its end first, up to `streamMax` bytes
 * (`what` names the input in the message when it is larger).
 */
export function openFileSource(
  file: string,
  flag: string,
  streamMax: number = LIMITS.firmwareStream,
  what = 'a firmware image given as a stream (give a regular file)',
  o: InputOptions & { memoryLimit?: number } = {},
): FileSource {
  const input = openInput(file, flag, o, 'cannot open');
  if (input.data) {
    if (input.data.length > streamMax) throw tooLarge(flag, o.stdin && file === '-' ? 'standard input' : file, streamMax, what);
    return memorySource(input.data.slice(), o.stdin && file === '-' ? 'standard input' : file);
  }
  if (input.size !== null) return fdSource(input.fd, file, flag, input.size, input.close);
  try {
    return spoolStream(input.fd, o.stdin && file === '-' ? 'standard input' : file, flag, streamMax, what, o.memoryLimit ?? SPOOL_MEMORY);
  } finally {
    input.close();
  }
}

/** Files opened for one command, closed together (`finally { files.close() }`). */
export class OpenFiles {
  private readonly sources: FileSource[] = [];
  /** Open `file` (resolved against `baseDir` when given); `flag` names it in messages. */
  open(file: string, flag: string, baseDir?: string, streamMax?: number, what?: string): FileSource {
    const s = openFileSource(baseDir ? resolvePath(baseDir, file) : file, flag, streamMax, what);
    this.sources.push(s);
    return s;
  }
  close(): void {
    for (const s of this.sources.splice(0)) s.close();
  }
}

// ---------------------------------------------------------------------------------------
// temporary files: removed on exit and on SIGINT/SIGTERM/SIGHUP

const liveTemps = new Set<string>();
let cleanupInstalled = false;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function removeLiveTemps(): void {
  for (const t of liveTemps) {
    try { fs.rmSync(t, { force: true }); } catch { /* nothing to clean */ }
  }
  liveTemps.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  removeLiveTemps();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  // die of the signal, as without a handler (exit status 128+n for the shell)
  process.kill(process.pid, sig);
}

function trackTemp(p: string): void {
  liveTemps.add(p);
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', removeLiveTemps);
  // a listener defers the signal until the running synchronous step ends, so a temporary
  // file is never left half-written; it is then removed and the signal re-raised
  for (const s of SIGNALS) process.on(s, onSignal);
}

function untrackTemp(p: string): void {
  liveTemps.delete(p);
}

/** The temporary files this process has not yet renamed or removed (for tests). */
export function liveTemporaryFiles(): string[] {
  return [...liveTemps];
}

// ---------------------------------------------------------------------------------------
// outputs

interface Target {
  /** the path as given */
  file: string;
  flag: string;
  /** the path written: symlinks resolved */
  real: string;
  /** written directly (a device, FIFO, /dev or /proc path) rather than through a temporary file */
  direct: boolean;
}

function writeError(flag: string, file: string, e: unknown): PrelaunchError {
  return ioError(`${flag}: cannot write`, file, e);
}

/** Follow `file`'s symlinks (also dangling ones) to the path that is written. */
function resolveLinks(file: string, flag: string): string {
  let p = resolvePath(file);
  for (let i = 0; i < 40; i++) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return p;
    }
    if (!st.isSymbolicLink()) return p;
    p = path.resolve(path.dirname(p), fs.readlinkSync(p));
  }
  throw new PrelaunchError('ERR_IO', `${flag}: cannot write ${file}: too many levels of symbolic links`, { file });
}

/** Check an output target before any work: its directory exists and is writable; it is not a directory. */
export function checkOutputTarget(file: string, flag: string): Target {
  if (file === '') throw new PrelaunchError('ERR_INVALID_OPTION', `${flag}: the file name is empty`, { option: flag });
  const abs = resolvePath(file);
  if (abs.startsWith('/dev/') || abs.startsWith('/proc/')) {
    // /dev/stdout, /dev/fd/N, /dev/null…: written as they are, never replaced
    return { file, flag, real: abs, direct: true };
  }
  const real = resolveLinks(file, flag);
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(real);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw writeError(flag, file, e);
  }
  if (st?.isDirectory()) throw new PrelaunchError('ERR_IO', `${flag}: cannot write ${file}: is a directory (give a file name)`, { file });
  if (st && !st.isFile()) return { file, flag, real, direct: true };
  const dir = path.dirname(real);
  let dst: fs.Stats;
  try {
    dst = fs.statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PrelaunchError('ERR_IO', `${flag}: cannot write ${file}: the directory ${dir} does not exist (create it first)`, { file, dir });
    if (code === 'ENOTDIR') throw new PrelaunchError('ERR_IO', `${flag}: cannot write ${file}: ${dir} is not a directory`, { file, dir });
    throw writeError(flag, file, e);
  }
  if (!dst.isDirectory()) throw new PrelaunchError('ERR_IO', `${flag}: cannot write ${file}: ${dir} is not a directory`, { file, dir });
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new PrelaunchError('ERR_IO', `${flag}: cannot write ${file}: no permission to create files in the directory ${dir}`, { file, dir });
  }
  return { file, flag, real, direct: false };
}

function tempNameFor(real: string): string {
  return path.join(path.dirname(real), `.${path.basename(real)}.${process.pid}.tmp`);
}

/** Buffered text output (a `--trace` file or stderr). Errors in writing are thrown, never ignored. */
export interface TextSink {
  write(line: string): void;
  /** flush; the file is committed with the other outputs of its {@link Outputs} */
  close(): void;
  discard(): void;
}

interface Staged {
  target: Target;
  tmp: string | null;
  /** data for a direct target, written at commit */
  data: Uint8Array | string | null;
  /** a sink still open */
  open: boolean;
}

/**
 * One command's outputs, committed together. Declare every target first with
 * {@link Outputs.add} (checked at once), stage the data with {@link Outputs.write} or
 * {@link Outputs.textSink}, then {@link Outputs.commit}; `abort()` (in `finally`) removes
 * whatever was staged and not committed.
 */
export class Outputs {
  /** by the path written (symlinks resolved) */
  private readonly targets = new Map<string, Target>();
  private readonly staged: Staged[] = [];
  private done = false;

  /** Check `file` now (directory exists, not a directory…). Two flags naming one file are refused. */
  add(file: string, flag: string): void {
    this.target(file, flag);
  }

  private target(file: string, flag: string): Target {
    const t = checkOutputTarget(file, flag);
    const prev = this.targets.get(t.real);
    if (prev && prev.flag !== flag && !t.direct) throw new PrelaunchError('ERR_INVALID_OPTION', `${flag}: ${file} is also the output of ${prev.flag}`, { option: flag });
    if (!prev) this.targets.set(t.real, t);
    return prev ?? t;
  }

  /** Stage `data` for `file` (a temporary file now; a direct target at commit). */
  write(file: string, data: Uint8Array | string, flag = 'output'): void {
    const t = this.target(file, flag);
    if (t.direct) {
      this.staged.push({ target: t, tmp: null, data, open: false });
      return;
    }
    const tmp = tempNameFor(t.real);
    const entry: Staged = { target: t, tmp, data: null, open: false };
    this.staged.push(entry);
    let fd = -1;
    try {
      trackTemp(tmp); // before the file exists: a signal can never leave it behind
      fd = fs.openSync(tmp, 'w', 0o666);
      writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fs.closeSync(fd);
      fd = -1;
    } catch (e) {
      if (fd >= 0) try { fs.closeSync(fd); } catch { /* closed */ }
      try { fs.rmSync(tmp, { force: true }); } catch { /* gone */ }
      untrackTemp(tmp);
      entry.tmp = null;
      throw writeError(t.flag, t.file, e);
    }
  }

  /** A streamed text output (`--trace FILE`; `-` is stderr, written as it goes). */
  textSink(file: string, flag: string): TextSink {
    if (file === '-') return stderrSink(flag);
    const t = this.target(file, flag);
    const entry: Staged = { target: t, tmp: t.direct ? null : tempNameFor(t.real), data: null, open: true };
    let fd: number;
    if (entry.tmp) trackTemp(entry.tmp); // before the file exists: a signal can never leave it behind
    this.staged.push(entry);
    try {
      fd = t.direct ? fs.openSync(t.real, fs.constants.O_WRONLY | fs.constants.O_APPEND) : fs.openSync(entry.tmp!, 'w', 0o666);
    } catch (e) {
      throw writeError(flag, file, e);
    }
    let buf: string[] = [];
    let size = 0;
    const closeFd = (): void => {
      if (fd < 0) return;
      try { fs.closeSync(fd); } catch { /* closed */ }
      fd = -1;
    };
    const flush = (): void => {
      if (!buf.length) return;
      const text = buf.join('\n') + '\n';
      buf = [];
      size = 0;
      try {
        writeAll(fd, Buffer.from(text, 'utf8'));
      } catch (e) {
        closeFd();
        throw writeError(flag, file, e);
      }
    };
    return {
      write(line) {
        buf.push(line);
        size += line.length;
        if (size >= 1 << 20) flush();
      },
      close() {
        flush();
        closeFd();
        entry.open = false;
      },
      discard() {
        closeFd();
        entry.open = false;
        if (entry.tmp) {
          try { fs.rmSync(entry.tmp, { force: true }); } catch { /* gone */ }
          untrackTemp(entry.tmp);
        }
      },
    };
  }

  /** Rename every staged file onto its target, then write the direct targets. */
  commit(): void {
    if (this.done) return;
    for (const s of this.staged) {
      if (s.open) throw new Error(`internal: ${s.target.file} committed while still open`);
    }
    for (const s of this.staged) {
      if (!s.tmp) continue;
      try {
        fs.renameSync(s.tmp, s.target.real);
        untrackTemp(s.tmp);
        s.tmp = null;
      } catch (e) {
        throw writeError(s.target.flag, s.target.file, e);
      }
    }
    for (const s of this.staged) {
      if (s.data === null) continue;
      let fd = -1;
      try {
        fd = fs.openSync(s.target.real, fs.constants.O_WRONLY | fs.constants.O_APPEND);
        writeAll(fd, typeof s.data === 'string' ? Buffer.from(s.data, 'utf8') : s.data);
      } catch (e) {
        throw writeError(s.target.flag, s.target.file, e);
      } finally {
        if (fd >= 0) try { fs.closeSync(fd); } catch { /* closed */ }
      }
      s.data = null;
    }
    this.done = true;
  }

  /** Remove what was staged and not committed (safe to call after commit). */
  abort(): void {
    for (const s of this.staged.splice(0)) {
      if (s.tmp) {
        try { fs.rmSync(s.tmp, { force: true }); } catch { /* gone */ }
        untrackTemp(s.tmp);
      }
    }
    this.done = true;
  }
}

function stderrSink(flag: string): TextSink {
  let closed = false;
  return {
    write(l) {
      if (closed) return;
      const err = injectedIo()?.stderr;
      if (err) {
        err.write(l + '\n');
        return;
      }
      try {
        writeAll(2, Buffer.from(l + '\n', 'utf8'));
      } catch (e) {
        // a reader that has gone (`--trace - 2>&1 | head`) ends the trace quietly, as on stdout
        if ((e as NodeJS.ErrnoException).code === 'EPIPE') closed = true;
        else throw writeError(flag, 'standard error', e);
      }
    },
    close() {},
    discard() {},
  };
}

/**
 * A text output on its own (`-` is stderr): checked now, committed on `close()`, removed by
 * `discard()`. Commands with several outputs use one {@link Outputs} instead.
 */
export function textSink(target: string, flag = '--trace'): TextSink {
  const out = new Outputs();
  if (target !== '-') out.add(target, flag);
  const sink = out.textSink(target, flag);
  return {
    write: (l) => sink.write(l),
    close() {
      sink.close();
      out.commit();
    },
    discard() {
      sink.discard();
      out.abort();
    },
  };
}

/** Write `data` to `file` as a one-output transaction (see {@link Outputs}). */
export function writeFileAtomic(file: string, data: Uint8Array | string, flag = 'output'): void {
  const out = new Outputs();
  try {
    out.add(file, flag);
    out.write(file, data, flag);
    out.commit();
  } finally {
    out.abort();
  }
}

/**
 * Write a command's output to stdout. On POSIX it goes straight to fd 1 with fs.writeSync:
 * creating `process.stdout` (a stream over a pipe, file or TTY) costs ~1.5 ms of every
 * process's start-up (docs/performance.md). A non-blocking pipe that is full (EAGAIN) hands
 * the rest to process.stdout, which queues it; once the reader has gone (EPIPE) the rest of
 * the output is dropped quietly, as `prelaunch … | head -1` expects. Any other failure
 * (ENOSPC on a full disk, EIO) is an error: the command fails.
 */
let stdoutState: 'fd' | 'stream' | 'closed' = process.platform === 'win32' ? 'stream' : 'fd';
let stdoutErrorHooked = false;
function stdoutStream(): NodeJS.WriteStream {
  if (!stdoutErrorHooked) {
    stdoutErrorHooked = true;
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') return;
      if (process.exitCode === undefined || process.exitCode === 0) {
        try { fs.writeSync(2, `error: cannot write to standard output: ${errnoText(e)}\n`); } catch { /* stderr gone too */ }
        process.exitCode = 1;
      }
    });
  }
  return process.stdout;
}

export function writeStdout(text: string | Uint8Array): void {
  const out = injectedIo()?.stdout;
  if (out) {
    out.write(text);
    return;
  }
  if (stdoutState === 'stream') {
    stdoutStream().write(text);
    return;
  }
  if (stdoutState === 'closed') return;
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let done = 0;
  try {
    while (done < buf.length) {
      const n = fs.writeSync(1, buf, done, buf.length - done);
      if (n === 0) throw Object.assign(new Error('no progress'), { code: 'EIO' });
      done += n;
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') {
      stdoutState = 'closed';
      return;
    }
    if (code !== 'EAGAIN') throw new PrelaunchError('ERR_IO', `cannot write to standard output: ${errnoText(e)}`);
    stdoutState = 'stream';
    stdoutStream().write(buf.subarray(done));
  }
}

/**
 * The firmware facts cache (FirmwareFactsCache): what identifying an OVMF image reads from its
 * LZMA-compressed volumes, kept as one small JSON file per image SHA-256 so a firmware is
 * decompressed once, not on every run (docs/performance.md, "tpm predict"). The directory is
 * $PRELAUNCH_CACHE_DIR, else $XDG_CACHE_HOME/prelaunch, else $HOME/.cache/prelaunch (neither set: none);
 * PRELAUNCH_CACHE_DIR=off or `--no-cache` turns it off. An entry that cannot be read or does
 * not check is read again from the image and replaced; a directory that cannot be written
 * leaves the run uncached (the result is the same either way).
 */
export function firmwareFactsCache(enabled = true): { get(key: string): unknown; set(key: string, value: unknown): void } | null {
  if (!enabled) return null;
  const given = env('PRELAUNCH_CACHE_DIR');
  if (given === 'off') return null;
  let dir: string;
  if (given) dir = resolvePath(given);
  else {
    const xdg = env('XDG_CACHE_HOME');
    const home = env('HOME');
    if (xdg && path.isAbsolute(xdg)) dir = path.join(xdg, 'prelaunch');
    else if (home) dir = path.join(home, '.cache', 'prelaunch');
    else return null;
  }
  const file = (key: string): string => {
    if (!/^[a-z0-9-]{1,128}$/.test(key)) throw new Error(`internal: cache key ${JSON.stringify(key)}`);
    return path.join(dir, `${key}.json`);
  };
  return {
    get(key) {
      try {
        const st = fs.statSync(file(key));
        if (!st.isFile() || st.size > 1 * MiB) return undefined;
        return JSON.parse(fs.readFileSync(file(key), 'utf8')) as unknown;
      } catch {
        return undefined;
      }
    },
    set(key, value) {
      const target = file(key);
      const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        fs.writeFileSync(tmp, JSON.stringify(value) + '\n', { mode: 0o600, flag: 'wx' });
        fs.renameSync(tmp, target);
      } catch {
        try { fs.rmSync(tmp, { force: true }); } catch { /* nothing to remove */ }
      }
    },
  };
}
