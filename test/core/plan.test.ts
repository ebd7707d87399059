/**
 * Measurement plans: which pages are measured, as what, in which order — for QEMU, EC2
 * (CPUID pages last) and GCE (SNP_SEC_MEM unmeasured) — and the VMSA pages in them.
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/bytes/source.js';
import { toHex } from '../../src/bytes/hex.js';
import { FirmwareError, OptionError } from '../../src/errors.js';
import { VMSA_GPA } from '../../src/formats/snp/page-info.js';
import { decodeVmsa } from '../../src/formats/snp/vmsa.js';
import { vcpuTypeSig } from '../../src/formats/snp/vcpu-types.js';
import { measure, planMeasurement, type MeasureOptions } from '../../src/measure/api.js';
import { SNP_PAGE_TYPE_NAMES, type SevPlan, type SnpPlan } from '../../src/plan/ops.js';

const sample = (rel: string) => bytesSource(new Uint8Array(fs.readFileSync(fileURLToPath(new URL(`../../firmware-samples/${rel}`, import.meta.url)))), rel);
const OVMF = sample('debian/OVMF.fd');
const MILAN = vcpuTypeSig('EPYC-Milan');

/** Runs of consecutive ops with the same label and type at consecutive GPAs, one line each. */
function render(plan: SnpPlan): string {
  const out: string[] = [];
  let run: { label: string; type: string; gpa: number; n: number; next: number } | null = null;
  const flush = (): void => {
    if (run) out.push(`${run.label.padEnd(17)} ${run.type.padEnd(10)} 0x${run.gpa.toString(16)}${run.n > 1 ? ` ×${run.n}` : ''}`);
  };
  for (const op of plan.ops) {
    const type = SNP_PAGE_TYPE_NAMES[op.type];
    if (run && run.label === op.label && run.type === type && op.gpa === run.next && !op.label.startsWith('VMSA')) {
      run.n++;
      run.next += 4096;
      continue;
    }
    flush();
    run = { label: op.label, type, gpa: op.gpa, n: 1, next: op.gpa + 4096 };
  }
  flush();
  return out.join('\n');
}

const snpPlan = (o: Omit<MeasureOptions, 'mode'>): SnpPlan => planMeasurement({ mode: 'snp', ...o }).plan as SnpPlan;

describe('SNP plans for debian/OVMF.fd', () => {
  it('QEMU: firmware pages, then the metadata sections in file order, then one VMSA per vCPU', () => {
    const plan = snpPlan({ ovmf: OVMF, vcpus: 2, vcpuSig: MILAN });
    expect(plan.initialDigest).toBeNull();
    expect(plan.ops).toHaveLength(512 + 9 + 3 + 1 + 1 + 17 + 2);
    expect(render(plan)).toBe(
      [
        'firmware          NORMAL     0xffe00000 ×512',
        'SNP_SEC_MEM       ZERO       0x800000 ×9',
        'SNP_SEC_MEM       ZERO       0x80a000 ×3',
        'SNP_SECRETS       SECRETS    0x80d000',
        'CPUID             CPUID      0x80e000',
        'SNP_SEC_MEM       ZERO       0x80f000 ×17',
        'VMSA vCPU 0       VMSA       0xfffffffff000',
        'VMSA vCPU 1       VMSA       0xfffffffff000',
      ].join('\n'),
    );
    // firmware pages stream from the source in order
    expect(plan.ops.slice(0, 512).every((op, i) => op.content?.kind === 'source' && op.content.offset === i * 4096)).toBe(true);
  });

  it('gce: SNP_SEC_MEM pages are UNMEASURED, not ZERO', () => {
    const plan = snpPlan({ ovmf: OVMF, vcpus: 1, vmm: 'gce' });
    expect(render(plan)).toBe(
      [
        'firmware          NORMAL     0xffe00000 ×512',
        'SNP_SEC_MEM       UNMEASURED 0x800000 ×9',
        'SNP_SEC_MEM       UNMEASURED 0x80a000 ×3',
        'SNP_SECRETS       SECRETS    0x80d000',
        'CPUID             CPUID      0x80e000',
        'SNP_SEC_MEM       UNMEASURED 0x80f000 ×17',
        'VMSA vCPU 0       VMSA       0xfffffffff000',
      ].join('\n'),
    );
  });

  it('ec2: the CPUID page moves after every other section', () => {
    const labels = snpPlan({ ovmf: OVMF, vcpus: 1, vmm: 'ec2' }).ops.slice(512).map((op) => op.label);
    expect([...new Set(labels)]).toEqual(['SNP_SEC_MEM', 'SNP_SECRETS', 'CPUID', 'VMSA vCPU 0']);
    expect(labels.indexOf('CPUID')).toBe(labels.length - 2);
  });

  it('identical AP VMSAs are one shared page; the BSP differs', () => {
    const plan = snpPlan({ ovmf: OVMF, vcpus: 4, vcpuSig: MILAN });
    const vmsas = plan.ops.filter((op) => op.gpa === VMSA_GPA).map((op) => (op.content as { bytes: Uint8Array }).bytes);
    expect(vmsas).toHaveLength(4);
    expect(vmsas[1]).toBe(vmsas[2]);
    expect(vmsas[1]).toBe(vmsas[3]);
    expect(vmsas[0]).not.toEqual(vmsas[1]);
  });
});

