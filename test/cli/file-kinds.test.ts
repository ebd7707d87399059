/**
 * Issue 12 item 11: a file given to the wrong command (an IGVM file to `measure`, an OVMF image
 * to `igvm measure`, a TDX quote to `golden --check`, …) is one `error:` line saying what the
 * file is and which command takes it. Kinds are recognised by their signatures
 * (src/formats/file-kind.ts); the real samples in ../shared are used when present.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/bytes/source.js';
import { sniffFileKind, type FileKind } from '../../src/formats/file-kind.js';
import { expectCleanError, PROJECT, runCliInProcess } from '../support/cli.js';
import { SAMPLE_DOC } from '../support/samples.js';

const FS = path.join(PROJECT, 'firmware-samples');
const OVMF = path.join(FS, 'debian/OVMF.fd');
const IGVM = path.join(FS, 'igvm/builder/qemu-snp-bldr.igvm');
const TDVF = path.join(FS, 'tdx/synthetic-plain.bin');
const SHARED = path.join(PROJECT, '../shared/oracles');
const dir = mkdtempSync(path.join(tmpdir(), 'prelaunch-kinds-'));
/** a TDX quote v4 header (Intel TDX DCAP: version 4, ECDSA-P256 key, TEE type 0x81) and a body */
const QUOTE = path.join(dir, 'quote.bin');
writeFileSync(QUOTE, Buffer.concat([Buffer.from([4, 0, 2, 0, 0x81, 0, 0, 0]), Buffer.alloc(5000)]));
const DOC = path.join(dir, 'doc.json');
writeFileSync(DOC, JSON.stringify(SAMPLE_DOC));
const kind = (f: string): FileKind | null => sniffFileKind(bytesSource(readFileSync(f), f));

describe('file kinds by signature', () => {
  it('the bundled samples', async () => {
    expect(kind(OVMF)).toBe('ovmf');
    expect(kind(TDVF)).toBe('ovmf');
    expect(kind(IGVM)).toBe('igvm');
    expect(kind(path.join(FS, 'igvm-inputs/kernel.elf'))).toBe('elf');
    expect(kind(QUOTE)).toBe('tdx-quote');
    expect(kind(path.join(FS, 'igvm-inputs/bldr.bin'))).toBeNull();
  });
  it.skipIf(!existsSync(SHARED))('real SNP reports, TDX quotes (v4, v5) and a CCEL from ../shared', async () => {
    const sub = (d: string, f: string): string[] => readdirSync(path.join(SHARED, d)).map((x) => path.join(SHARED, d, x, f)).filter(existsSync);
    const reports = sub('verify/snp', 'report.bin');
    const quotes = sub('verify/tdx', 'quote.bin');
    expect(reports.length).toBeGreaterThan(5);
    expect(quotes.length).toBeGreaterThan(5);
    for (const r of reports) expect(kind(r), r).toBe('snp-report');
    for (const q of quotes) expect(kind(q), q).toBe('tdx-quote');
    expect(kind(path.join(SHARED, 'tdx/samples/dstack-ccel.bin'))).toBe('event-log');
  });
});

describe('the wrong kind of file: what it is and which command takes it (exit 1)', () => {
  it.each([
    [['measure', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC', '--ovmf', IGVM], /--ovmf: \S+ is an IGVM file, not an OVMF image: measure it with `prelaunch igvm measure \S+qemu-snp-bldr\.igvm`/],
    [['igvm', 'measure', OVMF], /igvm measure: \S+ is an OVMF\/UEFI firmware image, not an IGVM file: measure it with `prelaunch measure --ovmf \S+OVMF\.fd`/],
    [['igvm', 'inspect', OVMF], /igvm inspect: \S+ is an OVMF\/UEFI firmware image, not an IGVM file/],
    [['ovmf', 'inspect', IGVM], /ovmf inspect: \S+ is an IGVM file, not an OVMF image: measure it with `prelaunch igvm measure/],
    [['tdx', '--firmware', IGVM], /--firmware: \S+ is an IGVM file, not a TDVF\/OVMF image: .*--platform tdx/],
    [['golden', '--check', QUOTE, DOC], /--check: \S+quote\.bin is an Intel TDX quote, not an SEV-SNP attestation report: .*`prelaunch verify \S+quote\.bin/],
    [['tdx', 'replay', OVMF], /tdx replay: \S+ is an OVMF\/UEFI firmware image, not a TCG event log/],
    [['tdx', 'replay', QUOTE], /tdx replay: \S+ is an Intel TDX quote, not a TCG event log/],
  ])('%j', async (args, re) => {
    expect(expectCleanError(await runCliInProcess(args as string[]), 1, 'ERR_MALFORMED')).toMatch(re);
  });
});
