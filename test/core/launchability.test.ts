import { createHash } from 'node:crypto';
/**
 * Firmware the host stack cannot launch gets no digest (src/plan/launchability.ts), from the
 * library as from the CLI and `ovmf inspect`; unknown SEV metadata section types are measured
 * as QEMU measures them; section sizes from the file are bounded before anything is planned.
 *
 * The expected behaviour is QEMU's and KVM's (../shared/spec/host-stacks.md H8, H9):
 * - QEMU target/i386/sev.c `sev_snp_launch_update`: a zero-length update stops QEMU;
 *   `snp_metadata_desc_to_page_type`: an unknown section type is a ZERO page range, which is
 *   exactly what an SNP_SEC_MEM section at the same place gives (SEC_MEM → ZERO);
 *   `sev_snp_launch_finish`: no SEV metadata stops QEMU.
 * - hw/i386/x86-common.c `x86_bios_rom_init`: `-bios` needs a non-zero multiple of 64 KiB; SNP
 *   cannot use pflash; hw/i386/pc_sysfw.c `pc_system_flash_map`: pflash needs a multiple of 4 KiB.
 * - KVM: a private page is populated once; SNP_LAUNCH_UPDATE lengths are page multiples.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/bytes/source.js';
import { toHex } from '../../src/bytes/hex.js';
import { FirmwareError, PrelaunchError } from '../../src/errors.js';
import { SevSectionType } from '../../src/formats/ovmf/defs.js';
import { generateGolden } from '../../src/golden/engine.js';
import { measure, measureSev, measureSevEs, measureSnp, planMeasurement, snpOvmfHash } from '../../src/measure/api.js';
import { inspectOvmf } from '../../src/report/ovmf-inspect.js';
import { expectCleanError, expectOk, runCliInProcess } from '../support/cli.js';
import { imageWithMetadata, sevMetadata } from '../support/ovmf-image.js';

const { SNP_SEC_MEM, SNP_SECRETS, CPUID, SVSM_CAA } = SevSectionType;
const MILAN = 0xa00f11;
const KIB = 1024;
const sample = (rel: string): Uint8Array => new Uint8Array(fs.readFileSync(fileURLToPath(new URL(`../../firmware-samples/${rel}`, import.meta.url))));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-test-launch-'));
afterAll(async () => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, bytes: Uint8Array | string): string => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, bytes);
  return p;
};

/** A 64 KiB OVMF-like image (QEMU can load it with -bios) with the usual SNP sections plus `extra`. */
const BASE: Array<[number, number, number]> = [
  [0x800000, 0x9000, SNP_SEC_MEM],
  [0x80d000, 0x1000, SNP_SECRETS],
  [0x80e000, 0x1000, CPUID],
];
const fw64k = (extra: Array<[number, number, number]> = [], o: { size?: number; length?: number } = {}): Uint8Array =>
  imageWithMetadata(sevMetadata([...BASE, ...extra], o.length !== undefined ? { length: o.length } : {}), { size: o.size ?? 64 * KIB, metaAt: 0x1000 });

function firmwareError(fn: () => unknown): FirmwareError {
  try {
    fn();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(FirmwareError);
    expect((e as PrelaunchError).code).toBe('ERR_FIRMWARE_UNSUPPORTED');
    return e as FirmwareError;
  }
  throw new Error('expected a FirmwareError, nothing was thrown');
}

const snp = (ovmf: Uint8Array, extra: object = {}) => measureSnp({ ovmf, vcpus: 2, vcpuSig: MILAN, ...extra });
const inspect = (bytes: Uint8Array, name = 'fw.fd') => inspectOvmf(bytesSource(bytes, name), '');


/** A host stack for the CLI (QEMU 10.0 on Linux 6.12: SEV, SEV-ES and SNP are all supported there; docs/stack.md). */
const STACK = ['--qemu-version', '10.0.0', '--host-kernel', '6.12'];

describe('a launchable 64 KiB image', () => {
  it('measures in every mode, with no warning', async () => {
    const img = fw64k();
    expect(snp(img).warnings).toEqual([]);
    expect(measureSevEs({ ovmf: img, vcpus: 1, vcpuSig: MILAN }).digest).toHaveLength(32);
    expect(measureSev({ ovmf: img }).digest).toHaveLength(32);
    expect(inspect(img).capabilities).toMatchObject({ sev: true, sevEs: true, snp: true, snpReason: null, snpWarnings: [] });
  });
});

