/**
 * `prelaunch tpm predict --from-qemu / --from-libvirt`: the launch of our capture
 * test/vectors/measured-boot/sid-q11-3g-2cpu written as the QEMU command line
 * ../shared/tools/capture-eventlog.sh ran (its config.json: q35, -m 3072, -smp 2, -nic none,
 * pflash unit 0 = OVMF_CODE_4M.fd, unit 1 = OVMF_VARS_4M.fd, swtpm tpm-tis, -audio none) and as
 * a libvirt domain; the prediction equals the one from explicit flags and the firmware's own
 * log (PCR1, 2, 3, 5, 6, 7 with a stand-in kernel; PCR1-8 with the real one from ../shared).
 */
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PrelaunchError } from '../../src/errors.js';
import { vtpmLaunchFromLibvirt } from '../../src/stack/libvirt-domain.js';
import { vtpmLaunchFromQemu } from '../../src/stack/vtpm-launch.js';
import { expectCleanError, expectOk, PROJECT, runCliInProcess } from '../support/cli.js';
import { fuzzParams } from '../support/fuzz.js';
import { syntheticBzImage } from '../tdx/synthetic-kernel.js';

const CAPTURE = path.join(PROJECT, 'test/vectors/measured-boot/sid-q11-3g-2cpu');
const CONFIG = JSON.parse(fs.readFileSync(path.join(CAPTURE, 'config.json'), 'utf8')) as { cmdline: string; memory_mib: number; smp: number; machine: string; qemu: string };
const CODE = path.join(PROJECT, 'firmware-samples/debian-sid/OVMF_CODE_4M.fd');
const VARS = path.join(PROJECT, 'firmware-samples/debian/OVMF_VARS_4M.fd');
const FWCFG = path.join(CAPTURE, 'fwcfg.tar');
const REAL_KERNEL = path.resolve(PROJECT, '../shared/oracles/measured-boot/inputs/kernels/vmlinuz-6.12.117');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-tpm-launch-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const STANDIN = path.join(tmp, 'vmlinuz');
fs.writeFileSync(STANDIN, syntheticBzImage());
const QEMU_VERSION = /version (\d+\.\d+\.\d+)/.exec(CONFIG.qemu)![1]!; // 11.1.3

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
function qemuLine(o: { kernel: string; extra?: string; drop?: RegExp }): string {
  const parts = [
    `-machine ${CONFIG.machine}`, `-m ${CONFIG.memory_mib}`, `-smp ${CONFIG.smp}`, '-nographic', '-no-reboot', '-nic none',
    `-drive ${q(`if=pflash,format=raw,unit=0,file=${CODE},readonly=on`)}`, `-drive ${q(`if=pflash,format=raw,unit=1,file=${VARS}`)}`,
    '-chardev socket,id=chrtpm,path=/run/tpm.sock', '-tpmdev emulator,id=tpm0,chardev=chrtpm', '-device tpm-tis,tpmdev=tpm0',
    `-kernel ${q(o.kernel)}`, `-append ${q(CONFIG.cmdline)}`, '-audio none',
  ].filter((p) => !o.drop || !o.drop.test(p));
  return `#!/bin/sh\nqemu-system-x86_64 ${parts.join(' \\\n  ')}${o.extra ? ` ${o.extra}` : ''}\n`;
}
function domainXml(o: { kernel: string; devices?: string; os?: string; top?: string }): string {
  return `<domain type='kvm'>
  <name>sid-q11-3g-2cpu</name>
  <memory unit='MiB'>${CONFIG.memory_mib}</memory>
  <vcpu>${CONFIG.smp}</vcpu>${o.top ?? ''}
  <os>
    <type arch='x86_64' machine='pc-q35-11.1'>hvm</type>
    <loader readonly='yes' type='pflash'>${CODE}</loader>
    <nvram template='${VARS}'>${path.join(tmp, 'never-created_VARS.fd')}</nvram>
    <kernel>${o.kernel}</kernel>
    <cmdline>${CONFIG.cmdline}</cmdline>${o.os ?? ''}
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='pty'/>
    <tpm model='tpm-tis'><backend type='emulator' version='2.0'/></tpm>${o.devices ?? ''}
  </devices>
</domain>
`;
}
const write = (name: string, text: string): string => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
};
type Prediction = { pcrs: Record<string, Record<string, string | null>>; events: unknown[] };
const predict = async (args: string[], stdin?: string): Promise<Prediction> => JSON.parse(expectOk(await runCliInProcess(['tpm', 'predict', ...args, '--fw-cfg', FWCFG, '--json'], stdin !== undefined ? { stdin } : {}))) as Prediction;
const explicit = (kernel: string): string[] => ['--firmware', CODE, '--vars', VARS, '--kernel', kernel, '--append', CONFIG.cmdline, '--memory', String(CONFIG.memory_mib), '--smp', String(CONFIG.smp), '--qemu-version', QEMU_VERSION];

