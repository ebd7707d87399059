/**
 * SEV-SNP report verification (src/verify/snp.ts) against the synthetic evidence of
 * make-synthetic-snp.mjs (test keys: expected values in synthetic/expected.json are what that
 * script put into the reports and certificates), and — when ../shared is present — the real
 * reports of ../shared/oracles/verify, whose verdicts were checked there with Python
 * `cryptography` and the openssl command line.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PrelaunchError } from '../../src/errors.js';
import { ATTESTATION_REPORT, UnknownReportVersionError, parseAttestationReport, type SnpProduct } from '../../src/formats/snp/attestation-report.js';
import { detectEvidence, verifyEvidence } from '../../src/verify/index.js';
import { verifySnpReport, type SnpVerifyOptions } from '../../src/verify/snp.js';
import type { GoldenDocument } from '../../src/golden/engine.js';
import { SHARED_DIR } from '../support/shared-notice.js';
import { SAMPLE_DOC } from '../support/samples.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SYN = path.join(HERE, 'synthetic');
const read = (f: string): Uint8Array => new Uint8Array(readFileSync(path.join(SYN, f)));
const input = (f: string) => ({ bytes: read(f), source: f });
const expected = JSON.parse(readFileSync(path.join(SYN, 'expected.json'), 'utf8')) as {
  chipId: Record<SnpProduct, string>; reportedTcb: Record<SnpProduct, Record<string, number>>; measurement: Record<string, string>;
};
const pem2der = (f: string): Uint8Array => {
  const b64 = readFileSync(path.join(SYN, f), 'latin1').replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
};
/** the synthetic roots in place of AMD's */
const ANCHORS: SnpVerifyOptions['anchors'] = {
  Milan: { ark: pem2der('milan_ark.pem'), ask: pem2der('milan_ask.pem'), asvk: pem2der('milan_asvk.pem') },
  Genoa: { ark: pem2der('genoa_ark.pem'), ask: pem2der('genoa_ask.pem'), asvk: pem2der('genoa_asvk.pem') },
  Turin: { ark: pem2der('turin_ark.pem'), ask: pem2der('turin_ask.pem'), asvk: pem2der('turin_asvk.pem') },
};
const verify = (report: Uint8Array, certs: string[], o: SnpVerifyOptions = {}) =>
  verifySnpReport(report, { anchors: ANCHORS, certificates: certs.map(input), source: 'report.bin', ...o });
const status = (r: { checks: readonly { id: string; status: string }[] }, id: string) => r.checks.find((c) => c.id === id)?.status;
const flip = (b: Uint8Array, at: number, bit = 0): Uint8Array => {
  const c = b.slice();
  c[at]! ^= 1 << bit;
  return c;
};
async function rejects(p: Promise<unknown>): Promise<PrelaunchError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PrelaunchError);
    return e as PrelaunchError;
  }
  throw new Error('expected a PrelaunchError');
}

