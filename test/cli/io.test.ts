/**
 * src/cli/io.ts in-process: the capped reader, streams (pipes, /dev/null, FIFOs, devices)
 * as inputs, and the output transaction (up-front checks, symlinks, devices, FIFOs, commit
 * together, no temporary file left). Reads that could block (FIFOs) run in a child process
 * over the built module (dist/cli/io.js) with a timeout, so a regression is a failure, not a
 * hung test run.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PrelaunchError } from '../../src/errors.js';
import { LIMITS, Outputs, checkOutputTarget, inputSize, liveTemporaryFiles, openFileSource, readInput, textSink, writeFileAtomic } from '../../src/cli/io.js';
import { PROJECT } from '../support/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-io-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const t = (name: string): string => path.join(tmp, name);
const IO_MODULE = path.join(PROJECT, 'dist/cli/io.js');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function ioError(fn: () => unknown): PrelaunchError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PrelaunchError);
    return e as PrelaunchError;
  }
  throw new Error('expected a PrelaunchError');
}

/** Run `body` (ESM, with `io` = dist/cli/io.js) in a child node; its stdout, parsed as JSON. */
function inChild(body: string, env: NodeJS.ProcessEnv = {}): unknown {
  const code = `import * as io from ${JSON.stringify(IO_MODULE)};\nconst out = await (async () => { ${body} })();\nprocess.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, ...env } });
  expect(r.signal, `child timed out or was killed (stderr: ${r.stderr})`).toBeNull();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', [p]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
}

describe('readInput: capped, incremental', () => {
  it('reads a regular file whole', async () => {
    fs.writeFileSync(t('a.txt'), 'hello');
    expect(Buffer.from(readInput(t('a.txt'), '--x', 100, 'a test input')).toString()).toBe('hello');
  });

  it('refuses a regular file over the cap before reading it (ERR_IO naming flag, file and limit)', async () => {
    fs.writeFileSync(t('big.txt'), Buffer.alloc(2048));
    const e = ioError(() => readInput(t('big.txt'), '--id-key', 1024, 'a key file'));
    expect(e.code).toBe('ERR_IO');
    expect(e.message).toBe(`--id-key ${t('big.txt')}: larger than 1 KiB, the most prelaunch reads for a key file`);
  });

  it('stops reading an endless device at the cap (/dev/zero)', async () => {
    const start = Date.now();
    const e = ioError(() => readInput('/dev/zero', 'tdx replay', LIMITS.ccel, 'a CCEL event log'));
    expect(e.code).toBe('ERR_IO');
    expect(e.message).toMatch(/^tdx replay \/dev\/zero: larger than 64 MiB/);
    expect(Date.now() - start).toBeLessThan(10_000);
  });

  it('/dev/null is an empty input', async () => {
    expect(readInput('/dev/null', '--x', 10, 'x').length).toBe(0);
  });

  it('a missing file and a directory are named', async () => {
    expect(ioError(() => readInput(t('nope'), '--id-pubkey', 10, 'x')).message).toBe(`--id-pubkey: cannot read ${t('nope')}: no such file`);
    expect(ioError(() => readInput(tmp, '--id-pubkey', 10, 'x')).message).toBe(`--id-pubkey: cannot read ${tmp}: is a directory`);
  });

  it('a FIFO with a writer is read to its end; one where a regular file is needed is refused without blocking', async () => {
    const fifo = t('keys.fifo');
    mkfifo(fifo);
    fs.writeFileSync(t('payload'), 'x'.repeat(3000));
    const got = inChild(`
      const { spawn } = await import('node:child_process');
      spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', ${JSON.stringify(t('payload'))}, ${JSON.stringify(fifo)}], { stdio: 'ignore' });
      const bytes = io.readInput(${JSON.stringify(fifo)}, '--id-key', 65536, 'a key file');
      let refused = null;
      try { io.readInput(${JSON.stringify(fifo)}, '--acpi-dir', 65536, 'x', { regularOnly: true }); } catch (e) { refused = [e.code, e.message]; }
      return { length: bytes.length, refused };
    `) as { length: number; refused: [string, string] };
    expect(got.length).toBe(3000);
    expect(got.refused).toEqual(['ERR_IO', `--acpi-dir: cannot read ${fifo}: is a pipe; a regular file is needed here`]);
  });

  it('inputSize: a stream is counted as it is read, within the cap', async () => {
    expect(inputSize('/dev/null', '--vars-file', 10, 'x')).toBe(0);
    expect(ioError(() => inputSize('/dev/zero', '--vars-file', 3 << 20, 'an OVMF vars store')).message).toMatch(/--vars-file \/dev\/zero: larger than 3 MiB/);
  });
});

describe('openFileSource: a stream becomes a sized ByteSource', () => {
  it('a regular file and the same bytes through a FIFO read the same, in memory and spooled to a temporary file', async () => {
    const data = Buffer.alloc(5 * 1024 * 1024 + 123);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >> 12)) & 0xff;
    fs.writeFileSync(t('blob.bin'), data);
    const want = createHash('sha256').update(data).digest('hex');
    const spoolDir = t('spool');
    fs.mkdirSync(spoolDir);
    const readVia = (memoryLimit: number): { size: number; sha: string; tail: string; left: string[] } => {
      const fifo = t(`blob-${memoryLimit}.fifo`);
      mkfifo(fifo);
      return inChild(`
        const { spawn } = await import('node:child_process');
        const { createHash } = await import('node:crypto');
        const fs = await import('node:fs');
        spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', ${JSON.stringify(t('blob.bin'))}, ${JSON.stringify(fifo)}], { stdio: 'ignore' });
        const src = io.openFileSource(${JSON.stringify(fifo)}, '--initrd', 64 << 20, 'an initrd', { memoryLimit: ${memoryLimit} });
        const h = createHash('sha256');
        for (let off = 0; off < src.size; off += 1 << 20) h.update(src.read(off, Math.min(1 << 20, src.size - off)));
        const tail = Buffer.from(src.read(src.size - 7, 7)).toString('hex');
        const left = fs.readdirSync(${JSON.stringify(spoolDir)});
        src.close();
        return { size: src.size, sha: h.digest('hex'), tail, left };
      `, { TMPDIR: spoolDir }) as { size: number; sha: string; tail: string; left: string[] };
    };
    for (const limit of [64 << 20, 1 << 20]) {
      const r = readVia(limit);
      expect(r.size).toBe(data.length);
      expect(r.sha).toBe(want);
      expect(r.tail).toBe(data.subarray(data.length - 7).toString('hex'));
      // the spool file is unlinked as soon as it is created
      expect(r.left).toEqual([]);
    }
    expect(fs.readdirSync(spoolDir)).toEqual([]);
  });

  it('/dev/null is an empty source; /dev/zero stops at the cap, leaving no temporary file', async () => {
    const s = openFileSource('/dev/null', '--kernel', LIMITS.bootStream, 'a kernel');
    expect(s.size).toBe(0);
    s.close();
    const spoolDir = t('spool2');
    fs.mkdirSync(spoolDir);
    const got = inChild(`
      try { io.openFileSource('/dev/zero', '--ovmf', 3 << 20, 'a firmware image given as a stream', { memoryLimit: 1 << 20 }); return null; }
      catch (e) { return [e.code, e.message]; }
    `, { TMPDIR: spoolDir });
    expect(got).toEqual(['ERR_IO', '--ovmf /dev/zero: larger than 3 MiB, the most prelaunch reads for a firmware image given as a stream']);
    expect(fs.readdirSync(spoolDir)).toEqual([]);
  });
});

describe('Outputs: one transaction per command', () => {
  it('a missing or non-directory parent is named, before anything is written', async () => {
    const e = ioError(() => checkOutputTarget(t('no-such-dir/m.json'), '--manifest'));
    expect(e.code).toBe('ERR_IO');
    expect(e.message).toBe(`--manifest: cannot write ${t('no-such-dir/m.json')}: the directory ${t('no-such-dir')} does not exist (create it first)`);
    fs.writeFileSync(t('plain'), '');
    expect(ioError(() => checkOutputTarget(t('plain/x'), '-o')).message).toBe(`-o: cannot write ${t('plain/x')}: ${t('plain')} is not a directory`);
    expect(ioError(() => checkOutputTarget(tmp, '--trace')).message).toBe(`--trace: cannot write ${tmp}: is a directory (give a file name)`);
  });

  it.skipIf(isRoot)('a read-only directory is named', async () => {
    const ro = t('ro');
    fs.mkdirSync(ro, 0o555);
    expect(ioError(() => checkOutputTarget(path.join(ro, 'x'), '-o')).message).toBe(`-o: cannot write ${path.join(ro, 'x')}: no permission to create files in the directory ${ro}`);
  });

  it('commits every staged file together; abort leaves neither the files nor temporaries', async () => {
    const out = new Outputs();
    out.add(t('one'), '-o');
    out.add(t('two'), '--manifest');
    out.write(t('one'), 'A', '-o');
    out.write(t('two'), 'B', '--manifest');
    expect(fs.existsSync(t('one'))).toBe(false);
    out.abort();
    expect(fs.existsSync(t('one')) || fs.existsSync(t('two'))).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(liveTemporaryFiles()).toEqual([]);
    const ok = new Outputs();
    ok.write(t('one'), 'A', '-o');
    ok.write(t('two'), 'B', '--manifest');
    ok.commit();
    expect([fs.readFileSync(t('one'), 'utf8'), fs.readFileSync(t('two'), 'utf8')]).toEqual(['A', 'B']);
    expect(liveTemporaryFiles()).toEqual([]);
  });

  it('two flags naming the same file are refused', async () => {
    const out = new Outputs();
    out.add(t('same'), '--id-block-out');
    expect(ioError(() => out.add(path.join(tmp, '.', 'same'), '--id-auth-out')).code).toBe('ERR_INVALID_OPTION');
  });

  it('a symlink is written through: the link stays, its target gets the data (also a dangling link)', async () => {
    fs.writeFileSync(t('target.json'), 'old');
    fs.symlinkSync('target.json', t('link.json'));
    writeFileAtomic(t('link.json'), 'new', '-o');
    expect(fs.lstatSync(t('link.json')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(t('target.json'), 'utf8')).toBe('new');
    fs.symlinkSync('later.json', t('dangling.json'));
    writeFileAtomic(t('dangling.json'), 'made', '-o');
    expect(fs.lstatSync(t('dangling.json')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(t('later.json'), 'utf8')).toBe('made');
  });

  it('a FIFO target is written into, not replaced by a regular file', async () => {
    const fifo = t('out.fifo');
    mkfifo(fifo);
    const got = t('from-fifo');
    const reader = spawnSync('sh', ['-c', `cat "$1" > "$2" & node --input-type=module -e "import * as io from '${IO_MODULE}'; io.writeFileAtomic(process.argv[1], 'through the pipe', '-o');" "$1"; wait`, 'sh', fifo, got], { timeout: 15_000 });
    expect(reader.signal).toBeNull();
    expect(reader.status, String(reader.stderr)).toBe(0);
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
    expect(fs.readFileSync(got, 'utf8')).toBe('through the pipe');
  });

  it('/dev/null is written directly and stays a device', async () => {
    writeFileAtomic('/dev/null', 'discarded', '-o');
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('a text sink reports a failed write (/dev/full: no space) instead of ignoring it', async () => {
    const out = new Outputs();
    const sink = out.textSink('/dev/full', '--trace');
    const e = ioError(() => {
      for (let i = 0; i < 10; i++) sink.write('x'.repeat(200_000));
      sink.close();
    });
    expect(e.code).toBe('ERR_IO');
    expect(e.message).toBe('--trace: cannot write /dev/full: no space left on the device');
    out.abort();
  });

  it('textSink on its own: committed by close, nothing left by discard; a directory is refused up front', async () => {
    const a = textSink(t('solo.trace'));
    a.write('# one');
    a.close();
    expect(fs.readFileSync(t('solo.trace'), 'utf8')).toBe('# one\n');
    const b = textSink(t('dropped.trace'));
    b.write('# two');
    b.discard();
    expect(fs.existsSync(t('dropped.trace'))).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(ioError(() => textSink(tmp)).message).toBe(`--trace: cannot write ${tmp}: is a directory (give a file name)`);
  });

  it('a text sink to a file is staged, then committed', async () => {
    const out = new Outputs();
    const sink = out.textSink(t('trace.txt'), '--trace');
    sink.write('# header');
    sink.write('0 line');
    sink.close();
    expect(fs.existsSync(t('trace.txt'))).toBe(false);
    out.commit();
    expect(fs.readFileSync(t('trace.txt'), 'utf8')).toBe('# header\n0 line\n');
    expect(liveTemporaryFiles()).toEqual([]);
  });
});
