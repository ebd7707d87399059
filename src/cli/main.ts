/**
 * The prelaunch program: argv in, exit status out, with the process's streams or injected
 * ones ({@link CliIo}). Importing this module runs nothing; the `prelaunch` executable is
 * ./bin.ts. Thin: each command maps flags to one library call and one renderer in
 * src/report/; command implementations are imported lazily so start-up stays fast.
 * Exit codes: 0 ok, 1 error, 2 usage error.
 */
import { CommanderError } from 'commander';
import { PrelaunchError, type ErrorCode } from '../errors.js';
import { exitCodeSet, withIo, writeStderr, type CliIo } from './context.js';
import { buildProgram } from './program.js';

export type { CliIo, CliOutput } from './context.js';

/** How a run ended: its exit status and, when it failed with one, the typed error. */
export interface CliOutcome {
  code: number;
  /** the PrelaunchError's code when the run failed with one */
  errorCode?: ErrorCode;
  /** commander's code for a usage error (`commander.unknownOption`…) */
  usageCode?: string;
}

/** Run the program with `argv` (without the node and script names); resolves to the exit status. */
export async function main(argv: string[], io: CliIo = {}): Promise<number> {
  return (await run(argv, io)).code;
}

/** {@link main}, also telling which error ended the run (for tests). */
export async function run(argv: string[], io: CliIo = {}): Promise<CliOutcome> {
  const { value } = await withIo(io, async (): Promise<CliOutcome> => {
    const program = buildProgram(argv[0]);
    try {
      await program.parseAsync(argv, { from: 'user' });
      return { code: exitCodeSet() };
    } catch (e) {
      if (e instanceof CommanderError) {
        if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return { code: 0 };
        return { code: 2, usageCode: e.code }; // commander has already printed "error: …"
      }
      if (e instanceof PrelaunchError) {
        writeStderr(`error: ${e.message}\n`);
        return { code: e.code === 'ERR_INVALID_OPTION' ? 2 : 1, errorCode: e.code };
      }
      const msg = e instanceof Error ? e.message : String(e);
      writeStderr(`error: internal error: ${msg.split('\n')[0]} (please report this)\n`);
      return { code: 1 };
    }
  });
  return value;
}
