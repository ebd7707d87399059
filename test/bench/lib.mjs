// The built library as one namespace for the benchmarks: the root entry plus every capability
// entry (the package splits its exports by capability; benchmarks reach across them).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function loadLib() {
  const lib = { ...(await import(pathToFileURL(path.join(ROOT, 'dist/index.js')).href)) };
  const dir = path.join(ROOT, 'dist/entries');
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
    Object.assign(lib, await import(pathToFileURL(path.join(dir, f)).href));
  }
  return lib;
}
