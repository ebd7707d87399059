/**
 * Every TypeScript/JavaScript snippet in README.md and docs/*.md is run (issue 12, item 1: the
 * README's library example returned a wrong digest and nobody noticed). `from 'prelaunch'`
 * becomes the source entry, paths under firmware-samples/ and test/vectors/ are made absolute,
 * and the snippet runs as a module. Each `console.log(…) // → VALUE` line must print VALUE, and
 * every such VALUE must be a value with provenance (a vector in test/vectors/ that a reference
 * tool produced) or a boolean. A snippet that does not run, prints something else, or claims
 * a value without provenance fails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PROJECT } from '../support/cli.js';
import { loadVectors } from '../support/snp-vectors.js';

interface Snippet {
  file: string;
  line: number;
  code: string;
}

const DOCS = ['README.md', ...fs.readdirSync(path.join(PROJECT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const LANGS = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);

function snippetsOf(file: string): Snippet[] {
  const lines = fs.readFileSync(path.join(PROJECT, file), 'utf8').split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    if (LANGS.has(open[1]!.toLowerCase())) out.push({ file, line: start + 1, code: body.join('\n') });
  }
  return out;
}

/** Values the docs may claim, each with where it comes from. */
function provenance(): Map<string, string> {
  const known = new Map<string, string>();
  const snp = loadVectors();
  for (const v of snp.vectors) if (v.expected && /^[0-9a-f]{96}$/.test(v.expected)) known.set(v.expected, `test/vectors/snp-measure.json ${v.id} (${String(snp.provenance.reference)})`);
  const idb = JSON.parse(fs.readFileSync(path.join(PROJECT, 'test/vectors/idblock-reference.json'), 'utf8')) as { cases: Array<Record<string, string>> };
  for (const c of idb.cases) {
    for (const k of ['idBlockBase64', 'idKeyDigestBase64', 'authorKeyDigestBase64', 'measurementBase64']) if (c[k]) known.set(c[k]!, `test/vectors/idblock-reference.json ${c.id} ${k}`);
  }
  known.set('true', 'a boolean');
  known.set('false', 'a boolean');
  return known;
}