describe('zero-length SEV metadata sections (Debian sid OVMF.inteltdx.ms.fd as SNP)', () => {
  // that build carries SVSM_CAA and SNP_SEC_MEM sections of GPA 0, size 0
  const img = fw64k([[0, 0, SVSM_CAA], [0, 0, SNP_SEC_MEM]]);

  it('SNP: refused with the reason QEMU gives, by the library', async () => {
    const e = firmwareError(() => snp(img));
    expect(e.message).toMatch(/section 3 \(SVSM_CAA at GPA 0x0, size 0x0\) has length 0: QEMU stops \("SNP_LAUNCH_UPDATE called with invalid address \/ length"/);
    expect(e.data.problems).toHaveLength(2);
    firmwareError(() => snp(img, { vmm: 'ec2' }));
  });

  it('SEV and SEV-ES never read the sections: measured', async () => {
    expect(measureSev({ ovmf: img }).digest).toHaveLength(32);
    expect(measureSevEs({ ovmf: img, vcpus: 1, vcpuSig: MILAN }).digest).toHaveLength(32);
  });

  it('ovmf inspect says SNP no, with the same reason', async () => {
    const c = inspect(img).capabilities;
    expect(c).toMatchObject({ sev: true, sevEs: true, snp: false });
    expect(c.snpReason).toMatch(/has length 0: QEMU stops/);
  });

  it('the CLI refuses it on one error line, exit 1', async () => {
    const p = file('zero-len.fd', img);
    const line = expectCleanError(await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--ovmf', p]), 1, 'ERR_FIRMWARE_UNSUPPORTED');
    expect(line).toContain(p);
    expect(line).toMatch(/QEMU cannot launch this firmware as SEV-SNP: .*has length 0/);
  });
});

describe('firmware QEMU cannot load with -bios', () => {
  it('a size that is not a multiple of 64 KiB: SNP refused (no pflash for SNP), SEV and SEV-ES via pflash measured', async () => {
    const img = fw64k([], { size: 68 * KIB });
    expect(firmwareError(() => snp(img)).message).toMatch(/cannot load it with -bios: its size 69632 \(0x11000\) is not a multiple of 64 KiB \(x86_bios_rom_init: "could not load PC BIOS"\), and SNP firmware cannot come from pflash/);
    firmwareError(() => snpOvmfHash(img));
    expect(measureSev({ ovmf: img }).digest).toHaveLength(32);
    expect(measureSevEs({ ovmf: img, vcpus: 1, vcpuSig: MILAN }).digest).toHaveLength(32);
    // another loader that places the image as given is the caller's explicit choice
    expect(snp(img, { firmwareLoader: 'raw' }).digest).toHaveLength(48);
  });

  it("Debian's OVMF_CODE_4M.fd (0x37c000 bytes, no SEV metadata): SNP refused for both reasons", async () => {
    const img = sample('debian/OVMF_CODE_4M.fd');
    const e = firmwareError(() => snp(img));
    expect(e.message).toMatch(/its size 3653632 \(0x37c000\) is not a multiple of 64 KiB/);
    expect((e.data.problems as string[])[1]).toMatch(/no SEV metadata \(QEMU: "Failed to locate SEV metadata header"\)/);
    const c = inspect(img, 'OVMF_CODE_4M.fd').capabilities;
    expect(c.snp).toBe(false);
    expect(c.launchProblems.snp).toHaveLength(2);
  });

  it('a 64 KiB image without SEV metadata: SNP refused (QEMU finds no metadata header)', async () => {
    const img = new Uint8Array(64 * KIB);
    img.set(sample('synthetic/nometa.fd').subarray(0x4000 - 0x1000), 64 * KIB - 0x1000);
    expect(firmwareError(() => snp(img)).message).toMatch(/has no SEV metadata/);
  });

  it('an SEV metadata header whose length QEMU ignores: SNP refused', async () => {
    expect(firmwareError(() => snp(fw64k([], { length: 8 }))).message).toMatch(/declares length 8, which QEMU's pc_system_parse_sev_metadata ignores/);
    expect(firmwareError(() => snp(fw64k([], { length: 20 }))).message).toMatch(/too short for its 3 sections/);
  });

  it('a text file given as --ovmf in --mode sev: refused (neither -bios nor pflash can load it)', async () => {
    const text = new TextEncoder().encode('this is not firmware\n');
    expect(firmwareError(() => measureSev({ ovmf: text })).message).toMatch(/not with -bios \(its size 21 \(0x15\) is not a multiple of 64 KiB.*not as pflash \(its size 21 \(0x15\) is not a multiple of 4 KiB/);
    expect(firmwareError(() => measureSev({ ovmf: new Uint8Array(0) })).message).toMatch(/the file is empty/);
    expect(inspect(text).capabilities).toMatchObject({ sev: false, sevEs: false, snp: false });
    const p = file('notes.txt', text);
    // with a host stack the CLI refuses it
    const line = expectCleanError(await runCliInProcess(['measure', '--mode', 'sev', '--ovmf', p, ...STACK]), 1, 'ERR_FIRMWARE_UNSUPPORTED');
    expect(line).toMatch(/notes\.txt: QEMU cannot launch this firmware as SEV: QEMU cannot load it as firmware/);
    // the sev-snp-measure drop-in (no host stack) prints that tool's value and says no QEMU launch produces it
    const r = await runCliInProcess(['measure', '--mode', 'sev', '--ovmf', p]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${createHash('sha256').update(text).digest('hex')}\n`);
    expect(r.stderr).toMatch(/^warning: .*notes\.txt: no QEMU launch produces this SEV digest: QEMU cannot load it as firmware/);
  });

  it('SEV-ES: a size that is not a multiple of 4 KiB is refused', async () => {
    const img = sample('synthetic/unaligned.fd');
    expect(firmwareError(() => measureSevEs({ ovmf: img, vcpus: 1, vcpuSig: MILAN })).message).toMatch(/not as pflash \(its size 12388/);
  });

  it('ovmf inspect on the CLI shows the reason per mode', async () => {
    const p = file('code4m.fd', sample('debian/OVMF_CODE_4M.fd'));
    const out = expectOk(await runCliInProcess(['ovmf', 'inspect', p]));
    expect(out).toContain('measurable as: SEV yes, SEV-ES yes, SNP no, TDX metadata no');
    expect(out).toMatch(/^ {2}SNP no: QEMU cannot load it with -bios/m);
  });
});

describe('unknown SEV metadata section types (H9)', () => {
  const unknown = fw64k([[0x811000, 0x2000, 5]]);
  const asSecMem = fw64k([[0x811000, 0x2000, SNP_SEC_MEM]]);

  // the firmware pages differ (they hold the metadata), so both digests resume from the
  // firmware-pages digest of `unknown`; what follows is the metadata stage
  const seed = snpOvmfHash(unknown);
  const expected = toHex(snp(asSecMem, { ovmfHash: seed }).digest);

  it('are measured as ZERO pages, as QEMU does, with a warning naming the type', async () => {
    const m = snp(unknown);
    expect(toHex(m.digest)).toBe(expected);
    expect(toHex(snp(unknown, { ovmfHash: seed }).digest)).toBe(expected);
    expect(m.warnings).toHaveLength(1);
    expect(m.warnings[0]).toMatch(/section 3 at GPA 0x811000 has unknown type 5 \(0x5\): measured as ZERO pages, as QEMU does/);
    const c = inspect(unknown).capabilities;
    expect(c.snp).toBe(true);
    expect(c.snpWarnings).toEqual([m.warnings[0]!.replace(/^ovmf:/, 'fw.fd:')]);
  });

  it('the CLI prints the warning on stderr and the digest on stdout', async () => {
    const p = file('type5.fd', unknown);
    const r = await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '2', '--vcpu-sig', String(MILAN), '--ovmf', p, ...STACK]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected}\n`);
    expect(r.stderr).toMatch(/^warning: .*type5\.fd: SEV metadata section 3 at GPA 0x811000 has unknown type 5 \(0x5\): measured as ZERO pages/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('the sev-snp-measure drop-in (no host stack) refuses it as that tool does, naming the stack flags', async () => {
    const p = file('type5.fd', unknown);
    const line = expectCleanError(await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '2', '--vcpu-sig', String(MILAN), '--ovmf', p]), 1, 'ERR_FIRMWARE_UNSUPPORTED');
    expect(line).toMatch(/type5\.fd: SEV metadata section 3 has type 5 \(0x5\), which sev-snp-measure refuses; QEMU measures it as ZERO pages.*--qemu-version/);
  });

  it('golden reports it once per artifact', async () => {
    const warnings: string[] = [];
    generateGolden({
      artifacts: [{ name: 'a', kind: 'ovmf', firmware: bytesSource(unknown, 'type5.fd'), firmwarePath: 'type5.fd', kernel: null, initrd: null, cmdline: null }],
      matrix: { modes: ['snp'], vcpus: [1, 2], cpus: [{ vcpuType: null, vcpuSig: MILAN }], vmmTypes: ['QEMU'], vmsaProfiles: null, guestFeatures: [1n], policies: null },
      tool: 't',
      onWarning: (w) => warnings.push(w),
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/unknown type 5/);
  });
});

describe('sizes from the file are bounded before planning (no memory bomb, no stack overflow)', () => {
  const fast = (fn: () => unknown): FirmwareError => {
    const t0 = Date.now();
    const e = firmwareError(fn);
    expect(Date.now() - t0).toBeLessThan(1000);
    return e;
  };

  it('a 2 GiB section reaching into the firmware at the top of 4 GiB fails fast', async () => {
    expect(fast(() => snp(fw64k([[0x80000000, 0x80000000, SNP_SEC_MEM]]))).message).toMatch(/overlaps the firmware at 0xffff0000\.\.4 GiB/);
  });

  it('a 4 GiB section fails fast', async () => {
    expect(fast(() => snp(fw64k([[0x1000, 0xfffff000, SNP_SEC_MEM]]))).message).toMatch(/runs past 4 GiB|overlaps the firmware/);
    expect(fast(() => snp(fw64k([[0x1000, 0xffffffff, SVSM_CAA]]))).message).toMatch(/not a multiple of 4 KiB/);
  });

  it('thousands of huge sections in a 64 KiB image fail fast, naming the first', async () => {
    // 2000 sections (24 KiB of metadata; QEMU wants the header's file offset ≥ its length)
    const many: Array<[number, number, number]> = Array.from({ length: 2000 }, (_, i) => [0x1000 * i, 0xfffff000, SNP_SEC_MEM]);
    const img = imageWithMetadata(sevMetadata(many), { size: 64 * KIB, metaAt: 0x8000 });
    const e = fast(() => snp(img));
    expect(e.message).toMatch(/section 0 \(SNP_SEC_MEM at GPA 0x0, size 0xfffff000\)/);
    expect(e.message).toMatch(/and 1999 more/);
  });

  it('overlapping sections are refused (KVM populates a page once)', async () => {
    expect(fast(() => snp(fw64k([[0x808000, 0x2000, SVSM_CAA]]))).message).toMatch(/section 3 \(SVSM_CAA at GPA 0x808000, size 0x2000\) overlaps section 0 \(SNP_SEC_MEM/);
    expect(fast(() => snp(fw64k([[0x80d000, 0x1000, SNP_SECRETS]]))).message).toMatch(/overlaps section 1/);
  });

  it('an unaligned section GPA is refused', async () => {
    expect(fast(() => snp(fw64k([[0x811800, 0x1000, SNP_SEC_MEM]]))).message).toMatch(/GPA is not page aligned/);
  });

  it('a large legitimate section (1 GiB of SNP_SEC_MEM) is planned without spreading 262,144 operations onto the stack', async () => {
    const { plan } = planMeasurement({ mode: 'snp', ovmf: fw64k([[0x1000000, 0x40000000, SNP_SEC_MEM]]), vcpus: 1, vcpuSig: MILAN });
    expect(plan.kind === 'snp' && plan.ops.length).toBe(16 + 9 + 1 + 1 + 0x40000 + 1);
  });

  it('the CLI fails fast on such a file with one error line', async () => {
    const p = file('bomb.fd', fw64k([[0x1000, 0xfffff000, SNP_SEC_MEM]]));
    const line = expectCleanError(await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--ovmf', p]), 1, 'ERR_FIRMWARE_UNSUPPORTED');
    expect(line).toContain('bomb.fd');
  });
});

describe('every library entry point refuses (typed), not only the CLI', () => {
  const img = fw64k([[0, 0, SVSM_CAA]]);
  it('measure, measureSnp, planMeasurement', async () => {
    firmwareError(() => measure({ mode: 'snp', ovmf: img, vcpus: 1, vcpuSig: MILAN }));
    firmwareError(() => planMeasurement({ mode: 'snp', ovmf: img, vcpus: 1, vcpuSig: MILAN }));
    firmwareError(() => snp(img, { ovmfHash: new Uint8Array(48) }));
  });
});
