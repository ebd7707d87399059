/**
 * The parser leaves runs of PAGE_DATA headers in the header section
 * (src/formats/igvm/page-data-runs.ts) and builds `file.directives` / `layout.directives` from
 * them on first read. Validation and the SNP planner read the runs while nobody has read the
 * directives. These tests hold the two
 * paths to each other: the same objects as the bytes say, the same checks, the same plan.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/bytes/crc32.js';
import { bytesSource } from '../../src/bytes/source.js';
import { PageDataField, PageDataWord, VARIABLE_HEADER_SIZE, decodePageData } from '../../src/formats/igvm/headers.js';
import { directiveRuns } from '../../src/formats/igvm/page-data-runs.js';
import { parseIgvm, type ParsedIgvm } from '../../src/formats/igvm/parse.js';
import { measureIgvm } from '../../src/measure/igvm.js';
import { planIgvmMeasurement } from '../../src/plan/igvm-snp.js';
import type { SnpPlan } from '../../src/plan/ops.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const COMMITTED = path.join(ROOT, 'firmware-samples/igvm');
const load = (rel: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(COMMITTED, rel)));
const parse = (rel: string): ParsedIgvm => parseIgvm(bytesSource(load(rel), rel));
const parses = (rel: string): boolean => {
  try {
    parse(rel);
    return true;
  } catch {
    return false;
  }
};
/** the committed samples this parser accepts (some synth edge cases are invalid on purpose) */
const SAMPLES = ['builder', 'synth'].flatMap((d) => fs.readdirSync(path.join(COMMITTED, d)).filter((f) => f.endsWith('.igvm')).map((f) => `${d}/${f}`)).filter(parses);

