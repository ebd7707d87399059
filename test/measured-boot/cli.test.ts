/**
 * `prelaunch tpm` as a process: bad input gives one `error:` line and exit 1 (2 for usage),
 * nothing written; replay and diff of our own capture.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectCleanError, expectOk, PROJECT, runCliInProcess } from '../support/cli.js';

const CAPTURE = path.join(PROJECT, 'test/vectors/measured-boot/trixie-q7-3g-vga');
const LOG = path.join(CAPTURE, 'eventlog.bin');
const KERNEL = path.resolve(PROJECT, '../shared/oracles/measured-boot/inputs/kernels/vmlinuz-6.12.117');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-tpm-'));
afterAll(async () => fs.rmSync(tmp, { recursive: true, force: true }));

describe('prelaunch tpm (CLI)', () => {
  it('replay --json gives every bank and PCR in the contract shape', async () => {
    const j = JSON.parse(expectOk(await runCliInProcess(['tpm', 'replay', LOG, '--json']))) as { pcrs: Record<string, Record<string, string>>; banks: string[] };
    expect(j.banks).toEqual(['sha256', 'sha384']);
    expect(Object.keys(j.pcrs.sha256!).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '9']);
    expect(j.pcrs.sha384!['5']).toMatch(/^[0-9a-f]{96}$/);
  });
  it('replay shows each event with PCR, type, what it is and its digests', async () => {
    const out = expectOk(await runCliInProcess(['tpm', 'replay', LOG]));
    expect(out).toMatch(/PCR4 +EV_EFI_BOOT_SERVICES_APPLICATION +PE image QEMU kernel loader: kernel/);
    expect(out).toMatch(/sha384 [0-9a-f]{96}/);
  });
  it('a truncated log: one error line naming the record, exit 1', async () => {
    const bytes = fs.readFileSync(LOG);
    const cut = path.join(tmp, 'cut.bin');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const msg = expectCleanError(await runCliInProcess(['tpm', 'replay', cut]), 1);
    expect(msg).toMatch(/TCG_PCR_EVENT2 #\d+ event data at offset 0x[0-9a-f]+: needs \d+ bytes/);
  });
  it('a log lying about an event size: one error line, exit 1', async () => {
    const bytes = Buffer.from(fs.readFileSync(LOG));
    // the first TCG_PCR_EVENT2's EventSize (after pcr, type, count and two digests)
    const first = 32 + bytes.readUInt32LE(28);
    bytes.writeUInt32LE(0x7fffffff, first + 12 + 2 + 32 + 2 + 48);
    const lying = path.join(tmp, 'lying.bin');
    fs.writeFileSync(lying, bytes);
    expectCleanError(await runCliInProcess(['tpm', 'replay', lying]), 1);
  });
  it('not a log, and a firmware that is not OVMF: refused by kind', async () => {
    expect(expectCleanError(await runCliInProcess(['tpm', 'replay', path.join(PROJECT, 'firmware-samples/debian/OVMF.fd')]), 1)).toMatch(/OVMF\/UEFI firmware image, not a TCG2 event log/);
    const out = path.join(tmp, 'never.bin');
    const msg = expectCleanError(await runCliInProcess(['tpm', 'predict', '--firmware', LOG, '--kernel', LOG, '--qemu-version', '7.2', '--memory', '1024', '--log-out', out]), 1);
    expect(msg).toMatch(/TCG event log, not an OVMF firmware image/);
    expect(fs.existsSync(out)).toBe(false);
  });
  it('an unmodelled QEMU version: one line, exit 1, no log written', async () => {
    const out = path.join(tmp, 'never2.bin');
    const msg = expectCleanError(await runCliInProcess(['tpm', 'predict', '--firmware', path.join(PROJECT, 'firmware-samples/debian/OVMF.fd'), '--kernel', LOG, '--qemu-version', '9.2.1', '--memory', '1024', '--log-out', out]), 1);
    expect(msg).toMatch(/QEMU 9\.2 is not modelled/);
    expect(fs.existsSync(out)).toBe(false);
  });
  it.skipIf(!fs.existsSync(KERNEL))('edk2 2026.08 under QEMU 11.1 (sid-q11-quiet): tpm diff finds no predicted event that differs but the initrd stand-in, PCR0 included', async () => {
    const sid = path.join(PROJECT, 'test/vectors/measured-boot/sid-q11-quiet');
    const prov = JSON.parse(fs.readFileSync(path.join(sid, 'provenance.json'), 'utf8')) as { cmdline: string; initrd_size: number };
    // the capture's initrd holds busybox and is not committed: a stand-in of its size (checked by captures.test.ts against its sha256)
    const initrd = path.join(tmp, 'initrd-standin');
    fs.writeFileSync(initrd, Buffer.alloc(prov.initrd_size));
    const predicted = path.join(tmp, 'sid.json');
    fs.writeFileSync(predicted, expectOk(await runCliInProcess(['tpm', 'predict', '--firmware', path.join(PROJECT, 'firmware-samples/debian-sid/OVMF_CODE_4M.fd'), '--vars', path.join(PROJECT, 'firmware-samples/debian/OVMF_VARS_4M.fd'),
      '--kernel', KERNEL, '--initrd', initrd, '--append', prov.cmdline, '--qemu-version', '11.1.3', '--memory', '1024', '--fw-cfg', path.join(sid, 'fwcfg.tar'), '--json'])));
    for (const bank of ['sha256', 'sha384']) {
      const r = await runCliInProcess(['tpm', 'diff', predicted, path.join(sid, 'eventlog.bin'), '--bank', bank, '--json']);
      const d = JSON.parse(r.stdout) as { first: { pcr: number; predicted: { description: string } } | null; pcrs: Record<string, unknown>; unchecked: Array<{ pcr: number }> };
      expect([d.first?.pcr, d.first?.predicted.description]).toEqual([9, `initrd (${prov.initrd_size} bytes)`]);
      expect(Object.entries(d.pcrs).filter(([, v]) => v !== null).map(([k]) => k)).toEqual(['9']);
      // PCR0 too: its PEIFV is predicted as built (rule peifv-as-built) and equals the log's
      expect(d.unchecked).toEqual([]);
    }
  }, 60_000);
  it('missing required flags are usage errors (exit 2)', async () => {
    expectCleanError(await runCliInProcess(['tpm', 'predict', '--kernel', LOG]), 2);
  });
});
