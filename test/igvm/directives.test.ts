/**
 * The directive table (src/formats/igvm/directives.ts): PAGE_DATA headers as columns, the
 * other directives as records, in file order, read through one walk (directiveSegments). These
 * tests hold the table to the bytes it was parsed from, and show that how a table was made
 * (parsed, built from objects, copied, spread) does not change what is validated, measured or
 * written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/bytes/crc32.js';
import { bytesSource, copyBytes } from '../../src/bytes/source.js';
import { IgvmHeaderType } from '../../src/formats/igvm/defs.js';
import {
  DirectiveTableBuilder, directiveCount, directiveList, directiveLocations, directiveTable, directiveSegments, pageCount,
} from '../../src/formats/igvm/directives.js';
import { IgvmFormatError } from '../../src/formats/igvm/errors.js';
import { IGVM_VHS_PAGE_DATA, IGVM_VHS_VARIABLE_HEADER, PAGE_DATA_ROW_WORDS, PageDataWord, VARIABLE_HEADER_SIZE } from '../../src/formats/igvm/headers.js';
import { readData, type IgvmDirectiveHeader, type IgvmDirectiveTable, type IgvmFile } from '../../src/formats/igvm/model.js';
import { parseIgvm, type ParsedIgvm } from '../../src/formats/igvm/parse.js';
import { reserializeIgvm, serializeIgvm } from '../../src/formats/igvm/serialize.js';
import { validateIgvm } from '../../src/formats/igvm/validate.js';
import { defaultBackend } from '../../src/hash/index.js';
import { measureIgvm } from '../../src/measure/igvm.js';
import { runSnpPlan } from '../../src/measure/snp-engine.js';
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

/** what a call returns, or the error code and rule it throws */
function outcome<T>(fn: () => T): T | { error: unknown } {
  try {
    return fn();
  } catch (e) {
    return { error: [(e as IgvmFormatError).code, (e as IgvmFormatError).rule ?? null, (e as Error).message] };
  }
}

/** a plan as plain data (labels and content read through the op's getters; content bytes as hex) */
function planData(file: IgvmFile, layout: ParsedIgvm['layout'], nativeZero: boolean): unknown {
  const plan = planIgvmMeasurement(file, { platform: 'sev-snp', nativeZero, layout }).plan as SnpPlan;
  return plan.ops.map((op) => {
    const c = op.content;
    const bytes = c === null ? null : c.kind === 'source' ? c.source.read(c.offset, 4096) : c.bytes;
    return [op.gpa, op.type, op.label, bytes === null ? null : Buffer.from(bytes).toString('hex')];
  });
}
const hasSnp = (p: ParsedIgvm): boolean => p.file.platforms.some((h) => h.kind === 'supported-platform' && h.platformType === 2);

/** the same directives with every page's data copied into memory (the builder's kind of table) */
function inMemory(t: IgvmDirectiveTable): IgvmDirectiveTable {
  return directiveTable(directiveList(t).map((d): IgvmDirectiveHeader => (d.kind === 'page-data' && d.data ? { ...d, data: { kind: 'bytes', bytes: copyBytes(readData(d.data)) } } : d)));
}