// The 16 KiB synthetic images are not whole firmware QEMU could load (src/plan/launchability.ts):
// the plans below place them as given ('raw'), as the reference tool does.
describe('SNP plans for synthetic firmware', () => {
  it('ec2_order.fd: both CPUID sections go last, in their file order', () => {
    const q = snpPlan({ ovmf: sample('synthetic/ec2_order.fd'), vcpus: 1, vcpuSig: MILAN, firmwareLoader: 'raw' });
    const e = snpPlan({ ovmf: sample('synthetic/ec2_order.fd'), vcpus: 1, vmm: 'ec2' });
    const meta = (p: SnpPlan) => p.ops.filter((op) => op.label !== 'firmware' && !op.label.startsWith('VMSA')).map((op) => `${op.label}@${op.gpa.toString(16)}`);
    expect(meta(q)).toEqual(['CPUID@80e000', 'SNP_SEC_MEM@800000', 'SNP_SEC_MEM@801000', 'SNP_SEC_MEM@802000', 'SNP_SECRETS@80d000', 'CPUID@820000', 'SVSM_CAA@80f000', 'SNP_KERNEL_HASHES@810000', 'SNP_SEC_MEM@811000', 'SNP_SEC_MEM@812000']);
    expect(meta(e)).toEqual(['SNP_SEC_MEM@800000', 'SNP_SEC_MEM@801000', 'SNP_SEC_MEM@802000', 'SNP_SECRETS@80d000', 'SVSM_CAA@80f000', 'SNP_KERNEL_HASHES@810000', 'SNP_SEC_MEM@811000', 'SNP_SEC_MEM@812000', 'CPUID@80e000', 'CPUID@820000']);
  });

  it('amdsev.fd with a kernel: the kernel-hashes section becomes one NORMAL page holding the table at the hash-table offset', () => {
    const { plan, kernelHashes } = planMeasurement({ mode: 'snp', ovmf: sample('synthetic/amdsev.fd'), vcpus: 1, vcpuSig: MILAN, directBoot: { kernel: new Uint8Array(10), append: 'x' } });
    const kh = (plan as SnpPlan).ops.filter((op) => op.label === 'SNP_KERNEL_HASHES');
    expect(kh).toHaveLength(1);
    expect(SNP_PAGE_TYPE_NAMES[kh[0]!.type]).toBe('NORMAL');
    const page = (kh[0]!.content as { bytes: Uint8Array }).bytes;
    expect(page).toHaveLength(4096);
    expect(page.subarray(0, 0xc00).every((b) => b === 0)).toBe(true); // hash table GPA 0x810c00 → offset 0xc00
    expect(Buffer.from(page.subarray(0xc00 + 0x76 + 18, 0xc00 + 0x76 + 50))).toEqual(Buffer.from(kernelHashes!.kernel));
    // without a kernel the same section is a ZERO page
    const plain = snpPlan({ ovmf: sample('synthetic/amdsev.fd'), vcpus: 1, vcpuSig: MILAN });
    expect(plain.ops.filter((op) => op.label === 'SNP_KERNEL_HASHES').map((op) => SNP_PAGE_TYPE_NAMES[op.type])).toEqual(['ZERO']);
  });

  it('secmem_big.fd: a 2 MiB SNP_SEC_MEM range is 512 ZERO pages', () => {
    const plan = snpPlan({ ovmf: sample('synthetic/secmem_big.fd'), vcpus: 1, vcpuSig: MILAN, firmwareLoader: 'raw' });
    expect(plan.ops.filter((op) => op.gpa >= 0x1000000 && op.gpa < 0x1200000 && op.label === 'SNP_SEC_MEM')).toHaveLength(512);
  });

  it('snp:svsm: OVMF, then the SVSM image below the vars store, then the SVSM metadata, then VMSAs entering the SVSM', () => {
    const { plan } = planMeasurement({ mode: 'snp:svsm', ovmf: sample('synthetic/amdsev.fd'), svsm: sample('synthetic/svsm.bin'), varsSize: 0x84000, vcpus: 2, vcpuSig: MILAN });
    const p = plan as SnpPlan;
    const svsmGpa = 0x1_0000_0000 - 0x10000 - 0x84000 - 0x10000;
    expect(render(p).split('\n')[0]).toBe('firmware          NORMAL     0xffff0000 ×16');
    expect(render(p).split('\n')[1]).toBe(`SVSM              NORMAL     0x${svsmGpa.toString(16)} ×16`);
    const vmsa = decodeVmsa((p.ops.at(-1)!.content as { bytes: Uint8Array }).bytes);
    expect(Number(vmsa.rip)).toBe(svsmGpa + 0x40);
    expect(p.ops.slice(-2).map((op) => op.label)).toEqual(['VMSA vCPU 0', 'VMSA vCPU 1']);
    expect((p.ops.at(-2)!.content as { bytes: Uint8Array }).bytes).toBe((p.ops.at(-1)!.content as { bytes: Uint8Array }).bytes); // every vCPU enters the SVSM the same way
  });
});