/** what a call returns, or the message it throws */
function outcome<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** a plan as plain data (labels and content read through the op's getters) */
function planData(p: ParsedIgvm, nativeZero: boolean): unknown {
  const plan = planIgvmMeasurement(p.file, { platform: 'sev-snp', nativeZero, layout: p.layout }).plan as SnpPlan;
  return plan.ops.map((op) => {
    const c = op.content;
    return [op.gpa, op.type, op.label, c === null ? null : c.kind === 'source' ? ['source', c.offset] : ['bytes', Buffer.from(c.bytes).toString('hex')]];
  });
}
const hasSnp = (p: ParsedIgvm): boolean => p.file.platforms.some((h) => h.kind === 'supported-platform' && h.platformType === 2);

describe('PAGE_DATA runs', () => {
  it('PageDataWord names the words PageDataField names the bytes of', () => {
    const pairs: Array<[number, number]> = [
      [PageDataWord.GpaLo, PageDataField.GpaLo], [PageDataWord.GpaHi, PageDataField.GpaHi],
      [PageDataWord.CompatibilityMask, PageDataField.CompatibilityMask], [PageDataWord.FileOffset, PageDataField.FileOffset],
      [PageDataWord.Flags, PageDataField.Flags], [PageDataWord.DataTypeReserved, PageDataField.DataType],
    ];
    for (const [word, byte] of pairs) expect(word * 4).toBe(VARIABLE_HEADER_SIZE + byte);
    expect(PageDataWord.Count * 4).toBe(VARIABLE_HEADER_SIZE + 24);
  });

  it('covers most committed samples', () => {
    expect(SAMPLES.length).toBeGreaterThanOrEqual(14);
  });

  it('a sample is parsed into runs, and reading file.directives ends them', () => {
    const p = parse('builder/qemu-snp-bldr.igvm');
    const runs = directiveRuns(p.file);
    expect(runs).not.toBeNull();
    expect(runs!.segments.reduce((n, s) => n + (s.run ? s.count : 0), 0)).toBeGreaterThan(20);
    void p.layout.directives; // the layout alone does not
    expect(directiveRuns(p.file)).toBe(runs);
    void p.file.directives;
    expect(directiveRuns(p.file)).toBeNull();
    expect(Object.getOwnPropertyDescriptor(p.file, 'directives')).toHaveProperty('value');
    expect(Object.keys(p.file)).toEqual(['formatVersion', 'architecture', 'pageSize', 'platforms', 'initializations', 'directives']);
  });

  for (const rel of SAMPLES) {
    it(`${rel}: the directives built from runs are the headers the bytes hold`, () => {
      const bytes = load(rel);
      const v = new DataView(bytes.buffer, bytes.byteOffset);
      const p = parse(rel);
      const dirs = p.file.directives;
      const locs = p.layout.directives;
      expect(locs.length).toBe(dirs.length);
      const first = p.layout.platforms.length + p.layout.initializations.length;
      dirs.forEach((d, i) => {
        const loc = locs[i]!;
        expect(loc.index).toBe(first + i);
        expect(v.getUint32(loc.offset, true)).toBe(loc.type);
        if (d.kind !== 'page-data') return;
        const r = decodePageData(v, loc.offset + 8);
        expect(d).toEqual({
          kind: 'page-data', gpa: r.gpaHi * 2 ** 32 + r.gpaLo, compatibilityMask: r.compatibilityMask, flags: r.flags, dataType: r.dataType,
          data: r.fileOffset === 0 ? null : { kind: 'file', source: p.source, offset: r.fileOffset, length: 4096 },
        });
      });
      // the layout read first gives the same locations
      const q = parse(rel);
      expect(q.layout.directives).toEqual(locs);
    });

    it(`${rel}: planned from runs or from objects, the same operations`, () => {
      const p = parse(rel);
      if (!hasSnp(p)) return;
      for (const nativeZero of [false, true]) {
        const fromRuns = outcome(() => planData(parse(rel), nativeZero));
        const q = parse(rel);
        void q.file.directives;
        expect(directiveRuns(q.file)).toBeNull();
        expect(fromRuns).toEqual(outcome(() => planData(q, nativeZero)));
      }
    });
  }

  it('once read, file.directives is what is measured', () => {
    const rel = 'builder/qemu-snp-bldr.igvm';
    const before = measureIgvm(parse(rel)).digest;
    const p = parse(rel);
    const i = p.file.directives.findIndex((d) => d.kind === 'page-data' && d.data !== null && (d.compatibilityMask & 1) !== 0);
    p.file.directives.splice(i, 1);
    p.layout.directives.splice(i, 1);
    expect(measureIgvm(p).digest).not.toEqual(before);
    const q = parse(rel);
    q.file.directives = q.file.directives.slice();
    expect(directiveRuns(q.file)).toBeNull();
    expect(measureIgvm(q).digest).toEqual(before);
  });

  it('a rule broken inside a run is reported at that header (checked in the section)', () => {
    const base = load('builder/qemu-snp-bldr.igvm');
    const p = parseIgvm(base);
    const pages = p.file.directives.map((d, i) => [d, i] as const).filter(([d]) => d.kind === 'page-data');
    const [, i] = pages[Math.floor(pages.length / 2)]!;
    const loc = p.layout.directives[i]!;
    const mutate = (fn: (v: DataView) => void): Uint8Array => {
      const b = base.slice();
      const v = new DataView(b.buffer);
      fn(v);
      const vho = v.getUint32(8, true);
      const fixed = b.slice(0, 24);
      fixed.fill(0, 20, 24);
      v.setUint32(20, crc32(b.subarray(vho, vho + v.getUint32(12, true)), crc32(fixed)), true);
      return b;
    };
    const at = `header #${loc.index} at offset 0x${loc.offset.toString(16)}`;
    const c = loc.offset + 8;
    const gpa = new DataView(base.buffer, base.byteOffset).getUint32(c, true);
    expect(() => parseIgvm(mutate((v) => v.setUint32(c, gpa + 8, true)))).toThrow(new RegExp(`${at}.*not 4K-aligned.*UnalignedAddress`));
    expect(() => parseIgvm(mutate((v) => v.setUint16(c + 20, 4, true)))).toThrow(new RegExp(`${at}.*data_type 4.*InvalidPageDataType`));
  });
});
