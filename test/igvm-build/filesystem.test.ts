/**
 * `prelaunch igvm build --filesystem` against COCONUT igvmbuilder, and `prelaunch igvm
 * measure` of those files against igvmmeasure: test/vectors/igvm-build-filesystem.json (its
 * "provenance" says how the values were made). The filesystem images are generated here from
 * the recipe in each case; the other inputs are committed in firmware-samples/. Each case runs
 * the CLI with igvmbuilder's own flags and must give the same bytes and both digests.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOk, PROJECT, runCliInProcess } from '../support/cli.js';

interface Blob { name: string; kind: 'shake' | 'dedup'; size: number; sha256: string; pages?: number; tail?: number }
interface Case {
  name: string; igvmbuilder: string[]; filesystem: Blob;
  output: { size: number; sha256: string }; igvmmeasure: string; igvmmeasureNativeZero: string;
}
const VECTORS = JSON.parse(fs.readFileSync(path.join(PROJECT, 'test/vectors/igvm-build-filesystem.json'), 'utf8')) as { cases: Case[] };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-igvm-fs-'));
afterAll(async () => fs.rmSync(tmp, { recursive: true, force: true }));

const shake = (seed: string, n: number): Buffer => (n === 0 ? Buffer.alloc(0) : createHash('shake256', { outputLength: n }).update(seed, 'utf8').digest());
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The filesystem image of a case, written once per recipe. */
function blobFile(b: Blob): string {
  const file = path.join(tmp, `${b.name}.bin`);
  if (fs.existsSync(file)) return file;
  const seed = `prelaunch/fs/${b.name}`;
  let bytes: Buffer;
  if (b.kind === 'shake') bytes = shake(seed, b.size);
  else {
    const p = shake(seed, 16 * 4096);
    const parts: Buffer[] = [];
    for (let i = 0; i < b.pages!; i++) parts.push(i % 5 === 2 ? Buffer.alloc(4096) : p.subarray(((7 * i) % 16) * 4096, ((7 * i) % 16 + 1) * 4096));
    parts.push(Buffer.alloc(b.tail!));
    bytes = Buffer.concat(parts);
  }
  expect(bytes.length).toBe(b.size);
  expect(sha256(bytes), `recipe of ${b.name}`).toBe(b.sha256);
  fs.writeFileSync(file, bytes);
  return file;
}

const INPUTS: Record<string, string> = {
  '{bldr.bin}': path.join(PROJECT, 'firmware-samples/igvm-inputs/bldr.bin'),
  '{kernel.elf}': path.join(PROJECT, 'firmware-samples/igvm-inputs/kernel.elf'),
  '{stage1.bin}': path.join(PROJECT, 'firmware-samples/igvm-inputs/stage1.bin'),
  '{OVMF.fd}': path.join(PROJECT, 'firmware-samples/debian/OVMF.fd'),
};

describe('igvm build --filesystem: byte-identical to igvmbuilder, digests as igvmmeasure', () => {
  it('has the vectors', async () => expect(VECTORS.cases.length).toBeGreaterThanOrEqual(20));
  for (const c of VECTORS.cases) {
    it(c.name, async () => {
      const out = path.join(tmp, `${c.name}.igvm`);
      const argv = c.igvmbuilder.map((a) => (a === '{filesystem}' ? blobFile(c.filesystem) : a === 'OUT' ? out : INPUTS[a] ?? a));
      expectOk(await runCliInProcess(['igvm', 'build', ...argv]));
      const bytes = fs.readFileSync(out);
      expect(bytes.length).toBe(c.output.size);
      expect(sha256(bytes)).toBe(c.output.sha256);
      expect(expectOk(await runCliInProcess(['igvm', 'measure', out])).trim()).toBe(c.igvmmeasure);
      expect(expectOk(await runCliInProcess(['igvm', 'measure', '--native-zero', out])).trim()).toBe(c.igvmmeasureNativeZero);
      fs.rmSync(out);
    }, 60_000);
  }
});