describe('synthetic chains (test keys)', () => {
  it.each([
    ['report-v2-milan.bin', 'Milan', ['vcek_milan.pem', 'milan_ask.pem', 'milan_ark.pem']],
    ['report-v3-milan.bin', 'Milan', ['vcek_milan.der']],
    ['report-v5-milan.bin', 'Milan', ['vcek_milan.pem', 'milan_ask.pem']],
    ['report-v3-genoa.bin', 'Genoa', ['vcek_genoa.pem', 'genoa_ask.pem', 'genoa_ark.pem']],
    ['report-v5-turin.bin', 'Turin', ['vcek_turin.pem', 'turin_ask.pem', 'turin_ark.pem']],
  ] as const)('%s verifies (VCEK, %s)', async (file, product, certs) => {
    const r = await verify(read(file), [...certs]);
    expect(r.reason).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.signatureValid).toBe(true);
    expect(r.chainValid).toBe(true);
    expect(r.product).toBe(product);
    expect(r.measurement).toBe(expected.measurement[file]);
    expect(r.chipId).toBe(expected.chipId[product]);
    expect(r.reportedTcb).toEqual(expected.reportedTcb[product]);
    expect(status(r, 'vcek-hwid')).toBe('pass');
    expect(status(r, 'vcek-tcb')).toBe('pass');
  });

  it('a VLEK-signed report verifies through the ASVK; no hwID check', async () => {
    const r = await verify(read('report-v3-milan-vlek.bin'), ['vlek_milan.pem', 'milan_asvk.pem', 'milan_ark.pem']);
    expect(r.ok).toBe(true);
    expect(status(r, 'chain:asvk-by-ark')).toBe('pass');
    expect(status(r, 'chain:vlek-by-asvk')).toBe('pass');
    expect(status(r, 'vcek-hwid')).toBe('skipped');
    expect(r.report.signingKey).toBe('vlek');
  });

  it('reads the certificates from an extended report\'s certificate table', async () => {
    const r = await verify(read('report-v3-milan-ext.bin'), []);
    expect(r.ok).toBe(true);
    expect(r.certificates.map((c) => [c.role, c.origin])).toEqual([['vcek', 'table'], ['ask', 'table'], ['ark', 'table']]);
    expect(r.ignoredTableEntries).toEqual(['11111111-2222-3333-4444-555555555555']);
  });

  it('Buffer and odd-offset inputs give the same result and are not written', async () => {
    const odd = (b: Uint8Array): Uint8Array => {
      const big = Buffer.alloc(b.length + 7, 0x5a);
      big.set(b, 3);
      return big.subarray(3, 3 + b.length);
    };
    const rep = read('report-v3-milan-ext.bin');
    const vcek = read('vcek_milan.der');
    const plain = await verifySnpReport(rep, { anchors: ANCHORS, certificates: [{ bytes: vcek, source: 'v' }] });
    const r2 = odd(rep);
    const v2 = odd(vcek);
    const before = [Buffer.from(r2).toString('hex'), Buffer.from(v2).toString('hex')];
    const viaViews = await verifySnpReport(r2, { anchors: ANCHORS, certificates: [{ bytes: v2, source: 'v' }] });
    expect(viaViews.ok).toBe(true);
    expect(JSON.stringify(viaViews.checks)).toBe(JSON.stringify(plain.checks));
    expect([Buffer.from(r2).toString('hex'), Buffer.from(v2).toString('hex')]).toEqual(before);
  });

  it('parses every field of v2, v3 and v5', () => {
    const v2 = parseAttestationReport(read('report-v2-milan.bin'));
    const v3 = parseAttestationReport(read('report-v3-milan.bin'));
    const v5 = parseAttestationReport(read('report-v5-turin.bin'));
    expect([v2.version, v3.version, v5.version]).toEqual([2, 3, 5]);
    expect(v2.cpuidProduct).toBeNull();
    expect(v3.cpuidProduct).toBe('Milan');
    expect(v5.cpuidProduct).toBe('Turin');
    expect([v3.cpuidFamId, v3.cpuidModId, v3.cpuidStep]).toEqual([0x19, 1, 1]);
    expect([v5.launchMitVector, v5.currentMitVector]).toEqual([3n, 7n]);
    expect(v3.policy).toBe(0xb0000n);
    expect(v3.platformInfo).toBe(0x25n);
    expect(v3.guestSvn).toBe(1);
    expect(v3.signingKey).toBe('vcek');
    expect(`${v3.currentMajor}.${v3.currentMinor}.${v3.currentBuild}`).toBe('1.55.21');
    expect(new TextDecoder().decode(v3.reportData).replace(/\0+$/, '')).toBe('synthetic report data');
    expect(ATTESTATION_REPORT.size).toBe(0x4a0);
  });
});

