import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/bytes/source.js';
import { toHex } from '../../src/bytes/hex.js';
import { generateGolden, serializeGolden, countEntries, type GoldenDocument } from '../../src/golden/engine.js';
import { parseManifestText } from '../../src/golden/manifest.js';
import { cpusOf, parseVcpuList, parseVcpuTypes } from '../../src/golden/matrix.js';
import { checkReport } from '../../src/golden/check.js';
import { reportFromBinary, reportFromJson, ATTESTATION_REPORT_SIZE } from '../../src/formats/snp/attestation-report.js';
import { measure } from '../../src/measure/api.js';
import { loadHashBackend } from '../../src/hash/index.js';
import { PrelaunchError, OptionError } from '../../src/errors.js';
import { AMDSEV, OVMF, ROOT, cli, cleanError } from '../support/golden.js';

const fw = new Uint8Array(readFileSync(OVMF));
const amdsev = new Uint8Array(readFileSync(AMDSEV));
const kernel = new Uint8Array(readFileSync(path.join(ROOT, 'firmware-samples/synthetic/eip.fd')));

function docFor(o: { modes?: ('snp' | 'seves' | 'sev')[]; vcpus?: number[]; types?: string[]; sigs?: bigint[]; vmms?: ('QEMU' | 'ec2' | 'gce')[]; profiles?: null | ('kvm-init2' | 'kvm-legacy' | 'ec2-legacy')[]; features?: bigint[]; direct?: boolean; backend?: Awaited<ReturnType<typeof loadHashBackend>> }): GoldenDocument {
  return generateGolden({
    tool: 'test',
    artifacts: [o.direct
      ? { name: 'amdsev', kind: 'ovmf', firmware: bytesSource(amdsev), firmwarePath: 'amdsev.fd', kernel: bytesSource(kernel), kernelPath: 'k', initrd: null, cmdline: 'console=ttyS0' }
      : { name: 'deb', kind: 'ovmf', firmware: bytesSource(fw), firmwarePath: 'OVMF.fd' }],
    matrix: {
      modes: o.modes ?? ['snp'],
      vcpus: o.vcpus ?? [1, 2, 3, 8],
      cpus: cpusOf(parseVcpuTypes(o.types ?? ['EPYC-v4', 'EPYC-Milan'], 't'), o.sigs ?? []),
      vmmTypes: o.vmms ?? ['QEMU'],
      vmsaProfiles: o.profiles ?? null,
      guestFeatures: o.features ?? [1n],
      policies: null,
    },
    ...(o.backend ? { hashBackend: o.backend } : {}),
  });
}

function expectEqualsMeasure(doc: GoldenDocument, direct = false): void {
  for (const e of doc.entries) {
    if (e.mode === 'tdx' || e.mode === 'tpm') throw new Error('expectEqualsMeasure covers SEV modes (tdx: test/golden/tdx.test.ts, tpm: test/golden/tpm.test.ts)');
    const m = measure({
      mode: e.mode,
      ovmf: direct ? amdsev : fw,
      vmm: e.vmmType ?? 'QEMU',
      vmsaProfile: e.vmsaProfile,
      ...(e.vcpus !== null ? { vcpus: e.vcpus } : {}),
      ...(e.vcpuSig !== null ? { vcpuSig: Number(e.vcpuSig) } : {}),
      ...(e.guestFeatures !== null ? { guestFeatures: BigInt(e.guestFeatures) } : {}),
      ...(direct ? { directBoot: { kernel, append: 'console=ttyS0' } } : {}),
    });
    expect(toHex(m.digest), JSON.stringify(e)).toBe(e.measurement);
  }
}

