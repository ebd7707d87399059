/**
 * `prelaunch igvm build --filesystem` against COCONUT igvmbuilder, and `prelaunch igvm
 * measure` of those files against igvmmeasure: test/vectors/igvm-build-filesystem.json (its
 * "provenance" says how the values were made). The filesystem images are generated here from
 * the recipe in each case; the other inputs are committed in firmware-samples/. Each case runs
 * the CLI with igvmbuilder's own flags and must give the same bytes and both digests. Cases
 * with a filesystem above 8 MiB run in filesystem.e2e.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOk, runCliInProcess } from '../support/cli.js';
import { LARGE_FILESYSTEM, VECTORS, caseArgs, sha256, tmp } from '../support/igvm-build-filesystem.js';

describe('igvm build --filesystem: byte-identical to igvmbuilder, digests as igvmmeasure', () => {
  it('has the vectors', async () => expect(VECTORS.cases.length).toBeGreaterThanOrEqual(20));
  for (const c of VECTORS.cases.filter((x) => x.filesystem.size <= LARGE_FILESYSTEM)) {
    it(c.name, async () => {
      const out = path.join(tmp, `${c.name}.igvm`);
      expectOk(await runCliInProcess(['igvm', 'build', ...caseArgs(c, out)]));
      const bytes = fs.readFileSync(out);
      expect(bytes.length).toBe(c.output.size);
      expect(sha256(bytes)).toBe(c.output.sha256);
      expect(expectOk(await runCliInProcess(['igvm', 'measure', out])).trim()).toBe(c.igvmmeasure);
      expect(expectOk(await runCliInProcess(['igvm', 'measure', '--native-zero', out])).trim()).toBe(c.igvmmeasureNativeZero);
      fs.rmSync(out);
    }, 60_000);
  }
});
