// Build step (package.json "build", after tsc): one declaration file per public entry, in
// dist/types/, holding only what the entry exports and the types those mention (shared ones
// in dist/types/shared-*.d.ts). The per-module .d.ts files tsc writes also declare internals —
// e.g. the binary-parser specs of each layout, whose types reference @types/node — that a
// consumer compiling without skipLibCheck would have to resolve (test/api/consumer-types.e2e.test.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const input = {};
for (const target of Object.values(pkg.exports)) {
  if (typeof target === 'string') continue;
  // exports: { types: ./dist/types/NAME.d.ts, default: ./dist/X.js } — tsc wrote ./dist/X.d.ts
  input[path.basename(target.types, '.d.ts')] = path.join(ROOT, target.default.replace(/\.js$/, '.d.ts'));
}
const out = path.join(ROOT, 'dist/types');
fs.rmSync(out, { recursive: true, force: true });
const warnings = [];
const bundle = await rollup({ input, plugins: [dts()], onwarn: (w) => warnings.push(w.message) });
await bundle.write({ dir: out, format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'shared-[hash].d.ts' });
await bundle.close();
if (warnings.length) {
  console.error(`bundle-types: ${warnings.join('\nbundle-types: ')}`);
  process.exit(1);
}