async function logPcrs(): Promise<Record<string, Record<string, string>>> {
  return (JSON.parse(expectOk(await runCliInProcess(['tpm', 'replay', path.join(CAPTURE, 'eventlog.bin'), '--json']))) as { pcrs: Record<string, Record<string, string>> }).pcrs;
}

describe('tpm predict --from-qemu / --from-libvirt (sid-q11-3g-2cpu)', () => {
  it('the QEMU command line, the libvirt domain and explicit flags give the same prediction; PCR1, 2, 3, 5, 6, 7 equal the real log', async () => {
    const byFlags = await predict(explicit(STANDIN));
    const byQemu = await predict(['--from-qemu', write('sid.sh', qemuLine({ kernel: STANDIN })), '--qemu-version', QEMU_VERSION]);
    const byLibvirt = await predict(['--from-libvirt', write('sid.xml', domainXml({ kernel: STANDIN })), '--qemu-version', QEMU_VERSION]);
    expect(byQemu.pcrs).toEqual(byFlags.pcrs);
    expect(byQemu.events).toEqual(byFlags.events);
    expect(byLibvirt.pcrs).toEqual(byFlags.pcrs);
    expect(byLibvirt.events).toEqual(byFlags.events);
    const log = await logPcrs();
    for (const bank of ['sha256', 'sha384']) for (const pcr of ['1', '2', '3', '5', '6', '7']) expect(`${bank} PCR${pcr} ${byQemu.pcrs[bank]![pcr]}`).toBe(`${bank} PCR${pcr} ${log[bank]![pcr]}`);
    // the stand-in kernel is measured (PCR4): the mapping of -kernel is seen
    const other = path.join(tmp, 'vmlinuz-other');
    fs.writeFileSync(other, syntheticBzImage({ seed: 'other' }));
    const byOther = await predict(['--from-qemu', write('other.sh', qemuLine({ kernel: other })), '--qemu-version', QEMU_VERSION]);
    expect(byOther.pcrs.sha256!['4']).not.toBe(byQemu.pcrs.sha256!['4']);
  }, 60_000);

  it.skipIf(!fs.existsSync(REAL_KERNEL))('with the capture\'s kernel (../shared): PCR1-8 of both banks equal the firmware\'s log', async () => {
    const byQemu = await predict(['--from-qemu', write('sid-real.sh', qemuLine({ kernel: REAL_KERNEL })), '--qemu-version', QEMU_VERSION]);
    const log = await logPcrs();
    for (const bank of ['sha256', 'sha384']) for (let pcr = 1; pcr <= 8; pcr++) expect(`${bank} PCR${pcr} ${byQemu.pcrs[bank]![String(pcr)]}`).toBe(`${bank} PCR${pcr} ${log[bank]![String(pcr)]}`);
  }, 60_000);

  it('reads standard input (-); flags that agree with the launch are accepted', async () => {
    const a = await predict(['--from-qemu', '-', '--qemu-version', QEMU_VERSION], qemuLine({ kernel: STANDIN }));
    const b = await predict(['--from-qemu', write('agree.sh', qemuLine({ kernel: STANDIN })), ...explicit(STANDIN).filter((x) => x !== '--vars' && x !== VARS), '--vars', VARS, '--memory', '3G']);
    expect(b.pcrs).toEqual(a.pcrs);
  }, 60_000);

  it('a flag that disagrees with the launch is refused, naming both (never one silently wins)', async () => {
    const file = write('dis.sh', qemuLine({ kernel: STANDIN }));
    const run = async (extra: string[]): Promise<string> => expectCleanError(await runCliInProcess(['tpm', 'predict', '--from-qemu', file, '--qemu-version', QEMU_VERSION, ...extra]), 2, 'ERR_INVALID_OPTION');
    expect(await run(['--memory', '2048'])).toMatch(/--memory: 2048 disagrees with .*dis\.sh's -m 3072/);
    expect(await run(['--smp', '1'])).toMatch(/--smp: 1 disagrees with .*-smp \(2 vCPUs\)/);
    expect(await run(['--firmware', VARS])).toMatch(/--firmware: .* disagrees with .*-drive if=pflash,unit=0/);
    expect(await run(['--append', 'quiet'])).toMatch(/--append: .* disagrees with .*-append/);
    expect(await run(['--initrd', STANDIN])).toMatch(/--initrd: .*has no initrd/);
    expect(expectCleanError(await runCliInProcess(['tpm', 'predict', '--from-qemu', file, '--from-libvirt', file, '--qemu-version', QEMU_VERSION]), 2)).toMatch(/not both/);
  });

  it('refuses, in one line naming the option or element, what changes the PCRs but is not modelled', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['no-tpm.sh', qemuLine({ kernel: STANDIN, drop: /tpm/ }), /no TPM .*nothing is measured into one/],
      ['no-kernel.sh', qemuLine({ kernel: STANDIN, drop: /^-kernel|^-append/ }), /no -kernel: only QEMU direct boot/],
      ['snp.sh', qemuLine({ kernel: STANDIN, extra: '-object sev-snp-guest,id=sev0,cbitpos=51' }), /-object sev-snp-guest: a confidential guest.*prelaunch measure/],
      ['tdx.sh', qemuLine({ kernel: STANDIN, extra: '-object tdx-guest,id=tdx0' }), /-object tdx-guest: .*prelaunch tdx/],
      ['menu.sh', qemuLine({ kernel: STANDIN, extra: '-boot menu=on' }), /-boot menu=on: not modelled/],
      ['fwcfg.sh', qemuLine({ kernel: STANDIN, extra: '-fw_cfg name=opt/x,string=1' }), /-fw_cfg name=opt\/x,string=1: extra fw_cfg items/],
      ['nic.sh', qemuLine({ kernel: STANDIN, drop: /-nic none/ }), /no -nic none .*default NIC/],
      ['netdev.sh', qemuLine({ kernel: STANDIN, extra: '-netdev user,id=n0' }), /-netdev user,id=n0: a NIC adds iPXE's option ROM/],
      ['virtio-net.sh', qemuLine({ kernel: STANDIN, extra: '-device virtio-net-pci' }), /-device virtio-net-pci: not modelled .*option ROM/],
      ['disk.sh', qemuLine({ kernel: STANDIN, extra: '-drive file=disk.qcow2,if=virtio' }), /-drive: a disk adds a boot option/],
      ['pc.sh', qemuLine({ kernel: STANDIN, drop: /-machine/ }), /no -machine q35/],
      ['passthrough.sh', qemuLine({ kernel: STANDIN, drop: /-tpmdev/, extra: '-tpmdev passthrough,id=tpm0,path=/dev/tpm0' }), /-tpmdev passthrough: only an emulated TPM/],
    ];
    for (const [name, text, re] of cases) {
      expect(expectCleanError(await runCliInProcess(['tpm', 'predict', '--from-qemu', write(name, text), '--qemu-version', QEMU_VERSION]), 1, 'ERR_UNSUPPORTED_STACK'), name).toMatch(re);
    }
    const xml: Array<[string, string, RegExp]> = [
      ['no-tpm.xml', domainXml({ kernel: STANDIN }).replace(/<tpm[^]*<\/tpm>/, ''), /no <devices><tpm>: .*nothing is measured into one/],
      ['snp.xml', domainXml({ kernel: STANDIN, top: "\n  <launchSecurity type='sev-snp'/>" }), /<launchSecurity type='sev-snp'>: a confidential guest/],
      ['nic.xml', domainXml({ kernel: STANDIN, devices: "<interface type='network'><source network='default'/></interface>" }), /<devices><interface>: .*iPXE/],
      ['menu.xml', domainXml({ kernel: STANDIN, os: "<bootmenu enable='yes'/>" }), /<bootmenu enable='yes'>/],
      ['no-kernel.xml', domainXml({ kernel: '' }).replace(/<cmdline>.*<\/cmdline>/, ''), /no <os><kernel>/],
      ['tpm12.xml', domainXml({ kernel: STANDIN }).replace("version='2.0'", "version='1.2'"), /version='1\.2'.*only TPM 2\.0/],
    ];
    for (const [name, text, re] of xml) {
      expect(expectCleanError(await runCliInProcess(['tpm', 'predict', '--from-libvirt', write(name, text), '--qemu-version', QEMU_VERSION]), 1, 'ERR_UNSUPPORTED_STACK'), name).toMatch(re);
    }
  }, 60_000);

  it('the QEMU version is required (a command line or a domain does not carry it): --qemu-version or a --stack file, which must agree', async () => {
    const file = write('nover.sh', qemuLine({ kernel: STANDIN }));
    expect(expectCleanError(await runCliInProcess(['tpm', 'predict', '--from-qemu', file]), 2)).toMatch(/--qemu-version: required/);
    const stack = write('stack.json', JSON.stringify({ prelaunchStack: 1, qemu: CONFIG.qemu }));
    const byStack = await predict(['--from-qemu', file, '--stack', stack]);
    const byFlag = await predict(['--from-qemu', file, '--qemu-version', QEMU_VERSION]);
    expect(byStack.pcrs).toEqual(byFlag.pcrs);
    expect(expectCleanError(await runCliInProcess(['tpm', 'predict', '--from-qemu', file, '--stack', stack, '--qemu-version', '7.2.22']), 2, 'ERR_INVALID_OPTION')).toMatch(/--qemu-version: 7\.2\.22 disagrees with --stack .*11\.1\.3/);
    expect(expectCleanError(await runCliInProcess(['tpm', 'predict', '--from-qemu', file, '--stack', write('nq.json', JSON.stringify({ prelaunchStack: 1 }))]), 2)).toMatch(/--stack: .* records no QEMU version/);
  }, 60_000);

  it('the libvirt <nvram>: the file when it exists, else its template (libvirt copies it at first start)', () => {
    const xml = domainXml({ kernel: STANDIN });
    expect(vtpmLaunchFromLibvirt(xml, 'd.xml', { exists: () => false }).vars).toEqual({ path: VARS, via: '<nvram template>' });
    expect(vtpmLaunchFromLibvirt(xml, 'd.xml', { exists: () => true }).vars).toEqual({ path: path.join(tmp, 'never-created_VARS.fd'), via: '<nvram>' });
    const l = vtpmLaunchFromLibvirt(xml.replace("unit='MiB'>3072", "unit='GiB'>3"), 'd.xml');
    expect([l.memory.bytes, l.vcpus.count, l.kernel.path, l.firmware.path]).toEqual([3 * 2 ** 30, 2, STANDIN, CODE]);
  });

  it('fuzz: any mix of options is read or refused with a typed error, never a crash', () => {
    const opts = ['-machine q35', '-machine pc', '-m 2G', '-m size=1G,maxmem=4G', '-smp 2', '-smp cpus=2,maxcpus=1', '-nic none', '-nodefaults', '-bios OVMF.fd', '-pflash a.fd',
      '-drive if=pflash,unit=1,file=v.fd', '-drive if=pflash,unit=2,file=x.fd', '-kernel k', '-initrd i', "-append 'a b'", '-tpmdev emulator,id=t', '-device tpm-crb,tpmdev=t',
      '-device virtio-rng-pci', '-device e1000', '-boot strict=on', '-boot once=d', '-global ICH9-LPC.disable_s3=1', '-object rng-random,id=r', '-cpu host', '-m', '-bogus'];
    fc.assert(fc.property(fc.array(fc.constantFrom(...opts), { maxLength: 14 }), (picked) => {
      try {
        const l = vtpmLaunchFromQemu(new TextEncoder().encode(`qemu-system-x86_64 ${picked.join(' ')}`), 'f.sh');
        expect(l.kernel.path).toBe('k');
        expect(l.memory.bytes % 4096).toBe(0);
      } catch (e) {
        if (!(e instanceof PrelaunchError)) throw e;
        expect(e.message).toMatch(/^f\.sh: /);
      }
    }), fuzzParams({ numRuns: 300 }));
  });
});
