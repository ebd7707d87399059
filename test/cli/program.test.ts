/**
 * buildProgram(command) defines only the top-level command the user named (a start-up
 * saving, src/cli/main.ts). That must change nothing a user sees: every command's help, at
 * every level, is the same as in the full program, and the full program is what any other
 * first argument gets.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { CLI_BUNDLE, PROJECT, expectCleanError, runCli } from '../support/cli.js';

/** every command below `c`, with its path (`igvm measure`) */
function walk(c: Command, prefix: string[] = []): Array<[string, Command]> {
  return c.commands.flatMap((sub) => {
    const p = [...prefix, sub.name()];
    return [[p.join(' '), sub] as [string, Command], ...walk(sub, p)];
  });
}

const full = buildProgram();
const topLevel = full.commands.map((c) => c.name());

describe('buildProgram(command)', () => {
  it('knows the eleven top-level commands', () => {
    expect(topLevel).toEqual(['measure', 'ovmf', 'golden', 'export', 'trace', 'igvm', 'id-block', 'policy', 'tdx', 'tpm', 'host']);
  });

  for (const name of topLevel) {
    it(`${name}: only that command, with the same help at every level as the full program`, () => {
      const lazy = buildProgram(name);
      expect(lazy.commands.map((c) => c.name())).toEqual([name]);
      const want = walk(full).filter(([p]) => p === name || p.startsWith(`${name} `));
      const got = walk(lazy);
      expect(got.map(([p]) => p)).toEqual(want.map(([p]) => p));
      for (let i = 0; i < want.length; i++) expect(got[i]![1].helpInformation()).toBe(want[i]![1].helpInformation());
    });
  }

  it('any other first argument gets every command', () => {
    for (const arg of [undefined, '--help', '-V', 'help', 'igvmm', 'measure2', '']) {
      expect(buildProgram(arg).commands.map((c) => c.name())).toEqual(topLevel);
      expect(buildProgram(arg).helpInformation()).toBe(full.helpInformation());
    }
  });

  it('a misspelt command is still a usage error that suggests the right one', () => {
    const err = expectCleanError(runCli(['igvmm', 'measure', 'x.igvm']), 2);
    expect(err).toMatch(/unknown command 'igvmm'/);
    expect(err).toMatch(/igvm/);
  });
});

describe('stdout (writeStdout, src/cli/io.ts)', () => {
  const args = ['golden', '--ovmf', 'firmware-samples/debian/OVMF.fd', '--vcpus', '1-64', '--vcpu-type', 'all'];
  it('a large output arrives whole through a pipe that is read late', async () => {
    const child = spawn(process.execPath, [CLI_BUNDLE, ...args], { cwd: PROJECT });
    child.stdout.pause();
    const out: Buffer[] = [];
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    await new Promise((r) => setTimeout(r, 300));
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stdout.resume();
    const code = await new Promise((r) => child.on('close', r));
    expect(err).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(Buffer.concat(out).toString('utf8')) as { entries: unknown[] };
    expect(doc.entries.length).toBeGreaterThan(1000);
  });
  it('a reader that goes away early (… | head -c 100) is not an error', async () => {
    const child = spawn(process.execPath, [CLI_BUNDLE, ...args], { cwd: PROJECT });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((r) => child.on('close', r));
    expect(err).toBe('');
    expect(code).toBe(0);
  });
});

describe('the launcher (src/cli/launcher.ts)', () => {
  it('the build-only code-cache run argument takes a JSON list of argument lists, and says so otherwise', () => {
    expect(expectCleanError(runCli(['--prelaunch-code-cache-runs', 'foo']), 2)).toMatch(/--prelaunch-code-cache-runs is internal to npm run build/);
    const ok = runCli(['--prelaunch-code-cache-runs', JSON.stringify([['policy', 'decode', '0x30000'], ['policy', 'encode', 'smt']])]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/SMT/);
    expect(ok.stdout).toMatch(/^0x30000$/m);
  });
  it('loads the bundle through the code cache npm run build wrote', () => {
    const r = spawnSync(process.execPath, [CLI_BUNDLE, '--version'], { cwd: PROJECT, encoding: 'utf8', env: { ...process.env, PRELAUNCH_CODE_CACHE_CHECK: '1' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('code cache: accepted\n');
  });
});