describe('tampering (each fails, with the reason)', () => {
  const milan = ['vcek_milan.pem', 'milan_ask.pem', 'milan_ark.pem'];
  it('a flipped bit in the report body: signature invalid, chain still valid', async () => {
    const r = await verify(flip(read('report-v3-milan.bin'), 0x90), milan);
    expect([r.signatureValid, r.chainValid, r.ok]).toEqual([false, true, false]);
    expect(r.reason).toMatch(/signature does not verify/);
  });
  it('a flipped bit in the signature (R, then S)', async () => {
    for (const at of [0x2a0, 0x2e8 + 5]) {
      const r = await verify(flip(read('report-v3-milan.bin'), at), milan);
      expect(r.signatureValid).toBe(false);
    }
  });
  it('a flipped bit in each certificate\'s signature', async () => {
    for (const [i, name, check] of [[0, 'vcek', 'chain:vcek-by-ask'], [1, 'ask', 'chain:ask-by-ark'], [2, 'ark', 'chain:ark']] as const) {
      const certs = milan.map((f, k) => (k === i ? (() => { const d = pem2der(f); return { bytes: flip(d, d.length - 3), source: `${name}-flipped.der` }; })() : input(f)));
      const r = await verifySnpReport(read('report-v3-milan.bin'), { anchors: ANCHORS, certificates: certs });
      expect(r.chainValid, name).toBe(false);
      expect(status(r, check), name).toBe('fail');
      expect(r.ok).toBe(false);
    }
  });
  it('a flipped bit in the VCEK\'s signed part (its subject)', async () => {
    const d = pem2der('vcek_milan.pem');
    const at = Buffer.from(d).indexOf('Engineering');
    const r = await verifySnpReport(read('report-v3-milan.bin'), { anchors: ANCHORS, certificates: [{ bytes: flip(d, at), source: 'vcek.der' }] });
    expect(status(r, 'chain:vcek-by-ask')).toBe('fail');
  });
  it('the certificate of the wrong product: a Genoa VCEK under Milan\'s ASK and ARK', async () => {
    const r = await verify(read('report-v3-genoa.bin'), ['vcek_genoa.pem', 'milan_ask.pem', 'milan_ark.pem']);
    expect([r.signatureValid, r.chainValid]).toEqual([true, false]);
    expect(status(r, 'chain:vcek-by-ask')).toBe('fail');
    expect(status(r, 'chain:product')).toBe('fail');
    // and a Milan VCEK with Genoa's ASK
    const m = await verify(read('report-v3-milan.bin'), ['vcek_milan.pem', 'genoa_ask.pem']);
    expect(m.chainValid).toBe(false);
  });
  it('another chip\'s VCEK: signature, hwID and TCB all fail', async () => {
    const r = await verify(read('report-v3-milan.bin'), ['vcek_milan_other.pem']);
    expect([r.signatureValid, r.chainValid]).toEqual([false, true]);
    expect(status(r, 'vcek-hwid')).toBe('fail');
    expect(status(r, 'vcek-tcb')).toBe('fail');
  });
  it('a VLEK report given a VCEK: the signing key does not match', async () => {
    const r = await verify(read('report-v3-milan-vlek.bin'), ['vcek_milan.pem']);
    expect(status(r, 'signing-key')).toBe('fail');
    expect(r.signatureValid).toBe(false);
  });
  it('an ARK that is not the anchor: the supplied ARK is refused', async () => {
    const r = await verifySnpReport(read('report-v3-milan.bin'), { certificates: ['vcek_milan.pem', 'milan_ask.pem', 'milan_ark.pem'].map(input) });
    expect(r.chainValid).toBe(false);
    expect(r.reason).toMatch(/milan_ark\.pem\) is not AMD's ARK-Milan/);
  });
});

