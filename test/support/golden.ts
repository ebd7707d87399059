import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCliInProcess } from './cli.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OVMF = path.join(ROOT, 'firmware-samples/debian/OVMF.fd');
export const AMDSEV = path.join(ROOT, 'firmware-samples/synthetic/amdsev.fd');

/** The program run in-process (see support/cli.ts). */
export async function cli(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string; errorCode?: string }> {
  return runCliInProcess(args, { cwd });
}

/** One `error:` line, no stack trace. */
export function cleanError(stderr: string): boolean {
  const lines = stderr.trim().split('\n');
  return lines.length === 1 && lines[0]!.startsWith('error: ') && !/\n\s+at .+:\d+:\d+/.test(stderr);
}
