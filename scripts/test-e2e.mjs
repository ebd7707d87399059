#!/usr/bin/env node
// `npm run test:e2e [-- --large]`: the end-to-end tier, after `npm run build` (package.json).
// 1. vitest over vitest.e2e.config.ts: every *.e2e.test.ts — the executable as a process and
//    the browser test (test/browser/browser.e2e.test.ts);
// 2. the conformance suites of the corpus beside this clone (../shared/conformance), when it is
//    there: snp (--large: all 459 cases), igvm, tdx; measured-boot and verify only when this
//    build has the command they drive (`prelaunch tpm` / `prelaunch verify`: SNP reports and
//    TDX quotes).
// Stops at the first failure; without ../shared it says so in one line and runs step 1 only.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const large = process.argv.includes('--large');
// the snp runner works in $TMPDIR/prelaunch-conformance-snp: a private TMPDIR keeps runs of
// other checkouts on the same machine from removing its files mid-run
const privateTmp = mkdtempSync(path.join(os.tmpdir(), 'prelaunch-e2e-'));
process.on('exit', () => rmSync(privateTmp, { recursive: true, force: true }));
const run = (cmd, args, what, env = process.env) => {
  process.stdout.write(`\n== ${what}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) {
    process.stderr.write(`error: ${what} failed (${r.status ?? r.signal})\n`);
    process.exitCode = r.status || 1;
    process.exit();
  }
};

run(process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '-c', 'vitest.e2e.config.ts'], 'vitest (end-to-end tier)');

const conformance = path.resolve(root, '..', 'shared', 'conformance');
if (!existsSync(path.join(conformance, 'run.mjs'))) {
  process.stdout.write(`\nnote: ${conformance} is absent: conformance suites skipped\n`);
  process.exit(0);
}
const conformanceEnv = { ...process.env, TMPDIR: privateTmp };
run(process.execPath, [path.join(conformance, 'run.mjs'), 'snp', ...(large ? ['--large'] : [])], `conformance snp${large ? ' --large' : ''}`, conformanceEnv);
run(process.execPath, [path.join(conformance, 'run.mjs'), 'igvm'], 'conformance igvm', conformanceEnv);
run(process.execPath, [path.join(conformance, 'run.mjs'), 'tdx'], 'conformance tdx', conformanceEnv);
// a command of this build: listed by `prelaunch --help` (`prelaunch NAME --help` of an unknown
// NAME prints the top-level help and exits 0, so its exit code says nothing)
const help = spawnSync(process.execPath, ['dist/prelaunch.cjs', '--help'], { cwd: root, encoding: 'utf8' }).stdout ?? '';
const hasCommand = (name) => new RegExp(`^  ${name}\\b`, 'm').test(help);
for (const [suite, command] of [['measured-boot.mjs', 'tpm'], ['verify.mjs', 'verify']]) {
  if (!existsSync(path.join(conformance, suite))) continue;
  if (!hasCommand(command)) {
    process.stdout.write(`\nnote: no \`prelaunch ${command}\` in this build: ${suite} skipped\n`);
    continue;
  }
  run(process.execPath, [path.join(conformance, suite)], `conformance ${suite}`, conformanceEnv);
}
