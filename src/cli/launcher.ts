#!/usr/bin/env node
/**
 * The `prelaunch` executable: loads the CLI bundle (prelaunch-main.cjs beside this file)
 * through V8's code cache.
 *
 * Why: Node start-up plus compiling the ~0.5 MB bundle took ~35 ms more than an empty Node
 * process, more than hashing a 2 MiB firmware. `npm run build` (scripts/make-code-cache.mjs)
 * runs an SEV-SNP and an IGVM measurement in one process with PRELAUNCH_CODE_CACHE_OUT set,
 * which writes the compiled code (top level and every function those runs used) next to the
 * bundle; later runs skip parsing and compiling it (measured ~16 ms saved per process,
 * docs/performance.md). A missing or stale cache (another Node/V8 version) is ignored by V8
 * and the bundle is compiled as usual; PRELAUNCH_CODE_CACHE_CHECK=1 says on stderr which.
 */
import * as fs from 'node:fs';
import { Module, createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

const file = path.join(__dirname, 'prelaunch-main.cjs');
const cacheFile = `${file}.v8cache`;
const source = fs.readFileSync(file, 'utf8');
let cachedData: Buffer | undefined;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
// dynamic import() inside the bundle resolves as in a normal module (Node ≥ 20.18 has the constant)
const loader = (vm as unknown as { constants?: { USE_MAIN_CONTEXT_DEFAULT_LOADER?: symbol } }).constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
const script = new vm.Script(Module.wrap(source), {
  filename: file,
  ...(cachedData ? { cachedData } : {}),
  ...(loader ? { importModuleDynamically: loader as never } : {}),
});
if (process.env.PRELAUNCH_CODE_CACHE_CHECK) process.stderr.write(`code cache: ${cachedData ? (script.cachedDataRejected ? 'rejected' : 'accepted') : 'missing'}\n`);
const out = process.env.PRELAUNCH_CODE_CACHE_OUT;
if (out) process.on('exit', () => fs.writeFileSync(out, script.createCachedData()));
const mod = new Module(file, module);
mod.filename = file;
const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
run.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