describe('SEV and SEV-ES plans', () => {
  it('SEV: the whole firmware as one piece; SEV-ES adds one VMSA per vCPU', () => {
    const sev = planMeasurement({ mode: 'sev', ovmf: OVMF }).plan as SevPlan;
    expect(sev.pieces.map((p) => p.label)).toEqual(['firmware']);
    expect(sev.pieces[0]!.content).toMatchObject({ kind: 'range', offset: 0, length: 0x200000 });
    const es = planMeasurement({ mode: 'seves', ovmf: OVMF, vcpus: 3, vcpuSig: MILAN }).plan as SevPlan;
    expect(es.pieces.map((p) => p.label)).toEqual(['firmware', 'VMSA vCPU 0', 'VMSA vCPU 1', 'VMSA vCPU 2']);
  });
  it('SEV with a kernel on amdsev.fd: firmware then the 176-byte hashes table', () => {
    const sev = planMeasurement({ mode: 'sev', ovmf: sample('synthetic/amdsev.fd'), directBoot: { kernel: new Uint8Array(1) } }).plan as SevPlan;
    expect(sev.pieces.map((p) => p.label)).toEqual(['firmware', 'kernel hashes table']);
    expect((sev.pieces[1]!.content as { bytes: Uint8Array }).bytes).toHaveLength(176);
  });
  it('SEV-ES VMSAs carry the guest features KVM can set (DebugSwap), and the digest changes with them', () => {
    const plain = measure({ mode: 'seves', ovmf: OVMF, vcpus: 2, vcpuSig: MILAN });
    const swap = measure({ mode: 'seves', ovmf: OVMF, vcpus: 2, vcpuSig: MILAN, guestFeatures: 0x20n });
    expect(plain.vmsas.map((p) => decodeVmsa(p).sevFeatures)).toEqual([0n, 0n]);
    expect(swap.vmsas.map((p) => decodeVmsa(p).sevFeatures)).toEqual([0x20n, 0x20n]);
    expect(toHex(swap.digest)).not.toBe(toHex(plain.digest));
    // SEV_FEATURES at VMSA offset 0x3B0 is the only difference (AMD APM vol. 2, VMSA layout)
    const diff = [...swap.vmsas[0]!].flatMap((b, i) => (b !== plain.vmsas[0]![i] ? [i] : []));
    expect(diff).toEqual([0x3b0]);
  });
  it.each([0x1n, 0x21n, 0x4n, 0x200n, 1n << 63n])('SEV-ES refuses SEV_FEATURES 0x%s (not an SEV-ES VMSA value)', (gf) => {
    expect(() => measure({ mode: 'seves', ovmf: OVMF, vcpus: 1, vcpuSig: MILAN, guestFeatures: gf })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: '--guest-features' }));
  });
  it('inputs a mode would drop are refused: features and profiles for sev, SVSM inputs elsewhere, direct boot and other features for snp:svsm', () => {
    const bad: Array<[Parameters<typeof measure>[0], string]> = [
      [{ mode: 'sev', ovmf: OVMF, guestFeatures: 0n }, '--guest-features'],
      [{ mode: 'sev', ovmf: OVMF, vmsaProfile: 'kvm-legacy' }, '--vmsa-profile'],
      [{ mode: 'snp', ovmf: OVMF, vcpus: 1, vcpuSig: MILAN, varsSize: 0x1000 }, '--vars-size'],
      [{ mode: 'seves', ovmf: OVMF, vcpus: 1, vcpuSig: MILAN, svsm: OVMF }, '--svsm'],
      [{ mode: 'snp:svsm', ovmf: OVMF, vcpus: 1, vcpuSig: MILAN, svsm: OVMF, varsSize: 0x1000, guestFeatures: 0x21n }, '--guest-features'],
      [{ mode: 'snp:svsm', ovmf: OVMF, vcpus: 1, vcpuSig: MILAN, svsm: OVMF, varsSize: 0x1000, directBoot: { kernel: new Uint8Array(0) } }, '--kernel'],
    ];
    for (const [o, option] of bad) expect(() => measure(o), option).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option }));
  });
});

