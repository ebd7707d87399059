/**
 * The process around one CLI run: its standard streams, working directory, environment and
 * exit status. The program ({@link ./main.ts}) runs with the process's own (the `prelaunch`
 * executable, ./bin.ts) or with injected ones (tests call it in-process with captured
 * streams). Commands reach the process only through this module and ./io.ts: they never
 * touch `process.stdout`, `process.stderr`, `process.exitCode` or `process.cwd()` themselves.
 */
import * as path from 'node:path';

/** A place output text goes. */
export interface CliOutput {
  write(chunk: string | Uint8Array): void;
  /** a terminal (progress bars, refusing binary output) */
  isTTY?: boolean;
}

/**
 * What a run may be given instead of the process's own streams. Anything left out is the
 * process's: stdout/stderr are fd 1/2, stdin is fd 0, cwd is process.cwd(), env process.env.
 */
export interface CliIo {
  stdout?: CliOutput;
  stderr?: CliOutput;
  /** the bytes of standard input (`-`, /dev/stdin) */
  stdin?: Uint8Array | string;
  /** the directory relative paths are resolved in */
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

interface Run {
  io: CliIo;
  exitCode: number;
}

let current: Run | null = null;

/** Run `fn` with `io` as the process around it; runs are not nested (callers serialize them). */
export async function withIo<T>(io: CliIo, fn: () => Promise<T>): Promise<{ value: T; exitCode: number }> {
  if (current) throw new Error('internal: a CLI run is already in progress in this process');
  const run: Run = { io, exitCode: 0 };
  current = run;
  try {
    const value = await fn();
    return { value, exitCode: run.exitCode };
  } finally {
    current = null;
  }
}

/** The injected streams of the run in progress (null: the process's own). */
export function injectedIo(): CliIo | null {
  return current?.io ?? null;
}

/** Set the run's exit status (a command that prints its result and still fails, e.g. a mismatch). */
export function setExitCode(code: number): void {
  if (current) current.exitCode = code;
  else process.exitCode = code;
}

/** The exit status a command set (0 when none did). */
export function exitCodeSet(): number {
  if (current) return current.exitCode;
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

/** The run's working directory. */
export function cwd(): string {
  return current?.io.cwd ?? process.cwd();
}

/** `p` resolved against the run's working directory (absolute paths are unchanged). */
export function resolvePath(...parts: string[]): string {
  return path.resolve(cwd(), ...parts);
}

/** An environment variable of the run. */
export function env(name: string): string | undefined {
  const e = current?.io.env;
  return e ? e[name] : process.env[name];
}

/** Write diagnostics (warnings, notes, the final `error:` line) to the run's stderr. */
export function writeStderr(text: string): void {
  const err = current?.io.stderr;
  if (err) err.write(text);
  else process.stderr.write(text);
}

/** Whether the run's stderr is a terminal. */
export function stderrIsTTY(): boolean {
  const err = current?.io.stderr;
  return err ? err.isTTY === true : process.stderr.isTTY === true;
}

/** Whether the run's stdout is a terminal. */
export function stdoutIsTTY(): boolean {
  const out = current?.io.stdout;
  return out ? out.isTTY === true : process.stdout.isTTY === true;
}

/** Text for stdout that is not a command's result (commander's help and version). */
export function writeHelpOut(text: string): void {
  const out = current?.io.stdout;
  if (out) out.write(text);
  else process.stdout.write(text);
}
