/**
 * The library bundles for browsers unchanged (issue 13, item 3): every entry of package.json
 * "exports" is bundled by esbuild with `platform: 'browser'` (the entry's source, found through
 * the exports map), and the bundle fails on any `node:` or Node built-in import. The README's
 * `import { measureSnp } from 'prelaunch'` is bundled as written, and with `"sideEffects": false`
 * it must not pull in modules it does not use (the IGVM parser, the CLI).
 */
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { PROJECT } from '../support/cli.js';

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }> };
/** `prelaunch…` specifier → its source module (./dist/X.js → src/X.ts) */
const ENTRIES = new Map(Object.entries(pkg.exports).flatMap(([key, target]) => {
  if (typeof target === 'string') return [];
  const spec = key === '.' ? 'prelaunch' : `prelaunch/${key.slice(2)}`;
  return [[spec, path.join(PROJECT, target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'))] as const];
}));
const NODE_BUILTINS = new Set(builtinModules);

/** Resolves `prelaunch` and `prelaunch/*` as a consumer's bundler would, through the exports map. */
const packageByName: Plugin = {
  name: 'prelaunch-by-name',
  setup(b) {
    b.onResolve({ filter: /^prelaunch(\/.*)?$/ }, (args) => {
      const file = ENTRIES.get(args.path);
      return file ? { path: file } : { errors: [{ text: `${args.path} is not in package.json "exports"` }] };
    });
  },
};

async function bundle(code: string): Promise<{ metafile: Metafile; nodeImports: string[]; text: string }> {
  const r = await build({
    stdin: { contents: code, resolveDir: PROJECT, loader: 'ts', sourcefile: 'consumer.ts' },
    bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent', plugins: [packageByName],
  });
  const nodeImports = Object.values(r.metafile.inputs).flatMap((i) => i.imports.map((imp) => imp.path))
    .filter((p) => p.startsWith('node:') || NODE_BUILTINS.has(p) || NODE_BUILTINS.has(p.split('/')[0]!));
  return { metafile: r.metafile, nodeImports, text: r.outputFiles![0]!.text };
}

describe('esbuild --platform=browser bundles every entry', () => {
  it('package.json "exports" lists the root and the capability entries, each with its source', () => {
    expect([...ENTRIES.keys()]).toEqual(expect.arrayContaining(['prelaunch', 'prelaunch/snp', 'prelaunch/sev', 'prelaunch/igvm', 'prelaunch/tdx', 'prelaunch/golden', 'prelaunch/export', 'prelaunch/id-block', 'prelaunch/stack']));
    for (const file of ENTRIES.values()) expect(fs.existsSync(file), file).toBe(true);
  });
  for (const spec of ENTRIES.keys()) {
    it(`${spec}: every export, no node: import`, async () => {
      const { nodeImports, text } = await bundle(`export * from '${spec}';`);
      expect(nodeImports).toEqual([]);
      expect(text).not.toMatch(/require\(["']node:/);
    });
  }
  it("import { measureSnp } from 'prelaunch' bundles unchanged, without the modules it does not use", async () => {
    const { metafile, nodeImports } = await bundle(`import { measureSnp } from 'prelaunch';\nexport const f = measureSnp;`);
    expect(nodeImports).toEqual([]);
    // what the output holds (metafile.inputs also lists modules read and then shaken out)
    const inputs = Object.values(metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([f]) => path.relative(PROJECT, path.resolve(PROJECT, f))));
    expect(inputs).toContain('src/measure/api.ts');
    expect(inputs.filter((f) => /^src\/(formats\/igvm|cli|igvm-build|golden|stack)\//.test(f))).toEqual([]);
  });
});
