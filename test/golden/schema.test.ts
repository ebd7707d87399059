import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { OVMF, AMDSEV, ROOT, cli } from '../support/golden.js';

const ajv = new Ajv2020({ allErrors: true, validateFormats: false });
const manifestSchema = ajv.compile(JSON.parse(readFileSync(path.join(ROOT, 'docs/schemas/golden-manifest.schema.json'), 'utf8')));
const documentSchema = ajv.compile(JSON.parse(readFileSync(path.join(ROOT, 'docs/schemas/golden-document.schema.json'), 'utf8')));

describe('the JSON Schemas in docs/schemas describe what prelaunch reads and writes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prelaunch-schema-'));
  const manifest = `version: 1
maxEntries: 5000
artifacts:
  - name: deb
    firmware: ${OVMF}
  - name: amdsev
    firmware: ${AMDSEV}
    kernel: ${path.join(ROOT, 'firmware-samples/synthetic/eip.fd')}
    cmdline: console=ttyS0
matrix:
  modes: [snp, seves, sev]
  vcpus: [1, "2-3"]
  vcpuTypes: [EPYC-v4]
  vcpuSigs: ["0xa00f11"]
  vmmTypes: [QEMU, ec2]
  vmsaProfiles: [kvm-legacy]
  guestFeatures: ["0x1", "0x21"]
  policies: ["0x30000"]
  hostData: ["${'cd'.repeat(32)}"]
idBlock:
  idKey: ${path.join(ROOT, 'test/vectors/keys/id_key_a.pem')}
  familyId: "00112233445566778899aabbccddeeff"
  guestSvn: 3
`;

  it('an example manifest validates, and prelaunch accepts it', async () => {
    expect(manifestSchema(parseYaml(manifest)), JSON.stringify(manifestSchema.errors)).toBe(true);
    writeFileSync(path.join(dir, 'm.yaml'), manifest);
    const r = await cli(['golden', path.join(dir, 'm.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    expect(documentSchema(JSON.parse(r.stdout)), JSON.stringify(documentSchema.errors?.slice(0, 3))).toBe(true);
  });

  it('the schema rejects what prelaunch rejects', async () => {
    expect(manifestSchema({ artifacts: [{ name: 'x', firmware: 'a' }], matrix: { vcpuz: 1 } })).toBe(false);
    expect(manifestSchema({ artifacts: [], matrix: {} })).toBe(false);
  });

  it('a document with --timestamp still validates', async () => {
    const r = await cli(['golden', '--ovmf', OVMF, '--vcpus', '1', '--vcpu-type', 'EPYC', '--timestamp']);
    const doc = JSON.parse(r.stdout);
    expect(doc.generated).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(documentSchema(doc)).toBe(true);
  });
});