/** `prelaunch` and `prelaunch/<entry>` → the entry's source module (through package.json "exports") */
const EXPORTS = (JSON.parse(fs.readFileSync(path.join(PROJECT, 'package.json'), 'utf8')) as { exports: Record<string, string | { default: string }> }).exports;
function entrySource(spec: string): string {
  const target = EXPORTS[spec === 'prelaunch' ? '.' : `./${spec.slice('prelaunch/'.length)}`];
  if (typeof target !== 'object') throw new Error(`${spec} is not an entry of package.json "exports"`);
  return path.join(PROJECT, target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
}
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-snippets-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

function prepare(s: Snippet): string {
  return s.code
    .replace(/from\s+(['"])(prelaunch(?:\/[\w-]+)?)\1/g, (_, _q: string, spec: string) => `from ${JSON.stringify(entrySource(spec))}`)
    .replace(/(['"])((?:firmware-samples|test\/vectors)\/[^'"]+)\1/g, (_, _q: string, p: string) => JSON.stringify(path.join(PROJECT, p)));
}

const ALL = DOCS.flatMap(snippetsOf);

describe('docs snippets', () => {
  it('the README and docs have library snippets (the scan finds them)', () => {
    expect(ALL.map((s) => s.file)).toEqual(expect.arrayContaining(['README.md', 'docs/id-block.md']));
  });

  const known = provenance();
  for (const [n, s] of ALL.entries()) {
    it(`${s.file}:${s.line} runs and prints what it says`, async () => {
      const logLines = s.code.split('\n').filter((l) => /\bconsole\.log\(/.test(l));
      const claims = logLines.map((l) => /\/\/\s*→\s*(\S+)\s*$/.exec(l)?.[1] ?? null);
      expect(claims.filter((c) => c !== null).length, 'a snippet must show at least one result (`console.log(x); // → value`)').toBeGreaterThan(0);
      for (const c of claims) if (c !== null) expect(known.has(c), `${c} has no provenance in test/vectors/`).toBe(true);

      const file = path.join(TMP, `snippet-${n}.ts`);
      fs.writeFileSync(file, prepare(s));
      const printed: string[] = [];
      const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
      try {
        await import(pathToFileURL(file).href);
      } finally {
        spy.mockRestore();
      }
      expect(printed.length, 'one line printed per console.log line of the snippet').toBe(logLines.length);
      claims.forEach((c, i) => {
        if (c !== null) expect(printed[i], `${s.file}:${s.line}: ${logLines[i]!.trim()}`).toBe(c);
      });
    });
  }

  it("README's CLI demo prints the sev-snp-measure value for the bundled Debian OVMF (4 vCPUs, EPYC-v4)", () => {
    const readme = fs.readFileSync(path.join(PROJECT, 'README.md'), 'utf8');
    const demo = /npm run demo\n# … ([0-9a-f]{96})/.exec(readme)?.[1];
    const want = loadVectors().vectors.find((v) => v.id === 'snp.qemu.deb-OVMF.EPYC-v4.v4')!.expected;
    expect(demo).toBe(want);
    const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).toContain('measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --ovmf firmware-samples/debian/OVMF.fd');
  });
});

describe('docs do not steer users to wrong values (issue 12, item 10)', () => {
  const texts = [...DOCS, 'src/cli/measure-options.ts', 'src/formats/snp/vmsa-profiles.ts'].map((f) => [f, fs.readFileSync(path.join(PROJECT, f), 'utf8')] as const);
  it('kvm-init2 is not called "the QEMU default" (SEV-ES on QEMU >= 10.0 uses the legacy init: MXCSR/FCW 0, host-stacks.md H1)', () => {
    for (const [f, t] of texts) expect(t, f).not.toMatch(/kvm-init2[^\n]{0,20}\(QEMU default\)/);
    const measurement = texts.find(([f]) => f === 'docs/measurement.md')![1];
    expect(measurement).toMatch(/SEV-ES, QEMU ≥ 10\.0[^\n]*MXCSR 0, FCW 0[^\n]*`kvm-legacy`/);
  });
  it('VMSA profiles are not "planned": they exist', () => {
    for (const [f, t] of texts) expect(t, f).not.toMatch(/profiles[^.]*\bplanned\b/s);
  });
  it('npm run conformance on a clone without ../shared says what is missing in one error line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-clone-'));
    try {
      fs.mkdirSync(path.join(dir, 'clone/scripts'), { recursive: true });
      fs.copyFileSync(path.join(PROJECT, 'scripts/conformance.mjs'), path.join(dir, 'clone/scripts/conformance.mjs'));
      const r = spawnSync(process.execPath, [path.join(dir, 'clone/scripts/conformance.mjs'), 'snp'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: the conformance corpus is not beside this clone: .*shared.conformance.run\.mjs does not exist/);
      const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
      expect(pkg.scripts.conformance).toContain('node scripts/conformance.mjs');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/cli.md lists where prelaunch differs from the reference tools (issue 12, done-when)', () => {
  const cli = fs.readFileSync(path.join(PROJECT, 'docs/cli.md'), 'utf8');
  const section = cli.slice(cli.indexOf('## Where prelaunch differs from the reference tools'), cli.indexOf('\n## ', cli.indexOf('## Where prelaunch differs from the reference tools') + 3));
  it('has a part per reference tool, and every table row says what prelaunch does, what the tool does and why', () => {
    expect(section.length).toBeGreaterThan(100);
    for (const tool of ['sev-snp-measure', 'igvmmeasure', 'igvmbuilder']) expect(section).toContain(`### ${tool}`);
    const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| input |'));
    expect(rows.length).toBeGreaterThanOrEqual(20);
    for (const r of rows) {
      const cells = r.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
      expect(cells, r).toHaveLength(4);
      for (const c of cells) expect(c.length, r).toBeGreaterThan(0);
    }
  });
});