describe('the directive table', () => {
  it('PageDataWord (a row\'s words) is where the layouts put the header\'s fields', () => {
    const header = IGVM_VHS_VARIABLE_HEADER.encode({ type: 0x302, length: 24 });
    const content = IGVM_VHS_PAGE_DATA.encode({ gpa: 0x1234_5678_9000, compatibilityMask: 0xa, fileOffset: 0xb000, flags: 0xc, dataType: 3, reserved: 0 });
    const row = new Uint32Array(new Uint8Array([...header, ...content]).buffer);
    expect(row.length).toBe(PAGE_DATA_ROW_WORDS);
    expect(PageDataWord.Count).toBe(PAGE_DATA_ROW_WORDS);
    expect([row[PageDataWord.Type], row[PageDataWord.Length], row[PageDataWord.GpaLo], row[PageDataWord.GpaHi], row[PageDataWord.CompatibilityMask], row[PageDataWord.FileOffset], row[PageDataWord.Flags], row[PageDataWord.DataTypeReserved]])
      .toEqual([0x302, 24, 0x5678_9000, 0x1234, 0xa, 0xb000, 0xc, 3]);
  });

  it('covers most committed samples', () => {
    expect(SAMPLES.length).toBeGreaterThanOrEqual(14);
  });

  it('a parsed file has PAGE_DATA rows and records, as plain data', () => {
    const p = parse('builder/qemu-snp-bldr.igvm');
    const t = p.file.directives;
    expect(pageCount(t)).toBeGreaterThan(20);
    expect(t.records.length).toBeGreaterThan(5);
    expect(t.source).toBe(p.source);
    expect(t.data).toBeNull();
    expect(Object.keys(p.file)).toEqual(['formatVersion', 'architecture', 'pageSize', 'platforms', 'initializations', 'directives']);
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(t))) expect(d, k).toHaveProperty('value');
  });

  for (const rel of SAMPLES) {
    it(`${rel}: the rows and records are the headers the bytes hold, where they are`, () => {
      const bytes = load(rel);
      const v = new DataView(bytes.buffer, bytes.byteOffset);
      const p = parse(rel);
      const dirs = directiveList(p.file.directives);
      const locs = directiveLocations(p.file.directives, p.layout.firstDirective);
      expect(locs.length).toBe(dirs.length);
      expect(dirs.length).toBe(directiveCount(p.file.directives));
      const first = p.layout.platforms.length + p.layout.initializations.length;
      expect(p.layout.firstDirective.index).toBe(first);
      dirs.forEach((d, i) => {
        const loc = locs[i]!;
        expect(loc.index).toBe(first + i);
        expect(v.getUint32(loc.offset, true)).toBe(loc.type);
        const next = locs[i + 1];
        if (next) expect(next.offset - loc.offset).toBe((v.getUint32(loc.offset + 4, true) + 8 + 7) & ~7);
        if (d.kind !== 'page-data') return;
        const r = IGVM_VHS_PAGE_DATA.decode(bytes, loc.offset + VARIABLE_HEADER_SIZE);
        expect(d).toEqual({
          kind: 'page-data', gpa: r.gpa, compatibilityMask: r.compatibilityMask, flags: r.flags, dataType: r.dataType,
          data: r.fileOffset === 0 ? null : { kind: 'file', source: p.source, offset: r.fileOffset, length: 4096 },
        });
      });
    });

    it(`${rel}: parsed, rebuilt from objects, with data in memory, or spread: the same plan and the same bytes`, () => {
      const p = parse(rel);
      const rebuilt: IgvmFile = { ...p.file, directives: directiveTable(directiveList(p.file.directives)) };
      const memory: IgvmFile = { ...p.file, directives: inMemory(p.file.directives) };
      const spread: IgvmFile = { ...p.file, directives: { ...p.file.directives } };
      JSON.stringify(p.file, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));
      const bytes = serializeIgvm(p.file);
      for (const f of [rebuilt, memory, spread]) {
        expect(Buffer.from(serializeIgvm(f)).equals(Buffer.from(bytes))).toBe(true);
        if (!hasSnp(p)) continue;
        for (const nativeZero of [false, true]) expect(outcome(() => planData(f, p.layout, nativeZero))).toEqual(outcome(() => planData(p.file, p.layout, nativeZero)));
      }
    });
  }

  it('what the table says is what is measured', () => {
    const rel = 'builder/qemu-snp-bldr.igvm';
    const p = parse(rel);
    const before = measureIgvm(p).digest;
    const list = directiveList(p.file.directives);
    const i = list.findIndex((d) => d.kind === 'page-data' && d.data !== null && (d.compatibilityMask & 1) !== 0);
    list.splice(i, 1);
    const fewer: IgvmFile = { ...p.file, directives: directiveTable(list) };
    expect(measureIgvm(parseIgvm(serializeIgvm(fewer))).digest).not.toEqual(before);
    // a row changed in place is measured as it now is
    const q = parse(rel);
    const rows = q.file.directives.pages;
    const row = directiveList(q.file.directives).filter((d) => d.kind === 'page-data').findIndex((d) => d.data !== null);
    rows[row * PAGE_DATA_ROW_WORDS + PageDataWord.Flags] = 2; // UNMEASURED
    expect(measureIgvm(q).digest).not.toEqual(before);
    expect(measureIgvm(parse(rel)).digest).toEqual(before);
  });

  it('a table built in memory: records among the rows, data of every kind, round trip through the bytes', () => {
    const src = bytesSource(new Uint8Array(3 * 4096).fill(7), 'other');
    const headers: IgvmDirectiveHeader[] = [
      { kind: 'page-data', gpa: 0x1000, compatibilityMask: 1, flags: 0, dataType: 0, data: { kind: 'bytes', bytes: new Uint8Array(100).fill(1) } },
      { kind: 'parameter-area', numberOfBytes: 0x1000, parameterAreaIndex: 0, initialData: null },
      { kind: 'page-data', gpa: 0x2000, compatibilityMask: 1, flags: 0, dataType: 0, data: { kind: 'file', source: src, offset: 4096, length: 4096 } },
      { kind: 'page-data', gpa: 0x3000, compatibilityMask: 1, flags: 0, dataType: 0, data: null },
      { kind: 'parameter-usage', type: IgvmHeaderType.MEMORY_MAP, parameterAreaIndex: 0, byteOffset: 0 },
      { kind: 'parameter-insert', gpa: 0x4000, compatibilityMask: 1, parameterAreaIndex: 0 },
      { kind: 'page-data', gpa: 0x5000, compatibilityMask: 1, flags: 0, dataType: 1, data: null },
    ];
    const t = directiveTable(headers);
    expect(pageCount(t)).toBe(4);
    expect(Array.from(t.recordAt)).toEqual([1, 3, 3]);
    expect(t.source).toBe(src);
    expect([0, 1, 2, 3].map((p) => t.pages[p * PAGE_DATA_ROW_WORDS + PageDataWord.FileOffset])).toEqual([0, 4096, 0, 0]);
    expect(t.data!.map((d) => d?.kind ?? null)).toEqual(['bytes', null, null, null]);
    expect(directiveList(t)).toEqual(headers);
    const file: IgvmFile = {
      formatVersion: 1, architecture: 0, pageSize: 4096,
      platforms: [{ kind: 'supported-platform', compatibilityMask: 1, highestVtl: 0, platformType: 2, platformVersion: 1, sharedGpaBoundary: 0n }],
      initializations: [], directives: t,
    };
    const bytes = serializeIgvm(file);
    const p = parseIgvm(bytes);
    expect(directiveList(p.file.directives).map((d) => (d.kind === 'page-data' ? { ...d, data: d.data && Buffer.from(readData(d.data)).toString('hex') } : d))).toEqual(headers.map((d) => {
      if (d.kind !== 'page-data') return d;
      const data = d.data && new Uint8Array(4096);
      if (d.data) data!.set(readData(d.data));
      return { ...d, data: data && Buffer.from(data).toString('hex') };
    }));
    expect(Buffer.from(reserializeIgvm(p)).equals(Buffer.from(bytes))).toBe(true);
    const plan = planIgvmMeasurement(file).plan as SnpPlan;
    expect(measureIgvm(p).digest).toEqual(runSnpPlan(plan, defaultBackend));
    expect(plan.ops.map((op) => op.label)).toEqual(['PAGE_DATA #1', 'PAGE_DATA #3', 'PAGE_DATA #4 (no data)', 'PARAMETER_INSERT #6 area 0', 'PAGE_DATA #7']);
  });

  it('a PAGE_DATA field the header cannot hold is refused when the table is made', () => {
    const page = { kind: 'page-data' as const, gpa: 0x1000, compatibilityMask: 1, flags: 0, dataType: 0, data: null };
    expect(directiveList(directiveTable([{ ...page, gpa: 2 ** 53 - 4096 }]))).toEqual([{ ...page, gpa: 2 ** 53 - 4096 }]);
    for (const bad of [{ gpa: 4096.5 }, { gpa: -4096 }, { gpa: 2 ** 53 }, { compatibilityMask: 2 ** 32 }, { flags: -1 }, { dataType: 0.5 }]) {
      expect(() => directiveTable([{ ...page, ...bad }]), JSON.stringify(bad)).toThrow(RangeError);
    }
  });

  it('copying rows keeps them; rows of another file take their data along', () => {
    const a = parse('builder/qemu-snp-bldr.igvm');
    const b = parse('builder/qemu-snp-tdp-native.igvm');
    const ta = a.file.directives;
    const tb = b.file.directives;
    const x = new DirectiveTableBuilder();
    x.addPagesOf(ta, 0, 3);
    x.addRecord(ta.records[0]!);
    x.addPagesOf(tb, 1, 4);
    const t = x.finish();
    expect(t.source).toBe(a.source);
    const want = [...directiveList(ta).filter((d) => d.kind === 'page-data').slice(0, 3), ta.records[0]!, ...directiveList(tb).filter((d) => d.kind === 'page-data').slice(1, 4)];
    expect(directiveList(t)).toEqual(want);
  });

  it('the walk refuses a table whose columns or records disagree', () => {
    const t = parse('builder/qemu-snp-bldr.igvm').file.directives;
    expect(() => directiveSegments({ ...t, pages: t.pages.subarray(1) }, { index: 0, offset: 0 })).toThrow(RangeError);
    expect(() => directiveSegments({ ...t, data: [null] }, { index: 0, offset: 0 })).toThrow(RangeError);
    expect(() => directiveSegments({ ...t, recordAt: Uint32Array.from(t.recordAt).reverse() }, { index: 0, offset: 0 })).toThrow(RangeError);
    expect(() => directiveSegments({ ...t, recordAt: t.recordAt.subarray(1) }, { index: 0, offset: 0 })).toThrow(RangeError);
  });

  it('a rule broken inside a run of PAGE_DATA headers is reported at that header', () => {
    const base = load('builder/qemu-snp-bldr.igvm');
    const p = parseIgvm(base);
    const list = directiveList(p.file.directives);
    const locs = directiveLocations(p.file.directives, p.layout.firstDirective);
    const pages = list.map((d, i) => [d, i] as const).filter(([d]) => d.kind === 'page-data');
    const [, i] = pages[Math.floor(pages.length / 2)]!;
    const loc = locs[i]!;
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
    const c = loc.offset + 8;
    const gpa = new DataView(base.buffer, base.byteOffset).getUint32(c, true);
    const at = { code: 'ERR_MALFORMED', headerType: IgvmHeaderType.PAGE_DATA, headerIndex: loc.index, offset: loc.offset };
    expect(() => parseIgvm(mutate((v) => v.setUint32(c, gpa + 8, true)))).toThrow(expect.objectContaining({ ...at, rule: 'UnalignedAddress' }));
    expect(() => parseIgvm(mutate((v) => v.setUint16(c + 20, 4, true)))).toThrow(expect.objectContaining({ ...at, rule: 'InvalidPageDataType' }));
    // and validated again from the model, the same
    const q = parseIgvm(mutate((v) => v.setUint16(c + 20, 3, true)));
    q.file.directives.pages[pages.findIndex(([, k]) => k === i) * PAGE_DATA_ROW_WORDS + PageDataWord.DataTypeReserved] = 4;
    expect(() => validateIgvm(q.file, { layout: q.layout })).toThrow(expect.objectContaining({ ...at, rule: 'InvalidPageDataType' }));
  });
});
