/**
 * The edk2 stable tags between the modelled 2025.02 and 2026.08, read tag by tag from the edk2
 * history (docs/notes-edk2-generations.md): each tag's rule set, the legacy fallback that differs
 * by target (5a6a9f7955 in 2025.11 for confidential guests, d2cbaefc08 in 2026.02 for the others),
 * the fw_cfg knobs that are not modelled, and Fedora's version string (edk2-build.py under
 * rpmbuild: name-GITDATE-release). The expected rule values are the commits the notes cite, not
 * the model's output.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/bytes/source.js';
import { parseVariableStore } from '../../src/formats/uefi/variable-store.js';
import { planEdk2Boot } from '../../src/measured-boot/edk2-events.js';
import { EDK2_GENERATIONS, edk2VersionOf, identifyEdk2Firmware, isFedoraVersionString, MODELLED_GENERATIONS, SOURCE_ONLY_GENERATIONS, TDX_MODELLED_GENERATIONS, TDX_SOURCE_ONLY_GENERATIONS } from '../../src/measured-boot/edk2-firmware.js';
import { fwCfgFiles, predictTpmPcrs } from '../../src/measured-boot/predict.js';
import { thrownPrelaunchError as thrown } from '../support/thrown.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MB = path.resolve(ROOT, '../shared/oracles/measured-boot');
const HAVE_SHARED = fs.existsSync(path.join(MB, 'index.jsonl'));
const read = (p: string): Uint8Array => new Uint8Array(fs.readFileSync(p));

describe('the rule set of each edk2 stable tag (docs/notes-edk2-generations.md)', () => {
  // [tag, loadOptions, legacy fallback outside / inside a confidential guest, fw_cfg items (TD), boot options]
  const TABLE: Array<[string, 'suffix' | 'prefix', boolean, boolean, boolean, 'uiapp' | 'menu-and-setup']> = [
    ['2022.11', 'suffix', true, true, false, 'uiapp'],
    ['2025.02', 'suffix', true, true, false, 'uiapp'],
    ['2025.05', 'suffix', true, true, true, 'menu-and-setup'], // fb56dc78ef, 2eac71a1ee, 9d9e3a2ba8, d433b4c8e4, cd76265f1a
    ['2025.08', 'prefix', true, true, true, 'menu-and-setup'], // a2ac0fea49
    ['2025.11', 'prefix', true, false, true, 'menu-and-setup'], // 5a6a9f7955: confidential guests only
    ['2026.02', 'prefix', false, false, true, 'menu-and-setup'], // d2cbaefc08
    ['2026.05', 'prefix', false, false, true, 'menu-and-setup'],
    ['2026.08', 'prefix', false, false, true, 'menu-and-setup'],
  ];
  it('matches the commits read', () => {
    expect(EDK2_GENERATIONS.map((g) => [g.id, g.loadOptions, g.legacyFallback, g.legacyFallbackInCvm, g.measuresFwCfgItems, g.bootOptions])).toEqual(TABLE);
    // ACPI DATA since stable202302 (935343cf16), etc/boot/* since stable202502 (20df7c42bd): every modelled generation but 2022.11
    expect(EDK2_GENERATIONS.filter((g) => !g.measuresAcpiData || !g.fetchesEtcBoot).map((g) => g.id)).toEqual(['2022.11']);
  });
  it('vTPM: every tag from 2022.11 to 2026.08 is modelled, the intermediate ones from source reading', () => {
    expect(MODELLED_GENERATIONS.map((g) => g.id)).toEqual(['2022.11', '2025.02', '2025.05', '2025.08', '2025.11', '2026.02', '2026.05', '2026.08']);
    expect(SOURCE_ONLY_GENERATIONS).toEqual(['2025.05', '2025.08', '2025.11', '2026.02', '2026.05']);
  });
  it('TDX: 2026.05 is not modelled (its IntelTdx NCCFV holds BootManagerMenuApp, 03a07cb0f5)', () => {
    expect(TDX_MODELLED_GENERATIONS.map((g) => g.id)).toEqual(['2025.02', '2025.05', '2025.08', '2025.11', '2026.02', '2026.08']);
    expect(TDX_SOURCE_ONLY_GENERATIONS).toEqual(['2025.05', '2025.08', '2025.11', '2026.02']);
  });
});

describe('the firmware version string', () => {
  it('Debian, edk2-stable and Fedora (edk2-build.py: RPM name-version-release, Version = GITDATE)', () => {
    expect(edk2VersionOf('2025.02-8+deb13u1')).toBe('2025.02');
    expect(edk2VersionOf('edk2-stable202505-12-gabcdef12')).toBe('2025.05');
    // strings seen in Fedora package names: edk2-ovmf-20250523-16.fc42, 20250812-24.fc43, 20251119-10.fc44; RHEL 20251114-2.el10
    expect(edk2VersionOf('edk2-20250523-16.fc42')).toBe('2025.05');
    expect(edk2VersionOf('edk2-20250812-24.fc43')).toBe('2025.08');
    expect(edk2VersionOf('edk2-20251119-10.fc44')).toBe('2025.11');
    expect(edk2VersionOf('edk2-20251114-2.el10')).toBe('2025.11');
    // a date whose month is not a stable tag's (stable202302 was packaged as 20230301): not read
    expect(edk2VersionOf('edk2-20230301-2.fc38')).toBeNull();
    expect(edk2VersionOf('edk2-2025')).toBeNull();
    expect(isFedoraVersionString('edk2-20251119-10.fc44')).toBe(true);
    expect(isFedoraVersionString('2025.11-3ubuntu7')).toBe(false);
  });
});

describe.skipIf(!HAVE_SHARED)('secure boot rejects the kernel: the legacy fallback by tag (Debian 2025.02 secboot image, Microsoft keys)', () => {
  const c = { code: 'inputs/debian-ovmf-2025.02-8+deb13u1/OVMF_CODE_4M.secboot.fd', vars: 'inputs/debian-ovmf-2025.02-8+deb13u1/OVMF_VARS_4M.ms.fd', kernel: 'inputs/kernels/vmlinuz-6.12.117', initrd: 'cases/trixie-q7-secboot-ms/initrd.img', fwcfg: 'cases/trixie-q7-secboot-ms/fwcfg.tar' };
  const at = (p: string): string => path.join(MB, p);
  // Debian's 2025.02 .ms varstore carries the Boot#### entries its enrolment boot left; a later tag
  // creates its own, so they are marked deleted here (VAR_ADDED 0x3f -> 0x3c)
  const varsWithoutBootOptions = (): Uint8Array => {
    const img = read(at(c.vars));
    const hdrLen = img[0x30]! | (img[0x31]! << 8);
    let deleted = 0;
    for (let p = (hdrLen + 28 + 3) & ~3; ;) {
      const v = new DataView(img.buffer, img.byteOffset + p);
      if (v.getUint16(0, true) !== 0x55aa) break;
      const nameSize = v.getUint32(0x24, true);
      const dataSize = v.getUint32(0x28, true);
      const name = new TextDecoder('utf-16le').decode(img.subarray(p + 60, p + 60 + nameSize - 2));
      if (/^Boot[0-9A-F]{4}$/.test(name) && img[p + 2] === 0x3f) {
        img[p + 2] = 0x3c;
        deleted++;
      }
      p = (p + 60 + nameSize + dataSize + 3) & ~3;
    }
    expect(deleted).toBeGreaterThan(0);
    return img;
  };
  const predict = (edk2Version: string, fwCfg?: ReadonlyMap<string, Uint8Array>): ReturnType<typeof predictTpmPcrs> => predictTpmPcrs({
    firmware: read(at(c.code)), vars: varsWithoutBootOptions(), kernel: read(at(c.kernel)), initrd: read(at(c.initrd)), append: 'console=ttyS0 quiet',
    qemuVersion: '7.2.22', memory: 1 << 30, fwCfg: fwCfg ?? read(at(c.fwcfg)), edk2Version,
  });
  it('2025.11 still falls back in a vTPM guest (only confidential guests lost it, 5a6a9f7955): no kernel event, a note', () => {
    const p = predict('2025.11');
    expect(p.events.some((e) => e.pcr === 4 && e.typeName === 'EV_EFI_BOOT_SERVICES_APPLICATION')).toBe(false);
    expect(p.notes.join('\n')).toMatch(/falls back to the legacy Linux loader only in a guest that is not confidential/);
    expect(p.warnings).toContain('edk2 2025.11: its PCR event list rests on reading the edk2 sources of edk2-stable202511 (docs/notes-edk2-generations.md), not on a real boot of it: only 2022.11, 2025.02 and 2026.08 were checked against real boots');
  }, 60_000);
  it('2026.02 does not (EnableLegacyLoader defaults to false, d2cbaefc08): refused', () => {
    const e = thrown(() => predict('2026.02'));
    expect(e.code).toBe('ERR_UNSUPPORTED_STACK');
    expect(e.message).toMatch(/edk2 2026\.02 has no legacy fallback \(rule no-legacy-fallback\)/);
  }, 60_000);
  const withItem = (name: string, value: string): Map<string, Uint8Array> => new Map([...fwCfgFiles(read(at(c.fwcfg))), [name, new TextEncoder().encode(value)]]);
  it('QEMU offering opt/org.tianocore/EnableLegacyLoader (read since 2025.02, 1549bf11cc94): the fallback is not modelled, refused', () => {
    const e = thrown(() => predict('2025.11', withItem('opt/org.tianocore/EnableLegacyLoader', 'no')));
    expect(e.code).toBe('ERR_UNSUPPORTED_STACK');
    expect(e.message).toMatch(/QEMU offers opt\/org\.tianocore\/EnableLegacyLoader, which decides whether edk2 2025\.11 falls back to the legacy Linux loader: not modelled/);
  }, 60_000);
  it('QEMU offering opt/org.tianocore/FirmwareSetupSupport (read since 2025.05, d433b4c8e4): Boot0001 is not modelled, refused', () => {
    const e = thrown(() => predict('2025.11', withItem('opt/org.tianocore/FirmwareSetupSupport', 'no')));
    expect(e.code).toBe('ERR_FIRMWARE_UNSUPPORTED');
    expect(e.message).toMatch(/FirmwareSetupSupport, which decides whether edk2 ≥ 2025\.05 registers Boot0001/);
  }, 60_000);
  it('a Fedora build (its legacy-loader default is patched): a rejected kernel is refused, whatever the tag says', () => {
    const fw = { ...identifyEdk2Firmware(read(at(c.code)), { edk2Version: '2025.11' }), legacyFallbackUnknown: '"edk2-20251119-10.fc44" is a Fedora build' };
    const e = thrown(() => planEdk2Boot({
      firmware: fw, varstore: parseVariableStore(varsWithoutBootOptions(), 'vars'), qemuVersion: '7.2.22', memory: 1 << 30,
      boot: { kernel: bytesSource(read(at(c.kernel)), 'kernel'), initrd: null, append: null }, fwCfg: fwCfgFiles(read(at(c.fwcfg))),
    }));
    expect(e.code).toBe('ERR_UNSUPPORTED_STACK');
    expect(e.message).toMatch(/secure boot rejects the kernel.*; "edk2-20251119-10\.fc44" is a Fedora build$/);
  }, 60_000);
});
