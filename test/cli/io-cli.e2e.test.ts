/**
 * Reading and writing files through the built CLI (issue #12 items 7, 11, 12): streams as
 * inputs, capped reads from devices, output faults (directories, full devices, missing
 * folders, signals). Few and fast; io.ts itself is tested in-process in io.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BUNDLE, PROJECT, expectCleanError, expectOk, runCli } from '../support/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-io-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const t = (name: string): string => path.join(tmp, name);
const AMDSEV = path.join(PROJECT, 'firmware-samples/synthetic/amdsev.fd');
const OVMF = path.join(PROJECT, 'firmware-samples/debian/OVMF.fd');
const IN = path.join(PROJECT, 'firmware-samples/igvm-inputs');
const SNP = ['measure', '--mode', 'snp', '--vcpus', '2', '--vcpu-type', 'EPYC-v4'];
const tmpFiles = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

function mkfifo(p: string): void {
  expect(spawnSync('mkfifo', [p]).status).toBe(0);
}

describe('streams as measured inputs (item 7)', () => {
  it('--kernel /dev/null and an --initrd FIFO give the digest of the same bytes in regular files', async () => {
    fs.writeFileSync(t('empty'), '');
    const initrd = Buffer.alloc(300_000, 0x5a);
    fs.writeFileSync(t('initrd'), initrd);
    const want = expectOk(runCli([...SNP, '--ovmf', AMDSEV, '--kernel', t('empty'), '--initrd', t('initrd'), '--append', 'console=ttyS0']));
    mkfifo(t('initrd.fifo'));
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', t('initrd'), t('initrd.fifo')], { stdio: 'ignore' });
    const got = expectOk(runCli([...SNP, '--ovmf', AMDSEV, '--kernel', '/dev/null', '--initrd', t('initrd.fifo'), '--append', 'console=ttyS0'], PROJECT, 20_000));
    writer.kill();
    expect(got).toBe(want);
  });

  it('the OVMF image on standard input (a pipe) gives the same digest', async () => {
    const want = expectOk(runCli([...SNP, '--ovmf', OVMF]));
    const r = spawnSync(process.execPath, [CLI_BUNDLE, ...SNP, '--ovmf', '/dev/stdin'], { input: fs.readFileSync(OVMF), encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(want);
  });
});

describe('bounded reads and clear refusals (items 11, 12)', () => {
  it('tdx replay /dev/zero stops at the CCEL cap', async () => {
    const line = expectCleanError(runCli(['tdx', 'replay', '/dev/zero'], PROJECT, 20_000), 1);
    expect(line).toBe('error: tdx replay /dev/zero: larger than 64 MiB, the most prelaunch reads for a CCEL event log');
  });

  it('--from-measure - on an endless stdin (/dev/urandom) stops at its cap', async () => {
    const urandom = fs.openSync('/dev/urandom', 'r');
    try {
      const key = path.join(PROJECT, 'test/vectors/keys/igvm/id_key.pem');
      const r = spawnSync(process.execPath, [CLI_BUNDLE, 'id-block', '--from-measure', '-', '--id-key', key], { stdio: [urandom, 'pipe', 'pipe'], encoding: 'utf8', timeout: 20_000 });
      const line = expectCleanError({ code: r.status ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr }, 1);
      expect(line).toBe('error: --from-measure standard input: larger than 1 MiB, the most prelaunch reads for `prelaunch measure` output');
    } finally {
      fs.closeSync(urandom);
    }
  });

  it('trace diff of two empty files is an error, not "identical"', async () => {
    const line = expectCleanError(runCli(['trace', 'diff', '/dev/null', '/dev/null']), 1);
    expect(line).toBe('error: trace diff: /dev/null is empty, not a --trace file');
  });

  it('a missing --id-block file is named', async () => {
    const line = expectCleanError(runCli(['id-block', 'verify', '--id-block', t('missing-id-block.bin'), '--id-auth', t('missing-auth.bin')]), 1);
    expect(line).toBe(`error: --id-block: cannot read ${t('missing-id-block.bin')}: no such file (and the value is not base64/hex of 96 bytes either)`);
  });

  it('a missing --out-dir is named', async () => {
    const key = path.join(PROJECT, 'test/vectors/keys/igvm/id_key.pem');
    const line = expectCleanError(runCli(['id-block', 'prepare', '--measurement', '00'.repeat(48), '--id-key', key, '--out-dir', t('no-dir')]), 1);
    expect(line).toBe(`error: --out-dir: the directory ${t('no-dir')} does not exist (create it first)`);
  });
});

describe('output faults (item 12)', () => {
  it('--trace DIR and --trace /dev/full are clean errors', async () => {
    expect(expectCleanError(runCli([...SNP, '--ovmf', OVMF, '--trace', tmp]), 1)).toBe(`error: --trace: cannot write ${tmp}: is a directory (give a file name)`);
    expect(expectCleanError(runCli([...SNP, '--ovmf', OVMF, '--trace', '/dev/full']), 1)).toBe('error: --trace: cannot write /dev/full: no space left on the device');
  });

  it('stdout on a full device is an error line and exit 1', async () => {
    const full = fs.openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [CLI_BUNDLE, ...SNP, '--ovmf', OVMF], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('error: cannot write to standard output: no space left on the device\n');
    } finally {
      fs.closeSync(full);
    }
  });

  it('igvm build with a --manifest in a missing directory writes no -o file either', async () => {
    const out = t('never.igvm');
    const line = expectCleanError(runCli(['igvm', 'build', '--snp', '--policy', '0x30000', '--bldr', path.join(IN, 'bldr.bin'), '--kernel', path.join(IN, 'kernel.elf'), '-o', out, '--manifest', t('missing-dir/m.json'), 'qemu']), 1);
    expect(line).toBe(`error: --manifest: cannot write ${t('missing-dir/m.json')}: the directory ${t('missing-dir')} does not exist (create it first)`);
    expect(fs.existsSync(out)).toBe(false);
    expect(tmpFiles(tmp)).toEqual([]);
  });

  it('-o through a symlink keeps the link and replaces its target', async () => {
    fs.writeFileSync(t('real.igvm'), 'old');
    fs.symlinkSync('real.igvm', t('link.igvm'));
    expectOk(runCli(['igvm', 'build', '--snp', '--policy', '0x30000', '--bldr', path.join(IN, 'bldr.bin'), '--kernel', path.join(IN, 'kernel.elf'), '-o', t('link.igvm'), 'qemu']));
    expect(fs.lstatSync(t('link.igvm')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(t('real.igvm')).subarray(0, 4).toString('latin1')).toBe('IGVM');
  });

  it('SIGTERM while a --trace file is being written leaves no temporary file', async () => {
    const dir = t('sig');
    fs.mkdirSync(dir);
    // a large (sparse) initrd keeps the measurement busy while the trace's temporary file is open
    const fd = fs.openSync(path.join(dir, 'initrd'), 'w');
    fs.ftruncateSync(fd, 256 << 20);
    fs.closeSync(fd);
    const child = spawn(process.execPath, [CLI_BUNDLE, ...SNP, '--ovmf', AMDSEV, '--kernel', path.join(dir, 'initrd'), '--initrd', path.join(dir, 'initrd'), '--trace', path.join(dir, 'run.trace')], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (code, sig) => resolve([code, sig])));
    let sent = false;
    const deadline = Date.now() + 20_000;
    while (!sent && Date.now() < deadline && child.exitCode === null) {
      if (tmpFiles(dir).length) {
        child.kill('SIGTERM');
        sent = true;
      } else {
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    const [code, signal] = await exited;
    expect(sent, 'the temporary trace file was seen').toBe(true);
    expect(tmpFiles(dir)).toEqual([]);
    // the running step is never cut: the process dies of the signal once it ends, or (when the
    // command ended first) exits with the whole trace written
    if (signal === null) {
      expect(code).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'run.trace'), 'utf8')).toMatch(/ digest=[0-9a-f]{96} VMSA vCPU 1\n$/);
    } else {
      expect(signal).toBe('SIGTERM');
    }
  }, 40_000);
});
