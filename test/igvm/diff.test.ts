/**
 * `igvm diff` (src/igvm-diff/diff.ts, src/report/igvm-diff.ts): headers added/removed/changed,
 * per-platform digests, the first measured page that differs; on igvmbuilder samples, a file
 * `igvm build` makes with another COM port, files changed in memory, and the CLI in-process.
 * Expected digests are igvmmeasure's (test/vectors/igvm-measure.json: qemu-snp-bldr and its
 * unsorted variant) or the igvm crate's recorded TDX value (the same vectors).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE_4K } from '../../src/formats/igvm/defs.js';
import { directiveList, directiveTable } from '../../src/formats/igvm/directives.js';
import { parseIgvm } from '../../src/formats/igvm/parse.js';
import { serializeIgvm } from '../../src/formats/igvm/serialize.js';
import { diffIgvm, type IgvmDiff } from '../../src/igvm-diff/diff.js';
import { renderIgvmDiff } from '../../src/report/igvm-diff.js';
import { embedIgvmCorim } from '../../src/sign/igvm-corim.js';
import { expectCleanError, expectOk, PROJECT, runCliInProcess } from '../support/cli.js';

const BUILDER = path.join(PROJECT, 'firmware-samples/igvm/builder');
const IN = path.join(PROJECT, 'firmware-samples/igvm-inputs');
const SORTED = path.join(BUILDER, 'qemu-snp-bldr.igvm');
const UNSORTED = path.join(BUILDER, 'qemu-snp-bldr-unsorted.igvm');
const SIGNED = path.join(BUILDER, 'qemu-snp-bldr.signed.igvm');
const THREE = path.join(BUILDER, 'qemu-snp-tdp-native.igvm');
const VANADIUM = path.join(BUILDER, 'vanadium-snp-tdp.igvm');
// igvmmeasure (test/vectors/igvm-measure.json)
const SORTED_DIGEST = 'c5b40954af5788d5f54202560e05873218a5932f6211fccfdf44998807505b2cd0090b42ccb8cc06d3bfb2353f8acfc3';
const UNSORTED_DIGEST = 'e13427f6ad9b13ef53152ec304e6e8aef7cbfdb71922aec642f572b3a29b0b4e3385d9338ce199789b61a831b9ab70e2';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-igvm-diff-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const t = (name: string): string => path.join(tmp, name);
const load = (f: string): Uint8Array => new Uint8Array(fs.readFileSync(f));
const diff = (a: Uint8Array | string, b: Uint8Array | string): IgvmDiff => diffIgvm(parseIgvm(typeof a === 'string' ? load(a) : a), parseIgvm(typeof b === 'string' ? load(b) : b));

describe('diffIgvm', () => {
  it('a file against itself: nothing', () => {
    const d = diff(SORTED, SORTED);
    expect(d).toMatchObject({ identical: true, added: [], removed: [], changed: [] });
    expect(d.platforms).toEqual([{ platform: 'sev-snp', a: { compatibilityMask: '0x1', digest: SORTED_DIGEST, error: null }, b: { compatibilityMask: '0x1', digest: SORTED_DIGEST, error: null }, equal: true, firstDifference: null }]);
  });
  it('sorted vs unsorted page order: page ranges change, both digests, the first page out of order', () => {
    const d = diff(SORTED, UNSORTED);
    expect(d.identical).toBe(false);
    expect(d.platforms[0]).toMatchObject({ a: { digest: SORTED_DIGEST }, b: { digest: UNSORTED_DIGEST }, equal: false });
    // the first 4 pages agree; then igvmbuilder's unsorted order puts 0x8002000 where the sorted file has 0x10000
    expect(d.platforms[0]!.firstDifference).toEqual({ index: 4, what: 'GPA', a: { gpa: '0x10000', type: 'NORMAL', label: 'PAGE_DATA #16' }, b: { gpa: '0x8002000', type: 'NORMAL', label: 'PAGE_DATA #16' } });
    expect(d.changed.map((c) => c.key)).toContain('PAGE_DATA mask 0x1 from 0x8000000');
    expect(d.changed.find((c) => c.key === 'PAGE_DATA mask 0x1 from 0x8000000')).toMatchObject({ a: { end: '0x8005fff', pages: 6 }, b: { end: '0x8001fff', pages: 2 } });
    expect(d.added.map((x) => x.key)).toEqual(['PAGE_DATA mask 0x1 from 0x8002000', 'PAGE_DATA mask 0x1 from 0x8005000', 'PAGE_DATA mask 0x1 from 0x8018000']);
  });
  it('a signed file: an SNP_ID_BLOCK added, the same digest', () => {
    const d = diff(SORTED, SIGNED);
    expect(d.added.map((x) => x.key)).toEqual(['SNP_ID_BLOCK mask 0x1']);
    expect(d.added[0]!.fields.ld).toBe(SORTED_DIGEST);
    expect(d.removed).toEqual([]);
    expect(d.platforms[0]!.equal).toBe(true);
  });
  it('a file with CoRIMs: the documents added, digests unchanged', () => {
    const d = diff(THREE, embedIgvmCorim(parseIgvm(load(THREE))).bytes);
    expect(d.added.map((x) => x.key)).toEqual(['CORIM_DOCUMENT mask 0x1', 'CORIM_DOCUMENT mask 0x4']);
    expect(d.platforms.map((p) => [p.platform, p.equal])).toEqual([['sev-snp', true], ['tdx', true]]);
  });
  it('another builder target: platforms, inserts, VP context and fixed header; SNP and TDX both differ from page 0', () => {
    const d = diff(THREE, VANADIUM);
    expect(d.removed.map((x) => x.key)).toContain('SUPPORTED_PLATFORM NATIVE');
    expect(d.changed.find((c) => c.key === 'fixed header')).toMatchObject({ fields: ['formatVersion'], a: { formatVersion: 2 }, b: { formatVersion: 1 } });
    expect(d.changed.map((c) => c.key)).toContain('VP_CONTEXT mask 0x1 vp 0');
    const tdx = d.platforms.find((p) => p.platform === 'tdx')!;
    expect(tdx.a?.digest).toBe('899fb9505d826457ec4428ca087b4124ce3b7c0f6796314db78e0bcd385e45fa405136aa19fbea0a166a04a339714b0b');
    expect(tdx.firstDifference).toMatchObject({ index: 0, what: 'GPA', a: { gpa: '0x8012000' }, b: { gpa: '0x7ff80012000' } });
  });
  it('one TDX-measured page changed in memory: the TDX digest and that page, SNP the same page', () => {
    const p = parseIgvm(load(THREE));
    const list = directiveList(p.file.directives);
    const k = list.findIndex((d) => d.kind === 'page-data' && (d.compatibilityMask & 0x4) !== 0 && d.data !== null);
    const page = list[k]!;
    if (page.kind !== 'page-data') throw new Error('not a page');
    list[k] = { ...page, data: { kind: 'bytes', bytes: new Uint8Array(PAGE_SIZE_4K).fill(0xaa) } };
    const b = serializeIgvm({ ...p.file, directives: directiveTable(list) });
    const d = diff(THREE, b);
    const gpa = `0x${page.gpa.toString(16)}`;
    for (const platform of ['sev-snp', 'tdx'] as const) {
      const x = d.platforms.find((q) => q.platform === platform)!;
      expect(x.equal, platform).toBe((page.compatibilityMask & 0x1) === 0 && platform === 'sev-snp');
      if (platform === 'tdx' || (page.compatibilityMask & 0x1) !== 0) expect(x.firstDifference, platform).toMatchObject({ what: 'content', a: { gpa }, b: { gpa } });
    }
    expect(d.changed.some((c) => c.key.startsWith('PAGE_DATA') && c.fields.includes('data'))).toBe(true);
  });
  it('a platform in one file only; a file whose digest cannot be computed is reported, not thrown', () => {
    const d = diff(SORTED, THREE);
    expect(d.platforms.find((p) => p.platform === 'tdx')).toMatchObject({ a: null, b: { compatibilityMask: '0x4' }, equal: false, firstDifference: null });
    // a 2 MB page with data: igvmmeasure panics, prelaunch refuses (docs/igvm.md)
    const bad = path.join(PROJECT, 'firmware-samples/igvm/synth/synth-snp-2mb-data.igvm');
    const self = diff(bad, bad);
    expect(self.platforms[0]).toMatchObject({ equal: false, a: { digest: null, error: expect.stringMatching(/2 MB/) as unknown }, firstDifference: null });
    expect(self.identical).toBe(true);
    expect(renderIgvmDiff(self, { tool: 'p', a: 'a', b: 'b' }, false)).toMatch(/A cannot measure: /);
  });
  it('renders text and JSON', () => {
    const d = diff(SORTED, UNSORTED);
    const text = renderIgvmDiff(d, { tool: 'prelaunch', a: 'A.igvm', b: 'B.igvm' }, false);
    expect(text).toMatch(/^ {2}\+ PAGE_DATA mask 0x1 from 0x8002000 /m);
    expect(text).toMatch(/sev-snp +DIFFERENT/);
    expect(text).toMatch(/first measured page that differs: #4 \(GPA\): A 0x10000 NORMAL/);
    const j = JSON.parse(renderIgvmDiff(d, { tool: 'prelaunch', a: 'A.igvm', b: 'B.igvm' }, true)) as Record<string, unknown>;
    expect(j).toMatchObject({ files: { a: 'A.igvm', b: 'B.igvm' }, identical: false });
  });
});

describe('igvm diff (CLI, in-process)', () => {
  it('same file: exit 0; different: exit 1 with the report', async () => {
    expect(expectOk(await runCliInProcess(['igvm', 'diff', SORTED, SORTED]))).toMatch(/no differences/);
    const r = await runCliInProcess(['igvm', 'diff', SORTED, UNSORTED, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as IgvmDiff).platforms[0]!.b?.digest).toBe(UNSORTED_DIGEST);
  });
  it('a file `igvm build` makes with another COM port: the SVSM pages that hold it differ', async () => {
    expectOk(await runCliInProcess(['igvm', 'build', '--sort', '--policy', '0x30000', '--snp', '--bldr', path.join(IN, 'bldr.bin'), '--kernel', path.join(IN, 'kernel.elf'), '-c', '2', '-o', t('c2.igvm'), 'qemu']));
    const r = await runCliInProcess(['igvm', 'diff', SORTED, t('c2.igvm')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/first measured page that differs: #\d+ \(content\): A (0x[0-9a-f]+) NORMAL .* B \1 NORMAL/);
    expect(r.stdout).not.toMatch(/^ {2}[+-] /m);
  });
  it('bad input: one error line', async () => {
    expectCleanError(await runCliInProcess(['igvm', 'diff', SORTED, path.join(PROJECT, 'package.json')]), 1);
    expectCleanError(await runCliInProcess(['igvm', 'diff', SORTED, t('missing.igvm')]), 1, 'ERR_IO');
    expectCleanError(await runCliInProcess(['igvm', 'diff', SORTED]), 2);
  });
});

describe('diffIgvm: VBS', () => {
  const HV = path.join(BUILDER, 'hv-snp-tdp-vsm.igvm');
  it('the VBS digest of each file; a VSM-measured page changed is the first difference', () => {
    const p = parseIgvm(load(HV));
    const list = directiveList(p.file.directives);
    const k = list.findIndex((d) => d.kind === 'page-data' && (d.compatibilityMask & 0x10) !== 0 && d.data !== null);
    const page = list[k]!;
    if (page.kind !== 'page-data') throw new Error('not a page');
    list[k] = { ...page, data: { kind: 'bytes', bytes: new Uint8Array(PAGE_SIZE_4K).fill(0x55) } };
    const d = diff(HV, serializeIgvm({ ...p.file, directives: directiveTable(list) }));
    const vbs = d.platforms.find((x) => x.platform === 'vbs')!;
    expect(vbs.a?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(vbs.equal).toBe(false);
    expect(vbs.firstDifference).toMatchObject({ what: 'content', a: { gpa: `0x${page.gpa.toString(16)}` } });
    expect(diff(HV, HV).platforms.map((x) => [x.platform, x.equal])).toEqual([['sev-snp', true], ['tdx', true], ['vbs', true]]);
  });
});
