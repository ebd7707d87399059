#!/usr/bin/env node
// `npm run conformance -- SUITE [options]`: runs the conformance runner of the corpus checked
// out beside this clone (../shared/conformance/run.mjs; README "How results are verified").
// A fresh clone alone has no corpus: say so in one line instead of Node's module-not-found
// stack trace. npm test needs nothing from ../shared.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runner = path.resolve(root, '..', 'shared', 'conformance', 'run.mjs');
if (!existsSync(runner)) {
  process.stderr.write(`error: the conformance corpus is not beside this clone: ${runner} does not exist (check the corpus out as ${path.dirname(path.dirname(runner))}; npm test does not need it)\n`);
  process.exit(1);
}
const r = spawnSync(process.execPath, [runner, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
