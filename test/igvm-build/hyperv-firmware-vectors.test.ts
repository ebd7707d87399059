/**
 * `prelaunch igvm build … --firmware FW.igvm hyper-v` against COCONUT igvmbuilder, and
 * `prelaunch igvm measure` of those files against igvmmeasure:
 * test/vectors/igvm-build-hyperv-firmware.json (its "provenance" says how the values were
 * made). The firmware files are rebuilt here by REFERENCE_FIRMWARE (test/support/hv-firmware.ts,
 * prelaunch's own writer) and must hash to the files the reference run used; the kernel, boot
 * loader and stage 1 are committed in firmware-samples/igvm-inputs/. Each case runs the CLI
 * with igvmbuilder's own flags and must write the same bytes (and give both digests), or
 * refuse as igvmbuilder did, with one error line, the recorded code and no output file.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import { expectCleanError, expectOk, PROJECT, runCliInProcess } from '../support/cli.js';
import { REFERENCE_FIRMWARE, referenceFirmwareBytes } from '../support/hv-firmware.js';
import { IgvmPlatformType } from '../../src/formats/igvm/defs.js';
import { supportedPlatforms } from '../../src/formats/igvm/model.js';
import { parseIgvm } from '../../src/formats/igvm/parse.js';
import { crateSnpDigestDiffers } from '../../src/sign/igvm-corim.js';

interface Case {
  name: string; firmware: string; firmwareSha256: string; igvmbuilder: string[];
  output?: { size: number; sha256: string }; igvmmeasure?: string; igvmmeasureNativeZero?: string;
  refused?: { igvmbuilder: string; prelaunchCode: ErrorCode; prelaunchMessage?: string };
  /** the igvm crate's own SEV-SNP digest of the output (what its add_corim endorses; "igvmCrateNote") */
  igvmCrateSnpDigest?: string;
}
const VECTORS = JSON.parse(fs.readFileSync(path.join(PROJECT, 'test/vectors/igvm-build-hyperv-firmware.json'), 'utf8')) as {
  firmware: Record<string, { sha256: string; size: number }>; cases: Case[];
};
const IN = path.join(PROJECT, 'firmware-samples/igvm-inputs');
const INPUTS: Record<string, string> = { '{kernel.elf}': 'kernel.elf', '{bldr.bin}': 'bldr.bin', '{stage1.bin}': 'stage1.bin' };
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-hvfw-vectors-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The firmware file of a case, written once. */
function firmwareFile(name: string): string {
  const file = path.join(tmp, `${name}.igvm`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, referenceFirmwareBytes(name));
  return file;
}
function caseArgs(c: Case, out: string): string[] {
  return c.igvmbuilder.map((a) => (a === '{firmware}' ? firmwareFile(c.firmware) : a === 'OUT' ? out : INPUTS[a] ? path.join(IN, INPUTS[a]) : a));
}

describe('the reference firmware files: rebuilt byte for byte by test/support/hv-firmware.ts', () => {
  it('a generator for every firmware file and every case\'s firmware, with the recorded sha256', () => {
    expect(Object.keys(REFERENCE_FIRMWARE).sort()).toEqual(Object.keys(VECTORS.firmware).sort());
    for (const c of VECTORS.cases) expect(VECTORS.firmware[c.firmware]?.sha256, c.name).toBe(c.firmwareSha256);
  });
  for (const [name, f] of Object.entries(VECTORS.firmware)) {
    it(name, () => {
      const b = referenceFirmwareBytes(name);
      expect(b.length).toBe(f.size);
      expect(sha256(b)).toBe(f.sha256);
    });
  }
});

describe('igvm build --firmware FW.igvm hyper-v: byte-identical to igvmbuilder, digests as igvmmeasure', () => {
  it('has the vectors: 33 builds, 11 refusals', () => {
    expect(VECTORS.cases.filter((c) => c.output).length).toBe(33);
    expect(VECTORS.cases.filter((c) => c.refused).length).toBe(11);
    expect(VECTORS.cases.filter((c) => c.igvmCrateSnpDigest !== undefined && c.igvmCrateSnpDigest !== c.igvmmeasure).length).toBe(15);
  });
  for (const c of VECTORS.cases) {
    it(c.name, async () => {
      const out = path.join(tmp, `${c.name}.out.igvm`);
      const r = await runCliInProcess(['igvm', 'build', ...caseArgs(c, out)]);
      if (c.refused) {
        const line = expectCleanError(r, 1, c.refused.prelaunchCode);
        expect(line).toContain(c.refused.prelaunchMessage ?? c.refused.igvmbuilder);
        expect(fs.existsSync(out)).toBe(false);
        return;
      }
      expectOk(r);
      const bytes = fs.readFileSync(out);
      expect(bytes.length).toBe(c.output!.size);
      expect(sha256(bytes)).toBe(c.output!.sha256);
      expect(expectOk(await runCliInProcess(['igvm', 'measure', out])).trim()).toBe(c.igvmmeasure);
      expect(expectOk(await runCliInProcess(['igvm', 'measure', '--native-zero', out])).trim()).toBe(c.igvmmeasureNativeZero);
      if (c.igvmCrateSnpDigest !== undefined) {
        // igvm corim warns exactly when the crate's add_corim would endorse another SNP digest
        const file = parseIgvm(new Uint8Array(bytes)).file;
        const snp = supportedPlatforms(file).find((p) => p.platformType === IgvmPlatformType.SEV_SNP)!;
        expect(crateSnpDigestDiffers(file, snp.compatibilityMask).length > 0).toBe(c.igvmCrateSnpDigest !== c.igvmmeasure);
      }
      fs.rmSync(out);
    }, 60_000);
  }
});
