/**
 * The SMBIOS table edk2 ≥ 2025.05 measures (src/measured-boot/smbios.ts), checked against the
 * EV_EFI_HANDOFF_TABLES event of a real edk2 2026.08 boot under QEMU 11.1 (both banks), and the
 * SMBIOS structure parser on malformed input.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrelaunchError } from '../../src/errors.js';
import { splitSmbiosStructures } from '../../src/formats/smbios/smbios-structure.js';
import { fwCfgFiles } from '../../src/measured-boot/predict.js';
import { edk2MeasuredSmbiosTable } from '../../src/measured-boot/smbios.js';
import { fuzzParams } from '../support/fuzz.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SID = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/vectors/tdx-sid-2026.08.json'), 'utf8')) as { smbios: { fwCfg: string; sha256: string; sha384: string } };
const fwCfg = fwCfgFiles(new Uint8Array(fs.readFileSync(path.join(ROOT, SID.smbios.fwCfg))));
const qemu = fwCfg.get('etc/smbios/smbios-tables')!;
const TYPE0 = { vendor: 'Debian distribution of EDK II', version: '2026.08+ds-2', releaseDate: '09/26/2026' };
const hash = (alg: string, b: Uint8Array): string => createHash(alg).update(b).digest('hex');

describe('the SMBIOS table SmbiosMeasurementDxe measures', () => {
  it('equals the logged digest of a real edk2 2026.08 boot (QEMU 11.1), both banks', () => {
    const t = edk2MeasuredSmbiosTable(qemu, TYPE0);
    expect(hash('sha256', t)).toBe(SID.smbios.sha256);
    expect(hash('sha384', t)).toBe(SID.smbios.sha384);
  });
  it('filters: type 1 serial blanked (spaces, index 0) and UUID zeroed; type 4 core counts zeroed; OVMF type 0 and the end structure appended', () => {
    const s = splitSmbiosStructures(edk2MeasuredSmbiosTable(qemu, TYPE0));
    expect(s.map((x) => x.type)).toEqual([1, 3, 4, 16, 17, 19, 32, 0, 127]);
    const t1 = s[0]!.bytes;
    expect([...t1.subarray(8, 24)].every((b) => b === 0)).toBe(true);
    expect(t1[7]).toBe(0);
    const t4 = s[2]!.bytes;
    expect([t4[0x23], t4[0x24], t4[0x25]]).toEqual([0, 0, 0]);
    expect(new TextDecoder().decode(s[7]!.bytes.subarray(26))).toBe(['Debian distribution of EDK II', '2026.08+ds-2', '09/26/2026', '', ''].join('\0'));
    expect([...s[8]!.bytes]).toEqual([127, 4, 0xff, 0xfe, 0, 0]);
    // a different version string changes the digest (the type 0 is measured)
    expect(hash('sha384', edk2MeasuredSmbiosTable(qemu, { ...TYPE0, version: '2026.08+ds-3' }))).not.toBe(SID.smbios.sha384);
  });
  it('malformed structures: one typed error', () => {
    const code = (b: Uint8Array): string | undefined => { try { splitSmbiosStructures(b, 'x'); return undefined; } catch (e) { return (e as PrelaunchError).code; } };
    expect(code(Uint8Array.of(1, 2, 0, 0, 0, 0))).toBe('ERR_MALFORMED'); // Length 2 < 4
    expect(code(Uint8Array.of(1, 40, 0, 0))).toBe('ERR_TRUNCATED'); // formatted area past the end
    expect(code(Uint8Array.of(1, 4, 0, 0, 0x41, 0x41))).toBe('ERR_TRUNCATED'); // no double NUL
    expect(code(Uint8Array.of(1, 4))).toBe('ERR_TRUNCATED');
  });
  it('fuzz: any bytes give structures or a PrelaunchError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => {
      try {
        for (const s of splitSmbiosStructures(b)) expect(s.bytes.length).toBeGreaterThanOrEqual(6);
        edk2MeasuredSmbiosTable(b, TYPE0);
      } catch (e) {
        if (!(e instanceof PrelaunchError)) throw e;
      }
    }), fuzzParams({ numRuns: 200 }));
  });
});