describe('golden engine', () => {
  it('every SNP value equals measure() for that configuration', async () => {
    const doc = docFor({ vcpus: [1, 2, 5, 16], types: ['EPYC-v4', 'EPYC-Rome', 'EPYC-Turin'], sigs: [0n], features: [1n, 0x21n] });
    expect(doc.entries).toHaveLength(4 * 4 * 2);
    expectEqualsMeasure(doc);
  });

  it('covers seves, sev, ec2, gce, VMSA profiles and direct boot, equal to measure()', async () => {
    const doc = docFor({ modes: ['snp', 'seves', 'sev'], vcpus: [1, 3], vmms: ['QEMU', 'ec2', 'gce'], profiles: ['kvm-init2', 'kvm-legacy', 'ec2-legacy'], direct: true });
    expect(doc.entries.length).toBe(countEntries(docFor({ vcpus: [1] }) && {
      modes: ['snp', 'seves', 'sev'], vcpus: [1, 3], cpus: cpusOf(parseVcpuTypes(['EPYC-v4', 'EPYC-Milan'], 't'), []), vmmTypes: ['QEMU', 'ec2', 'gce'],
      vmsaProfiles: ['kvm-init2', 'kvm-legacy', 'ec2-legacy'], guestFeatures: [1n], policies: null,
    }));
    expectEqualsMeasure(doc, true);
    const ec2 = doc.entries.filter((e) => e.vmmType === 'ec2');
    expect(ec2.every((e) => e.vcpuType === null && e.vcpuSig === null)).toBe(true);
    expect(doc.artifacts[0]!.kernel?.sha256).toBe(doc.entries[0]!.inputs.kernel);
  });

  it('aliases of one CPU model share values; the document is sorted and reproducible', async () => {
    const a = docFor({ types: ['EPYC-v4', 'EPYC', 'EPYC-v1'] });
    const byType = (t: string) => a.entries.filter((e) => e.vcpuType === t).map((e) => e.measurement);
    expect(byType('EPYC')).toEqual(byType('EPYC-v4'));
    expect(byType('EPYC-v1')).toEqual(byType('EPYC-v4'));
    expect(serializeGolden(a)).toBe(serializeGolden(docFor({ types: ['EPYC-v1', 'EPYC-v4', 'EPYC'] })));
    expect(a.entries.map((e) => e.vcpuType)).toEqual([...a.entries.map((e) => e.vcpuType)].sort());
  });

  it('node and noble backends give the same document', async () => {
    const noble = await loadHashBackend('noble');
    expect(serializeGolden(docFor({ vcpus: [1, 4], backend: noble }))).toBe(serializeGolden(docFor({ vcpus: [1, 4] })));
  });

  it('refuses matrices over the maximum before hashing anything', async () => {
    expect(() => generateGolden({
      tool: 't', maxEntries: 10,
      artifacts: [{ name: 'x', kind: 'ovmf', firmware: bytesSource(fw), firmwarePath: 'x' }],
      matrix: { modes: ['snp'], vcpus: parseVcpuList('1-64', 'v'), cpus: cpusOf(['EPYC-v4'], []), vmmTypes: ['QEMU'], vmsaProfiles: null, guestFeatures: [1n], policies: null },
    })).toThrow(/64 entries, more than the maximum 10/);
  });
});

