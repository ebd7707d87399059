/**
 * `buildIgvm` (src/igvm-build/) against COCONUT igvmbuilder's outputs: every builder sample
 * committed in firmware-samples/igvm/builder/ is rebuilt from the committed stand-in inputs
 * (firmware-samples/igvm-inputs/) and must be byte-identical; the OVMF build is checked
 * against the sha256 the corpus recorded for igvmbuilder's file. Then the ELF loader's and
 * the builder's rules, each with its error.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/bytes/source.js';
import { directiveList } from '../../src/formats/igvm/directives.js';
import { serializeIgvm } from '../../src/formats/igvm/serialize.js';
import { buildIgvm, type IgvmBuildOptions } from '../../src/igvm-build/builder.js';
import { parseKernelElf } from '../../src/igvm-build/elf.js';
import { PrelaunchError } from '../../src/errors.js';
import { PROJECT } from '../support/cli.js';

const IN = path.join(PROJECT, 'firmware-samples/igvm-inputs');
const BUILDER = path.join(PROJECT, 'firmware-samples/igvm/builder');
const OVMF = path.join(PROJECT, 'firmware-samples/debian/OVMF.fd');
const kernel = new Uint8Array(fs.readFileSync(path.join(IN, 'kernel.elf')));
const bldr = new Uint8Array(fs.readFileSync(path.join(IN, 'bldr.bin')));
const stage1 = new Uint8Array(fs.readFileSync(path.join(IN, 'stage1.bin')));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const build = (o: Omit<IgvmBuildOptions, 'kernel'> & { kernel?: Uint8Array }): Uint8Array => serializeIgvm(buildIgvm({ kernel, ...o }).file);

// the producer commands recorded in ../shared/oracles/igvm/corpus.jsonl
const CASES: Array<[string, Omit<IgvmBuildOptions, 'kernel'>]> = [
  ['qemu-snp-bldr.igvm', { hypervisor: 'qemu', sort: true, policy: 0x30000n, snp: true, bldr }],
  ['qemu-snp-bldr-unsorted.igvm', { hypervisor: 'qemu', policy: 0x30000n, snp: true, bldr }],
  ['qemu-snp-tdp-native.igvm', { hypervisor: 'qemu', sort: true, policy: 0x30000n, snp: true, tdp: true, native: true, tdxStage1: stage1, bldr }],
  ['vanadium-snp-tdp.igvm', { hypervisor: 'vanadium', sort: true, policy: 0x30000n, snp: true, tdp: true, tdxStage1: stage1, bldr }],
  ['hv-snp-nofw.igvm', { hypervisor: 'hyper-v', sort: true, policy: 0x30000n, snp: true }],
  ['hv-snp-tdp-vsm.igvm', { hypervisor: 'hyper-v', sort: true, policy: 0x30000n, snp: true, tdp: true, vsm: true, tdxStage1: stage1, bldr, comport: 3 }],
];

describe('igvm build: byte-identical to igvmbuilder', () => {
  for (const [file, o] of CASES) {
    it(file, () => {
      const want = new Uint8Array(fs.readFileSync(path.join(BUILDER, file)));
      const got = build(o);
      expect(got.length).toBe(want.length);
      expect(sha256(got)).toBe(sha256(want));
    });
  }
  it('qemu-snp-native-ovmf.igvm (Debian OVMF embedded): the sha256 igvmbuilder gave', async () => {
    const got = build({ hypervisor: 'qemu', sort: true, policy: 0x30000n, snp: true, native: true, bldr, firmware: bytesSource(new Uint8Array(fs.readFileSync(OVMF)), 'OVMF.fd') });
    expect(got.length).toBe(1672632);
    expect(sha256(got)).toBe('0f30ab5638ffb283c42558a3c3d50cc2a2e23913f53bdcb302e7c7e690e8599c');
  });
  it('is deterministic', async () => {
    expect(sha256(build(CASES[0]![1]))).toBe(sha256(build(CASES[0]![1])));
  });
  it('reports the layout', async () => {
    const r = buildIgvm({ kernel, ...CASES[0]![1] });
    expect(r.layout.kernel.base).toBe(0x800_0000);
    expect(r.layout.bootParams).toBe(0x800_f000);
    expect(r.layout.vmsa).toBe(0xffff_ffff_f000);
    expect(r.layout.bldr?.pageTables).toBe(0x17000);
    expect(r.layout.startRip).toBe(0x10002n);
  });
  it('--sev-features and --no-vtom change only the VMSA', async () => {
    const a = buildIgvm({ kernel, ...CASES[4]![1], sevFeatures: ['reflect-vc', 'smt-protection'], noVtom: true });
    const vmsa = a.file.directives.records.find((d) => d.kind === 'vp-context' && d.compatibilityMask === 1);
    expect(vmsa?.kind).toBe('vp-context');
    const page = (vmsa as { data: { bytes: Uint8Array } }).data.bytes;
    const v = new DataView(page.buffer, page.byteOffset);
    expect(v.getBigUint64(0x3b0, true)).toBe(0x1n | 0x4n | 0x8n | 0x20n | 0x8000n); // no vTOM bit
    expect(v.getBigUint64(0x3c8, true)).toBe(0n);
  });
});

function expectBuildError(fn: () => unknown, re: RegExp): void {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(PrelaunchError);
  expect((err as Error).message).toMatch(re);
}

/** A minimal ELF64 x86-64 ET_EXEC with the given PT_LOAD segments (offset, vaddr, filesz, memsz). */
function makeElf(segs: Array<{ vaddr: bigint; filesz: number; memsz: number; flags?: number }>, o: { machine?: number; cls?: number; type?: number } = {}): Uint8Array {
  const phoff = 64;
  const dataAt = 0x1000;
  const total = dataAt + segs.length * 0x1000;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, o.cls ?? 2, 1, 1, 0]);
  v.setUint16(16, o.type ?? 2, true);
  v.setUint16(18, o.machine ?? 62, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(24, segs[0]?.vaddr ?? 0n, true);
  v.setBigUint64(32, BigInt(phoff), true);
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, segs.length, true);
  v.setUint16(58, 64, true);
  segs.forEach((s, i) => {
    const at = phoff + i * 56;
    v.setUint32(at, 1, true);
    v.setUint32(at + 4, s.flags ?? 6, true);
    v.setBigUint64(at + 8, BigInt(dataAt + i * 0x1000), true);
    v.setBigUint64(at + 16, s.vaddr, true);
    v.setBigUint64(at + 24, s.vaddr, true);
    v.setBigUint64(at + 32, BigInt(s.filesz), true);
    v.setBigUint64(at + 40, BigInt(s.memsz), true);
    v.setBigUint64(at + 48, 0x1000n, true);
    b.fill(0xaa, dataAt + i * 0x1000, dataAt + i * 0x1000 + s.filesz);
  });
  return b;
}

