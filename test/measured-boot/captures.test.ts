/**
 * Our own captures (test/vectors/measured-boot/*: real boots made with
 * ../shared/tools/capture-eventlog.sh, provenance.json in each): the prediction equals the
 * firmware's log event by event — type, both digests and the event data but for a run-time
 * address (written 0). edk2 2025.02 under QEMU 7.2; edk2 2026.08 (Debian sid) under QEMU 11.1 and
 * 7.2; edk2 2022.11 under QEMU 11.1. The firmware is read from firmware-samples/ (a path
 * starting so) or ../shared, the kernel from ../shared (skipped, with a note, when it is
 * absent); the initrd is not committed (it holds busybox): the model
 * gets a stand-in of its size (QEMU's setup-header patch depends only on the size), and the
 * log's initrd event is checked against the capture's recorded sha256 instead.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes/hex.js';
import { zeroPaddedSource } from '../../src/bytes/source.js';
import { predictTpmPcrs } from '../../src/measured-boot/predict.js';
import { replayTpmLog } from '../../src/measured-boot/replay.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const INPUTS = path.resolve(ROOT, '../shared/oracles/measured-boot/inputs');
const HAVE_SHARED = fs.existsSync(INPUTS);
const DIR = path.join(ROOT, 'test/vectors/measured-boot');
const read = (p: string): Uint8Array => new Uint8Array(fs.readFileSync(p));
const input = (p: string): string => (p.startsWith('firmware-samples/') ? path.join(ROOT, p) : path.join(INPUTS, p));
/** event types whose data holds a RAM address known only at run time: [start, end) of that field (the model writes 0 there) */
const RUNTIME_ADDRESS: Record<string, [number, number]> = {
  EV_EFI_PLATFORM_FIRMWARE_BLOB: [0, 8], // BlobBase
  EV_EFI_BOOT_SERVICES_APPLICATION: [0, 8], // ImageLocationInMemory
  EV_EFI_HANDOFF_TABLES: [24, 32], // the SMBIOS table's VendorTable pointer
};
/** `data` with the run-time address field of its event type cut out */
const withoutAddress = (type: string, data: Uint8Array): string => {
  const r = RUNTIME_ADDRESS[type];
  return r ? `${toHex(data.subarray(0, r[0]))}…${toHex(data.subarray(r[1]))}` : toHex(data);
};

interface Provenance { peifv_predicted: boolean; firmware_code: string; firmware_vars: string; kernel: string; cmdline: string; qemu_version: string; memory_mib: number; smp: number; initrd_size: number; initrd_sha256: string }

describe.skipIf(!HAVE_SHARED)('own captures (test/vectors/measured-boot)', () => {
  for (const id of fs.readdirSync(DIR)) {
    it(`${id}: every predicted event equals the log's`, () => {
      const v = JSON.parse(fs.readFileSync(path.join(DIR, id, 'provenance.json'), 'utf8')) as Provenance;
      const config = JSON.parse(fs.readFileSync(path.join(DIR, id, 'config.json'), 'utf8')) as { initrd: { sha256: string }; eventlog_sha256: string; qemu: string; firmware_code: { sha256: string }; cmdline: string; memory_mib: number };
      expect(config.initrd.sha256).toBe(v.initrd_sha256);
      // the provenance names the inputs the capture recorded
      expect([config.qemu.split(' ')[3], config.cmdline, config.memory_mib]).toEqual([v.qemu_version, v.cmdline, v.memory_mib]);
      expect(createHash('sha256').update(read(input(v.firmware_code))).digest('hex')).toBe(config.firmware_code.sha256);
      expect(createHash('sha256').update(read(path.join(DIR, id, 'eventlog.bin'))).digest('hex')).toBe(config.eventlog_sha256);
      const p = predictTpmPcrs({
        firmware: read(input(v.firmware_code)), vars: read(input(v.firmware_vars)), kernel: read(input(v.kernel)),
        initrd: zeroPaddedSource(new Uint8Array(0), v.initrd_size, 'initrd stand-in'), append: v.cmdline, qemuVersion: v.qemu_version,
        memory: v.memory_mib * 1024 * 1024, smp: v.smp, fwCfg: read(path.join(DIR, id, 'fwcfg.tar')),
      });
      const log = replayTpmLog(read(path.join(DIR, id, 'eventlog.bin')));
      const got = log.events.filter((e) => e.extends);
      // PCR0's PEIFV: predicted as built where rule peifv-as-built holds (edk2 ≥ 2026.08 without SMM), else left out with the reason
      const peifv = p.events.find((e) => e.description.startsWith('PEIFV'))!;
      expect(peifv.digests !== null).toBe(v.peifv_predicted);
      if (v.peifv_predicted) expect([p.pcrs.sha256['0'], p.pcrs.sha384['0']]).toEqual([log.pcrs.sha256!['0'], log.pcrs.sha384!['0']]);
      else expect(p.pcrs.sha256['0']).toBeUndefined();
      expect(p.events.map((e) => `PCR${e.pcr} ${e.typeName}`)).toEqual(got.map((e) => `PCR${e.pcr} ${e.typeName}`));
      p.events.forEach((e, i) => {
        const g = got[i]!;
        if (!e.digests) return; // PEIFV where not predicted
        if (e.description.startsWith('initrd')) {
          expect(g.digests.sha256).toBe(v.initrd_sha256);
          return;
        }
        expect(`${e.description}: ${toHex(e.digests.sha256)} ${toHex(e.digests.sha384)}`).toBe(`${e.description}: ${g.digests.sha256} ${g.digests.sha384}`);
        // event data equals the log's but for a run-time address (e.g. a volume's BlobLength is its length as built; its BlobBase is left 0)
        expect(`${e.description}: ${withoutAddress(e.typeName, e.data)}`).toBe(`${e.description}: ${withoutAddress(e.typeName, g.data)}`);
        if (RUNTIME_ADDRESS[e.typeName]) expect(e.data.subarray(...RUNTIME_ADDRESS[e.typeName]!).every((b) => b === 0)).toBe(true);
      });
    }, 60_000);
  }
});
