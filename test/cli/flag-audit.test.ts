/**
 * Issue #12 items 2, 3 and 9: no flag is accepted and then dropped where it would change a
 * measurement (each combination below is applied or refused with ERR_INVALID_OPTION, exit 2);
 * the kernel command line is measured as bytes; launch snippets come from one code path.
 * Expected digests come from sev-snp-measure's vectors (test/vectors/snp-measure.json), from
 * its dumped VMSA pages patched as the AMD APM / KVM define, or from QEMU's definition of the
 * hashed command line (SHA-256 of the bytes and a NUL: target/i386/sev.c).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directBootLoadOptions } from '../../src/measure/rtmr.js';
import { cmdlineBytes } from '../../src/formats/linux/cmdline.js';
import { qemuPatchSetupHeader } from '../../src/formats/linux/qemu-setup-patch.js';
import { expectCleanError, runCliInProcess } from '../support/cli.js';
import { loadVectors, makeWorkDir, removeWorkDir } from '../support/snp-vectors.js';
import { KEYS } from '../idblock/helpers.js';

const file = loadVectors();
const vector = (id: string) => {
  const v = file.vectors.find((x) => x.id === id);
  if (!v) throw new Error(`vector ${id} missing`);
  return v;
};
const sha256 = (...parts: Uint8Array[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

let work = '';
beforeAll(async () => {
  work = makeWorkDir(file);
});
afterAll(async () => removeWorkDir(work));
const cli = (args: string[]) => runCliInProcess(args, { cwd: work });

const DEB = ['--ovmf', 'fw/deb/OVMF.fd'];
const AMDSEV = ['--ovmf', 'fw/synth/amdsev.fd'];
const SNP = ['--mode', 'snp', '--vcpus', '2', '--vcpu-type', 'EPYC-v4'];
const SEVES = ['--mode', 'seves', '--vcpus', '2', '--vcpu-type', 'EPYC-v4'];
const SVSM = ['--mode', 'snp:svsm', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--svsm', 'fw/synth/svsm.bin', '--vars-size', '135168'];

/** A host stack (QEMU 10.0, Linux 6.12): `measure` then follows the real stack and refuses what no launch has. */
const STACK = ['--qemu-version', '10.0.0', '--host-kernel', '6.12'];

