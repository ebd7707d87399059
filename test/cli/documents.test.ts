/**
 * Issue 12: JSON documents given to the CLI are checked against their schema before use — one
 * `error:` line naming the file and the JSON path, exit 1 — never "internal error".
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCleanError, runCliInProcess } from '../support/cli.js';
import { SAMPLE_DOC } from '../support/samples.js';

const dir = mkdtempSync(path.join(tmpdir(), 'prelaunch-docs-'));
const file = (name: string, content: unknown): string => {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};
const doc = (patch: (d: Record<string, any>) => void): Record<string, unknown> => {
  const d = structuredClone(SAMPLE_DOC) as Record<string, any>;
  patch(d);
  return d;
};
const REPORT = file('report.json', { measurement: SAMPLE_DOC.entries[0]!.measurement, policy: '0x30000' });

describe('golden --check, export and tdx diff refuse malformed documents', () => {
  it('a well-formed document still checks', async () => {
    const r = await runCliInProcess(['golden', '--check', REPORT, file('good.json', SAMPLE_DOC)]);
    expect(r.stdout).toMatch(/^measurement matches|^match/);
  });

  it.each([
    ['null.json', null, /null\.json: \$: expected a prelaunch golden-values document/],
    ['entry.json', doc((d) => { d.entries[0] = null; }), /entry\.json: \$\.entries\[0\]: expected an object, got null/],
    ['policy.json', doc((d) => { d.entries[0].policy = '0x'; }), /policy\.json: \$\.entries\[0\]\.policy: expected a 64-bit value in hex like 0x30000 or null, got "0x"/],
  ])('golden --check REPORT %s', async (name, content, re) => {
    expect(expectCleanError(await runCliInProcess(['golden', '--check', REPORT, file(name, content)]), 1, 'ERR_MALFORMED')).toMatch(re);
  });

  it('golden --check with a report whose cpuid_fam_id does not fit its byte', async () => {
    const rep = file('fam.json', { measurement: 'ab'.repeat(48), cpuid_fam_id: 1000, cpuid_mod_id: 1, cpuid_step: 1 });
    expect(expectCleanError(await runCliInProcess(['golden', '--check', rep, file('good2.json', SAMPLE_DOC)]), 1, 'ERR_MALFORMED')).toMatch(/fam\.json: \$\.cpuid_fam_id: expected an integer within 0\.\.255, got 1000/);
  });

  it.each([
    ['null-artifacts.json', doc((d) => { d.artifacts = null; }), /\$\.artifacts: expected a list, got null/],
    ['no-inputs.json', doc((d) => { delete d.entries[0].inputs; }), /\$\.entries\[0\]: missing "inputs"/],
  ])('export with %s', async (name, content, re) => {
    expect(expectCleanError(await runCliInProcess(['export', '--to', 'qemu', file(name, content)]), 1, 'ERR_MALFORMED')).toMatch(re);
  });

  it.each([
    ['p-null.json', 'null', /p-null\.json: \$: expected a TDX prediction/],
    ['p-rtmrs.json', { rtmrs: [null] }, /p-rtmrs\.json: \$\.rtmrs\[0\]: expected an object, got null/],
    ['p-text.json', 'not json', /p-text\.json: not valid JSON/],
    ['p-event.json', { rtmrs: [{ index: 0, events: [{ rtmr: 7, type: 'x', digest: null, description: '' }] }] }, /\$\.rtmrs\[0\]\.events\[0\]\.rtmr: expected an RTMR index 0\.\.3, got 7/],
  ])('tdx diff %s CCEL: exit 1 like every other bad input file', async (name, content, re) => {
    expect(expectCleanError(await runCliInProcess(['tdx', 'diff', file(name, content), REPORT]), 1, 'ERR_MALFORMED')).toMatch(re);
  });
});

describe('golden manifests are capped before parsing', () => {
  it('a 2 MB YAML manifest (60,000 artifacts) is refused before the YAML parser sees it', async () => {
    const m = file('huge.yaml', 'artifacts:\n' + '  - {name: a, firmware: OVMF.fd}\n'.repeat(60_000) + 'matrix: {vcpus: 1, vcpuTypes: EPYC}\n');
    const t0 = Date.now();
    expect(expectCleanError(await runCliInProcess(['golden', m]), 1, 'ERR_MALFORMED')).toMatch(/huge\.yaml: \d+ characters; a golden manifest is at most 1048576 \(1 MiB\)/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
  it('maxEntries above 1,000,000 is refused (manifest and flag)', async () => {
    const m = file('max.yaml', 'maxEntries: 2000000\nartifacts:\n  - {name: a, firmware: OVMF.fd}\nmatrix: {vcpus: 1, vcpuTypes: EPYC}\n');
    expect(expectCleanError(await runCliInProcess(['golden', m]), 1, 'ERR_MALFORMED')).toMatch(/max\.yaml: \$\.maxEntries: expected an integer within 1\.\.1000000, got 2000000/);
    expect(expectCleanError(await runCliInProcess(['golden', '--ovmf', 'x.fd', '--vcpus', '1', '--vcpu-type', 'EPYC', '--max-entries', '2000000']), 2, 'ERR_INVALID_OPTION')).toMatch(/--max-entries: must be an integer within 1\.\.1000000/);
  });
});
