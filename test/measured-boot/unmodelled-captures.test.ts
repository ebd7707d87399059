/**
 * A boot the model does not cover yet (test/vectors/measured-boot-unmodelled: edk2 2026.08 from
 * Debian sid under QEMU 11.1, our own capture, provenance.json): the log replays; the rules the
 * model will need that can be checked without the firmware binary are checked here against it —
 * the "initrd=initrd " LoadOptions prefix (stable202508) and the unpatched kernel (QEMU ≥ 10.0
 * serves etc/boot/kernel); and edk2 2026.08 is refused, naming what is missing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/bytes/source.js';
import { toHex } from '../../src/bytes/hex.js';
import { authenticodeDigest } from '../../src/measure/authenticode.js';
import { nodeBackend } from '../../src/hash/index.js';
import { generationFor } from '../../src/measured-boot/edk2-firmware.js';
import { edk2LoadOptions } from '../../src/measured-boot/edk2-events.js';
import { replayTpmLog } from '../../src/measured-boot/replay.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = path.join(ROOT, 'test/vectors/measured-boot-unmodelled/sid-q11-quiet');
const KERNEL = path.resolve(ROOT, '../shared/oracles/measured-boot/inputs/kernels/vmlinuz-6.12.117');
const prov = JSON.parse(fs.readFileSync(path.join(DIR, 'provenance.json'), 'utf8')) as { cmdline: string; initrd_sha256: string };
const log = replayTpmLog(new Uint8Array(fs.readFileSync(path.join(DIR, 'eventlog.bin'))));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('edk2 2026.08 + QEMU 11.1 capture (not modelled)', () => {
  it('replays; its version string is 2026.08', () => {
    expect(log.banks).toEqual(['sha256', 'sha384']);
    expect(Buffer.from(log.events[0]!.data).toString('utf16le')).toBe('2026.08+ds-2\0');
    expect(log.events.some((e) => e.typeName === 'EV_EFI_HANDOFF_TABLES' && e.pcr === 1)).toBe(true);
  });
  it('LoadOptions carry the "initrd=initrd " prefix (edk2 ≥ 2025.08)', () => {
    const lo = log.events.find((e) => e.pcr === 9 && e.description.startsWith('kernel command line'))!;
    expect(lo.digests.sha256).toBe(sha256(edk2LoadOptions(new TextEncoder().encode(prov.cmdline), true, 'prefix')!));
    expect(lo.digests.sha256).not.toBe(sha256(edk2LoadOptions(new TextEncoder().encode(prov.cmdline), true, 'suffix')!));
    const initrd = log.events.find((e) => e.pcr === 9 && e.description.startsWith('initrd'))!;
    expect(initrd.digests.sha256).toBe(prov.initrd_sha256);
  });
  it('BootOrder is 0000,0001', () => {
    const bo = log.events.find((e) => e.description.startsWith('variable BootOrder'))!;
    expect(bo.digests.sha256).toBe(sha256(Uint8Array.of(0, 0, 1, 0)));
  });
  it.skipIf(!fs.existsSync(KERNEL))('the kernel is measured unpatched (QEMU 11.1 serves etc/boot/kernel)', () => {
    const k = bytesSource(new Uint8Array(fs.readFileSync(KERNEL)), 'kernel');
    const ev = log.events.find((e) => e.typeName === 'EV_EFI_BOOT_SERVICES_APPLICATION')!;
    expect(ev.digests.sha384).toBe(toHex(authenticodeDigest(k, nodeBackend, 'sha384')));
  });
  it('edk2 2026.08 is refused, naming what the model lacks', () => {
    expect(() => generationFor('2026.08', 'firmware version string "2026.08+ds-2"')).toThrow(expect.objectContaining({
      code: 'ERR_FIRMWARE_UNSUPPORTED', message: expect.stringMatching(/SMBIOS.*initrd=initrd.*legacy fallback/s),
    }));
  });
});
