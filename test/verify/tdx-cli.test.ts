/**
 * `prelaunch verify QUOTE` through the CLI (in process): the JSON contract of
 * ../shared/conformance/verify.mjs for TDX (kind, signatureValid, chainValid, mrtd, rtmrs, xfam,
 * tdAttributes, tcbStatus with collateral), the text form, exit codes and usage errors. The
 * synthetic quotes (./tdx-synthetic.ts) carry a test chain: the CLI anchors in Intel's real
 * root, so it verifies their signatures but never their chain.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectCleanError, runCliInProcess } from '../support/cli.js';
import { SHARED_DIR } from '../support/shared-notice.js';
import { makeCollateral, makePki, makeQuote, MRTD, RTMRS, XFAM } from './tdx-synthetic.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'prelaunch-tdx-cli-'));
const tmp = (name: string, content: Uint8Array | string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const VERIFY = path.join(SHARED_DIR, 'oracles/verify');
const HAVE_SHARED = existsSync(path.join(VERIFY, 'index.json')) && !process.env.PRELAUNCH_NO_SHARED;

let quote: string;
let collateral: string;
beforeAll(async () => {
  const pki = await makePki();
  quote = tmp('quote.bin', (await makeQuote(pki)).quote);
  collateral = tmp('collateral.json', await makeCollateral(pki));
});

describe('prelaunch verify QUOTE (CLI)', () => {
  it('prints the JSON contract; a chain that is not Intel\'s exits 1 with one error line', async () => {
    const r = await runCliInProcess(['verify', quote, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ kind: 'tdx-quote', signatureValid: true, chainValid: false, ok: false, mrtd: hex(MRTD), xfam: hex(XFAM), tdAttributes: '0000001000000000' });
    expect(j.rtmrs).toEqual(RTMRS.map(hex));
    expect(j.tcbStatus).toBeUndefined();
    expect(j.quote).toMatchObject({ version: 4, bodyType: 2 });
    expect(j.checks.find((c: { id: string }) => c.id === 'tcb-status')).toMatchObject({ status: 'skipped' });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: .*quote\.bin: not verified: .*not signed by Intel SGX Root CA/);
  });
  it('text: the verdict, the registers, TD attributes by name, and every check', async () => {
    const r = await runCliInProcess(['verify', quote]);
    expect(r.stdout).toMatch(/^NOT VALID: Intel TDX quote v4 \(TDX 1\.0 TD report\); signature valid, chain to Intel's SGX Root CA NOT valid; TCB status not evaluated \(no --collateral\)/);
    expect(r.stdout).toMatch(/MRTD +1{96}/);
    expect(r.stdout).toMatch(/TD attributes +0000001000000000 \(SEPT_VE_DISABLE\)/);
    expect(r.stdout).toMatch(/skip +tcb-status +TCB status not evaluated/);
  });
  it('--collateral is evaluated against the collateral\'s own chain: a test chain is refused, not trusted', async () => {
    const r = await runCliInProcess(['verify', quote, '--collateral', collateral, '--at', '2025-06-15T00:00:00Z', '--json']);
    const j = JSON.parse(r.stdout);
    expect(j.checks.find((c: { id: string }) => c.id === 'collateral:tcb-info-chain').status).toBe('fail');
    expect(j.tcbStatus).toBeUndefined();
    expect(r.code).toBe(1);
  });
  it('--golden with a plain TDX reference document', async () => {
    const g = tmp('tdx-golden.json', JSON.stringify({ tdx: [{ name: 'release-7', mrtd: hex(MRTD), rtmr1: hex(RTMRS[1]!), xfam: 'e718060000000000' }] }));
    const j = JSON.parse((await runCliInProcess(['verify', quote, '--golden', g, '--json'])).stdout);
    expect(j.golden).toEqual({ matched: false, entry: 'release-7' });
    expect(j.checks.find((c: { id: string }) => c.id === 'golden:xfam')).toMatchObject({ status: 'fail' });
    expect(j.checks.find((c: { id: string }) => c.id === 'golden:rtmr1')).toMatchObject({ status: 'pass' });
  });
  it('--golden with `prelaunch tdx --json` output: one entry per page order; registers it did not predict are not compared', async () => {
    // a TDVF whose RTMR events prelaunch models (Debian sid's; the 2022.11 OVMF.fd logs no RTMR events)
    const pred = await runCliInProcess(['tdx', '--firmware', path.join(ROOT, 'firmware-samples/debian-sid/OVMF.inteltdx.ms.fd'), '--memory', '2G', '--json']);
    expect(pred.code).toBe(0);
    const g = tmp('predicted.json', pred.stdout);
    const r = await runCliInProcess(['verify', quote, '--golden', g, '--json']);
    const c = JSON.parse(r.stdout).checks.find((x: { id: string }) => x.id === 'golden:mrtd');
    expect(c.status).toBe('fail');
    expect(c.detail).toMatch(/nearest: \S+predicted\.json \(single page order\): mrtd \(firmware or page order\) differs; \S+predicted\.json \(two page order\): mrtd \(firmware or page order\) differs$/);
  });
  it('--golden with a prelaunch golden document of TDX entries (golden MANIFEST): the entry of the quote\'s MRTD and page order, XFAM and TD attributes as 0x values', async () => {
    const manifest = tmp('m.yaml', `artifacts:\n  - name: td\n    firmware: ${path.join(ROOT, 'firmware-samples/debian/OVMF.fd')}\n    modes: [tdx]\nmatrix:\n  modes: [tdx]\n  vcpus: [1]\n  tdx:\n    pageOrders: [single, two]\n    xfam: ["0x602e7"]\n    tdAttributes: ["0x10000000"]\n`);
    const docFile = path.join(dir, 'golden.json');
    expect((await runCliInProcess(['golden', manifest, '-o', docFile])).code).toBe(0);
    const doc = JSON.parse(readFileSync(docFile, 'utf8')) as { entries: Array<{ measurement: string; tdx: { pageOrder: string } }> };
    const two = doc.entries.find((e) => e.tdx.pageOrder === 'two')!;
    const pki = await makePki();
    const q = tmp('two.bin', (await makeQuote(pki, { mrtd: Buffer.from(two.measurement, 'hex') })).quote);
    const j = JSON.parse((await runCliInProcess(['verify', q, '--golden', docFile, '--json'])).stdout);
    expect(j.golden).toEqual({ matched: true, entry: 'td / two' });
    expect(j.checks.filter((c: { id: string }) => c.id.startsWith('golden:')).map((c: { id: string; status: string }) => `${c.id}:${c.status}`)).toEqual(['golden:mrtd:pass', 'golden:xfam:pass', 'golden:tdAttributes:pass']);
  });
  it.each([
    [['--cert', 'QUOTE'], /--cert: applies to SEV-SNP reports; .*quote\.bin is an Intel TDX quote/],
    [['--policy', 'debug=off'], /--policy: applies to SEV-SNP reports/],
    [['--min-tcb', 'snp=1'], /--min-tcb: applies to SEV-SNP reports/],
  ])('usage: %j (exit 2)', async (flags, re) => {
    const r = await runCliInProcess(['verify', quote, ...flags.map((f) => (f === 'QUOTE' ? quote : f))]);
    expect(expectCleanError(r, 2, 'ERR_INVALID_OPTION')).toMatch(re);
  });
  it('bad collateral: one error line naming the field, exit 1', async () => {
    const bad = tmp('bad-collateral.json', JSON.stringify({ tcb_info: '{}' }));
    expect(expectCleanError(await runCliInProcess(['verify', quote, '--collateral', bad, '--at', '2025-06-15']), 1, 'ERR_MALFORMED')).toMatch(/bad-collateral\.json\.tcb_info_signature: missing/);
  });
});

describe.skipIf(!HAVE_SHARED)('prelaunch verify on real TDX quotes (../shared/oracles/verify)', () => {
  it('tdx-v4-azure-trustee: OutOfDate by Intel QVL logic (the TDX module rated through tdxModuleIdentities), exit 0', async () => {
    const r = await runCliInProcess(['verify', path.join(VERIFY, 'tdx/tdx-v4-azure-trustee/quote.bin'), '--collateral', path.join(VERIFY, 'tdx_collateral/00806f05-2025-09.json'), '--at', '2025-10-01T00:00:00Z', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ signatureValid: true, chainValid: true, tcbStatus: 'OutOfDate', advisoryIds: ['INTEL-SA-00960', 'INTEL-SA-00982', 'INTEL-SA-00986'] });
  });
  it('the MRTD bit-flip copy: exit 1, the quote signature named', async () => {
    const r = await runCliInProcess(['verify', path.join(VERIFY, 'tdx/tampered-tdx-v4-dcapqvl-sample-mrtd-bitflip/quote.bin')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: .*not verified: the quote signature does not verify/);
  });
  it('--ccel with the real dstack CCEL: RTMR0 (firmware, TD HOB, ACPI) reproduces the dstack tappd quote\'s; RTMR1 and RTMR3 are of another boot', async () => {
    const ccel = path.join(SHARED_DIR, 'oracles/tdx/samples/dstack-ccel.bin');
    const r = await runCliInProcess(['verify', path.join(VERIFY, 'tdx/tdx-v4-dcapqvl-tappd/quote.bin'), '--ccel', ccel, '--json']);
    const st = Object.fromEntries(JSON.parse(r.stdout).checks.filter((c: { id: string }) => c.id.startsWith('ccel:')).map((c: { id: string; status: string }) => [c.id, c.status]));
    expect(st).toEqual({ 'ccel:rtmr0': 'pass', 'ccel:rtmr1': 'fail', 'ccel:rtmr2': 'pass', 'ccel:rtmr3': 'fail' });
    expect(r.code).toBe(1);
  });
});
