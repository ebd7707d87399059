/**
 * The built CLI (dist/prelaunch.cjs): exit codes, one-line `error:` messages naming the flag
 * or file, JSON output, --dump-vmsa, `ovmf inspect`, and the noble hash backend.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes/hex.js';
import { nodeBackend } from '../../src/hash/index.js';
import { measure } from '../../src/measure/api.js';
import { expectCleanError, expectOk, runCliInProcess } from '../support/cli.js';

const fw = (rel: string): string => fileURLToPath(new URL(`../../firmware-samples/${rel}`, import.meta.url));
const OVMF = fw('debian/OVMF.fd');
const OVMF_CODE_4M = fw('debian/OVMF_CODE_4M.fd');
const AMDSEV = fw('synthetic/amdsev.fd');
const OVMF_SHA256 = '7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773';
const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-test-cli-'));
afterAll(async () => fs.rmSync(tmp, { recursive: true, force: true }));

// a small kernel and initrd for direct boot
const KERNEL = path.join(tmp, 'vmlinuz');
const INITRD = path.join(tmp, 'initrd.img');
fs.writeFileSync(KERNEL, createHash('shake256', { outputLength: 300_000 }).update('cli kernel').digest());
fs.writeFileSync(INITRD, createHash('shake256', { outputLength: 70_001 }).update('cli initrd').digest());

// values from test/vectors/snp-measure.json (sev-snp-measure)
const SNP_V4_2 = ['measure', '--mode', 'snp', '--vcpus=2', '--vcpu-type', 'EPYC-v4', '--ovmf', OVMF];

describe('exit codes and error messages', () => {
  it('--version exits 0', async () => {
    expect(expectOk(await runCliInProcess(['--version']))).toMatch(/^prelaunch \d+\.\d+\.\d+/);
  });

  it.each([
    ['an unknown option', ['measure', '--mode', 'snp', '--ovmf', OVMF, '--frobnicate'], '--frobnicate'],
    ['a bad --mode', ['measure', '--mode', 'SNP', '--ovmf', OVMF], '--mode'],
    ['a missing --mode', ['measure', '--ovmf', OVMF], '--mode'],
    ['a missing --ovmf', ['measure', '--mode', 'sev'], '--ovmf'],
    ['a bad --output-format', ['measure', '--mode', 'sev', '--ovmf', OVMF, '--output-format', 'raw'], '--output-format'],
    ['a bad --vmm-type', ['measure', '--mode', 'sev', '--ovmf', OVMF, '--vmm-type', 'EC2'], '--vmm-type'],
    ['a non-numeric --vcpus', ['measure', '--mode', 'snp', '--vcpus', 'two', '--vcpu-type', 'EPYC', '--ovmf', OVMF], '--vcpus'],
    ['--vcpus 0', ['measure', '--mode', 'snp', '--vcpus', '0', '--vcpu-type', 'EPYC', '--ovmf', OVMF], '--vcpus'],
    ['--vcpus beyond the limit', ['measure', '--mode', 'snp', '--vcpus', '1000000000', '--vcpu-type', 'EPYC', '--ovmf', OVMF], '--vcpus'],
    ['a missing --vcpus', ['measure', '--mode', 'snp', '--vcpu-type', 'EPYC', '--ovmf', OVMF], '--vcpus'],
    ['a bad --guest-features', ['measure', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC', '--ovmf', OVMF, '--guest-features', '0xzz'], '--guest-features'],
    ['--initrd without --kernel', ['measure', '--mode', 'sev', '--ovmf', OVMF, '--initrd', INITRD], '--initrd'],
    ['--append without --kernel', ['measure', '--mode', 'sev', '--ovmf', OVMF, '--append', 'x'], '--append'],
    ['--vars-size with --vars-file', ['measure', '--mode', 'snp:svsm', '--ovmf', OVMF, '--vars-size', '4096', '--vars-file', OVMF], '--vars'],
    ['an unknown hash backend', [...SNP_V4_2, '--hash-backend', 'md5'], '--hash-backend'],
    ['an unknown command', ['frobnicate'], 'frobnicate'],
  ])('%s → exit 2', async (_what, args, names) => {
    const line = expectCleanError(await runCliInProcess(args), 2);
    expect(line).toContain(names);
  });

  it.each([
    ['a missing --ovmf file', ['measure', '--mode', 'sev', '--ovmf', path.join(tmp, 'missing.fd')], 'missing.fd', 'ERR_IO'],
    ['a directory as --ovmf', ['measure', '--mode', 'sev', '--ovmf', tmp], tmp, 'ERR_IO'],
    ['a missing --kernel file', ['measure', '--mode', 'sev', '--ovmf', AMDSEV, '--kernel', path.join(tmp, 'nokernel')], 'nokernel', 'ERR_IO'],
    ['a missing --initrd file', ['measure', '--mode', 'sev', '--ovmf', AMDSEV, '--kernel', KERNEL, '--initrd', path.join(tmp, 'noinitrd')], 'noinitrd', 'ERR_IO'],
    ['a malformed firmware', ['measure', '--mode', 'sev', '--ovmf', fw('synthetic/badentry.fd')], 'badentry.fd', 'ERR_MALFORMED'],
    ['firmware without SEV-ES support', ['measure', '--mode', 'seves', '--vcpus', '1', '--vcpu-type', 'EPYC', '--ovmf', fw('debian/OVMF_VARS_4M.fd')], 'OVMF_VARS_4M.fd', 'ERR_FIRMWARE_UNSUPPORTED'],
    ['a kernel with firmware that cannot measure it', ['measure', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC', '--ovmf', OVMF, '--kernel', KERNEL], 'OVMF.fd', 'ERR_FIRMWARE_UNSUPPORTED'],
    ['ovmf inspect of a missing file', ['ovmf', 'inspect', path.join(tmp, 'gone.fd')], 'gone.fd', 'ERR_IO'],
    ['ovmf inspect of a malformed file', ['ovmf', 'inspect', fw('synthetic/badsig.fd')], 'badsig.fd', 'ERR_MALFORMED'],
  ] as const)('%s → exit 1', async (_what, args, names, code) => {
    const line = expectCleanError(await runCliInProcess([...args]), 1, code);
    expect(line).toContain(names);
  });

  it('--dump-vmsa into an unwritable directory is a clean error', async () => {
    const ro = path.join(tmp, 'ro');
    fs.mkdirSync(ro);
    fs.chmodSync(ro, 0o500);
    try {
      const probe = path.join(ro, 'probe');
      let writable = true;
      try {
        fs.writeFileSync(probe, '');
        fs.rmSync(probe);
      } catch {
        writable = false;
      }
      const r = await runCliInProcess([...SNP_V4_2, '--dump-vmsa'], { cwd: ro });
      if (writable) expectOk(r); // running as root: permissions do not apply
      else expect(expectCleanError(r, 1)).toMatch(/vmsa0\.bin/);
    } finally {
      fs.chmodSync(ro, 0o700);
    }
  });
});

describe('measure output formats', () => {
  const HEX = '5639a30a8a52d07ccc971c4debceb92f0976f693a06af17035af8802023588cd7f2e80e96229a6c88a4c89d1f4967351'; // 64 vCPUs, EPYC

  it('hex, base64 and the -v sentence', async () => {
    const args = ['measure', '--mode', 'snp', '--vcpus=64', '--vcpu-type', 'EPYC', '--ovmf', OVMF];
    expect(expectOk(await runCliInProcess(args))).toBe(`${HEX}\n`);
    expect(expectOk(await runCliInProcess([...args, '--output-format', 'base64']))).toBe(`${Buffer.from(HEX, 'hex').toString('base64')}\n`);
    expect(expectOk(await runCliInProcess([...args, '-v']))).toBe(`Calculated SEV_SNP guest measurement: ${HEX}\n`);
  });

  it('--output-format json for snp', async () => {
    const hex = expectOk(await runCliInProcess(SNP_V4_2)).trim();
    const j = JSON.parse(expectOk(await runCliInProcess([...SNP_V4_2, '--output-format', 'json', '--guest-features', '0x21'])));
    const plain = expectOk(await runCliInProcess([...SNP_V4_2, '--guest-features', '0x21'])).trim();
    expect(j).toMatchObject({
      measurement: plain,
      measurementBase64: Buffer.from(plain, 'hex').toString('base64'),
      algorithm: 'sha384',
      mode: 'snp',
      vmmType: 'QEMU',
      vcpus: 2,
      vcpuType: 'EPYC-v4',
      vcpuSig: '0x800f12',
      guestFeatures: '0x21',
      firmware: { path: OVMF, size: 2097152, sha256: OVMF_SHA256 },
      operations: 512 + 31 + 2,
      hashBackend: 'node',
    });
    expect(plain).not.toBe(hex);
    expect(j.kernel).toBeUndefined();
  });

  it('--output-format json with direct boot names the kernel, initrd and command line hashes', async () => {
    const append = 'console=ttyS0 ünïcødé';
    const j = JSON.parse(expectOk(await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '1', '--vcpu-sig', '0xa00f11', '--ovmf', AMDSEV, '--kernel', KERNEL, '--initrd', INITRD, '--append', append, '--output-format', 'json'])));
    expect(j.vcpuSig).toBe('0xa00f11');
    expect(j.vcpuType).toBeNull();
    expect(j.firmware.sha256).toBe(sha256(fs.readFileSync(AMDSEV)));
    expect(j.kernel).toMatchObject({ path: KERNEL, sha256: sha256(fs.readFileSync(KERNEL)) });
    expect(j.initrd).toMatchObject({ path: INITRD, sha256: sha256(fs.readFileSync(INITRD)) });
    expect(j.cmdline).toEqual({ value: append, sha256: sha256(Buffer.concat([Buffer.from(append, 'utf8'), Buffer.from([0])])) });
    // the same digest as the plain output
    const plain = expectOk(await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '1', '--vcpu-sig', '0xa00f11', '--ovmf', AMDSEV, '--kernel', KERNEL, '--initrd', INITRD, '--append', append])).trim();
    expect(j.measurement).toBe(plain);
  });

  it('--output-format json for sev has no vCPU fields; a kernel without initrd hashes the empty initrd', async () => {
    const j = JSON.parse(expectOk(await runCliInProcess(['measure', '--mode', 'sev', '--ovmf', AMDSEV, '--kernel', KERNEL, '--output-format', 'json'])));
    expect(j).toMatchObject({ mode: 'sev', algorithm: 'sha256', vmmType: 'QEMU' });
    expect(j.measurement).toMatch(/^[0-9a-f]{64}$/);
    expect('vcpus' in j).toBe(false);
    expect(j.initrd.sha256).toBe(sha256(''));
    expect(j.cmdline.sha256).toBe(sha256(Buffer.from([0])));
  });
});

describe('--dump-vmsa', () => {
  it('writes vmsa0.bin .. vmsaN-1.bin into the current directory: BSP first, then identical AP pages', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'dump-'));
    const out = expectOk(await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '3', '--vcpu-type', 'EPYC-v4', '--ovmf', OVMF, '--dump-vmsa'], { cwd: dir }));
    expect(out).toBe(expectOk(await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '3', '--vcpu-type', 'EPYC-v4', '--ovmf', OVMF])));
    expect(fs.readdirSync(dir).sort()).toEqual(['vmsa0.bin', 'vmsa1.bin', 'vmsa2.bin']);
    const pages = [0, 1, 2].map((i) => fs.readFileSync(path.join(dir, `vmsa${i}.bin`)));
    for (const p of pages) expect(p).toHaveLength(4096);
    expect(pages[1]).toEqual(pages[2]);
    expect(pages[0]).not.toEqual(pages[1]);
    // values from sev-snp-measure (snp.qemu.deb-OVMF.EPYC-v4.v2.dump)
    expect(pages.map((p) => sha256(p))).toEqual([
      '591598a62aa556861a392da67feab71a919975d97a579eb1df12503178c9cbb3',
      '4ffee74d299a5d74748460fd6238d5cdbb7da2fe1c12476a9bf3c8ecdbdcd905',
      '4ffee74d299a5d74748460fd6238d5cdbb7da2fe1c12476a9bf3c8ecdbdcd905',
    ]);
  });
});

describe('ovmf inspect', () => {
  it('text on debian/OVMF.fd', async () => {
    const out = expectOk(await runCliInProcess(['ovmf', 'inspect', OVMF]));
    expect(out).toContain(`sha256:      ${OVMF_SHA256}`);
    expect(out).toContain('loaded at:   0xffe00000..0xffffffff (ends at 4 GiB)');
    expect(out).toContain('footer table: 5 entries');
    expect(out).toContain('SEV-ES AP reset EIP: 0x80b004');
    expect(out).toContain('SEV hash table:      GPA 0x0, 0 bytes');
    expect(out).toContain('SEV metadata: version 1 at file offset 0x1ffad4, 5 sections');
    expect(out).toMatch(/^ {2}0x80f000 +0x11000 +SNP_SEC_MEM$/m);
    expect(out).toContain('TDX metadata (TDVF): version 1 at file offset 0x1ff7c0, 6 sections');
    expect(out).toContain('measurable as: SEV yes, SEV-ES yes, SNP yes, TDX metadata yes');
    expect(out).toMatch(/measured direct boot .*: SEV\/SEV-ES no, SNP no\n {2}hash-table GPA is 0/);
  });

  it('--json on debian/OVMF.fd', async () => {
    const j = JSON.parse(expectOk(await runCliInProcess(['ovmf', 'inspect', OVMF, '--json'])));
    expect(j).toMatchObject({ size: 2097152, sha256: OVMF_SHA256, loadGpa: '0xffe00000', resetEip: '0x80b004', sevHashTable: { gpa: '0x0', size: 0 } });
    expect(j.footerTable.entries.map((e: { name: string }) => e.name)).toEqual(['TDX_METADATA_OFFSET', 'SEV_METADATA_OFFSET', 'SEV_HASH_TABLE_RV', 'SEV_SECRET_BLOCK', 'SEV_ES_RESET_BLOCK']);
    expect(j.sevMetadata.sections.map((s: { typeName: string }) => s.typeName)).toEqual(['SNP_SEC_MEM', 'SNP_SEC_MEM', 'SNP_SECRETS', 'CPUID', 'SNP_SEC_MEM']);
    expect(j.tdxMetadata.sections).toHaveLength(6);
    expect(j.capabilities).toMatchObject({ sev: true, sevEs: true, snp: true, tdx: true, snpReason: null });
    expect(j.directBoot).toMatchObject({ sev: false, snp: false });
  });

  it('OVMF_CODE_4M.fd: no SEV metadata, and says why SNP is not possible', async () => {
    const out = expectOk(await runCliInProcess(['ovmf', 'inspect', OVMF_CODE_4M]));
    expect(out).toContain('SEV metadata: none');
    expect(out).toContain('TDX metadata: none');
    expect(out).toContain('SEV-ES AP reset EIP: 0x808004');
    expect(out).toMatch(/^ {2}SNP no: QEMU cannot load it with -bios: its size 3653632 \(0x37c000\) is not a multiple of 64 KiB/m);
    expect(out).toMatch(/^ {2}SNP no: the image has no SEV metadata/m);
    const j = JSON.parse(expectOk(await runCliInProcess(['ovmf', 'inspect', OVMF_CODE_4M, '--json'])));
    expect(j).toMatchObject({ sevMetadata: null, tdxMetadata: null, resetEip: '0x808004', capabilities: { sev: true, sevEs: true, snp: false, tdx: false } });
    expect(j.capabilities.snpReason).toMatch(/not a multiple of 64 KiB/);
    expect(j.capabilities.launchProblems.snp).toHaveLength(2);
    expect(j.capabilities.launchProblems.snp[1]).toMatch(/no SEV metadata/);
  });

  it('amdsev.fd supports direct boot; nofooter.bin has no table', async () => {
    const j = JSON.parse(expectOk(await runCliInProcess(['ovmf', 'inspect', AMDSEV, '--json'])));
    expect(j.directBoot).toEqual({ sev: true, snp: true, reason: null });
    expect(j.sevHashTable.gpa).toBe('0x810c00');
    const n = expectOk(await runCliInProcess(['ovmf', 'inspect', fw('synthetic/nofooter.bin')]));
    expect(n).toContain('footer table: none');
  });
});

describe('--hash-backend noble', () => {
  const read = (p: string): Uint8Array => new Uint8Array(fs.readFileSync(p));
  // sev-snp-measure's values (test/vectors/snp-measure.json), and one computed in-process with the node backend
  const SNP_V4_2_EXPECTED = 'a5b54e62ae971b58274dd24cc6c47b842662617036e7bd67d7326c07ac6363f35399ef933330a5ea160cead90a00603f';
  const SEVES_V4_2_EXPECTED = '5b1d28d8e8b3c2c9939d39bf18a7f05b16935279425c1c1e1ab19109acca9ffd';
  it.each([
    ['snp', SNP_V4_2, (): string => SNP_V4_2_EXPECTED],
    ['seves', ['measure', '--mode', 'seves', '--vcpus', '2', '--vcpu-type', 'EPYC-v4', '--ovmf', OVMF], (): string => SEVES_V4_2_EXPECTED],
    [
      'sev with a kernel',
      ['measure', '--mode', 'sev', '--ovmf', AMDSEV, '--kernel', KERNEL, '--initrd', INITRD],
      (): string => toHex(measure({ mode: 'sev', ovmf: read(AMDSEV), directBoot: { kernel: read(KERNEL), initrd: read(INITRD) }, hashBackend: nodeBackend }).digest),
    ],
  ] as const)('%s: same digest as node', async (_m, args, want) => {
    const j = JSON.parse(expectOk(await runCliInProcess([...args, '--hash-backend', 'noble', '--output-format', 'json'])));
    expect(j.hashBackend).toBe('noble');
    expect(j.measurement).toBe(want());
  });
});
