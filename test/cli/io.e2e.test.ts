/**
 * src/cli/io.ts with FIFOs and devices: reads and writes that could block run in a child
 * process over the built module (dist/cli/io.js, `npm run build`) with a timeout, so a
 * regression is a failure, not a hung test run. The rest of io.ts: io.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMITS, openFileSource } from '../../src/cli/io.js';
import { PROJECT } from '../support/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-io-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const t = (name: string): string => path.join(tmp, name);
const IO_MODULE = path.join(PROJECT, 'dist/cli/io.js');

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

describe('src/cli/io.ts with FIFOs and devices (child processes)', () => {
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
});
