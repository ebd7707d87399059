/**
 * The launch stack as input (src/stack/): `measure --from-qemu` / `--from-libvirt` on the
 * example inputs in test/stack/inputs/ (written for these tests) give what the explicit flags
 * give for the same guest on the same stack, plus the stack rules and the refusals.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PrelaunchError } from '../../src/errors.js';
import { parseLibvirtDomain } from '../../src/stack/libvirt-domain.js';
import { resolveStack } from '../../src/stack/model.js';
import { parseQemuCommandLine } from '../../src/stack/qemu-cmdline.js';
import { deriveSev, deriveTdx } from '../../src/stack/rules.js';
import { hostModelFromSig } from '../../src/stack/cpu-models.js';
import { parseXml } from '../../src/stack/xml.js';
import { expectCleanError, PROJECT, runCliInProcess } from '../support/cli.js';

const INPUTS = fileURLToPath(new URL('./inputs/', import.meta.url));
const fw = (rel: string): string => path.join(PROJECT, 'firmware-samples', rel);
const OVMF = fw('debian/OVMF.fd');
const AMDSEV = fw('synthetic/amdsev.fd');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const lastLine = (s: string): string => s.trimEnd().split('\n').pop()!;
const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof PrelaunchError) return e.code;
    throw e;
  }
  throw new Error('did not throw');
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-stack-'));
afterAll(async () => fs.rmSync(tmp, { recursive: true, force: true }));

// a sysroot shaped like a host: descriptors, firmware and Nova's instance files at their usual paths
const SYSROOT = path.join(tmp, 'root');
const put = (rel: string, target: string | Uint8Array): string => {
  const p = path.join(SYSROOT, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  if (typeof target === 'string') fs.symlinkSync(target, p);
  else fs.writeFileSync(p, target);
  return p;
};
for (const f of fs.readdirSync(path.join(INPUTS, 'firmware'))) put(`usr/share/qemu/firmware/${f}`, path.join(INPUTS, 'firmware', f));
put('usr/share/ovmf/OVMF.amdsev.fd', AMDSEV);
put('usr/share/edk2/ovmf/OVMF.amdsev.fd', AMDSEV);
put('usr/share/ovmf/OVMF.inteltdx.fd', OVMF);
const NOVA_KERNEL = put('var/lib/nova/instances/3c1ad4d2/kernel', createHash('shake256', { outputLength: 200_000 }).update('nova kernel').digest());
const NOVA_INITRD = put('var/lib/nova/instances/3c1ad4d2/ramdisk', createHash('shake256', { outputLength: 50_001 }).update('nova initrd').digest());

describe('AMDSEV launch-qemu.sh -sev-snp (QEMU command line)', () => {
  it('measures 4 VMSAs for -smp 4,maxcpus=255 and no kernel (no kernel-hashes): sev-snp-measure\'s value', async () => {
    const r = await runCliInProcess(['measure', '--from-qemu', 'amdsev-launch-qemu.sh', '--qemu-version', '10.1.0', '--host-kernel', '6.12.48+deb13-amd64'], { cwd: INPUTS });
    expect(r.code, r.stderr).toBe(0);
    // test/vectors/snp-measure.json snp.qemu.deb-OVMF.EPYC-v4.v4 (virtee/sev-snp-measure)
    expect(lastLine(r.stdout)).toBe('32ac9d7a17d28f7cd4404a4516d2f00519668c40ada2062351c36767e908eb3f090d66c33ab10f80150e00a4385b6d0f');
    const explicit = await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', OVMF]);
    expect(lastLine(r.stdout)).toBe(lastLine(explicit.stdout));
  });

  it('records the stack and the rules that fired in JSON', async () => {
    const r = await runCliInProcess(['measure', '--from-qemu', 'amdsev-launch-qemu.sh', '--qemu-version', '10.1.0', '--host-kernel', '6.12.48+deb13-amd64', '--output-format', 'json'], { cwd: INPUTS });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.stack).toMatchObject({ qemu: '10.1.0', hostKernel: '6.12.48+deb13-amd64', origin: { qemu: 'flag', hostKernel: 'flag' } });
    expect(doc.rules.map((h: { id: string }) => h.id)).toEqual(['snp-support', 'H3', 'smp-boot-vcpus', 'H5', 'H6']);
    expect(doc.launch).toMatchObject({ guest: 'sev-snp', vcpus: 4, maxVcpus: 255, kernelHashes: false });
    expect(doc.guestFeatures).toBe('0x1');
  });

  it('notes the assumed default stack on stderr when none is given', async () => {
    const r = await runCliInProcess(['measure', '--from-qemu', 'amdsev-launch-qemu.sh'], { cwd: INPUTS });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^note: host stack assumed: QEMU 11\.1\.3, Linux 7\.2\.0/);
  });

  it('reads /proc/PID/cmdline (NUL-separated) and stdin', async () => {
    const argv = ['qemu-system-x86_64', '-machine', 'q35,confidential-guest-support=s', '-object', 'sev-snp-guest,id=s', '-cpu', 'EPYC-v4', '-smp', '4', '-bios', OVMF];
    const file = path.join(tmp, 'cmdline');
    fs.writeFileSync(file, argv.join('\0') + '\0');
    const r = await runCliInProcess(['measure', '--from-qemu', file, '--qemu-version', '9.1', '--host-kernel', '6.11']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastLine(r.stdout)).toBe('32ac9d7a17d28f7cd4404a4516d2f00519668c40ada2062351c36767e908eb3f090d66c33ab10f80150e00a4385b6d0f');
    const viaStdin = await runCliInProcess(['measure', '--from-qemu', '-', '--qemu-version', '9.1', '--host-kernel', '6.11'], { stdin: fs.readFileSync(file) });
    expect(viaStdin.code, viaStdin.stderr).toBe(0);
    expect(lastLine(viaStdin.stdout)).toBe(lastLine(r.stdout));
  });
});

describe('Nova SNP instance with kernel hashes (libvirt domain)', () => {
  const base = ['measure', '--from-libvirt', path.join(INPUTS, 'nova-snp-instance.xml'), '--sysroot', SYSROOT, '--qemu-version', '9.1.2', '--host-kernel', '6.11.0', '--host-cpu-sig', '0xa00f11'];
  it('autoselects the amd-sev-snp descriptor, resolves host-model from the host signature, and measures the kernel', async () => {
    const r = await runCliInProcess(base);
    expect(r.code, r.stderr).toBe(0);
    const explicit = await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-Milan', '--ovmf', AMDSEV, '--kernel', NOVA_KERNEL, '--initrd', NOVA_INITRD, '--append', 'root=/dev/vda1 console=ttyS0 & quiet']);
    expect(explicit.code, explicit.stderr).toBe(0);
    expect(lastLine(r.stdout)).toBe(lastLine(explicit.stdout));
  });
  it('names the descriptor and the resolved model in JSON', async () => {
    const doc = JSON.parse((await runCliInProcess([...base, '--output-format', 'json'])).stdout);
    expect(doc.launch.firmware.via).toMatch(/60-edk2-x86_64-amdsev\.json$/);
    expect(doc.launch.cpu).toBe('host-model → EPYC-Milan');
    expect(doc.rules.map((h: { id: string }) => h.id)).toContain('H7');
    // the cmdline hash is SHA-256 of the UTF-8 text and a NUL
    expect(doc.kernelHashes.cmdline).toBe(createHash('sha256').update('root=/dev/vda1 console=ttyS0 & quiet\0').digest('hex'));
  });
  it('refuses host-model without a way to resolve it', async () => {
    const line = expectCleanError(await runCliInProcess(base.slice(0, -2)), 1, 'ERR_UNSUPPORTED_STACK');
    expect(line).toMatch(/host-model.*--host-model/);
  });
  it('a descriptor naming a missing file: one error line naming it', async () => {
    const root2 = path.join(tmp, 'root2');
    fs.mkdirSync(path.join(root2, 'usr/share/qemu/firmware'), { recursive: true });
    fs.copyFileSync(path.join(INPUTS, 'firmware/60-edk2-x86_64-amdsev.json'), path.join(root2, 'usr/share/qemu/firmware/60-edk2-x86_64-amdsev.json'));
    const line = expectCleanError(await runCliInProcess(['measure', '--from-libvirt', path.join(INPUTS, 'nova-snp-instance.xml'), '--sysroot', root2, '--host-model', 'EPYC-Milan']), 1, 'ERR_IO');
    expect(line).toMatch(/OVMF\.amdsev\.fd.*60-edk2-x86_64-amdsev\.json/);
  });
});

describe('Fedora SNP host (host-passthrough, current < max vCPUs)', () => {
  it('uses the host signature and the current vCPU count', async () => {
    const r = await runCliInProcess(['measure', '--from-libvirt', path.join(INPUTS, 'fedora-snp-host.xml'), '--sysroot', SYSROOT, '--qemu-version', '10.1.0', '--host-kernel', '6.17.7-300.fc43.x86_64', '--host-cpu-sig', '0xa10f11']);
    expect(r.code, r.stderr).toBe(0);
    const explicit = await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '2', '--vcpu-sig', '0xa10f11', '--ovmf', AMDSEV]);
    expect(lastLine(r.stdout)).toBe(lastLine(explicit.stdout));
  });
  it('-cpu host without --host-cpu-sig is refused', async () => {
    expect(expectCleanError(await runCliInProcess(['measure', '--from-libvirt', path.join(INPUTS, 'fedora-snp-host.xml'), '--sysroot', SYSROOT, '--qemu-version', '10.1.0', '--host-kernel', '6.17.0']), 1, 'ERR_UNSUPPORTED_STACK')).toMatch(/--host-cpu-sig/);
  });
});

describe('Fedora TDX host with virt-install', () => {
  it('MRTD of the intel-tdx descriptor\'s firmware, single-pass', async () => {
    const r = await runCliInProcess(['measure', '--from-libvirt', path.join(INPUTS, 'fedora-tdx-virt-install.xml'), '--sysroot', SYSROOT, '--qemu-version', '10.1.0', '--host-kernel', '6.16.3']);
    expect(r.code, r.stderr).toBe(0);
    // ../shared/spec/tdx-measure.md §9: Debian OVMF.fd 2022.11-6+deb12u2 MRTD single-pass
    expect(lastLine(r.stdout)).toBe('4c7206f0f483c524f12c366c711e9049030a8d47c471ee5aa9c4999a08de4057fb887fed0744d5631a212967fb231c47');
  });
  it('refuses QEMU < 10.1 and Linux < 6.16', async () => {
    expect(expectCleanError(await runCliInProcess(['measure', '--from-libvirt', path.join(INPUTS, 'fedora-tdx-virt-install.xml'), '--sysroot', SYSROOT, '--qemu-version', '10.0.2', '--host-kernel', '6.16.3']), 1, 'ERR_UNSUPPORTED_STACK')).toMatch(/QEMU >= 10\.1/);
    expect(expectCleanError(await runCliInProcess(['measure', '--from-libvirt', path.join(INPUTS, 'fedora-tdx-virt-install.xml'), '--sysroot', SYSROOT, '--qemu-version', '10.1.0', '--host-kernel', '6.12.0']), 1, 'ERR_UNSUPPORTED_STACK')).toMatch(/Linux >= 6\.16/);
  });
});

describe('SEV-ES and the host stack (H1)', () => {
  const cmd = (extra: string): string => `qemu-system-x86_64 -machine q35,confidential-guest-support=s -object sev-guest,id=s,policy=0x5${extra} -cpu EPYC-Milan -smp 2 -bios ${OVMF}\n`;
  const file = (name: string, text: string): string => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, text);
    return p;
  };
  it('QEMU 10 default (legacy-vm-type=auto): the legacy KVM init, MXCSR/FCW 0 = --vmsa-profile kvm-legacy', async () => {
    const r = await runCliInProcess(['measure', '--from-qemu', file('es.sh', cmd('')), '--qemu-version', '10.0.2', '--host-kernel', '6.12.0']);
    const explicit = await runCliInProcess(['measure', '--mode', 'seves', '--vcpus', '2', '--vcpu-type', 'EPYC-Milan', '--ovmf', OVMF, '--vmsa-profile', 'kvm-legacy']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastLine(r.stdout)).toBe(lastLine(explicit.stdout));
    // test/vectors/vmsa-profiles.json: sev-snp-measure v0.0.9-8 (before the KVM_SEV_INIT2 VMSA), seves 2 × EPYC-Milan
    expect(lastLine(r.stdout)).toBe('baab03bac1e7647bf7ef1e797a93791cfb4b158477bd4b57deffbeb3f1fdd13e');
    // and the same from the plain flags with a stack
    expect(lastLine((await runCliInProcess(['measure', '--mode', 'seves', '--vcpus', '2', '--vcpu-type', 'EPYC-Milan', '--ovmf', OVMF, '--qemu-version', '10.0.2', '--host-kernel', '6.12.0'])).stdout)).toBe(lastLine(explicit.stdout));
  });
  it('plain SEV with kernel hashes (sev-guest policy 0x1) = --mode sev --kernel', async () => {
    const p = file('sev.sh', `qemu-system-x86_64 -machine q35,memory-encryption=s -object sev-guest,id=s,policy=0x1,kernel-hashes=on,cbitpos=47,reduced-phys-bits=1 -bios ${AMDSEV} -kernel ${NOVA_KERNEL} -append "console=ttyS0"\n`);
    const r = await runCliInProcess(['measure', '--from-qemu', p, '--qemu-version', '9.2.0', '--host-kernel', '6.8.0']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastLine(r.stdout)).toBe(lastLine((await runCliInProcess(['measure', '--mode', 'sev', '--ovmf', AMDSEV, '--kernel', NOVA_KERNEL, '--append', 'console=ttyS0'])).stdout));
  });
  it('legacy-vm-type=off on Linux >= 6.10: KVM_SEV_INIT2 = kvm-init2; on 6.9 refused', async () => {
    const p = file('es-off.sh', cmd(',legacy-vm-type=off'));
    const r = await runCliInProcess(['measure', '--from-qemu', p, '--qemu-version', '10.0.2', '--host-kernel', '6.12.0']);
    expect(lastLine(r.stdout)).toBe(lastLine((await runCliInProcess(['measure', '--mode', 'seves', '--vcpus', '2', '--vcpu-type', 'EPYC-Milan', '--ovmf', OVMF, '--vmsa-profile', 'kvm-init2'])).stdout));
    expect(expectCleanError(await runCliInProcess(['measure', '--from-qemu', p, '--qemu-version', '10.0.2', '--host-kernel', '6.9.0']), 1, 'ERR_UNSUPPORTED_STACK')).toMatch(/Linux >= 6\.10/);
  });
  it('Linux 6.6 (debug_swap on by default) gives SEV_FEATURES 0x20 (H2); a stack file with debug_swap=N gives 0', async () => {
    const p = file('es66.sh', cmd(''));
    const explicit = async (features: string): Promise<string> =>
      lastLine((await runCliInProcess(['measure', '--mode', 'seves', '--vcpus', '2', '--vcpu-type', 'EPYC-Milan', '--ovmf', OVMF, '--vmsa-profile', 'kvm-legacy', '--guest-features', features])).stdout);
    const on = await runCliInProcess(['measure', '--from-qemu', p, '--qemu-version', '9.1.0', '--host-kernel', '6.6.30']);
    expect(on.code).toBe(0);
    expect(lastLine(on.stdout)).toBe(await explicit('0x20'));
    const stack = file('stack.json', JSON.stringify({ prelaunchStack: 1, vmm: 'QEMU', qemu: '9.1.0', hostKernel: '6.6.30', kvmAmd: { debug_swap: 'N' } }));
    const off = await runCliInProcess(['measure', '--from-qemu', p, '--stack', stack]);
    expect(off.code).toBe(0);
    expect(lastLine(off.stdout)).toBe(await explicit('0'));
    expect(explicit('0x20')).not.toBe(explicit('0'));
  });
  it('the explicit --vmsa-profile overrides and is recorded', async () => {
    const r = await runCliInProcess(['measure', '--from-qemu', file('es2.sh', cmd('')), '--qemu-version', '10.0.2', '--host-kernel', '6.12.0', '--vmsa-profile', 'kvm-init2', '--output-format', 'json']);
    const doc = JSON.parse(r.stdout);
    expect(doc.vmsaProfile).toBe('kvm-init2');
    expect(doc.rules.at(-3)).toMatchObject({ id: 'override' });
  });
});

describe('ID block in the launch', () => {
  it('an id-block whose digest is not the launch\'s: a warning, and JSON says so', async () => {
    const idBlock = Buffer.alloc(96);
    idBlock.writeUInt32LE(1, 0x50);
    idBlock.writeBigUInt64LE(0x30000n, 0x58);
    const p = path.join(tmp, 'idb.sh');
    fs.writeFileSync(p, `qemu-system-x86_64 -machine q35,confidential-guest-support=s -object sev-snp-guest,id=s,id-block=${idBlock.toString('base64')},id-auth= -cpu EPYC-v4 -smp 4 -bios ${OVMF}\n`);
    const r = await runCliInProcess(['measure', '--from-qemu', p, '--qemu-version', '10.1.0', '--host-kernel', '6.12.0', '--output-format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: .*id-block expects measurement 0000/);
    expect(JSON.parse(r.stdout).idBlock).toMatchObject({ matches: false, policy: '0x30000', policyMatches: true });
  });
});

describe('raw -append bytes (H7)', () => {
  it('a non-UTF-8 -append in a script is hashed as its bytes', async () => {
    const script = Buffer.concat([
      Buffer.from(`qemu-system-x86_64 -machine q35,confidential-guest-support=s -object sev-snp-guest,id=s,kernel-hashes=on -cpu EPYC -smp 1 -bios ${AMDSEV} -kernel ${NOVA_KERNEL} -append 'quiet name=`),
      Buffer.from([0xff, 0xfe, 0x41]),
      Buffer.from("'\n"),
    ]);
    const p = path.join(tmp, 'raw.sh');
    fs.writeFileSync(p, script);
    const r = await runCliInProcess(['measure', '--from-qemu', p, '--qemu-version', '10.1.0', '--host-kernel', '6.12.0', '--output-format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const want = createHash('sha256').update(Buffer.concat([Buffer.from('quiet name='), Buffer.from([0xff, 0xfe, 0x41, 0])])).digest('hex');
    expect(JSON.parse(r.stdout).kernelHashes.cmdline).toBe(want);
  });
});

describe('bad input: one error line', () => {
  const file = (name: string, text: string): string => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, text);
    return p;
  };
  const stack = ['--qemu-version', '10.1.0', '--host-kernel', '6.12.0'];
  const q = (objs: string): string => `qemu-system-x86_64 -machine q35,confidential-guest-support=a ${objs} -cpu EPYC -bios ${OVMF}\n`;
  it.each([
    ['two confidential-guest objects', q('-object sev-snp-guest,id=a -object sev-guest,id=b'), /2 confidential-guest objects/, 'ERR_MALFORMED'],
    ['an unknown sev-snp-guest property (the cover letter\'s certs-path)', q('-object sev-snp-guest,id=a,certs-path=/x'), /unknown property "certs-path"/, 'ERR_MALFORMED'],
    ['legacy-vm-type on sev-snp-guest', q('-object sev-snp-guest,id=a,legacy-vm-type=on'), /legacy-vm-type/, 'ERR_MALFORMED'],
    ['an object that is not used', 'qemu-system-x86_64 -machine q35 -object sev-snp-guest,id=a -cpu EPYC -bios x\n', /confidential-guest-support/, 'ERR_MALFORMED'],
    ['an unknown QEMU option', q('-object sev-snp-guest,id=a -frobnicate 1'), /unknown QEMU option -frobnicate/, 'ERR_MALFORMED'],
    ['a ps line whose -append lost its quotes', q('-object sev-snp-guest,id=a -kernel k -append root=/dev/sda console=ttyS0'), /not an option.*\/proc\/PID\/cmdline/, 'ERR_MALFORMED'],
    ['an unexpanded variable', q('-object sev-snp-guest,id=a -smp $CPUS'), /unexpanded shell expansion/, 'ERR_MALFORMED'],
    ['-dtb', q('-object sev-snp-guest,id=a -dtb x.dtb'), /-dtb/, 'ERR_UNSUPPORTED_STACK'],
    ['secure-tsc', q('-object sev-snp-guest,id=a,secure-tsc=on'), /secure-tsc|QEMU >= 10\.2/, 'ERR_UNSUPPORTED_STACK'],
    ['pflash with SNP', `qemu-system-x86_64 -machine q35,confidential-guest-support=a -object sev-snp-guest,id=a -cpu EPYC -drive if=pflash,format=raw,unit=0,file=${OVMF}\n`, /pflash.*H8/, 'ERR_UNSUPPORTED_STACK'],
    ['-bios not a multiple of 64 KiB', `qemu-system-x86_64 -machine q35,confidential-guest-support=a -object sev-snp-guest,id=a -cpu EPYC -bios ${fw('synthetic/eip.fd')}\n`, /64 KiB/, 'ERR_UNSUPPORTED_STACK'],
    ['an unknown CPU model', q('-object sev-snp-guest,id=a').replace('-cpu EPYC', '-cpu Skylake-Server'), /Skylake-Server/, 'ERR_UNSUPPORTED_STACK'],
  ] as const)('%s', async (_what, text, re, code) => {
    const line = expectCleanError(await runCliInProcess(['measure', '--from-qemu', file('bad.sh', text), ...stack]), 1, code);
    expect(line).toMatch(re);
    expect(line).toContain('bad.sh');
  });
  it('an unrelated -device virtio-net is fine', async () => {
    expect((await runCliInProcess(['measure', '--from-qemu', file('ok.sh', q('-object sev-snp-guest,id=a -device virtio-net-pci,netdev=n -netdev user,id=n')), ...stack])).code).toBe(0);
  });
  it('XML that is not a domain; XML with a DOCTYPE', async () => {
    expect(expectCleanError(await runCliInProcess(['measure', '--from-libvirt', file('caps.xml', '<capabilities><host/></capabilities>'), ...stack]), 1, 'ERR_MALFORMED')).toMatch(/not <domain>/);
    expect(expectCleanError(await runCliInProcess(['measure', '--from-libvirt', file('dt.xml', '<!DOCTYPE x [<!ENTITY a "b">]><domain/>'), ...stack]), 1, 'ERR_MALFORMED')).toMatch(/DOCTYPE/);
  });
  it('impossible stacks: SNP on QEMU 8.2, on Linux 6.8 upstream', async () => {
    const p = file('snp.sh', q('-object sev-snp-guest,id=a'));
    expect(expectCleanError(await runCliInProcess(['measure', '--from-qemu', p, '--qemu-version', '8.2.2', '--host-kernel', '6.12']), 1, 'ERR_UNSUPPORTED_STACK')).toMatch(/QEMU >= 9\.1/);
    expect(expectCleanError(await runCliInProcess(['measure', '--from-qemu', p, '--qemu-version', '9.2.0', '--host-kernel', '6.8.0-45-generic']), 1, 'ERR_UNSUPPORTED_STACK')).toMatch(/Linux >= 6\.11/);
  });
  it('usage errors exit 2: a guest flag with --from-qemu, a bad --qemu-version', async () => {
    const p = file('u.sh', q('-object sev-snp-guest,id=a'));
    expect(expectCleanError(await runCliInProcess(['measure', '--from-qemu', p, '--vcpus', '2']), 2, 'ERR_INVALID_OPTION')).toMatch(/--vcpus/);
    expect(expectCleanError(await runCliInProcess(['measure', '--from-qemu', p, '--qemu-version', 'ten']), 2, 'ERR_INVALID_OPTION')).toMatch(/--qemu-version/);
  });
});

describe('units', () => {
  const parse = (args: string) => parseQemuCommandLine(enc(`qemu-system-x86_64 -machine q35,confidential-guest-support=a -object sev-snp-guest,id=a -cpu EPYC -bios f ${args}`), 't.sh');
  it.each([
    ['', 1],
    ['-smp 4,maxcpus=255', 4],
    ['-smp cpus=2,maxcpus=8', 2],
    ['-smp sockets=2,cores=2,threads=2', 8],
    ['-smp maxcpus=8', 8],
    ['-smp 8,sockets=2,cores=4', 8],
    ['-smp 4,sockets=2', 4],
    ['-smp 2 -smp maxcpus=8', 2],
    ['-smp 2,maxcpus=8,sockets=2,cores=2,threads=2', 2],
  ])('-smp %s → %i VMSAs', async (args, n) => expect(parse(args).vcpus).toBe(n));
  it('-object in JSON form, -cpu with family/model/stepping', async () => {
    const d = parseQemuCommandLine(enc(`qemu-kvm -machine q35,memory-encryption=lsec0 -object '{"qom-type":"sev-snp-guest","id":"lsec0","cbitpos":51,"reduced-phys-bits":1,"kernel-hashes":true,"policy":196608}' -cpu EPYC-Milan,+x2apic,model=17 -bios f`), 'j.sh');
    expect(d).toMatchObject({ guest: 'sev-snp', kernelHashes: true, policy: 0x30000n, cpu: { kind: 'model', name: 'EPYC-Milan', overrides: { model: 17 } } });
  });
  it('sev-guest policy 0x4 is SEV-ES, default 0x1 is SEV', async () => {
    expect(parseQemuCommandLine(enc('qemu-system-x86_64 -M q35,confidential-guest-support=s -object sev-guest,id=s,policy=0x5 -bios f'), 'x').guest).toBe('sev-es');
    expect(parseQemuCommandLine(enc('qemu-system-x86_64 -M q35,confidential-guest-support=s -object sev-guest,id=s -bios f'), 'x').guest).toBe('sev');
  });
  it('stack rules: SNP on an AMD snp-host 6.6 kernel is 0x21/kvm-legacy (H4); EC2 (H10)', async () => {
    const s = resolveStack({ qemuVersion: '8.0.0', hostKernel: '6.6.0-rc1-snp-host-5a170ce1a082' }, false)!;
    expect(deriveSev(s, 'sev-snp', null)).toMatchObject({ vmsaProfile: 'kvm-legacy', guestFeatures: 0x21n });
    const ec2 = resolveStack({ file: { name: 'f', doc: { prelaunchStack: 1, vmm: 'ec2-legacy' } } }, false)!;
    expect(deriveSev(ec2, 'sev-snp', null).vmsaProfile).toBe('ec2-legacy');
    expect(code(() => deriveTdx(resolveStack({ qemuVersion: '10.0', hostKernel: '6.16' }, false)!))).toBe('ERR_UNSUPPORTED_STACK');
  });
  it('host-model from the host signature: libvirt cpu_map signatures', async () => {
    expect(hostModelFromSig(0xa00f11)).toBe('EPYC-Milan'); // family 25 model 1
    expect(hostModelFromSig(0xa10f11)).toBe('EPYC-Genoa'); // family 25 model 17
    expect(hostModelFromSig(0x830f10)).toBe('EPYC-Rome');
    expect(hostModelFromSig(0xb00f21)).toBeNull(); // Turin host model 2: libvirt decides by features
  });
  it('XML: strict', async () => {
    expect(parseXml('<?xml version="1.0"?><a x="1&amp;2"><b>t&#x41;</b></a>', 'x').children[0]!.text).toBe('tA');
    for (const bad of ['<a>', '<a></b>', '<a x=1/>', '<a>&foo;</a>', '<a/><b/>']) expect(code(() => parseXml(bad, 'x'))).toBe('ERR_MALFORMED');
  });
  it('libvirt: a <cpu> with only a topology names no model (refused when the signature matters)', async () => {
    const xml = `<domain type='kvm'><vcpu>2</vcpu><os><loader type='rom'>/f</loader></os><cpu><topology sockets='1' cores='2' threads='1'/></cpu><launchSecurity type='sev-snp'/></domain>`;
    expect(parseLibvirtDomain(xml, 'd.xml').cpu).toEqual({ kind: 'none' });
  });
  it('TDX with pflash firmware is refused', async () => {
    expect(code(() => parseQemuCommandLine(enc('qemu-system-x86_64 -M q35,confidential-guest-support=t -object tdx-guest,id=t -drive if=pflash,unit=0,file=f'), 'x'))).toBe('ERR_UNSUPPORTED_STACK');
  });
  it('libvirt: <qemu:commandline> pass-through is refused', async () => {
    const xml = `<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><vcpu>1</vcpu><os><loader type='rom'>/f</loader></os><cpu><model>EPYC</model></cpu><launchSecurity type='sev-snp'/><qemu:commandline><qemu:arg value='-cpu'/><qemu:arg value='host'/></qemu:commandline></domain>`;
    expect(code(() => parseLibvirtDomain(xml, 'd.xml'))).toBe('ERR_UNSUPPORTED_STACK');
  });
  it('libvirt: <vcpus> must agree with current', async () => {
    const xml = `<domain type='kvm'><vcpu current='2'>4</vcpu><vcpus><vcpu id='0' enabled='yes'/><vcpu id='1' enabled='no'/></vcpus><os><loader type='rom'>/f</loader></os><cpu><model>EPYC</model></cpu><launchSecurity type='sev-snp'/></domain>`;
    expect(code(() => parseLibvirtDomain(xml, 'd.xml'))).toBe('ERR_MALFORMED');
  });
});

describe('host probe', () => {
  const ROOT = path.join(INPUTS, 'probe-root');
  it('reads the kernel, CPU signature and kvm_amd parameters from a root directory', async () => {
    const r = await runCliInProcess(['host', 'probe', '--root', ROOT, '--json']);
    expect(r.code, r.stderr).toBe(0);
    // family 25 model 17 stepping 1 → 0xa10f11 (CPUID Fn0000_0001_EAX encoding)
    expect(JSON.parse(r.stdout)).toEqual({ prelaunchStack: 1, vmm: 'QEMU', hostKernel: '6.12.48+deb13-amd64', hostCpuSig: '0xa10f11', kvmAmd: { sev: 'Y', sev_es: 'Y', sev_snp: 'Y' } });
  });
  it('takes the QEMU version and libvirt host-model from the commands it runs', async () => {
    const { probeHost } = await import('../../src/stack/probe.js');
    const files: Record<string, string> = { '/proc/sys/kernel/osrelease': '6.17.7-300.fc43.x86_64\n' };
    const out: Record<string, string> = {
      'qemu-system-x86_64 --version': 'QEMU emulator version 10.1.2 (qemu-10.1.2-1.fc43)\nCopyright (c) 2003-2025 Fabrice Bellard and the QEMU Project developers\n',
      'virsh --version': '11.6.0\n',
      'virsh domcapabilities --virttype kvm --arch x86_64': "<domainCapabilities><cpu><mode name='host-passthrough' supported='yes'/><mode name='host-model' supported='yes'><model fallback='forbid'>EPYC-Genoa</model><vendor>AMD</vendor></mode></cpu></domainCapabilities>",
    };
    const r = probeHost({ readFile: (p) => files[p] ?? null, readDir: () => null, run: (c, a) => out[[c, ...a].join(' ')] ?? null });
    expect(r.stack).toEqual({ prelaunchStack: 1, vmm: 'QEMU', qemu: '10.1.2', hostKernel: '6.17.7-300.fc43.x86_64', libvirt: '11.6.0', hostModel: 'EPYC-Genoa' });
  });
  it('the stack file it writes is what measure --stack reads', async () => {
    const file = path.join(tmp, 'host.json');
    expect((await runCliInProcess(['host', 'probe', '--root', ROOT, '-o', file])).code).toBe(0);
    const r = await runCliInProcess(['measure', '--from-libvirt', path.join(INPUTS, 'nova-snp-instance.xml'), '--sysroot', SYSROOT, '--stack', file, '--qemu-version', '9.2.0']);
    expect(r.code, r.stderr).toBe(0);
    const explicit = await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-Genoa', '--ovmf', AMDSEV, '--kernel', NOVA_KERNEL, '--initrd', NOVA_INITRD, '--append', 'root=/dev/vda1 console=ttyS0 & quiet']);
    expect(lastLine(r.stdout)).toBe(lastLine(explicit.stdout));
  });
  it('a stack file naming EC2 before 2026 (H10) gives sev-snp-measure 0.0.12\'s EC2 value', async () => {
    const file = path.join(tmp, 'ec2.json');
    fs.writeFileSync(file, JSON.stringify({ prelaunchStack: 1, vmm: 'ec2-legacy' }));
    const r = await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '1', '--ovmf', OVMF, '--stack', file]);
    // test/vectors/vmsa-profiles.json, reference E (sev-snp-measure v0.0.12-2)
    expect(lastLine(r.stdout)).toBe('0855b9ee67ab9eda0cad78d275bf488cb5966220b646b5532277bff1115c89b69611d074920620fe92bfdf23d47f1f2b');
  });
  it('plain flags with a stack: JSON lists the stack and the rules', async () => {
    const doc = JSON.parse((await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-Milan', '--ovmf', OVMF, '--qemu-version', '10.1.0', '--host-kernel', '6.12.0', '--output-format', 'json'])).stdout);
    expect(doc.rules.map((h: { id: string }) => h.id)).toEqual(['snp-support', 'H3']);
    expect(doc.stack.qemu).toBe('10.1.0');
    // test/vectors/snp-measure.json snp.qemu.deb-OVMF.EPYC-Milan.v1
    expect(doc.measurement).toBe('80479ca85a2b182c026f6a3a2f2b180ab968d84b17540dd30de39039e70b8c0c33ead2cae6d34e37750035fcff60bfc8');
  });
  it('a stack file with an unknown key is refused', async () => {
    const file = path.join(tmp, 'bad-stack.json');
    fs.writeFileSync(file, JSON.stringify({ prelaunchStack: 1, qemu: '10.1', frobnicate: 1 }));
    expect(expectCleanError(await runCliInProcess(['measure', '--mode', 'sev', '--ovmf', OVMF, '--stack', file]), 1, 'ERR_MALFORMED')).toMatch(/unknown key "frobnicate"/);
  });
});

describe('libvirt cpu_map EPYC models → QEMU -cpu (one test per model)', async () => {
  const { LIBVIRT_EPYC_SIGNATURES, decodeSig } = await import('../../src/stack/cpu-models.js');
  const { isVcpuType } = await import('../../src/formats/snp/vcpu-types.js');
  const { resolveLaunch } = await import('../../src/stack/launch.js');
  const stack = resolveStack({ qemuVersion: '10.2.0', hostKernel: '6.12.0' }, false)!;
  const rows = LIBVIRT_EPYC_SIGNATURES.flatMap((e) => e.models.map((name) => [name, e.family, e.model] as const));
  it.each(rows)('<model>%s</model>: QEMU family/model agree with libvirt\'s signature %i/%i', async (name, family, model) => {
    const xml = `<domain type='kvm'><vcpu>1</vcpu><os><loader type='rom'>/f</loader></os><cpu mode='custom'><model fallback='forbid'>${name}</model></cpu><launchSecurity type='sev-snp'/></domain>`;
    const d = parseLibvirtDomain(xml, 'd.xml');
    if (isVcpuType(name)) {
      const sig = resolveLaunch(d, stack).vcpuSig!;
      expect(decodeSig(sig)).toMatchObject({ family, model });
    } else {
      // not (yet) in the QEMU model table: refused by name, never guessed
      expect(() => resolveLaunch(d, stack)).toThrow(new RegExp(name));
    }
  });
});
