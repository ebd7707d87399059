/**
 * `prelaunch igvm build` through the built CLI bundle: igvmbuilder's flags give the committed
 * builder samples byte for byte; --measure / --manifest report the digests (and the manifest
 * is byte-identical across rebuilds); --id-key signs in the same step, giving the same file
 * as `igvm sign`; every bad input is one `error:` line with no output file left behind.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import { expectCleanError, expectOk, PROJECT, runCliInProcess } from '../support/cli.js';

const IN = path.join(PROJECT, 'firmware-samples/igvm-inputs');
const BUILDER = path.join(PROJECT, 'firmware-samples/igvm/builder');
const OVMF = path.join(PROJECT, 'firmware-samples/debian/OVMF.fd');
const KEYS = path.join(PROJECT, 'test/vectors/keys/igvm');
const KERNEL = path.join(IN, 'kernel.elf');
const BLDR = path.join(IN, 'bldr.bin');
const STAGE1 = path.join(IN, 'stage1.bin');
const QEMU_DIGEST = 'C5B40954AF5788D5F54202560E05873218A5932F6211FCCFDF44998807505B2CD0090B42CCB8CC06D3BFB2353F8ACFC3';
const OVMF_DIGEST = 'AC90CB3F01CB6E5B3CCC2C5A51157885DCF3276F45E5AD457D7566369650F1DF1AC3B6F94D5D73A1A2780194109604A5';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-igvm-build-'));
afterAll(async () => fs.rmSync(tmp, { recursive: true, force: true }));
const t = (name: string): string => path.join(tmp, name);
const same = (a: string, b: string): boolean => Buffer.compare(fs.readFileSync(a), fs.readFileSync(b)) === 0;
const QEMU = ['--sort', '--policy', '0x30000', '--snp', '--bldr', BLDR, '--kernel', KERNEL];

describe('igvm build (CLI)', () => {
  it('qemu: byte-identical to igvmbuilder', async () => {
    expectOk(await runCliInProcess(['igvm', 'build', ...QEMU, '--output', t('q.igvm'), 'qemu']));
    expect(same(t('q.igvm'), path.join(BUILDER, 'qemu-snp-bldr.igvm'))).toBe(true);
  });
  it('hyper-v with TDP and VSM, short flags, comport 3', async () => {
    const out = expectOk(await runCliInProcess(['igvm', 'build', '--sort', '--policy', '0x30000', '--snp', '--tdp', '--vsm', '--tdx-stage1', STAGE1, '-b', BLDR, '-k', KERNEL, '-c', '3', '-o', t('hv.igvm'), '--measure', 'hyper-v']));
    expect(same(t('hv.igvm'), path.join(BUILDER, 'hv-snp-tdp-vsm.igvm'))).toBe(true);
    // the VSM platform's VBS digest: the igvm crate's (microsoft/igvm@e6c3ff1) for this very file, from the corpus's cross_check_igvm_head
    expect(out).toMatch(/^VSM_ISOLATION\s+0x10\s+6CECC4BC7F53B6F8F223FAF4663C63C350AE2EB0DC31879CEF01D7BC9967929E$/m);
  });
  it('--measure prints the SNP digest; the file is the same', async () => {
    const out = expectOk(await runCliInProcess(['igvm', 'build', ...QEMU, '--output', t('m.igvm'), '--measure', 'qemu']));
    expect(out).toContain(QEMU_DIGEST);
    expect(same(t('m.igvm'), path.join(BUILDER, 'qemu-snp-bldr.igvm'))).toBe(true);
  });
  it('OVMF + SVSM for QEMU: --manifest, identical across rebuilds', async () => {
    const args = ['igvm', 'build', ...QEMU, '--native', '--firmware', OVMF];
    expectOk(await runCliInProcess([...args, '--output', t('o1.igvm'), '--manifest', t('m1.json'), 'qemu']));
    expectOk(await runCliInProcess([...args, '--output', t('o1.igvm'), '--manifest', t('m2.json'), 'qemu']));
    expect(same(t('m1.json'), t('m2.json'))).toBe(true);
    const m = JSON.parse(fs.readFileSync(t('m1.json'), 'utf8')) as Record<string, any>;
    expect(m.output.sha256).toBe('0f30ab5638ffb283c42558a3c3d50cc2a2e23913f53bdcb302e7c7e690e8599c');
    expect(m.inputs.firmware.sha256).toBe('7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773');
    expect(m.inputs.kernel.sha256).toBe('90373d7153f47fa6e6c81daf98d1f5df113b584b3af2411b47af3e2ec259db85');
    expect(m.platforms[0]).toMatchObject({ platform: 'SEV_SNP', compatibilityMask: '0x1', launchDigest: OVMF_DIGEST.toLowerCase() });
    expect(m.platforms[1]).toMatchObject({ platform: 'NATIVE' });
    expect(m.layout.firmware.base).toBe('0xffe00000');
    expect(m.layout.vmsa).toBe('0xfffffffff000');
    expect(m.layout.bootParams).toBe('0x800f000');
  });
  it('--id-key/--author-key: same file as igvm sign, and measure accepts it', async () => {
    const keys = ['--id-key', path.join(KEYS, 'id_key.pem'), '--author-key', path.join(KEYS, 'author_key.pem')];
    expectOk(await runCliInProcess(['igvm', 'build', ...QEMU, '--output', t('s.igvm'), ...keys, '--manifest', t('s.json'), 'qemu']));
    expect(same(t('s.igvm'), path.join(BUILDER, 'qemu-snp-bldr.signed.igvm'))).toBe(true);
    expect(expectOk(await runCliInProcess(['igvm', 'measure', t('s.igvm')])).trim()).toBe(QEMU_DIGEST);
    const m = JSON.parse(fs.readFileSync(t('s.json'), 'utf8')) as Record<string, any>;
    expect(m.idBlock.ld).toBe(QEMU_DIGEST.toLowerCase());
    expect(m.idBlock.policy).toBe('0x30000');
  });
  it('--manifest with an ID block is byte-identical with --hash-backend node and noble (key digests as hex)', async () => {
    const keys = ['--id-key', path.join(KEYS, 'id_key.pem'), '--author-key', path.join(KEYS, 'author_key.pem')];
    expectOk(await runCliInProcess(['igvm', 'build', ...QEMU, '--output', t('bn.igvm'), ...keys, '--manifest', t('bn.json'), '--hash-backend', 'node', 'qemu']));
    expectOk(await runCliInProcess(['igvm', 'build', ...QEMU, '--output', t('bn.igvm'), ...keys, '--manifest', t('bb.json'), '--hash-backend', 'noble', 'qemu']));
    expect(fs.readFileSync(t('bb.json'), 'utf8')).toBe(fs.readFileSync(t('bn.json'), 'utf8'));
    const m = JSON.parse(fs.readFileSync(t('bn.json'), 'utf8')) as Record<string, any>;
    expect(m.idBlock.idKeyDigest).toMatch(/^[0-9a-f]{96}$/);
    expect(m.idBlock.authorKeyDigest).toMatch(/^[0-9a-f]{96}$/);
  });
  it('--family-id/--image-id/--guest-svn go into the ID block', async () => {
    expectOk(await runCliInProcess(['igvm', 'build', ...QEMU, '--output', t('f.igvm'), '--id-key', path.join(KEYS, 'id_key.pem'), '--family-id', '11'.repeat(16), '--guest-svn', '7', '--manifest', t('f.json'), 'qemu']));
    const m = JSON.parse(fs.readFileSync(t('f.json'), 'utf8')) as Record<string, any>;
    expect(m.idBlock.familyId).toBe('11'.repeat(16));
    expect(m.idBlock.guestSvn).toBe(7);
    expect(expectOk(await runCliInProcess(['igvm', 'measure', t('f.igvm')])).trim()).toBe(QEMU_DIGEST);
  });
});

describe('igvm build (CLI): bad input', () => {
  const cases: Array<[string, string[], RegExp, number, ErrorCode]> = [
    ['not an ELF kernel', ['--snp', '--bldr', BLDR, '--kernel', BLDR], /not an ELF file/, 1, 'ERR_MALFORMED'],
    ['no platform', ['--kernel', KERNEL], /No platform specified/, 1, 'ERR_MALFORMED'],
    ['policy without --snp', ['--policy', '0x30000', '--tdp', '--tdx-stage1', STAGE1, '--bldr', BLDR, '--kernel', KERNEL], /--policy: Policy not supported/, 1, 'ERR_MALFORMED'],
    ['stage 1 not 4096 bytes', ['--tdp', '--tdx-stage1', BLDR, '--bldr', BLDR, '--kernel', KERNEL], /tdx-stage1: .*4096/, 1, 'ERR_MALFORMED'],
    ['missing boot loader', ['--snp', '--kernel', KERNEL], /--bldr required/, 1, 'ERR_MALFORMED'],
    ['firmware not OVMF', ['--snp', '--bldr', BLDR, '--kernel', KERNEL, '--firmware', BLDR], /firmware: OVMF table footer not found/, 1, 'ERR_MALFORMED'],
    ['missing kernel file', ['--snp', '--bldr', BLDR, '--kernel', path.join(IN, 'nope.elf')], /--kernel: cannot read/, 1, 'ERR_IO'],
    ['bad --comport', ['--snp', '--bldr', BLDR, '--kernel', KERNEL, '--comport', '5'], /--comport/, 2, 'ERR_INVALID_OPTION'],
    ['bad --sev-features', ['--snp', '--bldr', BLDR, '--kernel', KERNEL, '--sev-features', 'reflect-vc,warp-drive'], /--sev-features/, 2, 'ERR_INVALID_OPTION'],
    ['bad hypervisor', ['--snp', '--bldr', BLDR, '--kernel', KERNEL], /hypervisor/, 2, 'ERR_INVALID_OPTION'],
  ];
  for (const [name, args, re, code, errorCode] of cases) {
    it(name, async () => {
      const out = t(`bad-${name.replace(/\W+/g, '-')}.igvm`);
      const hv = name === 'bad hypervisor' ? 'xen' : 'qemu';
      expect(expectCleanError(await runCliInProcess(['igvm', 'build', ...args, '--output', out, hv]), code, errorCode)).toMatch(re);
      expect(fs.existsSync(out)).toBe(false);
    });
  }
});
