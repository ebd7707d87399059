/**
 * The `prelaunch` executable: loads the CLI bundle (prelaunch-main.cjs beside this file)
 * through V8's code cache.
 *
 * Why: Node start-up plus compiling the bundle costs more than hashing a 2 MiB firmware.
 * `npm run build` (scripts/make-code-cache.mjs) runs an SEV-SNP and an IGVM measurement in one
 * process with PRELAUNCH_CODE_CACHE_OUT set, which writes the compiled code (top level and
 * every function those runs used) next to the bundle, named after the V8 version that made
 * it; later runs on that V8 skip parsing and compiling it (docs/performance.md).
 * On any other V8 that cache is useless, so the launcher does not read it: on Node >= 22.1 it
 * asks Node's own compile cache (`module.enableCompileCache()`, kept in the OS temp directory
 * from the first run on), elsewhere the bundle is compiled as usual. The hand-made cache is
 * kept where it applies because it measured faster than Node's (docs/performance.md, "code
 * cache"). PRELAUNCH_CODE_CACHE_CHECK=1 says on stderr which path was taken.
 * `prelaunch verify` has a cache of its own (`prelaunch-main.cjs.verify.<v8>.v8cache`): the code
 * it runs (PKI.js, the verifiers) more than doubled the one cache, and V8 deserializes a whole
 * cache at start-up, which slowed every other command (docs/performance.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script, constants as vmConstants } from 'node:vm';

const file = join(__dirname, 'prelaunch-main.cjs');
const cacheFile = `${file}${process.argv[2] === 'verify' ? '.verify' : ''}.${process.versions.v8}.v8cache`;
const out = process.env.PRELAUNCH_CODE_CACHE_OUT;
const check = process.env.PRELAUNCH_CODE_CACHE_CHECK;
let cachedData: Buffer | undefined;
try {
  // a run that writes a cache starts from none, so that it holds only what its own runs compiled
  cachedData = out ? undefined : readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
// `require('node:module')` is the Module class; Node >= 22.1 has the function on it (a namespace import would copy every property: ~1 ms)
const enableCompileCache = (Module as unknown as { enableCompileCache?: () => unknown }).enableCompileCache;
if (cachedData === undefined && !out && typeof enableCompileCache === 'function') {
  // no cache made by this V8: Node's own compile cache (Node >= 22.1)
  enableCompileCache();
  if (check) process.stderr.write('code cache: node compile cache\n');
  createRequire(file)(file);
} else {
  runWithCodeCache(cachedData);
}

function runWithCodeCache(cachedData: Buffer | undefined): void {
  const source = readFileSync(file, 'utf8');
  // dynamic import() inside the bundle resolves as in a normal module (Node ≥ 20.18 has the constant)
  const loader = (vmConstants as unknown as { USE_MAIN_CONTEXT_DEFAULT_LOADER?: symbol } | undefined)?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  const script = new Script(Module.wrap(source), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    ...(loader ? { importModuleDynamically: loader as never } : {}),
  });
  if (check) process.stderr.write(`code cache: ${cachedData ? (script.cachedDataRejected ? 'rejected' : 'accepted') : 'missing'}\n`);
  if (out) process.on('exit', () => writeFileSync(out, script.createCachedData()));
  const mod = new Module(file, module);
  mod.filename = file;
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  run.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
}
