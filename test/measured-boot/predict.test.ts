/**
 * The edk2 event model against real boots: for shared cases (../shared/oracles/measured-boot,
 * real OVMF under QEMU with swtpm), the predicted PCR1–9 of both banks equal those replayed
 * from the firmware's own log; the model's refusals (not OVMF, wrong varstore, unmodelled
 * generation or QEMU) by code. The in-repo Debian 2022.11 OVMF.fd checks generation detection
 * without ../shared.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/bytes/source.js';
import { identifyEdk2Firmware } from '../../src/measured-boot/edk2-firmware.js';
import { edk2LoadOptions } from '../../src/measured-boot/edk2-events.js';
import { predictTpmPcrs } from '../../src/measured-boot/predict.js';
import { replayTpmLog } from '../../src/measured-boot/replay.js';
import { syntheticBzImage } from '../tdx/synthetic-kernel.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MB = path.resolve(ROOT, '../shared/oracles/measured-boot');
const HAVE_SHARED = fs.existsSync(path.join(MB, 'index.jsonl'));
const read = (p: string): Uint8Array => new Uint8Array(fs.readFileSync(p));

interface Case { id: string; firmware_code: string; firmware_vars: string; kernel: string; initrd: string; fwcfg: string; eventlog: string; cmdline: string; memory_mib: number; smp: number; qemu_version: string }
const cases: Case[] = HAVE_SHARED ? fs.readFileSync(path.join(MB, 'index.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Case) : [];
// one case per generation × QEMU × secure boot in the fast tier (the conformance runner does all)
const PICK = ['bookworm-q7-quiet', 'bookworm-q10-args-pad', 'trixie-q10-plain-2g-2cpu', 'trixie-q7-secboot-ms'];

describe('Debian 2022.11 OVMF.fd (in the repository)', () => {
  const img = read(path.join(ROOT, 'firmware-samples/debian/OVMF.fd'));
  it('has no version string: identified as edk2 2022.11 by its module set, with a warning', () => {
    const fw = identifyEdk2Firmware(img);
    expect(fw.versionString).toBeNull();
    expect(fw.generation.id).toBe('2022.11');
    expect(fw.secureBootCapable).toBe(true);
    expect(fw.warnings.join()).toMatch(/no version string/);
    expect(fw.dxeFv?.length).toBe(0xc00000);
  });
  it('models the tags between 2025.02 and 2026.08 from source reading, with a warning; refuses an unmodelled generation, naming what is missing', () => {
    for (const id of ['2025.05', '2025.08', '2025.11', '2026.02', '2026.05']) {
      const fw = identifyEdk2Firmware(img, { edk2Version: id });
      expect(fw.generation.id).toBe(id);
      expect(fw.warnings).toContain(`edk2 ${id}: its PCR event list rests on reading the edk2 sources of edk2-stable${id.replace('.', '')} (docs/notes-edk2-generations.md), not on a real boot of it: only 2022.11, 2025.02 and 2026.08 were checked against real boots`);
    }
    expect(identifyEdk2Firmware(img, { edk2Version: '2025.02' }).warnings.join()).not.toMatch(/rests on reading/);
    expect(() => identifyEdk2Firmware(img, { edk2Version: '2026.11' })).toThrow(expect.objectContaining({ code: 'ERR_FIRMWARE_UNSUPPORTED', message: expect.stringMatching(/newer than the newest modelled generation \(2026\.08\)/) }));
    expect(() => identifyEdk2Firmware(img, { edk2Version: '2023.05' })).toThrow(expect.objectContaining({ code: 'ERR_FIRMWARE_UNSUPPORTED', message: expect.stringMatching(/not checked against a real boot of edk2 2023\.05/) }));
  });
  it('refuses a file that is not OVMF, and a varstore of the wrong layout', () => {
    expect(() => identifyEdk2Firmware(new Uint8Array(4096))).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED' }));
    const kernel = bytesSource(new Uint8Array(8192), 'k');
    expect(() => predictTpmPcrs({ firmware: img, vars: img.subarray(0x20000, 0x40000), kernel, qemuVersion: '7.2', memory: 1 << 30 })).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED', message: expect.stringMatching(/not an OVMF varstore/) }));
  });
  it('without --vars, a unified image\'s own variable store is read (and a used one refused)', () => {
    const p = predictTpmPcrs({ firmware: img, kernel: syntheticBzImage(), append: 'console=ttyS0', qemuVersion: '7.2.22', memory: 1 << 30 });
    expect(p.events.filter((e) => e.pcr === 7).map((e) => e.description)).toEqual(['variable SecureBoot = 0', 'variable PK: absent (empty)', 'variable KEK: absent (empty)', 'variable db: absent (empty)', 'variable dbx: absent (empty)', 'separator']);
    expect(Object.keys(p.pcrs.sha384).sort()).toEqual(['1', '2', '3', '4', '5', '6', '7', '9']);
  });
  it('refuses a QEMU version that is not modelled', () => {
    const kernel = bytesSource(new Uint8Array(8192), 'k');
    expect(() => predictTpmPcrs({ firmware: img, kernel, qemuVersion: '9.2.0', memory: 1 << 30 })).toThrow(expect.objectContaining({ code: 'ERR_UNSUPPORTED_STACK' }));
    expect(() => predictTpmPcrs({ firmware: img, kernel, qemuVersion: 'ten', memory: 1 << 30 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

describe('Debian sid OVMF_CODE_4M.fd (edk2 2026.08, in the repository)', () => {
  // the kernel-independent PCRs of our own 2026.08 capture, without ../shared: a stand-in kernel
  const dir = path.join(ROOT, 'test/vectors/measured-boot/sid-q11-quiet');
  const predict = (): ReturnType<typeof predictTpmPcrs> => predictTpmPcrs({
    firmware: read(path.join(ROOT, 'firmware-samples/debian-sid/OVMF_CODE_4M.fd')), vars: read(path.join(ROOT, 'firmware-samples/debian/OVMF_VARS_4M.fd')),
    kernel: syntheticBzImage(), append: 'console=ttyS0 quiet', qemuVersion: '11.1.3', memory: 1 << 30, fwCfg: read(path.join(dir, 'fwcfg.tar')),
  });
  it('is a modelled generation: 2026.08 from its version string', () => {
    const fw = identifyEdk2Firmware(read(path.join(ROOT, 'firmware-samples/debian-sid/OVMF_CODE_4M.fd')));
    expect([fw.versionString, fw.generation.id, fw.secureBootCapable, fw.warnings]).toEqual(['2026.08+ds-2', '2026.08', false, []]);
  });
  it('PCR1, 2, 3, 5, 6, 7 of both banks equal the real log; the vTPM list has no fw_cfg item events', () => {
    const p = predict();
    const log = replayTpmLog(read(path.join(dir, 'eventlog.bin')));
    for (const bank of ['sha256', 'sha384'] as const) {
      for (const pcr of [1, 2, 3, 5, 6, 7]) expect(`${bank} PCR${pcr} ${p.pcrs[bank][String(pcr)]}`).toBe(`${bank} PCR${pcr} ${log.pcrs[bank]![String(pcr)]}`);
    }
    expect(p.events.filter((e) => e.pcr === 1).map((e) => e.typeName)).toEqual([...Array<string>(4).fill('EV_PLATFORM_CONFIG_FLAGS'), 'EV_EFI_HANDOFF_TABLES', 'EV_EFI_VARIABLE_BOOT', 'EV_EFI_VARIABLE_BOOT', 'EV_EFI_VARIABLE_BOOT', 'EV_SEPARATOR']);
    expect(p.events.some((e) => e.description.startsWith('QEMU FW CFG'))).toBe(false);
    expect(p.events.filter((e) => e.typeName === 'EV_SEPARATOR').map((e) => e.pcr)).toEqual([7, 0, 1, 2, 3, 4, 5, 6]);
    const lo = p.events.find((e) => e.pcr === 9 && e.description.startsWith('kernel LoadOptions'))!;
    expect(lo.description).toContain('"console=ttyS0 quiet"'); // no initrd given: no prefix
  });
  it('QEMU 11.1 is modelled, 10.2 is not', () => {
    expect(() => predictTpmPcrs({ firmware: new Uint8Array(16), kernel: syntheticBzImage(), qemuVersion: '10.2.0', memory: 1 << 30 })).toThrow(expect.objectContaining({ code: 'ERR_UNSUPPORTED_STACK', message: expect.stringMatching(/QEMU 10\.2 is not modelled.*modelled: 7\.2, 10\.0, 11\.1/) }));
  });
});

describe('LoadOptions by generation', () => {
  const utf16 = (s: string): string => Buffer.from(s + '\0', 'utf16le').toString('hex');
  it('suffix (≤ 2025.05) and prefix (≥ 2025.08) of initrd=initrd', () => {
    const c = new TextEncoder().encode('console=ttyS0');
    expect(Buffer.from(edk2LoadOptions(c, true, 'suffix')!).toString('hex')).toBe(utf16('console=ttyS0 initrd=initrd'));
    expect(Buffer.from(edk2LoadOptions(c, true, 'prefix')!).toString('hex')).toBe(utf16('initrd=initrd console=ttyS0'));
    expect(Buffer.from(edk2LoadOptions(c, false, 'prefix')!).toString('hex')).toBe(utf16('console=ttyS0'));
    expect(edk2LoadOptions(new Uint8Array(0), false, 'suffix')).toBeNull();
  });
});

describe.skipIf(!HAVE_SHARED)('real boots (../shared/oracles/measured-boot)', () => {
  for (const c of cases.filter((x) => PICK.includes(x.id))) {
    it(`${c.id}: PCR1-9 of both banks equal the firmware's log`, () => {
      const at = (p: string): string => path.join(MB, p);
      const p = predictTpmPcrs({
        firmware: read(at(c.firmware_code)), vars: read(at(c.firmware_vars)), kernel: read(at(c.kernel)), initrd: read(at(c.initrd)),
        append: c.cmdline, qemuVersion: c.qemu_version, memory: c.memory_mib * 1024 * 1024, smp: c.smp, fwCfg: read(at(c.fwcfg)),
      });
      const log = replayTpmLog(read(at(c.eventlog)));
      for (const bank of ['sha256', 'sha384'] as const) {
        for (let pcr = 1; pcr <= 9; pcr++) expect(`${bank} PCR${pcr} ${p.pcrs[bank][String(pcr)] ?? '-'}`).toBe(`${bank} PCR${pcr} ${log.pcrs[bank]![String(pcr)] ?? '-'}`);
        expect(p.pcrs[bank]['0']).toBeUndefined(); // PCR0: PEIFV not predicted
      }
      // the DXE volume's digest is the log's second firmware blob
      const dxe = p.events.find((e) => e.description.startsWith('DXEFV'))!;
      const blobs = log.events.filter((e) => e.typeName === 'EV_EFI_PLATFORM_FIRMWARE_BLOB');
      expect(Buffer.from(dxe.digests!.sha384).toString('hex')).toBe(blobs[1]!.digests.sha384);
    }, 60_000);
  }
});
