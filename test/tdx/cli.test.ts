import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import { expectCleanError, expectOk, runCliInProcess } from '../support/cli.js';
import { HAVE_SHARED, SHARED, VECTORS, fw, sidWithoutPk } from './fixtures.js';
import { bytesSource } from '../../src/bytes/source.js';
import { parseOvmf } from '../../src/formats/ovmf/parse.js';
import { encodeCcel } from '../../src/formats/tdx/ccel.js';
import { predictRtmrs } from '../../src/measure/rtmr.js';

import { syntheticBzImage } from './synthetic-kernel.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-tdx-'));
afterAll(async () => fs.rmSync(tmp, { recursive: true, force: true }));
const OVMF = fw('debian/OVMF.fd');
const SID = fw('debian-sid/OVMF.inteltdx.ms.fd');
const mrtd = (order: string) => VECTORS.mrtd.find((v) => v.firmwareSha256.startsWith('7b456907') && v.order === order)!.value;

describe('prelaunch tdx (CLI)', () => {
  it('the conformance contract: --firmware F --page-order single --json', async () => {
    const j = JSON.parse(expectOk(await runCliInProcess(['tdx', '--firmware', OVMF, '--page-order', 'single', '--json'])));
    expect(j.mrtd).toBe(mrtd('single'));
    expect(j.pageOrder).toBe('single');
  });
  it('both orders by default; --vmm-version picks one', async () => {
    const j = JSON.parse(expectOk(await runCliInProcess(['tdx', '--firmware', OVMF, '--json'])));
    expect(j.mrtd).toEqual({ single: mrtd('single'), two: mrtd('two') });
    expect(JSON.parse(expectOk(await runCliInProcess(['tdx', '--firmware', OVMF, '--vmm-version', '8.2.2', '--json']))).mrtd).toBe(mrtd('two'));
    expect(JSON.parse(expectOk(await runCliInProcess(['tdx', '--firmware', OVMF, '--vmm-version', '9.2.0', '--json']))).mrtd).toBe(mrtd('single'));
  });
  it('policy fields', async () => {
    const mr = 'ab'.repeat(48);
    const j = JSON.parse(expectOk(await runCliInProcess(['tdx', '--firmware', OVMF, '--page-order', 'two', '--td-attributes', '0x10000000', '--xfam', '0x602e7', '--mrconfigid', mr, '--json'])));
    expect(j.policy.tdAttributes).toEqual({ value: '0x10000000', quoteHex: '0000001000000000', flags: ['SEPT_VE_DISABLE'] });
    expect(j.policy.xfam.quoteHex).toBe('e702060000000000');
    expect(j.policy.mrconfigid).toBe(mr);
    expect(j.policy.mrowner).toBeNull();
  });
  it('predict, write a CCEL, replay it and diff it', async () => {
    const kernel = path.join(tmp, 'bzImage');
    fs.writeFileSync(kernel, syntheticBzImage());
    const initrd = path.join(tmp, 'initrd');
    fs.writeFileSync(initrd, createHash('shake256', { outputLength: 5000 }).update('i').digest());
    const acpi = path.join(tmp, 'acpi');
    fs.mkdirSync(path.join(acpi, 'etc/acpi'), { recursive: true });
    fs.writeFileSync(path.join(acpi, 'etc/table-loader'), Buffer.alloc(4096, 1));
    fs.writeFileSync(path.join(acpi, 'etc/acpi/rsdp'), Buffer.alloc(20, 2));
    fs.writeFileSync(path.join(acpi, 'etc/acpi/tables'), Buffer.alloc(8192, 3));
    const ccel = path.join(tmp, 'ccel.bin');
    // Debian sid's IntelTdx build without PK (secure boot off), read as edk2 2025.02 under QEMU 9.2 (patched kernel)
    const nopk = path.join(tmp, 'nopk.fd');
    fs.writeFileSync(nopk, sidWithoutPk());
    const args = ['tdx', '--firmware', nopk, '--edk2-version', '2025.02', '--vmm-version', '9.2.0', '--memory', '2G', '--kernel', kernel, '--initrd', initrd, '--append', 'console=ttyS0', '--acpi-dir', acpi];
    const run = await runCliInProcess([...args, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^warning: the image says it is 2026\.08\+ds-2, but edk2 2025\.02 was given$/m);
    expect(run.stderr).toMatch(/^warning: RTMR0 is not predicted: edk2 2025\.02 measures QEMU's SMBIOS tables/m);
    const pred = JSON.parse(run.stdout);
    expect(pred.rtmrs).toHaveLength(4);
    expect(pred.edk2).toEqual({ versionString: '2026.08+ds-2', generation: '2025.02', generationSource: 'given as 2025.02' });
    // TD HOB, CFV, SecureBoot PK KEK db dbx, separator, ACPI x3, SMBIOS, BootOrder, Boot0000
    expect(pred.rtmrs[0].events).toHaveLength(14);
    expect(pred.rtmrs[0].events[0].digest).toBe(VECTORS.tdHob.find((h) => h.memory === 2 ** 31)!.value);
    expect(pred.rtmrs[0].value).toBeNull();
    // a CCEL needs every digest: refused, nothing written
    expect(expectCleanError(await runCliInProcess([...args, '--ccel-out', ccel]), 2, 'ERR_INVALID_OPTION')).toMatch(/--ccel-out: 1 event digest\(s\) are not predicted \(RTMR0 SMBIOS tables/);
    expect(fs.existsSync(ccel)).toBe(false);
    // the log a TD would write (the SMBIOS digest a stand-in), from the same library call
    const lib = predictRtmrs(parseOvmf(bytesSource(sidWithoutPk())), {
      memory: 2 ** 31, edk2Version: '2025.02', qemuVersion: '9.2.0',
      acpi: { tableLoader: Buffer.alloc(4096, 1), rsdp: Buffer.alloc(20, 2), tables: Buffer.alloc(8192, 3) },
      directBoot: { kernel: syntheticBzImage(), initrd: fs.readFileSync(initrd), append: 'console=ttyS0' },
    });
    fs.writeFileSync(ccel, encodeCcel(lib.events.map((e) => ({ mrIndex: e.rtmr + 1, eventType: e.eventType, sha384: e.digest ?? new Uint8Array(48).fill(7), data: e.data })), { areaSize: 0x10000 }));
    const rep = JSON.parse(expectOk(await runCliInProcess(['tdx', 'replay', ccel, '--json'])));
    expect(rep.rtmrs.slice(1)).toEqual(pred.rtmrs.slice(1).map((r: { value: string }) => r.value));
    const predFile = path.join(tmp, 'pred.json');
    fs.writeFileSync(predFile, JSON.stringify(pred));
    expect(expectOk(await runCliInProcess(['tdx', 'diff', predFile, ccel]))).toMatch(/all predicted events match/);
    // a different command line: RTMR2 event 1 differs
    const other = await runCliInProcess([...args.map((a) => (a === 'console=ttyS0' ? 'quiet' : a)), '--json']);
    fs.writeFileSync(predFile, other.stdout);
    const d = await runCliInProcess(['tdx', 'diff', predFile, ccel]);
    expect(d.code).toBe(1);
    expect(d.stdout).toMatch(/first divergent event: RTMR2, event 1/);
    expect(d.stdout).toMatch(/kernel LoadOptions "quiet initrd=initrd"/);
  });
  it('warnings go to stderr as `warning: …` lines and into the JSON; PAGE.AUG is ignored as QEMU does', async () => {
    const b = new Uint8Array(fs.readFileSync(fw('tdx/synthetic-plain.bin')));
    new DataView(b.buffer).setUint32(0x3020 + 28, 3, true); // BFV: MR.EXTEND | PAGE.AUG
    const file = path.join(tmp, 'aug.bin');
    fs.writeFileSync(file, b);
    const r = await runCliInProcess(['tdx', '--firmware', file, '--page-order', 'single', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.mrtd).toBe(VECTORS.mrtd.find((v) => v.id === 'synthetic-plain-mrtd-single')!.value);
    expect(r.stderr).toMatch(/^warning: section 0 \(BFV\) has attribute bit 1 \(PAGE\.AUG\), which QEMU ignores/m);
    expect(r.stderr.trimEnd().split('\n').every((l) => l.startsWith('warning: '))).toBe(true);
    expect(j.warnings).toEqual(r.stderr.trimEnd().split('\n').map((l) => l.slice('warning: '.length)));
    const text = await runCliInProcess(['tdx', '--firmware', file, '--page-order', 'single']);
    expect(text.stdout).not.toMatch(/warning/);
    expect(text.stderr).toBe(r.stderr);
  });
  it.skipIf(!HAVE_SHARED)('replays the real dstack CCEL', async () => {
    const rep = JSON.parse(expectOk(await runCliInProcess(['tdx', 'replay', path.join(SHARED, 'oracles/tdx/samples/dstack-ccel.bin'), '--json'])));
    expect(rep.rtmrs).toEqual(VECTORS.ccelReplay.rtmrs);
  });
});

describe('prelaunch tdx rejects bad input with one error line', () => {
  const bad = (name: string, bytes: Uint8Array): string => { const p = path.join(tmp, name); fs.writeFileSync(p, bytes); return p; };
  const plain = new Uint8Array(fs.readFileSync(fw('tdx/synthetic-plain.bin')));
  const overlap = plain.slice();
  new DataView(overlap.buffer).setUint32(0x3020 + 3 * 32 + 8, 0x801000, true);
  const hugeTempMem = plain.slice();
  for (const [at, v] of [[8, 0], [12, 1], [16, 0], [20, 0x4_0000]] as const) new DataView(hugeTempMem.buffer).setUint32(0x3020 + 2 * 32 + at, v, true);
  const cases: Array<[string, string[], RegExp, number, ErrorCode]> = [
    ['no TDX metadata', ['tdx', '--firmware', fw('synthetic/amdsev.fd'), '--json'], /no TDX metadata/, 1, 'ERR_FIRMWARE_UNSUPPORTED'],
    ['overlapping sections', ['tdx', '--firmware', bad('overlap.bin', overlap), '--page-order', 'single', '--json'], /overlaps/, 1, 'ERR_MALFORMED'],
    ['truncated event log', ['tdx', 'replay', bad('trunc.bin', new Uint8Array(fs.readFileSync(fw('tdx/synthetic-plain.bin'))).subarray(0, 0))], /TCG_PCR_EVENT at offset 0x0/, 1, 'ERR_TRUNCATED'],
    ['missing firmware', ['tdx', '--firmware', path.join(tmp, 'nope.fd')], /cannot open/, 1, 'ERR_IO'],
    ['bad page order', ['tdx', '--firmware', OVMF, '--page-order', 'three'], /--page-order/, 2, 'ERR_INVALID_OPTION'],
    ['old QEMU', ['tdx', '--firmware', OVMF, '--vmm-version', '7.2.0'], /predates TDX/, 2, 'ERR_INVALID_OPTION'],
    ['kernel without memory', ['tdx', '--firmware', OVMF, '--kernel', OVMF], /needs --memory/, 2, 'ERR_INVALID_OPTION'],
    ['not a bzImage', ['tdx', '--firmware', SID, '--edk2-version', '2025.02', '--vmm-version', '10.1.0', '--memory', '2G', '--kernel', OVMF], /MZ/, 1, 'ERR_MALFORMED'],
    ['a kernel without the QEMU version the kernel rule needs', ['tdx', '--firmware', SID, '--edk2-version', '2025.02', '--memory', '2G', '--kernel', OVMF], /--vmm-version: needed with --kernel/, 2, 'ERR_INVALID_OPTION'],
    ['--acpi-dir and --fw-cfg', ['tdx', '--firmware', SID, '--memory', '2G', '--acpi-dir', tmp, '--fw-cfg', OVMF], /--fw-cfg: give the ACPI blobs once/, 2, 'ERR_INVALID_OPTION'],
    ['RTMRs of a firmware without TdTcg2Dxe', ['tdx', '--firmware', OVMF, '--memory', '2G'], /OVMF\.fd: no TdTcg2Dxe module/, 1, 'ERR_FIRMWARE_UNSUPPORTED'],
    ['RTMRs of an unmodelled generation', ['tdx', '--firmware', SID, '--edk2-version', '2023.05', '--memory', '2G'], /edk2 2023\.05 \(given\) is not a modelled generation/, 1, 'ERR_FIRMWARE_UNSUPPORTED'],
    ['RTMRs of a non-OVMF firmware', ['tdx', '--firmware', fw('tdx/synthetic-plain.bin'), '--memory', '2G'], /synthetic-plain\.bin/, 1, 'ERR_MALFORMED'],
    ['--edk2-version without --memory', ['tdx', '--firmware', SID, '--edk2-version', '2025.02'], /needs --memory/, 2, 'ERR_INVALID_OPTION'],
    ['bad mrowner', ['tdx', '--firmware', OVMF, '--mrowner', 'abcd'], /48 bytes|hex nor base64/, 2, 'ERR_INVALID_OPTION'],
    // a TempMem section of 2^50 bytes at 4 GiB: 2^38 page records before sizes were bounded
    ['a TempMem section of 2^50 bytes', ['tdx', '--firmware', bad('huge.bin', hugeTempMem), '--json'], /TDVF section 2 \(TempMem\).*MemoryDataSize 0x4000000000000.*--memory/, 1, 'ERR_FIRMWARE_UNSUPPORTED'],
    ['the same with a 4 GiB guest', ['tdx', '--firmware', bad('huge.bin', hugeTempMem), '--memory', '4G', '--json'], /not inside guest RAM/, 1, 'ERR_FIRMWARE_UNSUPPORTED'],
    ['a memory size no TD can have', ['tdx', '--firmware', OVMF, '--memory', '4096T'], /--memory: .*more than a TD can have/, 2, 'ERR_INVALID_OPTION'],
  ];
  for (const [name, args, msg, code, errorCode] of cases) {
    it(name, async () => {
      expect(expectCleanError(await runCliInProcess(args), code, errorCode)).toMatch(msg);
    });
  }
});
