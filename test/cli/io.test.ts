/**
 * src/cli/io.ts in-process: the capped reader, streams (pipes, /dev/null, FIFOs, devices)
 * as inputs, and the output transaction (up-front checks, symlinks, devices, FIFOs, commit
 * together, no temporary file left). Reads and writes that could block (FIFOs) run in a
 * child process over the built module: io.e2e.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMITS, Outputs, checkOutputTarget, inputSize, liveTemporaryFiles, openFileSource, readInput, textSink, writeFileAtomic } from '../../src/cli/io.js';
import { withIo } from '../../src/cli/context.js';
import { thrownPrelaunchError } from '../support/thrown.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-io-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const t = (name: string): string => path.join(tmp, name);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const ioError = thrownPrelaunchError;

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

  it('inputSize: a stream is counted as it is read, within the cap', async () => {
    expect(inputSize('/dev/null', '--vars-file', 10, 'x')).toBe(0);
    expect(ioError(() => inputSize('/dev/zero', '--vars-file', 3 << 20, 'an OVMF vars store')).message).toMatch(/--vars-file \/dev\/zero: larger than 3 MiB/);
  });
});

describe('openFileSource: a stream becomes a sized ByteSource', () => {
  it('standard input given to an in-process run (`-`, /dev/stdin): a sized source, capped; readInput and inputSize read it too', async () => {
    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    await withIo({ stdin: bytes }, async () => {
      const src = openFileSource('-', '--ovmf', 1 << 20, 'a firmware image given as a stream', { stdin: true });
      expect(src.size).toBe(5000);
      expect(src.name).toBe('standard input');
      expect(Array.from(src.read(4096, 4))).toEqual([0, 1, 2, 3]);
      src.close();
      expect(openFileSource('/dev/stdin', '--kernel').size).toBe(5000);
      expect(readInput('-', '--from-measure', 5000, 'x', { stdin: true })).toEqual(bytes);
      expect(inputSize('/dev/stdin', '--vars-file', 5000, 'x')).toBe(5000);
      const e = ioError(() => openFileSource('-', '--ovmf', 4096, 'a firmware image given as a stream', { stdin: true }));
      expect(e.code).toBe('ERR_IO');
      expect(e.message).toMatch(/^--ovmf standard input: larger than 4 KiB/);
      expect(ioError(() => readInput('/dev/stdin', '--acpi-dir', 1 << 20, 'x', { regularOnly: true })).code).toBe('ERR_IO');
    });
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
