/**
 * The igvm build --filesystem cases with a filesystem above 8 MiB (32 MiB images), through
 * the executable: byte-identical to igvmbuilder, both digests as igvmmeasure. The smaller
 * cases: filesystem.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOk, runCli } from '../support/cli.js';
import { LARGE_FILESYSTEM, VECTORS, caseArgs, sha256, tmp } from '../support/igvm-build-filesystem.js';

describe('igvm build --filesystem (32 MiB images, as processes)', () => {
  const large = VECTORS.cases.filter((x) => x.filesystem.size > LARGE_FILESYSTEM);
  it('has the large cases', () => expect(large.length).toBeGreaterThanOrEqual(3));
  for (const c of large) {
    it(c.name, () => {
      const out = path.join(tmp, `${c.name}.igvm`);
      expectOk(runCli(['igvm', 'build', ...caseArgs(c, out)]));
      const bytes = fs.readFileSync(out);
      expect(bytes.length).toBe(c.output.size);
      expect(sha256(bytes)).toBe(c.output.sha256);
      expect(expectOk(runCli(['igvm', 'measure', out])).trim()).toBe(c.igvmmeasure);
      expect(expectOk(runCli(['igvm', 'measure', '--native-zero', out])).trim()).toBe(c.igvmmeasureNativeZero);
      fs.rmSync(out);
    }, 120_000);
  }
});