describe('matrix and manifest parsing', () => {
  it('parses ranges and lists', async () => {
    expect(parseVcpuList('1-3,8', 'x')).toEqual([1, 2, 3, 8]);
    expect(parseVcpuList([4, '1-2'], 'x')).toEqual([1, 2, 4]);
    for (const bad of ['0', '5-2', 'x', '1-999']) expect(() => parseVcpuList(bad, '--vcpus')).toThrow(OptionError);
    expect(parseVcpuTypes('all', 'x')).toHaveLength(25);
  });

  const yaml = `version: 1
artifacts:
  - name: deb
    firmware: OVMF.fd
matrix:
  vcpus: "1-4"
  vcpuTypes: [EPYC-v4, EPYC-Milan]
  vmmTypes: [QEMU, ec2]
  guestFeatures: ["0x1"]
`;
  it('YAML and JSON manifests mean the same', async () => {
    const y = parseManifestText(yaml, 'm.yaml');
    const j = parseManifestText(JSON.stringify({ version: 1, artifacts: [{ name: 'deb', firmware: 'OVMF.fd' }], matrix: { vcpus: '1-4', vcpuTypes: ['EPYC-v4', 'EPYC-Milan'], vmmTypes: ['QEMU', 'ec2'], guestFeatures: ['0x1'] } }), 'm.json');
    expect(y).toEqual(j);
    expect(y.matrix.vcpus).toEqual([1, 2, 3, 4]);
  });

  it.each([
    [yaml.replace('vcpuTypes', 'vcpuType'), /matrix\.vcpuType: unknown key/],
    [yaml.replace('"1-4"', '"0-4"'), /matrix\.vcpus/],
    [yaml.replace('EPYC-Milan', 'EPYC-Zen9'), /matrix\.vcpuTypes: unknown vCPU type "EPYC-Zen9"/],
    [yaml.replace('[QEMU, ec2]', '[QEMU, azure]'), /matrix\.vmmTypes/],
    [yaml.replace('    firmware: OVMF.fd\n', ''), /\$\.artifacts\[0\]: missing "firmware"/],
    [yaml.replace('version: 1', 'version: 2'), /version/],
    [yaml + 'extra: 1\n', /extra: unknown key/],
    ['artifacts: [', /not valid JSON or YAML/],
  ])('rejects bad manifests, naming the key (%#)', async (text, re) => {
    try {
      parseManifestText(text, 'release.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PrelaunchError);
      expect((e as Error).message).toMatch(/^release\.yaml: /);
      expect((e as Error).message).toMatch(re);
    }
  });
});

describe('golden --check', () => {
  const doc = docFor({ vcpus: [1, 2, 4] });
  const target = doc.entries.find((e) => e.vcpus === 2 && e.vcpuType === 'EPYC-Milan')!;

  it('finds the entry a report matches (JSON, hex or base64)', async () => {
    const r = checkReport(doc, reportFromJson({ measurement: target.measurement, policy: '0x30000' }));
    expect(r.matched).toBe(true);
    expect(r.candidates.map((c) => c.entry)).toEqual([target]);
    const b64 = Buffer.from(target.measurement!, 'hex').toString('base64');
    expect(checkReport(doc, reportFromJson({ measurement: b64 })).matched).toBe(true);
  });

  it('reads the fields of a binary report', async () => {
    const raw = new Uint8Array(ATTESTATION_REPORT_SIZE);
    const v = new DataView(raw.buffer);
    v.setUint32(0, 3, true);
    v.setBigUint64(8, 0x30000n, true);
    raw.set(Buffer.from(target.measurement!, 'hex'), 0x90);
    raw[0x188] = 25; raw[0x189] = 1; raw[0x18a] = 1;
    const f = reportFromBinary(raw);
    expect(f.measurement).toBe(target.measurement);
    expect(f.policy).toBe(0x30000n);
    expect(f.vcpuSig).toBe(0xa00f11);
    expect(checkReport(doc, f).matched).toBe(true);
    expect(() => reportFromBinary(raw.subarray(0, 100))).toThrow(/SNP attestation report/);
  });

  it('names the nearest entries when nothing matches', async () => {
    const r = checkReport(doc, reportFromJson({ measurement: 'ab'.repeat(48), cpuid_fam_id: 25, cpuid_mod_id: 1, cpuid_step: 1 }));
    expect(r.matched).toBe(false);
    expect(r.candidates).toHaveLength(3);
    expect(r.candidates[0]!.entry.vcpuType).toBe('EPYC-Milan'); // same CPU signature ranks first
    expect(r.candidates[0]!.comparisons.find((c) => c.field === 'measurement')!.equal).toBe(false);
  });
});

describe('golden CLI', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'prelaunch-golden-'));

  // the full 1,600-entry matrix (25 models × 64 vCPU counts) runs as a process in test/cli/process.e2e.test.ts
  it('the simple case: 100 entries (25 models × 4 vCPU counts) with the documented fields, byte-identical on regeneration', async () => {
    const a = path.join(tmp, 'a.json'), b = path.join(tmp, 'b.json');
    for (const out of [a, b]) expect((await cli(['golden', '--ovmf', 'firmware-samples/debian/OVMF.fd', '--vcpus', '1-4', '--vcpu-type', 'all', '-o', out])).code).toBe(0);
    expect(readFileSync(a)).toEqual(readFileSync(b));
    const doc = JSON.parse(readFileSync(a, 'utf8')) as GoldenDocument;
    expect(doc.entries).toHaveLength(100);
    for (const k of ['measurement', 'mode', 'vcpus', 'vcpuType', 'vmmType', 'guestFeatures']) expect(doc.entries[0]).toHaveProperty(k);
    expect(doc.entries.every((e) => /^[0-9a-f]{96}$/.test(e.measurement ?? ''))).toBe(true);
    // a sample equals prelaunch measure
    for (const e of [doc.entries[0]!, doc.entries[37]!, doc.entries[99]!]) {
      const r = await cli(['measure', '--mode', 'snp', '--vcpus', String(e.vcpus), '--vcpu-type', e.vcpuType!, '--ovmf', 'firmware-samples/debian/OVMF.fd']);
      expect(r.stdout.trim()).toBe(e.measurement);
    }
  });

  it('a manifest with relative paths gives the same document as the flags', async () => {
    const dir = mkdtempSync(path.join(tmp, 'm-'));
    writeFileSync(path.join(dir, 'release.yaml'), `artifacts:\n  - name: OVMF.fd\n    firmware: ${path.relative(dir, OVMF)}\nmatrix:\n  vcpus: 1-2\n  vcpuTypes: [EPYC-v4]\n`);
    const viaManifest = await cli(['golden', path.join(dir, 'release.yaml')]);
    expect(viaManifest.code).toBe(0);
    const viaFlags = await cli(['golden', '--ovmf', OVMF, '--vcpus', '1-2', '--vcpu-type', 'EPYC-v4']);
    const strip = (t: string) => (JSON.parse(t) as GoldenDocument).entries;
    expect(strip(viaManifest.stdout)).toEqual(strip(viaFlags.stdout));
  });

  it('bad input: one error line, exit 1 for manifests and files, 2 for flags, no output file', async () => {
    const dir = mkdtempSync(path.join(tmp, 'bad-'));
    const out = path.join(dir, 'out.json');
    writeFileSync(path.join(dir, 'm.yaml'), 'artifacts:\n  - name: x\n    firmware: missing.fd\nmatrix:\n  vcpus: 1\n  vcpuTypes: [EPYC]\n');
    let r = await cli(['golden', path.join(dir, 'm.yaml'), '-o', out]);
    expect(r.code).toBe(1);
    expect(cleanError(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/artifacts\[0\]\.firmware/);
    writeFileSync(path.join(dir, 'm2.yaml'), 'artifacts:\n  - name: x\n    firmware: a.fd\nmatrix:\n  vcpuz: 1\n');
    r = await cli(['golden', path.join(dir, 'm2.yaml'), '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/m2\.yaml: \$\.matrix\.vcpuz: unknown key/);
    r = await cli(['golden', '--ovmf', OVMF, '--vcpus', '1-64', '--vcpu-type', 'all', '--max-entries', '100', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/1600 entries, more than the maximum 100/);
    r = await cli(['golden', '--ovmf', OVMF, '--vcpus', '0-3', '--vcpu-type', 'EPYC', '-o', out]);
    expect(r.code).toBe(2);
    expect(cleanError(r.stderr)).toBe(true);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('--check exits 0 on a match and 1 with the nearest entries otherwise', async () => {
    const doc = path.join(tmp, 'doc.json');
    expect((await cli(['golden', '--ovmf', OVMF, '--vcpus', '1-4', '--vcpu-type', 'EPYC-v4,EPYC-Milan', '-o', doc])).code).toBe(0);
    const d = JSON.parse(readFileSync(doc, 'utf8')) as GoldenDocument;
    const report = path.join(tmp, 'report.json');
    writeFileSync(report, JSON.stringify({ measurement: d.entries[3]!.measurement, policy: 196608 }));
    let r = await cli(['golden', '--check', report, doc]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^match: 1 entry/);
    writeFileSync(report, JSON.stringify({ measurement: '00'.repeat(48) }));
    r = await cli(['golden', '--check', report, doc, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).candidates).toHaveLength(3);
  });
});

describe('golden manifests with several artifacts', () => {
  it('one document in canonical artifact order (in-process both run on one thread; worker threads: test/cli/process.e2e.test.ts)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prelaunch-jobs-'));
    const m = path.join(dir, 'release.yaml');
    writeFileSync(m, [
      'artifacts:',
      `  - {name: deb, firmware: ${OVMF}}`,
      `  - {name: amdsev, firmware: ${AMDSEV}, kernel: ${path.join(ROOT, 'firmware-samples/synthetic/eip.fd')}, cmdline: "console=ttyS0"}`,
      `  - {name: deb-code, firmware: ${path.join(ROOT, 'firmware-samples/debian/OVMF_CODE.fd')}}`,
      'matrix:', '  modes: [snp, seves]', '  vcpus: 1-8', '  vcpuTypes: [EPYC-v4, EPYC-Genoa]', '  vmmTypes: [QEMU, gce]', '',
    ].join('\n'));
    const one = await cli(['golden', m, '--jobs', '1']);
    expect(one.code).toBe(0);
    const doc = JSON.parse(one.stdout) as GoldenDocument;
    expect(doc.artifacts.map((a) => a.name)).toEqual(['deb', 'amdsev', 'deb-code']);
    writeFileSync(m, readFileSync(m, 'utf8').replace('name: deb-code', 'name: deb'));
    const dup = await cli(['golden', m]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/artifacts\[2\]\.name: "deb" is used by an earlier artifact/);
  });
});
