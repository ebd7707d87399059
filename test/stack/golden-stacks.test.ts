/**
 * Host stacks as a golden-matrix dimension (manifest matrix.stacks): each stack's rules pick
 * the VMSA generation and SEV features; entries carry the stack name. Expected values are
 * sev-snp-measure's, for the VMSA generation each stack implies.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { OVMF, ROOT } from '../support/golden.js';
import { expectCleanError, runCliInProcess } from '../support/cli.js';

const ajv = new Ajv2020({ allErrors: true, validateFormats: false });
const manifestSchema = ajv.compile(JSON.parse(readFileSync(path.join(ROOT, 'docs/schemas/golden-manifest.schema.json'), 'utf8')));
const documentSchema = ajv.compile(JSON.parse(readFileSync(path.join(ROOT, 'docs/schemas/golden-document.schema.json'), 'utf8')));
const dir = mkdtempSync(path.join(tmpdir(), 'prelaunch-golden-stacks-'));

describe('golden: matrix.stacks', () => {
  const manifest = {
    version: 1,
    artifacts: [{ name: 'deb', firmware: OVMF }],
    matrix: {
      modes: ['snp', 'seves'],
      vcpus: [1, 2],
      vcpuTypes: ['EPYC-Milan'],
      stacks: [
        { name: 'trixie', qemu: '10.0.2', hostKernel: '6.12.48+deb13-amd64' },
        { name: 'aws-old', vmm: 'ec2-legacy' },
      ],
    },
  };
  it('derives each stack\'s VMSA generation and tags the entries', async () => {
    expect(manifestSchema(manifest), JSON.stringify(manifestSchema.errors)).toBe(true);
    const file = path.join(dir, 'm.json');
    writeFileSync(file, JSON.stringify(manifest));
    const r = await runCliInProcess(['golden', file]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(documentSchema(doc), JSON.stringify(documentSchema.errors)).toBe(true);
    const get = (stack: string, mode: string, vcpus: number) => doc.entries.find((e: { stack: string; mode: string; vcpus: number }) => e.stack === stack && e.mode === mode && e.vcpus === vcpus);
    // test/vectors/snp-measure.json snp.qemu.deb-OVMF.EPYC-Milan.v1 (H3: kvm-init2, 0x1)
    expect(get('trixie', 'snp', 1)).toMatchObject({ vmsaProfile: 'kvm-init2', guestFeatures: '0x1', measurement: '80479ca85a2b182c026f6a3a2f2b180ab968d84b17540dd30de39039e70b8c0c33ead2cae6d34e37750035fcff60bfc8' });
    // test/vectors/vmsa-profiles.json seves 2 × EPYC-Milan, sev-snp-measure v0.0.9-8 (H1: kvm-legacy)
    expect(get('trixie', 'seves', 2)).toMatchObject({ vmsaProfile: 'kvm-legacy', measurement: 'baab03bac1e7647bf7ef1e797a93791cfb4b158477bd4b57deffbeb3f1fdd13e' });
    // test/vectors/vmsa-profiles.json snp 1 vCPU ec2, sev-snp-measure v0.0.12-2 (H10: ec2-legacy)
    expect(get('aws-old', 'snp', 1)).toMatchObject({ vmmType: 'ec2', vmsaProfile: 'ec2-legacy', measurement: '0855b9ee67ab9eda0cad78d275bf488cb5966220b646b5532277bff1115c89b69611d074920620fe92bfdf23d47f1f2b' });
    expect(doc.entries).toHaveLength(8);
  });
  it('an impossible stack in the matrix is refused, naming it', async () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...manifest, matrix: { ...manifest.matrix, stacks: [{ name: 'old', qemu: '8.2.2', hostKernel: '6.12' }] } }));
    expect(expectCleanError(await runCliInProcess(['golden', file]), 1, 'ERR_UNSUPPORTED_STACK')).toMatch(/stacks old, mode snp: SEV-SNP needs QEMU >= 9\.1/);
  });
  it('stacks with vmsaProfiles is a manifest error', async () => {
    const file = path.join(dir, 'both.json');
    writeFileSync(file, JSON.stringify({ ...manifest, matrix: { ...manifest.matrix, vmsaProfiles: ['kvm-init2'] } }));
    expect(expectCleanError(await runCliInProcess(['golden', file]), 1, 'ERR_MALFORMED')).toMatch(/matrix\.vmsaProfiles.*matrix\.stacks/);
  });
});