describe('flag audit: a flag the mode would drop is refused (ERR_INVALID_OPTION, exit 2)', () => {
  const cases: Array<[string, string[], string]> = [
    ['--guest-features with sev (no VMSA)', ['measure', '--mode', 'sev', ...DEB, '--guest-features', '0x1'], '--guest-features'],
    ['--vmsa-profile with sev (no VMSA)', ['measure', '--mode', 'sev', ...DEB, '--vmsa-profile', 'kvm-legacy'], '--vmsa-profile'],
    ['SNPActive in an SEV-ES VMSA (host stack given)', ['measure', ...SEVES, ...DEB, '--guest-features', '0x1', ...STACK], '--guest-features'],
    ['SNP-only ReflectVC in an SEV-ES VMSA (host stack given)', ['measure', ...SEVES, ...DEB, '--guest-features', '0x4', ...STACK], '--guest-features'],
    ['0x21 in an SEV-ES VMSA (host stack given)', ['measure', ...SEVES, ...DEB, '--guest-features', '0x21', ...STACK], '--guest-features'],
    ['--svsm outside snp:svsm', ['measure', ...SNP, ...DEB, '--svsm', 'fw/synth/svsm.bin'], '--svsm'],
    ['--vars-size outside snp:svsm', ['measure', ...SNP, ...DEB, '--vars-size', '0x21000'], '--vars-size'],
    ['--vars-file outside snp:svsm', ['measure', ...SEVES, ...DEB, '--vars-file', 'fw/deb/OVMF_VARS_4M.fd'], '--vars-file'],
    ['--kernel with snp:svsm (not modelled)', ['measure', ...SVSM, ...DEB, '--kernel', 'inputs/kernel_1m.bin'], '--kernel'],
    ['--dump-vmsa with snp:ovmf-hash (no VMSA)', ['measure', '--mode', 'snp:ovmf-hash', ...DEB, '--dump-vmsa'], '--dump-vmsa'],
    ['--append-file without --kernel', ['measure', ...SNP, ...DEB, '--append-file', 'fw/deb/copyright'], '--append-file'],
    ['--append and --append-file together', ['measure', ...SNP, ...AMDSEV, '--kernel', 'inputs/kernel_1m.bin', '--append', 'a', '--append-file', 'x'], '--append-file'],
    ['id-block --cbitpos without --emit', ['id-block', '--measurement', '00'.repeat(48), '--id-key', path.join(KEYS, 'id_key_a.pem'), '--cbitpos', '51'], '--cbitpos'],
    ['id-block --kernel-hashes without --emit', ['id-block', '--measurement', '00'.repeat(48), '--id-key', path.join(KEYS, 'id_key_a.pem'), '--kernel-hashes', 'on'], '--kernel-hashes'],
    ['id-block --emit with a bare digest and no --kernel-hashes', ['id-block', '--measurement', '00'.repeat(48), '--id-key', path.join(KEYS, 'id_key_a.pem'), '--emit', 'qemu'], '--kernel-hashes'],
    ['golden --guest-features with no snp entry', ['golden', ...DEB, '--mode', 'seves', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--guest-features', '0x20'], '--guest-features'],
    ['golden --id-key with no snp entry (no ID block would be signed)', ['golden', ...DEB, '--mode', 'sev', '--id-key', path.join(KEYS, 'id_key_a.pem')], '--id-key'],
    ['golden --policy with no snp entry', ['golden', ...DEB, '--mode', 'seves', '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--policy', '0x30000'], '--policy'],
    ['tdx --append-file without --kernel', ['tdx', '--firmware', path.join('fw/deb/OVMF.fd'), '--memory', '2G', '--append-file', 'fw/deb/copyright'], '--append-file'],
  ];
  it.each(cases)('%s', async (_what, args, flag) => {
    const line = expectCleanError(await cli(args), 2, 'ERR_INVALID_OPTION');
    expect(line.startsWith(`error: ${flag}:`), line).toBe(true);
  });

  // without a host stack `measure` is the sev-snp-measure drop-in: the flags that tool ignores give its value and a warning
  it.each([
    ['SNPActive in an SEV-ES VMSA', ['measure', ...SEVES, ...DEB, '--guest-features', '0x1'], /cannot be in an SEV-ES VMSA.*Measured with 0x0/],
    ['0x21 in an SEV-ES VMSA: DebugSwap kept', ['measure', ...SEVES, ...DEB, '--guest-features', '0x21'], /cannot be in an SEV-ES VMSA.*Measured with 0x20/],
    ['--guest-features other than 0x1 with snp:svsm', ['measure', ...SVSM, ...DEB, '--guest-features', '0x21'], /snp:svsm models COCONUT-SVSM's fixed VMSA.*Measured with 0x1/],
  ] as const)('drop-in: %s is measured as sev-snp-measure does, with a warning', async (_what, args, warning) => {
    const r = await cli([...args]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{64,96}\n$/);
    expect(r.stderr).toMatch(/^warning: /);
    expect(r.stderr).toMatch(warning);
  });

  it('export refuses flags of another target', async () => {
    const doc = path.join(work, 'g.json');
    expect((await cli(['golden', ...DEB, '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '-o', doc])).code).toBe(0);
    for (const [args, flag] of [[['--to', 'qemu', '--name', 'x'], '--name'], [['--to', 'trustee', '--cbitpos', '51'], '--cbitpos'], [['--to', 'qemu', '--id', 'x'], '--id']] as const) {
      const line = expectCleanError(await cli(['export', doc, ...args]), 2, 'ERR_INVALID_OPTION');
      expect(line).toMatch(new RegExp(`^error: ${flag}:`));
    }
  });

  it('flags that do not change what a mode computes stay accepted, as in sev-snp-measure (vCPU flags for sev)', async () => {
    const v = vector('sev.deb-OVMF');
    const r = await cli([...['measure'], ...v.args, '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--vmm-type', 'QEMU']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(v.expected);
  });

  it('a --vcpu-type overridden by a different --vcpu-sig is named in a warning (sev-snp-measure precedence kept)', async () => {
    const r = await cli(['measure', '--mode', 'snp', '--vcpus', '2', ...DEB, '--vcpu-type', 'EPYC-Rome', '--vcpu-sig', '0x800f12']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(vector('snp.qemu.deb-OVMF.v2.prec-type+sig').expected);
    expect(r.stderr).toMatch(/^warning: --vcpu-type EPYC-Rome .* overridden by --vcpu-sig/);
  });
});

describe('SEV-ES guest features are applied to the VMSAs (issue #12 item 3)', () => {
  it('--guest-features 0x20 gives SHA-256(firmware, VMSAs with SEV_FEATURES 0x20), not the default digest', async () => {
    // the reference's own VMSA pages for this guest (checked against its dump), patched at
    // SEV_FEATURES (VMSA offset 0x3B0, AMD APM vol. 2) as KVM's sev_es_sync_vmsa writes it
    const v = vector('seves.qemu.deb-OVMF.EPYC-v4.v2.dump');
    const dir = fs.mkdtempSync(path.join(work, 'dump-'));
    for (const d of ['fw', 'inputs']) fs.symlinkSync(path.join(work, d), path.join(dir, d));
    const r = await runCliInProcess(['measure', ...v.args], { cwd: dir });
    expect(r.stdout.trim()).toBe(v.expected);
    const pages = [0, 1].map((i) => new Uint8Array(fs.readFileSync(path.join(dir, `vmsa${i}.bin`))));
    expect(pages.map((p) => sha256(p))).toEqual(v.vmsa_sha256);
    for (const p of pages) p[0x3b0] = 0x20;
    const firmware = fs.readFileSync(path.join(work, 'fw/deb/OVMF.fd'));
    const given = await cli(['measure', ...v.args.filter((a) => a !== '--dump-vmsa'), '--guest-features', '0x20']);
    expect(given.code).toBe(0);
    expect(given.stdout.trim()).toBe(sha256(firmware, pages[0]!, pages[1]!));
    expect(given.stdout.trim()).not.toBe(v.expected);
    // without the flag (and with an explicit 0) SEV-ES keeps SEV_FEATURES 0: the reference's value
    expect((await cli(['measure', ...v.args.filter((a) => a !== '--dump-vmsa'), '--guest-features', '0'])).stdout.trim()).toBe(v.expected);
  });
});

describe('the kernel command line is measured as bytes (issue #12 item 2)', () => {
  const utf8Vector = 'snp.qemu.syn-amdsev.EPYC-v4.v1.k1m-i64k-utf8';

  it('--append-file with the same UTF-8 bytes gives the reference digest of --append', async () => {
    const v = vector(utf8Vector);
    const i = v.args.indexOf('--append');
    const f = path.join(work, 'cmdline-utf8');
    fs.writeFileSync(f, v.args[i + 1]!, 'utf8');
    const r = await cli(['measure', ...v.args.slice(0, i), ...v.args.slice(i + 2), '--append-file', f]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(v.expected);
  });

  it('--append holding U+FFFD (argv lost the bytes) is refused and points to --append-file', async () => {
    const line = expectCleanError(await cli(['measure', ...SNP, ...AMDSEV, '--kernel', 'inputs/kernel_1m.bin', '--append', 'console=ttyS0 caf\uFFFD']), 2, 'ERR_INVALID_OPTION');
    expect(line).toMatch(/^error: --append: .*U\+FFFD.*--append-file/);
    // the same inside id-block --from-measure and for golden and tdx
    expect(expectCleanError(await cli(['golden', ...AMDSEV, '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--kernel', 'inputs/kernel_1m.bin', '--append', 'caf\uFFFD']), 2, 'ERR_INVALID_OPTION')).toMatch(/--append-file/);
    expect(expectCleanError(await cli(['tdx', '--firmware', 'fw/deb/OVMF.fd', '--memory', '2G', '--kernel', 'inputs/kernel_1m.bin', '--append', 'caf\uFFFD']), 2, 'ERR_INVALID_OPTION')).toMatch(/--append-file/);
  });

  it('non-UTF-8 bytes from --append-file are hashed raw with their NUL, as QEMU does (report shows hex)', async () => {
    const bytes = Buffer.from('console=ttyS0 caf\xe9', 'latin1');
    const f = path.join(work, 'cmdline-latin1');
    fs.writeFileSync(f, bytes);
    const r = await cli(['measure', ...SNP, ...AMDSEV, '--kernel', 'inputs/kernel_1m.bin', '--append-file', f, '--output-format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { cmdline: { value: string | null; hex: string; sha256: string } };
    expect(doc.cmdline).toEqual({ value: null, hex: bytes.toString('hex'), sha256: sha256(bytes, new Uint8Array(1)) });
    const replaced = await cli(['measure', ...SNP, ...AMDSEV, '--kernel', 'inputs/kernel_1m.bin', '--append', 'console=ttyS0 café', '--output-format', 'json']);
    expect((JSON.parse(replaced.stdout) as { measurement: string }).measurement).not.toBe((doc as unknown as { measurement: string }).measurement);
  });

  it('a trailing newline in the file is part of the command line, with a warning; a NUL is refused', async () => {
    const v = vector(utf8Vector);
    const i = v.args.indexOf('--append');
    const f = path.join(work, 'cmdline-nl');
    fs.writeFileSync(f, v.args[i + 1]! + '\n', 'utf8');
    const r = await cli(['measure', ...v.args.slice(0, i), ...v.args.slice(i + 2), '--append-file', f]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).not.toBe(v.expected);
    expect(r.stderr).toMatch(/^warning: --append-file: the command line ends with a newline/);
    fs.writeFileSync(f, 'a\0b');
    expect(expectCleanError(await cli(['measure', ...SNP, ...AMDSEV, '--kernel', 'inputs/kernel_1m.bin', '--append-file', f]), 2, 'ERR_INVALID_OPTION')).toMatch(/NUL byte at offset 1/);
  });

  it('golden manifests take cmdlineHex (exact bytes) and record hex for a command line that is not UTF-8', async () => {
    const m = path.join(work, 'manifest.json');
    const bytes = Buffer.from('root=/dev/vda caf\xe9', 'latin1');
    fs.writeFileSync(m, JSON.stringify({ artifacts: [{ name: 'a', firmware: 'fw/synth/amdsev.fd', kernel: 'inputs/kernel_1m.bin', cmdlineHex: bytes.toString('hex') }], matrix: { vcpus: 1, vcpuTypes: ['EPYC-v4'] } }));
    const r = await cli(['golden', m, '--jobs', '1']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { artifacts: Array<{ cmdline: unknown }> };
    expect(doc.artifacts[0]!.cmdline).toEqual({ value: null, hex: bytes.toString('hex'), sha256: sha256(bytes, new Uint8Array(1)) });
  });

  it('a manifest that is not UTF-8 is refused (its bytes would become U+FFFD in a measured cmdline)', async () => {
    const m = path.join(work, 'manifest-latin1.yaml');
    fs.writeFileSync(m, Buffer.concat([Buffer.from('artifacts:\n  - name: a\n    firmware: fw/synth/amdsev.fd\n    kernel: inputs/kernel_1m.bin\n    cmdline: "caf'), Buffer.from([0xe9]), Buffer.from('"\nmatrix:\n  vcpus: 1\n  vcpuTypes: [EPYC-v4]\n')]));
    expect(expectCleanError(await cli(['golden', m, '--jobs', '1']), 1, 'ERR_MALFORMED')).toMatch(/not UTF-8.*cmdlineHex/);
  });

  it('library: a string is UTF-8, bytes are exact; NUL and lone surrogates are refused', async () => {
    expect([...cmdlineBytes('café')]).toEqual([0x63, 0x61, 0x66, 0xc3, 0xa9]);
    expect([...cmdlineBytes(new Uint8Array([0x63, 0xe9]))]).toEqual([0x63, 0xe9]);
    expect(() => cmdlineBytes('a\0b')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => cmdlineBytes('a\ud800')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });

  it('TDX LoadOptions widen each byte of the command line to one UTF-16 unit (OVMF UnicodeSPrintAsciiFormat "%a")', async () => {
    const units = (b: Uint8Array | null): number[] => [...new Uint16Array(b!.buffer, b!.byteOffset, b!.length / 2)];
    // "café" reaches OVMF as the UTF-8 bytes 63 61 66 c3 a9: five CHAR16s, not the four of UTF-16 "café"
    expect(units(directBootLoadOptions('café', false))).toEqual([0x63, 0x61, 0x66, 0xc3, 0xa9, 0]);
    expect(units(directBootLoadOptions(new Uint8Array([0x63, 0xe9]), true))).toEqual([0x63, 0xe9, ...[...' initrd=initrd'].map((c) => c.charCodeAt(0)), 0]);
  });

  it('the setup-header patch sizes the command line in bytes (protocol < 0x202 puts it at 0x9A000 - size)', async () => {
    const head = new Uint8Array(0x280);
    const dv = new DataView(head.buffer);
    dv.setUint32(0x202, 0x53726448, true);
    dv.setUint16(0x206, 0x0201, true);
    head[0x211] = 1;
    const p = qemuPatchSetupHeader(head, 0x10000, 'é', null, 0x8000_0000);
    // 2 UTF-8 bytes + NUL: cmd_line_offset = 0x9A000 - 3 - 0x90000
    expect(new DataView(p.header.buffer).getUint16(0x22, true)).toBe(0x9a000 - 3 - 0x90000);
  });
});

describe('one code path for launch snippets (issue #12 item 9)', () => {
  const measureFlags = '--mode snp --vcpus 2 --vcpu-type EPYC-v4 --ovmf fw/synth/amdsev.fd --kernel inputs/kernel_1m.bin --append console=ttyS0';
  const idKey = path.join(KEYS, 'id_key_a.pem');
  // id-auth carries ECDSA signatures, which differ between signings
  const stripAuth = (s: string): string => s.replace(/id-auth=[^,\s]+/, 'id-auth=…').replace(/<idAuth>[^<]+<\/idAuth>/, '<idAuth>…</idAuth>');

  it('id-block --emit qemu adds kernel-hashes=on when the measurement includes a kernel, and matches export --to qemu', async () => {
    const doc = path.join(work, 'golden-kernel.json');
    const g = await cli(['golden', ...AMDSEV, '--vcpus', '2', '--vcpu-type', 'EPYC-v4', '--kernel', 'inputs/kernel_1m.bin', '--append', 'console=ttyS0', '--id-key', idKey, '-o', doc]);
    expect(g.code, g.stderr).toBe(0);
    for (const target of ['qemu', 'libvirt'] as const) {
      const ib = await cli(['id-block', '--from-measure', measureFlags, '--id-key', idKey, '--emit', target]);
      expect(ib.code, ib.stderr).toBe(0);
      expect(ib.stdout).toMatch(target === 'qemu' ? /,kernel-hashes=on/ : /kernelHashes='yes'/);
      const ex = await cli(['export', doc, '--to', target]);
      expect(ex.code, ex.stderr).toBe(0);
      const snippet = ex.stdout.split('\n').filter((l) => !/^(#|<!--)/.test(l)).join('\n').trim();
      expect(stripAuth(ib.stdout.trim())).toBe(stripAuth(snippet));
    }
  });

  it('--from-measure FILE (measure JSON) carries the same launch facts; a bare digest needs --kernel-hashes and a contradiction is refused', async () => {
    const j = await cli(['measure', ...measureFlags.split(' '), '--output-format', 'json']);
    const f = path.join(work, 'm.json');
    fs.writeFileSync(f, j.stdout);
    const fromFile = await cli(['id-block', '--from-measure', f, '--id-key', idKey, '--emit', 'qemu']);
    expect(fromFile.stdout).toMatch(/^-smp 2 -cpu EPYC-v4 -object sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,.*,kernel-hashes=on\n$/);
    expect(expectCleanError(await cli(['id-block', '--from-measure', f, '--id-key', idKey, '--emit', 'qemu', '--kernel-hashes', 'off']), 2, 'ERR_INVALID_OPTION')).toMatch(/^error: --kernel-hashes: off contradicts/);
    const digest = (JSON.parse(j.stdout) as { measurement: string }).measurement;
    const bare = await cli(['id-block', '--measurement', digest, '--id-key', idKey, '--emit', 'qemu', '--kernel-hashes', 'on', '--cbitpos', '47']);
    expect(bare.stdout).toMatch(/^-object sev-snp-guest,id=sev0,cbitpos=47,reduced-phys-bits=1,.*,kernel-hashes=on\n$/);
  });
});
