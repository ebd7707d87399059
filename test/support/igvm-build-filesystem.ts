/**
 * The igvm build --filesystem vectors (test/vectors/igvm-build-filesystem.json) and their
 * inputs: the filesystem images generated from each case's recipe, the committed files.
 * Used by test/igvm-build/filesystem.test.ts (in-process) and filesystem.e2e.test.ts (the
 * 32 MiB cases, as processes).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect } from 'vitest';
import { PROJECT } from './cli.js';

export interface Blob { name: string; kind: 'shake' | 'dedup'; size: number; sha256: string; pages?: number; tail?: number }
export interface Case {
  name: string; igvmbuilder: string[]; filesystem: Blob;
  output: { size: number; sha256: string }; igvmmeasure: string; igvmmeasureNativeZero: string;
}
export const VECTORS = JSON.parse(fs.readFileSync(path.join(PROJECT, 'test/vectors/igvm-build-filesystem.json'), 'utf8')) as { cases: Case[] };

export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-igvm-fs-'));
afterAll(async () => fs.rmSync(tmp, { recursive: true, force: true }));

const shake = (seed: string, n: number): Buffer => (n === 0 ? Buffer.alloc(0) : createHash('shake256', { outputLength: n }).update(seed, 'utf8').digest());
export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The filesystem image of a case, written once per recipe. */
export function blobFile(b: Blob): string {
  const file = path.join(tmp, `${b.name}.bin`);
  if (fs.existsSync(file)) return file;
  const seed = `prelaunch/fs/${b.name}`;
  let bytes: Buffer;
  if (b.kind === 'shake') bytes = shake(seed, b.size);
  else {
    const p = shake(seed, 16 * 4096);
    const parts: Buffer[] = [];
    for (let i = 0; i < b.pages!; i++) parts.push(i % 5 === 2 ? Buffer.alloc(4096) : p.subarray(((7 * i) % 16) * 4096, ((7 * i) % 16 + 1) * 4096));
    parts.push(Buffer.alloc(b.tail!));
    bytes = Buffer.concat(parts);
  }
  expect(bytes.length).toBe(b.size);
  expect(sha256(bytes), `recipe of ${b.name}`).toBe(b.sha256);
  fs.writeFileSync(file, bytes);
  return file;
}

export const INPUTS: Record<string, string> = {
  '{bldr.bin}': path.join(PROJECT, 'firmware-samples/igvm-inputs/bldr.bin'),
  '{kernel.elf}': path.join(PROJECT, 'firmware-samples/igvm-inputs/kernel.elf'),
  '{stage1.bin}': path.join(PROJECT, 'firmware-samples/igvm-inputs/stage1.bin'),
  '{OVMF.fd}': path.join(PROJECT, 'firmware-samples/debian/OVMF.fd'),
};


/** Filesystem images above this size are built in the end-to-end tier (the executable is ~2x faster there). */
export const LARGE_FILESYSTEM = 8 << 20;

/** igvmbuilder's arguments of case `c`, writing `out`. */
export function caseArgs(c: Case, out: string): string[] {
  return c.igvmbuilder.map((a) => (a === '{filesystem}' ? blobFile(c.filesystem) : a === 'OUT' ? out : INPUTS[a] ?? a));
}