describe('VMSA pages', () => {
  it('QEMU BSP and AP on OVMF.fd: reset vector, AP reset EIP, CPUID signature in rdx, SEV_FEATURES', () => {
    const m = measure({ mode: 'snp', ovmf: OVMF, vcpus: 2, vcpuSig: MILAN, guestFeatures: 0x21n });
    const [bsp, ap] = m.vmsas.map(decodeVmsa);
    expect(bsp!.cs.base).toBe(0xffff0000n);
    expect(bsp!.rip).toBe(0xfff0n);
    expect(ap!.cs.base).toBe(0x800000n);
    expect(ap!.rip).toBe(0xb004n);
    expect(bsp!.rdx).toBe(BigInt(MILAN));
    expect(MILAN).toBe(0xa00f11);
    expect(bsp!.sevFeatures).toBe(0x21n);
    expect(bsp!.mxcsr).toBe(0x1f80);
  });
  it('eip.fd: AP CS base 0x12340000, IP 0xabcd', () => {
    const m = measure({ mode: 'snp', ovmf: sample('synthetic/eip.fd'), vcpus: 2, vcpuSig: MILAN, firmwareLoader: 'raw' });
    const ap = decodeVmsa(m.vmsas[1]!);
    expect([ap.cs.base, ap.rip]).toEqual([0x12340000n, 0xabcdn]);
  });
  it('ec2 and gce put 0x600 in rdx whatever the signature', () => {
    for (const vmm of ['ec2', 'gce'] as const) {
      expect(decodeVmsa(measure({ mode: 'snp', ovmf: OVMF, vcpus: 1, vmm, vcpuSig: MILAN }).vmsas[0]!).rdx).toBe(0x600n);
    }
  });
});

describe('plan-time rejections', () => {
  it.each([
    [{ vcpus: 0 }, OptionError, /--vcpus/],
    [{ vcpus: 1.5 }, OptionError, /--vcpus/],
    [{ vcpus: 1, guestFeatures: 1n << 64n }, OptionError, /--guest-features/],
    [{ vcpus: 1, guestFeatures: -1n }, OptionError, /--guest-features/],
    [{ vcpus: 1, ovmfHash: new Uint8Array(32) }, OptionError, /--snp-ovmf-hash/],
    [{ vcpus: 1, directBoot: { kernel: new Uint8Array(1) } }, FirmwareError, /SNP_KERNEL_HASHES/],
  ] as const)('%o', (extra, cls, msg) => {
    expect(() => planMeasurement({ mode: 'snp', ovmf: OVMF, vcpuSig: MILAN, ...extra } as MeasureOptions)).toThrow(cls);
    expect(() => planMeasurement({ mode: 'snp', ovmf: OVMF, vcpuSig: MILAN, ...extra } as MeasureOptions)).toThrow(msg);
  });
  it('an absurd vCPU count is refused up front (not planned until memory runs out)', () => {
    for (const mode of ['snp', 'seves'] as const) {
      expect(() => planMeasurement({ mode, ovmf: OVMF, vcpuSig: MILAN, vcpus: 1e9 })).toThrow(OptionError);
      expect(() => planMeasurement({ mode, ovmf: OVMF, vcpuSig: MILAN, vcpus: 0x10000 })).toThrow(/--vcpus/);
    }
    expect(() => planMeasurement({ mode: 'snp:svsm', ovmf: sample('synthetic/amdsev.fd'), svsm: sample('synthetic/svsm.bin'), varsSize: 0x84000, vcpus: 1e9, vcpuSig: MILAN })).toThrow(OptionError);
    expect((planMeasurement({ mode: 'snp', ovmf: OVMF, vcpuSig: MILAN, vcpus: 0xffff }).plan as SnpPlan).ops).toHaveLength(512 + 31 + 0xffff);
  });
  it('QEMU needs a vCPU signature; the clouds do not', () => {
    expect(() => planMeasurement({ mode: 'snp', ovmf: OVMF, vcpus: 1 })).toThrow(/--vcpu-sig/);
    expect(() => planMeasurement({ mode: 'snp', ovmf: OVMF, vcpus: 1, vmm: 'gce' })).not.toThrow();
  });
  it('an unknown mode is an OptionError', () => {
    expect(() => planMeasurement({ mode: 'tdx' as never, ovmf: OVMF })).toThrow(OptionError);
  });
});
