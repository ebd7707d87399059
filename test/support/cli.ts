/**
 * Running the built CLI bundle (dist/prelaunch.cjs, built by `npm test`'s pretest step) as a
 * child process, and checking the shape of its failures.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI_BUNDLE = path.join(PROJECT, 'dist/prelaunch.cjs');

export interface CliResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], cwd: string = PROJECT, timeoutMs = 60_000): CliResult {
  if (!fs.existsSync(CLI_BUNDLE)) throw new Error(`${CLI_BUNDLE} is missing: run \`npm run build\` (npm test does it first)`);
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
export function expectCleanError(r: CliResult, exitCode?: number): string {
  expect(r.signal, 'killed by a signal').toBeNull();
  expect(r.code, `exit code (stderr: ${r.stderr.trim()})`).not.toBe(0);
  if (exitCode !== undefined) expect(r.code, `exit code (stderr: ${r.stderr.trim()})`).toBe(exitCode);
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.stderr).not.toMatch(/internal error/);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, `stderr: ${r.stderr}`).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: \S/);
  expect(r.stdout).toBe('');
  return lines[0]!;
}

export function expectOk(r: CliResult): string {
  expect(r.signal).toBeNull();
  expect(r.stderr, 'stderr').toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}