describe('igvm build: ELF loading', () => {
  const BASE = 0xffff_ff80_0000_0000n;
  it('parses the stand-in kernel', async () => {
    const e = parseKernelElf(kernel);
    expect(e.entry).toBe(BASE);
    expect(e.segments.map((s) => [s.vaddr, s.memsz])).toEqual([[BASE, 3n], [BASE + 0x1000n, 8n]]);
    expect(e.symbols?.symbols.length).toBe(2);
  });
  it('zero-fills memsz beyond filesz (pages without data)', async () => {
    const elf = makeElf([{ vaddr: BASE, filesz: 0x10, memsz: 0x3000, flags: 5 }]);
    const r = buildIgvm({ kernel: elf, hypervisor: 'qemu', snp: true, bldr });
    const kernelPages = directiveList(r.file.directives).filter((d) => d.kind === 'page-data' && d.gpa >= 0x800_0000 && d.gpa < 0x800_3000);
    expect(kernelPages.map((d) => (d as { data: unknown }).data === null)).toEqual([false, true, true]);
    // the next segment (the heap) starts after the 3 pages
    expect(r.layout.kernel.heapPages).toBeGreaterThan(0);
  });
  it('rejects a file that is not an ELF', async () => expectBuildError(() => parseKernelElf(bldr, 'bldr.bin'), /bldr\.bin: .*not an ELF file/));
  it('rejects a 32-bit ELF', async () => expectBuildError(() => parseKernelElf(makeElf([{ vaddr: BASE, filesz: 1, memsz: 1 }], { cls: 1 })), /ELFCLASS64/));
  it('rejects a non-x86-64 ELF', async () => expectBuildError(() => parseKernelElf(makeElf([{ vaddr: BASE, filesz: 1, memsz: 1 }], { machine: 183 })), /not EM_X86_64/));
  it('rejects a relocatable/dynamic ELF type', async () => expectBuildError(() => parseKernelElf(makeElf([{ vaddr: BASE, filesz: 1, memsz: 1 }], { type: 3 })), /not ET_EXEC/));
  it('rejects overlapping segments', async () => expectBuildError(() => parseKernelElf(makeElf([{ vaddr: BASE, filesz: 1, memsz: 0x2000 }, { vaddr: BASE + 0x1000n, filesz: 1, memsz: 1 }])), /overlaps segment/));
  it('rejects memsz < filesz', async () => expectBuildError(() => parseKernelElf(makeElf([{ vaddr: BASE, filesz: 0x20, memsz: 0x10 }])), /p_memsz .* smaller than p_filesz/));
  it('rejects a truncated file', async () => expectBuildError(() => parseKernelElf(kernel.subarray(0, 100)), /run past the end/));
  it('rejects a segment that is not page-aligned', async () => {
    const elf = makeElf([{ vaddr: BASE, filesz: 1, memsz: 1 }]);
    new DataView(elf.buffer).setBigUint64(64 + 48, 1n, true); // p_align 1 so the ELF check passes
    new DataView(elf.buffer).setBigUint64(64 + 16, BASE + 0x10n, true);
    expectBuildError(() => buildIgvm({ kernel: elf, hypervisor: 'qemu', snp: true, bldr }), /not 4K-aligned/);
  });
});

