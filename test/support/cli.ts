/**
 * Running the CLI, and checking the shape of its failures:
 * - {@link runCliInProcess}: the program (src/cli/main.ts) called in this process with argv
 *   and captured streams — the fast tier (`npm test`), no build needed;
 * - {@link runCli} / {@link runCliAsync}: the built executable (dist/prelaunch.cjs) as a child
 *   process — the end-to-end tier (`npm run test:e2e`, files named *.e2e.test.ts), for exit
 *   codes, the launcher and its code cache, signals and real pipes.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import { run } from '../../src/cli/main.js';

export const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI_BUNDLE = path.join(PROJECT, 'dist/prelaunch.cjs');

export interface CliResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** in-process runs: the code of the PrelaunchError that ended the run */
  errorCode?: ErrorCode;
  /** in-process runs: commander's code for a usage error */
  usageCode?: string;
  /** in-process runs: stdout as bytes (binary outputs) */
  stdoutBytes?: Uint8Array;
}

export interface InProcessOptions {
  /** standard input (`-`, /dev/stdin); empty when not given */
  stdin?: string | Uint8Array;
  /** the working directory relative paths resolve in (default: the project root) */
  cwd?: string;
  /** environment variables the program sees (default: this process's) */
  env?: Record<string, string | undefined>;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Run the program in this process, as `prelaunch ARGV` would run: exit status, stdout and
 * stderr captured, plus the error code when it failed with a typed error. Runs are
 * serialized (the program's streams are per process).
 */
export function runCliInProcess(argv: string[], o: InProcessOptions = {}): Promise<CliResult> {
  const next = queue.then(async (): Promise<CliResult> => {
    const out: Uint8Array[] = [];
    const err: string[] = [];
    const dec = new TextDecoder();
    const bytes = (c: string | Uint8Array): Uint8Array => (typeof c === 'string' ? Buffer.from(c, 'utf8') : Uint8Array.from(c));
    const outcome = await run(argv, {
      stdout: { write: (c) => void out.push(bytes(c)) },
      stderr: { write: (c) => void err.push(typeof c === 'string' ? c : dec.decode(c)) },
      stdin: o.stdin ?? '',
      cwd: o.cwd ?? PROJECT,
      env: o.env ?? process.env,
    });
    const stdoutBytes = Buffer.concat(out);
    return {
      code: outcome.code,
      signal: null,
      stdout: stdoutBytes.toString('utf8'),
      stderr: err.join(''),
      stdoutBytes,
      ...(outcome.errorCode ? { errorCode: outcome.errorCode } : {}),
      ...(outcome.usageCode ? { usageCode: outcome.usageCode } : {}),
    };
  });
  queue = next.catch(() => undefined);
  return next;
}

export function runCli(args: string[], cwd: string = PROJECT, timeoutMs = 60_000): CliResult {
  if (!fs.existsSync(CLI_BUNDLE)) throw new Error(`${CLI_BUNDLE} is missing: run \`npm run build\` (npm run test:e2e does it first)`);
  const r = spawnSync(process.execPath, [CLI_BUNDLE, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function runCliAsync(args: string[], cwd: string = PROJECT, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BUNDLE, ...args], { cwd, timeout: timeoutMs });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? -1, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

/** Run `jobs` with at most `limit` in flight; results in input order. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\)|\(<anonymous>\))$/m;

/**
 * A clean failure: non-zero exit (not a signal), nothing on stdout, stderr exactly one line
 * starting with "error: ", no JavaScript stack trace.
 */
export function expectCleanError(r: CliResult, exitCode?: number, errorCode?: ErrorCode): string {
  expect(r.signal, 'killed by a signal').toBeNull();
  expect(r.code, `exit code (stderr: ${r.stderr.trim()})`).not.toBe(0);
  if (exitCode !== undefined) expect(r.code, `exit code (stderr: ${r.stderr.trim()})`).toBe(exitCode);
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.stderr).not.toMatch(/internal error/);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, `stderr: ${r.stderr}`).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: \S/);
  expect(r.stdout).toBe('');
  if (errorCode !== undefined) expect(r.errorCode, `error code (stderr: ${r.stderr.trim()})`).toBe(errorCode);
  return lines[0]!;
}

export function expectOk(r: CliResult): string {
  expect(r.signal).toBeNull();
  expect(r.stderr, 'stderr').toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}
