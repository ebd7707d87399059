import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { measure } from '../../src/measure/api.js';
import { toHex } from '../../src/bytes/hex.js';
import { VMSA_PROFILES, vmsaProfileFor } from '../../src/formats/snp/vmsa-profiles.js';
import { decodeVmsa } from '../../src/formats/snp/vmsa.js';
import { OptionError } from '../../src/errors.js';
import { vcpuTypeSig, type VcpuType } from '../../src/formats/snp/vcpu-types.js';
import { ROOT, cli, cleanError } from '../support/golden.js';

interface Case { profile: string; args: string[]; expected: string }
const vectors = JSON.parse(readFileSync(`${ROOT}/test/vectors/vmsa-profiles.json`, 'utf8')) as { cases: Case[] };

function optionsOf(args: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) o[args[i]!.replace(/^--/, '')] = args[i + 1]!;
  return o;
}

describe('VMSA profiles against older sev-snp-measure releases', () => {
  it.each(vectors.cases.map((c) => [c.profile, c.args.join(' '), c] as const))('%s: %s', async (_p, _a, c) => {
    const o = optionsOf(c.args);
    const vmm = (o['vmm-type'] ?? 'QEMU') as 'QEMU' | 'ec2';
    const m = measure({
      mode: o.mode as 'snp' | 'seves',
      ovmf: new Uint8Array(readFileSync(`${ROOT}/${o.ovmf}`)),
      vcpus: Number(o.vcpus),
      vmm,
      vmsaProfile: c.profile as 'kvm-legacy',
      ...(o['vcpu-type'] ? { vcpuSig: vcpuTypeSig(o['vcpu-type'] as VcpuType) } : {}),
      ...(o['guest-features'] ? { guestFeatures: BigInt(o['guest-features']) } : {}),
    });
    expect(toHex(m.digest)).toBe(c.expected);
  });

  it('the CLI takes --vmsa-profile and derives the VMM from it', async () => {
    const ec2 = vectors.cases.find((c) => c.profile === 'ec2-legacy')!;
    const args = ec2.args.filter((a, i, all) => a !== '--vmm-type' && all[i - 1] !== '--vmm-type');
    const r = await cli(['measure', ...args, '--vmsa-profile', 'ec2-legacy']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(ec2.expected);
  });

  it('rejects a profile that belongs to another VMM', async () => {
    const r = await cli(['measure', '--mode', 'snp', '--vcpus', '1', '--vmm-type', 'ec2', '--vmsa-profile', 'kvm-legacy', '--ovmf', 'firmware-samples/debian/OVMF.fd']);
    expect(r.code).toBe(2);
    expect(cleanError(r.stderr)).toBe(true);
    expect(r.stderr).toContain('--vmsa-profile');
    expect(() => vmsaProfileFor('gce', 'ec2-2026')).toThrow(RangeError);
  });

  it('profiles differ exactly where documented', async () => {
    const fw = new Uint8Array(readFileSync(`${ROOT}/firmware-samples/debian/OVMF.fd`));
    const vmsa = (p: keyof typeof VMSA_PROFILES) =>
      decodeVmsa(measure({ mode: 'snp', ovmf: fw, vcpus: 1, vmm: VMSA_PROFILES[p].vmm, vmsaProfile: p, vcpuSig: 0x800f12 }).vmsas[0]!);
    expect(vmsa('kvm-init2').mxcsr).toBe(0x1f80);
    expect(vmsa('kvm-init2').x87Fcw).toBe(0x37f);
    expect(vmsa('kvm-legacy').mxcsr).toBe(0);
    expect(vmsa('kvm-legacy').rdx).toBe(0x800f12n);
    expect(vmsa('ec2-2026').rdx).toBe(0x600n);
    expect(vmsa('ec2-legacy').rdx).toBe(0n);
    expect(vmsa('gce').gPat).toBe(0x70106n);
    expect(() => measure({ mode: 'snp', ovmf: fw, vcpus: 1, vmm: 'QEMU', vmsaProfile: 'gce', vcpuSig: 1 })).toThrow(OptionError);
  });
});