describe('igvm build: rules', () => {
  it('no platform', async () => expectBuildError(() => buildIgvm({ kernel, hypervisor: 'qemu' }), /No platform specified/));
  it('policy without --snp', async () => expectBuildError(() => buildIgvm({ kernel, hypervisor: 'qemu', tdp: true, tdxStage1: stage1, bldr, policy: 1n }), /Policy not supported/));
  it('--bldr required on QEMU SNP', async () => expectBuildError(() => buildIgvm({ kernel, hypervisor: 'qemu', snp: true }), /--bldr required/));
  it('TDP needs --tdx-stage1', async () => expectBuildError(() => buildIgvm({ kernel, hypervisor: 'qemu', tdp: true, bldr }), /TDP platform requires --tdx-stage1/));
  it('--tdx-stage1 needs TDP', async () => expectBuildError(() => buildIgvm({ kernel, hypervisor: 'qemu', snp: true, bldr, tdxStage1: stage1 }), /TDP platform must be specified/));
  it('a TDX stage 1 that is not 4096 bytes', async () => {
    expectBuildError(() => buildIgvm({ kernel, hypervisor: 'qemu', tdp: true, bldr, tdxStage1: stage1.subarray(0, 100) }), /tdx-stage1: .*4096/);
    expectBuildError(() => buildIgvm({ kernel, hypervisor: 'qemu', tdp: true, bldr, tdxStage1: new Uint8Array(8192) }), /tdx-stage1: .*4096/);
  });
  it('firmware too large for the space below 4 GiB', async () => {
    const big = { name: 'big.fd', size: 0x4000_1000, read: (_o: number, l: number) => new Uint8Array(l) };
    expectBuildError(() => buildIgvm({ kernel, hypervisor: 'qemu', snp: true, bldr, firmware: big }), /firmware: /);
  });
  it('firmware that is not OVMF', async () => {
    expectBuildError(() => buildIgvm({ kernel, hypervisor: 'qemu', snp: true, bldr, firmware: bytesSource(new Uint8Array(0x10000), 'zero.fd') }), /firmware: OVMF table footer not found/);
  });
  it('OVMF that only allows TDP', async () => {
    expectBuildError(() => buildIgvm({ kernel, hypervisor: 'qemu', tdp: true, tdxStage1: stage1, bldr, firmware: bytesSource(new Uint8Array(fs.readFileSync(OVMF))) }), /incompatible with the specified platform/);
  });
});