describe('bad input is a typed error', () => {
  it('a truncated report (ERR_TRUNCATED), an unknown version (named)', async () => {
    const rep = read('report-v3-milan.bin');
    expect((await rejects(verify(rep.subarray(0, 0x200), ['vcek_milan.pem']))).code).toBe('ERR_TRUNCATED');
    for (const v of [4, 6, 1]) {
      const bad = rep.slice();
      new DataView(bad.buffer).setUint32(0, v, true);
      const e = await rejects(verify(bad, ['vcek_milan.pem']));
      expect(e).toBeInstanceOf(UnknownReportVersionError);
      expect(e.code).toBe('ERR_MALFORMED');
      expect(e.message).toMatch(new RegExp(`version ${v} is not one prelaunch reads`));
    }
  });
  it('a PEM with the wrong key type (RSA, P-256 VCEKs): ERR_KEY', async () => {
    for (const f of ['vcek_rsa.pem', 'vcek_p256.pem']) {
      const e = await rejects(verify(read('report-v3-milan.bin'), [f]));
      expect(e.code).toBe('ERR_KEY');
      expect(e.message).toMatch(/not ECDSA P-384/);
    }
  });
  it('a truncated certificate, a non-certificate PEM, a certificate of no AMD role: ERR_MALFORMED', async () => {
    const d = pem2der('vcek_milan.pem');
    expect((await rejects(verifySnpReport(read('report-v3-milan.bin'), { certificates: [{ bytes: d.subarray(0, 300), source: 'cut.der' }] }))).code).toBe('ERR_MALFORMED');
    const key = new TextEncoder().encode('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    expect((await rejects(verifySnpReport(read('report-v3-milan.bin'), { certificates: [{ bytes: key, source: 'key.pem' }] }))).message).toMatch(/no CERTIFICATE block/);
  });
  it('no VCEK/VLEK (ERR_INVALID_OPTION); two different VCEKs', async () => {
    expect((await rejects(verify(read('report-v3-milan.bin'), ['milan_ask.pem']))).code).toBe('ERR_INVALID_OPTION');
    expect((await rejects(verify(read('report-v3-milan.bin'), ['vcek_milan.pem', 'vcek_milan_other.pem']))).message).toMatch(/two different VCEK/);
    expect((await rejects(verify(read('report-v3-milan.bin'), ['vcek_milan.pem', 'milan_asvk.pem']))).message).toMatch(/milan_asvk\.pem is an ASVK, which does not issue VCEKs/);
  });
  it('a certificate table that points outside itself', async () => {
    const ext = read('report-v3-milan-ext.bin');
    new DataView(ext.buffer).setUint32(0x4a0 + 20, 0xffff, true);
    expect((await rejects(verify(ext, []))).code).toBe('ERR_MALFORMED');
  });
  it('evidence that is neither; a TDX quote (not in this build)', async () => {
    expect(detectEvidence(new Uint8Array(100))).toBeNull();
    expect((await rejects(verifyEvidence(new Uint8Array(100), { source: 'zero.bin' }))).message).toMatch(/zero\.bin: neither an SEV-SNP attestation report/);
    const quote = new Uint8Array(1000);
    new DataView(quote.buffer).setUint16(0, 4, true);
    new DataView(quote.buffer).setUint16(2, 2, true);
    new DataView(quote.buffer).setUint32(4, 0x81, true);
    expect(detectEvidence(quote)).toBe('tdx-quote');
  });
});

describe('policy, minimum TCB, validity and golden values', () => {
  const certs = ['vcek_milan.pem'];
  it('policy expectations', async () => {
    const r = await verify(read('report-v3-milan.bin'), certs, { policy: { debug: false, migrateMa: false, smt: true, singleSocket: false } });
    expect(status(r, 'policy:debug')).toBe('fail'); // 0xb0000: DEBUG set
    expect(status(r, 'policy:migrate-ma')).toBe('pass');
    expect(status(r, 'policy:smt')).toBe('pass');
    expect(status(r, 'policy:single-socket')).toBe('pass');
    expect(r.reason).toMatch(/POLICY\.DEBUG .* is set, required clear/);
    // 0x1b0000: bits 16 SMT, 17, 19 DEBUG, 20 SINGLE_SOCKET
    expect((await verify(read('report-v5-turin.bin'), ['vcek_turin.pem'], { policy: { singleSocket: true } })).ok).toBe(true);
    expect(status(await verify(read('report-v5-turin.bin'), ['vcek_turin.pem'], { policy: { debug: false } }), 'policy:debug')).toBe('fail');
  });
  it('minimum TCB (Turin has fmc; Milan has none)', async () => {
    const ok = await verify(read('report-v5-milan.bin'), certs, { minTcb: { bootloader: 3, snp: 8, microcode: 100 } });
    expect(status(ok, 'tcb:minimum')).toBe('pass');
    const low = await verify(read('report-v5-milan.bin'), certs, { minTcb: { snp: 9 } });
    expect(low.reason).toMatch(/snp 8 < 9/);
    const fmc = await verify(read('report-v5-milan.bin'), certs, { minTcb: { fmc: 1 } });
    expect(status(fmc, 'tcb:minimum')).toBe('fail');
    const turin = await verify(read('report-v5-turin.bin'), ['vcek_turin.pem'], { minTcb: { fmc: 1, bootloader: 1 } });
    expect(status(turin, 'tcb:minimum')).toBe('pass');
  });
  it('validity periods only with `at`', async () => {
    expect(status(await verify(read('report-v3-milan.bin'), certs), 'chain:validity')).toBe('skipped');
    expect(status(await verify(read('report-v3-milan.bin'), certs, { at: new Date() }), 'chain:validity')).toBe('pass');
    const old = await verify(read('report-v3-milan.bin'), certs, { at: new Date('2001-01-01T00:00:00Z') });
    expect(old.chainValid).toBe(false);
    expect(old.reason).toMatch(/not valid at 2001-01-01/);
  });
  it('golden values: a match, and the nearest entries otherwise', async () => {
    const doc = structuredClone(SAMPLE_DOC) as unknown as GoldenDocument;
    const e = doc.entries[0] as unknown as Record<string, unknown>;
    e.measurement = expected.measurement['report-v2-milan.bin'];
    e.policy = '0x30000';
    e.hostData = null;
    delete e.idBlock;
    const r = await verify(read('report-v2-milan.bin'), certs, { golden: doc });
    expect(r.golden?.matched).toBe(true);
    expect(status(r, 'golden')).toBe('pass');
    const miss = await verify(read('report-v3-milan.bin'), certs, { golden: doc });
    expect(miss.golden?.matched).toBe(false);
    expect(miss.reason).toMatch(/no golden entry has measurement/);
  });
});

const VERIFY = path.join(SHARED_DIR, 'oracles/verify');
describe.skipIf(!existsSync(path.join(VERIFY, 'index.json')) || !!process.env.PRELAUNCH_NO_SHARED)('real SEV-SNP reports (../shared/oracles/verify)', () => {
  const index = existsSync(path.join(VERIFY, 'index.json')) ? JSON.parse(readFileSync(path.join(VERIFY, 'index.json'), 'utf8')) : { cases: [] };
  const cases = (index.cases as Array<{ id: string; kind: string; files: Record<string, string>; expected: Record<string, any> }>).filter((c) => c.kind === 'snp-report');
  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_, c) => {
    const f = (k: string) => path.join(VERIFY, c.files[k]!);
    const certs = Object.keys(c.files).filter((k) => k !== 'report').map((k) => ({ bytes: new Uint8Array(readFileSync(f(k))), source: c.files[k]! }));
    const r = await verifySnpReport(new Uint8Array(readFileSync(f('report'))), { certificates: certs, source: c.id });
    const e = c.expected;
    expect(r.signatureValid).toBe(e.signature_valid);
    expect(r.chainValid).toBe(e.chain_valid);
    expect(r.report.version).toBe(e.version);
    expect(r.product).toBe(e.product);
    expect(r.measurement).toBe(e.measurement);
    expect(r.chipId).toBe(e.chip_id);
    const { raw: _raw, ...tcb } = e.reported_tcb;
    expect(r.reportedTcb).toEqual(tcb);
    expect(`0x${r.report.policy.toString(16)}`).toBe(e.policy);
    if (e.vcek_hwid_matches_chip_id !== null) expect(status(r, 'vcek-hwid') === 'pass').toBe(e.vcek_hwid_matches_chip_id);
    expect(status(r, 'vcek-tcb') === 'pass').toBe(e.vcek_tcb_matches_reported_tcb);
  });
  it('the CLI: a directory laid out as snpguest fetch writes it, and a supplied ARK that is not AMD\'s', async () => {
    const { runCliInProcess } = await import('../support/cli.js');
    const c = cases.find((x) => x.id === 'snp-milan-v3-microsoft')!;
    const dir = mkdtempSync(path.join(tmpdir(), 'prelaunch-certs-'));
    copyFileSync(path.join(VERIFY, c.files.vcek!), path.join(dir, 'vcek.pem'));
    copyFileSync(path.join(VERIFY, 'amd/milan_ask.pem'), path.join(dir, 'ask.pem'));
    copyFileSync(path.join(VERIFY, 'amd/milan_ark.pem'), path.join(dir, 'ark.pem'));
    const ok = await runCliInProcess(['verify', path.join(VERIFY, c.files.report!), '--certs', dir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^VALID: SEV-SNP attestation report v3 \(Milan\)/);
    writeFileSync(path.join(dir, 'ark.pem'), readFileSync(path.join(SYN, 'milan_ark.pem')));
    const bad = await runCliInProcess(['verify', path.join(VERIFY, c.files.report!), '--certs', dir, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).chainValid).toBe(false);
    expect(bad.stderr).toMatch(/^error: .*not verified: the ARK given \(.*ark\.pem\) is not AMD's ARK-Milan/);
  });
});
