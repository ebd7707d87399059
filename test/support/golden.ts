import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/prelaunch.cjs');
export const OVMF = path.join(ROOT, 'firmware-samples/debian/OVMF.fd');
export const AMDSEV = path.join(ROOT, 'firmware-samples/synthetic/amdsev.fd');

export function cli(args: string[], cwd = ROOT): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** One `error:` line, no stack trace. */
export function cleanError(stderr: string): boolean {
  const lines = stderr.trim().split('\n');
  return lines.length === 1 && lines[0]!.startsWith('error: ') && !/\n\s+at .+:\d+:\d+/.test(stderr);
}
