/**
 * Our own captures (test/vectors/measured-boot/*: real boots made with
 * ../shared/tools/capture-eventlog.sh, provenance.json in each): the prediction equals the
 * firmware's log event by event. The firmware and kernel are read from ../shared (skipped,
 * with a note, when it is absent); the initrd is not committed (it holds busybox): the model
 * gets a stand-in of its size (QEMU's setup-header patch depends only on the size), and the
 * log's initrd event is checked against the capture's recorded sha256 instead.
 */
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

interface Provenance { firmware_code: string; firmware_vars: string; kernel: string; cmdline: string; qemu_version: string; memory_mib: number; smp: number; initrd_size: number; initrd_sha256: string }

describe.skipIf(!HAVE_SHARED)('own captures (test/vectors/measured-boot)', () => {
  for (const id of fs.readdirSync(DIR)) {
    it(`${id}: every predicted event equals the log's`, () => {
      const v = JSON.parse(fs.readFileSync(path.join(DIR, id, 'provenance.json'), 'utf8')) as Provenance;
      const config = JSON.parse(fs.readFileSync(path.join(DIR, id, 'config.json'), 'utf8')) as { initrd: { sha256: string }; eventlog_sha256: string };
      expect(config.initrd.sha256).toBe(v.initrd_sha256);
      const p = predictTpmPcrs({
        firmware: read(path.join(INPUTS, v.firmware_code)), vars: read(path.join(INPUTS, v.firmware_vars)), kernel: read(path.join(INPUTS, v.kernel)),
        initrd: zeroPaddedSource(new Uint8Array(0), v.initrd_size, 'initrd stand-in'), append: v.cmdline, qemuVersion: v.qemu_version,
        memory: v.memory_mib * 1024 * 1024, smp: v.smp, fwCfg: read(path.join(DIR, id, 'fwcfg.tar')),
      });
      const log = replayTpmLog(read(path.join(DIR, id, 'eventlog.bin')));
      const got = log.events.filter((e) => e.extends);
      expect(p.events.map((e) => `PCR${e.pcr} ${e.typeName}`)).toEqual(got.map((e) => `PCR${e.pcr} ${e.typeName}`));
      p.events.forEach((e, i) => {
        const g = got[i]!;
        if (!e.digests) return; // PEIFV: not predicted
        if (e.description.startsWith('initrd')) {
          expect(g.digests.sha256).toBe(v.initrd_sha256);
          return;
        }
        expect(`${e.description}: ${toHex(e.digests.sha256)} ${toHex(e.digests.sha384)}`).toBe(`${e.description}: ${g.digests.sha256} ${g.digests.sha384}`);
      });
    }, 60_000);
  }
});
