/**
 * buildProgram(command) defines only the top-level command the user named (a start-up
 * saving, src/cli/main.ts). That must change nothing a user sees: every command's help, at
 * every level, is the same as in the full program, and the full program is what any other
 * first argument gets.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { expectCleanError, runCliInProcess } from '../support/cli.js';

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
  it('knows the twelve top-level commands', async () => {
    expect(topLevel).toEqual(['measure', 'ovmf', 'golden', 'verify', 'export', 'trace', 'igvm', 'id-block', 'policy', 'tdx', 'tpm', 'host']);
  });

  for (const name of topLevel) {
    it(`${name}: only that command, with the same help at every level as the full program`, async () => {
      const lazy = buildProgram(name);
      expect(lazy.commands.map((c) => c.name())).toEqual([name]);
      const want = walk(full).filter(([p]) => p === name || p.startsWith(`${name} `));
      const got = walk(lazy);
      expect(got.map(([p]) => p)).toEqual(want.map(([p]) => p));
      for (let i = 0; i < want.length; i++) expect(got[i]![1].helpInformation()).toBe(want[i]![1].helpInformation());
    });
  }

  it('any other first argument gets every command', async () => {
    for (const arg of [undefined, '--help', '-V', 'help', 'igvmm', 'measure2', '']) {
      expect(buildProgram(arg).commands.map((c) => c.name())).toEqual(topLevel);
      expect(buildProgram(arg).helpInformation()).toBe(full.helpInformation());
    }
  });

  it('a misspelt command is still a usage error that suggests the right one', async () => {
    const err = expectCleanError(await runCliInProcess(['igvmm', 'measure', 'x.igvm']), 2);
    expect(err).toMatch(/unknown command 'igvmm'/);
    expect(err).toMatch(/igvm/);
  });
});
