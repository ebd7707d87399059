/**
 * RTMR prediction for Debian sid's IntelTdx TDVF (edk2 2026.08, OVMF.inteltdx.ms.fd with the
 * Microsoft keys enrolled in its CFV): the 2026.08 rules of the one edk2 event model — fw_cfg
 * item events, secure-boot variables read from the CFV, the BootManagerMenuApp boot option alone
 * (UiApp is in the image's NCCFV, which a TD does not load: no "EFI Firmware Setup"), the kernel
 * measured unpatched under QEMU >= 10.0, the "initrd=initrd " LoadOptions prefix, no legacy
 * fallback.
 *
 * Where the expected values come from (test/vectors/tdx-sid-2026.08.json): the secure-boot
 * variable digests from virt-fw-measure (an independent reader of the CFV); Boot0000 and the
 * LoadOptions digests from a real edk2 2026.08 vTPM boot (BootOrder = 0000 is the UINT16 0,
 * hashed with node:crypto) (the same events the vTPM captures
 * verify, projected PCR1 -> RTMR0 and PCR9 -> RTMR2); the TD HOB from dstack's hardware logs;
 * the kernel Authenticode from osslsigncode. That these events appear in a TD's CCEL, in this
 * order and register, rests on reading the edk2 2026.08 sources (no TDX hardware here).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/bytes/source.js';
import { toHex } from '../../src/bytes/hex.js';
import { parseOvmf } from '../../src/formats/ovmf/parse.js';
import { EV, LINUX_LOAD_OPTIONS_EVENT_TAG_ID } from '../../src/formats/tdx/tcg-events.js';
import { nodeBackend } from '../../src/hash/index.js';
import { fwCfgEventData, edk2LoadOptions } from '../../src/measured-boot/edk2-events.js';
import { extendRtmr, predictRtmrs, type RtmrValues } from '../../src/measure/rtmr.js';
import { expectCleanError, runCliInProcess } from '../support/cli.js';
import { thrownPrelaunchError as thrown } from '../support/thrown.js';
import { ROOT, SID_TDVF, VECTORS, readBytes, sidWithoutPk } from './fixtures.js';
import { syntheticBzImage } from './synthetic-kernel.js';

interface SidVectors {
  firmwareSha256: string;
  secureBootVariables: Record<'SecureBoot' | 'PK' | 'KEK' | 'db' | 'dbx', string>;
  bootVariables: Record<'BootOrder' | 'Boot0000' | 'Boot0001', string>;
  loadOptions: { cmdline: string; sha384: string };
  bootMenuOff: { sha384: string };
  smbios: { fwCfg: string; sha256: string; sha384: string };
}
const SID: SidVectors = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/vectors/tdx-sid-2026.08.json'), 'utf8')) as SidVectors;
const GiB = 1024 ** 3;
const sha384 = (b: Uint8Array): string => createHash('sha384').update(b).digest('hex');
const action = (a: string): string => VECTORS.fixedEvents.find((e) => e.event === `action:${a}`)!.value;
const SEPARATOR = VECTORS.fixedEvents.find((e) => e.event === 'separator')!.value;
const ms = () => parseOvmf(bytesSource(readBytes(SID_TDVF), 'OVMF.inteltdx.ms.fd'));
const nopk = () => parseOvmf(bytesSource(sidWithoutPk(), 'OVMF.inteltdx.nopk.fd'));
const digests = (p: RtmrValues, rtmr: number): Array<string | null> => p.events.filter((e) => e.rtmr === rtmr).map((e) => (e.digest ? toHex(e.digest) : null));
const replay = (ds: string[]): string => {
  let r: Uint8Array = new Uint8Array(48);
  for (const d of ds) r = extendRtmr(nodeBackend, r, Buffer.from(d, 'hex'));
  return toHex(r);
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-sid-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('Debian sid OVMF.inteltdx.ms.fd (edk2 2026.08): RTMR0', () => {
  it('is identified as edk2 2026.08, a modelled TDX generation', () => {
    expect(createHash('sha256').update(readBytes(SID_TDVF)).digest('hex')).toBe(SID.firmwareSha256);
    const p = predictRtmrs(ms(), { memory: 2 * GiB });
    expect(p.firmware).toEqual({ versionString: '2026.08+ds-2', generation: '2026.08', generationSource: 'firmware version string "2026.08+ds-2"' });
  });
  it('lists every RTMR0 event in log order, with the enrolled keys read from the CFV', () => {
    const fwCfg = new Map([['bootorder', Buffer.from('/pci@i0cf8/ide@1,1/drive@0/disk@0\0')], ['etc/reserved-memory-end', Buffer.alloc(8, 1)], ['etc/extra-pci-roots', Buffer.alloc(4)]]);
    const p = predictRtmrs(ms(), { memory: 2 * GiB, fwCfg, acpi: null });
    const r0 = p.events.filter((e) => e.rtmr === 0);
    expect(r0.map((e) => e.description.split(/[:(]/)[0]!.trim())).toEqual([
      'TD HOB for 2147483648 bytes of memory', 'configuration volume',
      // QemuFwCfgCacheInit, mCacheFwCfgList order; etc/extra-pci-roots has the wrong size (4, not 8): not cached, not measured
      'QEMU FW CFG BootMenu', 'QEMU FW CFG etc/reserved-memory-end', 'QEMU FW CFG bootorder',
      'variable SecureBoot = 1', 'variable PK', 'variable KEK', 'variable db', 'variable dbx', 'separator',
      'ACPI DATA', 'ACPI DATA', 'ACPI DATA',
      'SMBIOS tables',
      // UiApp sits in the NCCFV (edk2 03a07cb0f5): no Boot0001 "EFI Firmware Setup" in a TD
      'variable BootOrder = 0000', 'variable Boot0000 = BootManagerMenuApp',
    ]);
    expect((p.notes ?? []).join('\n')).toMatch(/no Boot0001 "EFI Firmware Setup": UiApp is not in the volume BdsDxe is loaded from/);
    const d = digests(p, 0);
    expect(d[0]).toBe(VECTORS.tdHob.find((h) => h.memory === 2 * GiB)!.value);
    const cfv = ms().tdxMetadata!.sections.find((s) => s.type === 1)!;
    expect(d[1]).toBe(sha384(readBytes(SID_TDVF).subarray(cfv.dataOffset, cfv.dataOffset + cfv.rawDataSize)));
    expect(d.slice(2, 5)).toEqual([SID.bootMenuOff.sha384, sha384(Buffer.alloc(8, 1)), sha384(fwCfg.get('bootorder')!)]);
    expect(toHex(r0[2]!.data)).toBe(toHex(fwCfgEventData('BootMenu')));
    expect(r0[2]!.data).toHaveLength(68);
    const sb = SID.secureBootVariables;
    expect(d.slice(5, 11)).toEqual([sb.SecureBoot, sb.PK, sb.KEK, sb.db, sb.dbx, SEPARATOR]);
    expect(d.slice(11, 15)).toEqual([null, null, null, null]); // ACPI and SMBIOS: not in this fw_cfg map
    const bv = SID.bootVariables;
    expect(d.slice(15)).toEqual([sha384(Uint8Array.of(0, 0)), bv.Boot0000]);
    expect(p.rtmrs[0]).toBeNull();
    expect(r0.filter((e) => e.rule === 'fw-cfg-items')).toHaveLength(3);
  });
  it('with QEMU 11.1\'s fw_cfg dump: the SMBIOS event is the digest of a real 2026.08 boot, and RTMR0 is predicted', () => {
    const fwCfg = readBytes(path.join(ROOT, SID.smbios.fwCfg));
    const p = predictRtmrs(ms(), { memory: 2 * GiB, fwCfg });
    const smbios = p.events.find((e) => e.rule === 'smbios-tables')!;
    expect(smbios.eventType).toBe(EV.EV_EFI_HANDOFF_TABLES);
    expect(toHex(smbios.digest!)).toBe(SID.smbios.sha384);
    // every RTMR0 event known: the register value is the replay of its digests
    const d = digests(p, 0);
    expect(d.every((x) => x !== null)).toBe(true);
    expect(toHex(p.rtmrs[0]!)).toBe(replay(d as string[]));
    // the same fw_cfg dump gives the fw_cfg item events (BootMenu, bootorder) and the ACPI DATA of that boot (loader, rsdp, tpm/log, tables)
    expect(p.events.filter((e) => e.rule === 'fw-cfg-items').map((e) => e.description.split(' (')[0])).toEqual(['QEMU FW CFG BootMenu', 'QEMU FW CFG bootorder']);
    expect(p.events.filter((e) => e.rule === 'acpi-data')).toHaveLength(4);
  });
  it('-boot menu=on: the BootMenu item is 01 00', () => {
    const p = predictRtmrs(ms(), { memory: 2 * GiB, fwCfg: new Map([['etc/acpi/rsdp', new Uint8Array(20)]]), bootMenu: true });
    expect(digests(p, 0)[2]).toBe(sha384(Uint8Array.of(1, 0)));
  });
  it('without --fw-cfg the fw_cfg items are one unknown event (which optional files QEMU offers is not known)', () => {
    const p = predictRtmrs(ms(), { memory: 2 * GiB });
    const items = p.events.filter((e) => e.rule === 'fw-cfg-items');
    expect(items).toHaveLength(1);
    expect(items[0]!.digest).toBeNull();
    expect(items[0]!.basis).toBe('vmm-unknown');
  });
  it('with the enrolled Microsoft keys a direct-boot kernel not signed by a db key does not boot: refused (rule no-legacy-fallback)', () => {
    const e = thrown(() => predictRtmrs(ms(), { memory: 2 * GiB, qemuVersion: '10.1.0', directBoot: { kernel: syntheticBzImage(), initrd: new Uint8Array(16), append: 'quiet' } }));
    expect(e.code).toBe('ERR_UNSUPPORTED_STACK');
    expect(e.message).toMatch(/not signed.*edk2 2026\.08 has no legacy fallback in a TD \(rule no-legacy-fallback\)/);
  });
});

describe('Debian sid IntelTdx with secure boot off (PK deleted in the CFV): RTMR1, RTMR2', () => {
  const initrd = new Uint8Array(createHash('shake256', { outputLength: 40_000 }).update('sid initrd').digest());
  const predict = (qemuVersion: string) => predictRtmrs(nopk(), { memory: 2 * GiB, qemuVersion, directBoot: { kernel: syntheticBzImage(), initrd, append: SID.loadOptions.cmdline } });
  it('RTMR1: the kernel unpatched (QEMU >= 10.0 serves etc/boot/kernel), the action, the ReadyToBoot separator, Exit Boot Services', () => {
    const p = predict('10.1.0');
    const want = [VECTORS.authenticode.sha384, action('Calling EFI Application from Boot Option'), SEPARATOR, action('Exit Boot Services Invocation'), action('Exit Boot Services Returned with Success')];
    expect(digests(p, 1)).toEqual(want);
    expect(toHex(p.rtmrs[1]!)).toBe(replay(want));
    expect(p.events.find((e) => e.eventType === EV.EV_EFI_BOOT_SERVICES_APPLICATION)!.rule).toBe('kernel-from-etc-boot');
    // QEMU 9.2 (no etc/boot/*): the patched kernel
    expect(digests(predict('9.2.0'), 1)[0]).not.toBe(VECTORS.authenticode.sha384);
  });
  it('RTMR2: LoadOptions with the "initrd=initrd " prefix (the digest of a real 2026.08 boot), then the initrd', () => {
    const p = predict('10.1.0');
    const want = [SID.loadOptions.sha384, sha384(initrd)];
    expect(digests(p, 2)).toEqual(want);
    expect(toHex(p.rtmrs[2]!)).toBe(replay(want));
    expect(sha384(edk2LoadOptions(Buffer.from(SID.loadOptions.cmdline), true, 'prefix')!)).toBe(SID.loadOptions.sha384);
    const lo = p.events.find((e) => e.rtmr === 2 && new DataView(e.data.buffer, e.data.byteOffset).getUint32(0, true) === LINUX_LOAD_OPTIONS_EVENT_TAG_ID)!;
    expect(lo.description).toBe(`kernel LoadOptions "initrd=initrd ${SID.loadOptions.cmdline}" (UTF-16, NUL-terminated)`);
    expect(lo.rule).toBe('load-options-prefix');
  });
  it('RTMR0 has SecureBoot = 0 and an empty PK; the other keys are still measured', () => {
    const d = digests(predict('10.1.0'), 0);
    expect(d[3]).not.toBe(SID.secureBootVariables.SecureBoot);
    expect(d.slice(5, 8)).toEqual([SID.secureBootVariables.KEK, SID.secureBootVariables.db, SID.secureBootVariables.dbx]);
  });
});

describe('prelaunch tdx with Debian sid OVMF.inteltdx.ms.fd (CLI)', () => {
  it('prints the 2026.08 event list; RTMR0 is null with a warning naming the SMBIOS event', async () => {
    const r = await runCliInProcess(['tdx', '--firmware', SID_TDVF, '--page-order', 'single', '--memory', '2G', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.edk2.generation).toBe('2026.08');
    expect(j.rtmrs[0].value).toBeNull();
    expect(j.rtmrs[0].events.map((e: { digest: string | null }) => e.digest).slice(3, 8)).toEqual((['SecureBoot', 'PK', 'KEK', 'db', 'dbx'] as const).map((k) => SID.secureBootVariables[k]));
    expect(r.stderr).toMatch(/^warning: RTMR0 is not predicted: edk2 2026\.08 measures QEMU's SMBIOS tables \(SmbiosMeasurementDxe\); QEMU's fw_cfg etc\/smbios\/smbios-tables was not supplied \(--fw-cfg\)$/m);
    // with the fw_cfg dump RTMR0 is predicted, no warning about it
    const full = await runCliInProcess(['tdx', '--firmware', SID_TDVF, '--page-order', 'single', '--memory', '1G', '--fw-cfg', path.join(ROOT, SID.smbios.fwCfg), '--json']);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stderr).not.toMatch(/RTMR0/);
    expect(JSON.parse(full.stdout).rtmrs[0].value).toMatch(/^[0-9a-f]{96}$/);
  });
  it('bad inputs: one error line, exit 1 or 2', async () => {
    const write = (name: string, b: Uint8Array): string => { const p = path.join(tmp, name); fs.writeFileSync(p, b); return p; };
    // a CFV whose varstore header is not formatted: a wrong varstore layout
    const badStore = readBytes(SID_TDVF);
    const hdrLen = badStore[0x30]! | (badStore[0x31]! << 8);
    badStore[hdrLen + 0x14] = 0;
    expect(expectCleanError(await runCliInProcess(['tdx', '--firmware', write('badstore.fd', badStore), '--memory', '2G']), 1, 'ERR_MALFORMED')).toMatch(/CFV varstore.*Format 0x0 is not 0x5A/);
    // a varstore whose variable lies about its size
    const lying = readBytes(SID_TDVF);
    const first = (hdrLen + 28 + 3) & ~3;
    new DataView(lying.buffer).setUint32(first + 0x28, 0x7fff_ffff, true);
    expect(expectCleanError(await runCliInProcess(['tdx', '--firmware', write('lying.fd', lying), '--memory', '2G']), 1, 'ERR_MALFORMED')).toMatch(/run past the variable store/);
    expect(expectCleanError(await runCliInProcess(['tdx', '--firmware', SID_TDVF, '--memory', '2G', '--fw-cfg', SID_TDVF]), 1)).toMatch(/--fw-cfg|tar/i);
    expect(expectCleanError(await runCliInProcess(['tdx', '--firmware', SID_TDVF, '--memory', '2G', '--edk2-version', '2026.05']), 1, 'ERR_FIRMWARE_UNSUPPORTED')).toMatch(/edk2 2026\.05 \(given\) is not a modelled generation.*NCCFV \(03a07cb0f5\)/);
  });
});
