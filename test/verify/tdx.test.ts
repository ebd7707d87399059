/**
 * The TDX quote verifier. Synthetic evidence (./tdx-synthetic.ts: a test root, PCK chain with
 * the SGX extension, quotes and collateral signed with per-run test keys) covers every check
 * and every tamper without ../shared; the real quotes of ../shared/oracles/verify (verdicts
 * checked two independent ways there, TCB status by Intel QVL's logic) are checked when present.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ParseError, PrelaunchError } from '../../src/errors.js';
import { encodeCcel } from '../../src/formats/tdx/ccel.js';
import { parseTdxQuote } from '../../src/formats/tdx/quote.js';
import { EV, eventTypeName } from '../../src/formats/tdx/tcg-events.js';
import { parseTdxCollateral, pcsEnvelope, CollateralError } from '../../src/verify/tdx/collateral.js';
import { tdxGoldenEntries } from '../../src/verify/tdx/golden.js';
import { parseSgxExtension } from '../../src/verify/tdx/pck-extension.js';
import { parseCrl } from '../../src/verify/crl.js';
import { INTEL_SGX_ROOT_CA_SHA256 } from '../../src/verify/tdx/intel-root.js';
import { intelSgxRootCa, verifyTdxQuote, type TdxVerification, type TdxVerifyOptions } from '../../src/verify/tdx/verify.js';
import { parseCertificates, verifySelfSigned } from '../../src/verify/x509.js';
import { fuzzParams } from '../support/fuzz.js';
import { SHARED_DIR } from '../support/shared-notice.js';
import { bytesSource } from '../../src/bytes/source.js';
import { parseOvmf } from '../../src/formats/ovmf/parse.js';
import { predictRtmrs, type RtmrValues } from '../../src/measure/rtmr.js';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '../../..');
import { AT, CA_CN, DEFAULT_LEVELS, DEFAULT_TCB, p256, level, makeCert, makeCollateral, makePki, makeQuote, MRTD, pem, RTMRS, sgxExtension, XFAM, type Pki } from './tdx-synthetic.js';

const VERIFY = join(SHARED_DIR, 'oracles/verify');
const HAVE_SHARED = existsSync(join(VERIFY, 'index.json')) && !process.env.PRELAUNCH_NO_SHARED;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const check = (r: TdxVerification, id: string) => r.checks.find((c) => c.id === id);
const failed = (r: TdxVerification): string[] => r.checks.filter((c) => c.status === 'fail').map((c) => c.id);

let pki: Pki;
let v4: Uint8Array;
let v5: Uint8Array;
let collateral: Uint8Array;
beforeAll(async () => {
  pki = await makePki();
  v4 = (await makeQuote(pki)).quote;
  v5 = (await makeQuote(pki, { version: 5, bodyType: 3 })).quote;
  collateral = await makeCollateral(pki);
});
const opts = (o: TdxVerifyOptions = {}): TdxVerifyOptions => ({ trustAnchor: pki.anchor, ...o });
const withCollateral = async (quote: Uint8Array, coll?: Uint8Array, at = AT): Promise<TdxVerification> =>
  verifyTdxQuote(quote, opts({ collateral: parseTdxCollateral(coll ?? collateral, 'collateral.json'), at }));
const flip = (b: Uint8Array, at: number, bit = 1): Uint8Array => {
  const c = b.slice();
  c[at]! ^= bit;
  return c;
};

describe('TDX quote parsing', () => {
  it('reads v4 and v5 (TDX 1.5) quotes: header, body, signature data, QE report, PCK chain', () => {
    const q4 = parseTdxQuote(v4);
    expect([q4.version, q4.bodyType, q4.signedLength]).toEqual([4, 2, 48 + 584]);
    expect(hex(q4.report.mrTd)).toBe(hex(MRTD));
    expect(q4.report.teeTcbSvn2).toBeUndefined();
    const q5 = parseTdxQuote(v5);
    expect([q5.version, q5.bodyType, q5.signedLength]).toEqual([5, 3, 48 + 6 + 648]);
    expect(q5.report.teeTcbSvn2).toHaveLength(16);
    expect(q5.qeReport.isvSvn).toBe(6);
    expect(parseCertificates(q5.pckChainPem, 'chain')).toHaveLength(3);
  });
  it('a v5 quote with a TDX 1.0 body (type 2)', async () => {
    const q = (await makeQuote(pki, { version: 5, bodyType: 2 })).quote;
    expect(parseTdxQuote(q).signedLength).toBe(48 + 6 + 584);
    expect((await verifyTdxQuote(q, opts())).signatureValid).toBe(true);
  });
  it('ignores unsigned trailing bytes (as Intel QVL Quote::parse does) and counts them', () => {
    const padded = new Uint8Array(v4.length + 40);
    padded.set(v4);
    padded.set([1, 2, 3], v4.length);
    expect(parseTdxQuote(padded).trailingBytes).toBe(40);
  });
  it('refuses every truncation with ERR_TRUNCATED (never another error)', () => {
    const cuts = [0, 10, 47, 48, 300, 631, 632, 635, 700, 1000, v4.length - 1];
    for (const n of cuts) {
      const e = (() => { try { parseTdxQuote(v4.subarray(0, n), 'q.bin'); } catch (x) { return x; } return null; })();
      expect(e, `cut at ${n}`).toBeInstanceOf(ParseError);
      expect((e as ParseError).code, `cut at ${n}`).toBe('ERR_TRUNCATED');
    }
  });
  const patched = (at: number, bytes: number[]): Uint8Array => {
    const c = v4.slice();
    c.set(bytes, at);
    return c;
  };
  it.each([
    ['version 3', 0, [3, 0], /quote version 3 is not supported/],
    ['version 6', 0, [6, 0], /quote version 6/],
    ['an SGX TEE type', 4, [0, 0, 0, 0], /not TDX .*SGX quote/],
    ['attestation key type 3', 2, [3, 0], /attestation key type 3/],
    ['certification data type 5 at the top', 632 + 4 + 128, [5, 0], /certification data type 5 is not supported/],
  ] as const)('refuses %s with ERR_MALFORMED', (_, at, bytes, msg) => {
    const q = patched(at, [...bytes]);
    expect(() => parseTdxQuote(q, 'q.bin')).toThrow(msg);
    try { parseTdxQuote(q); } catch (e) { expect((e as PrelaunchError).code).toBe('ERR_MALFORMED'); }
  });
  it('refuses a v5 body type 1 (SGX) and a body size that disagrees with the type', () => {
    const c = v5.slice();
    c.set([1, 0], 48);
    expect(() => parseTdxQuote(c)).toThrow(/body type 1 .*SGX enclave report/);
    const d = v5.slice();
    d.set([0x48, 0x02, 0, 0], 50);
    expect(() => parseTdxQuote(d)).toThrow(/body type 3 \(TDX 1.5\) with size 584/);
  });
  it('refuses a signature data length beyond the quote', () => {
    const c = v4.slice();
    new DataView(c.buffer).setUint32(632, 0xffffff, true);
    expect(() => parseTdxQuote(c)).toThrow(ParseError);
  });
});

describe('TDX quote verification (synthetic chain, test trust anchor)', () => {
  it('verifies v4 and v5 quotes: quote and QE report signatures, QE binding, chain; TCB status skipped without collateral', async () => {
    for (const q of [v4, v5]) {
      const r = await verifyTdxQuote(q, opts());
      expect(failed(r)).toEqual([]);
      expect(r).toMatchObject({ kind: 'tdx-quote', signatureValid: true, chainValid: true, ok: true, mrtd: hex(MRTD), xfam: hex(XFAM), tdAttributes: '0000001000000000', fmspc: 'b0c06f000000' });
      expect(r.rtmrs).toEqual(RTMRS.map(hex));
      expect(r.tcbStatus).toBeUndefined();
      expect(check(r, 'tcb-status')).toMatchObject({ status: 'skipped', detail: expect.stringMatching(/TCB status not evaluated: no --collateral/) });
    }
  });
  it('the shipped Intel root (no trust anchor) refuses the test chain', async () => {
    const r = await verifyTdxQuote(v4);
    expect(r.signatureValid).toBe(true);
    expect(r.chainValid).toBe(false);
    expect(failed(r)).toEqual(expect.arrayContaining(['chain:ca-by-root', 'chain:root']));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/not signed by Intel SGX Root CA/);
  });
  const tampers: Array<[string, (q: Uint8Array) => Uint8Array, string[], { sig: boolean; chain: boolean }]> = [
    ['a bit of MRTD (body)', (q) => flip(q, 48 + 0x88), ['quote-signature'], { sig: false, chain: true }],
    ['a bit of RTMR3 (body)', (q) => flip(q, 48 + 0x148 + 3 * 48), ['quote-signature'], { sig: false, chain: true }],
    ['a bit of the header user data', (q) => flip(q, 0x1c), ['quote-signature'], { sig: false, chain: true }],
    ['the quote signature', (q) => flip(q, 632 + 4 + 10), ['quote-signature'], { sig: false, chain: true }],
    ['the QE report (ISVSVN)', (q) => flip(q, 632 + 4 + 128 + 6 + 0x102), ['qe-report-signature'], { sig: false, chain: true }],
    ['the QE report signature', (q) => flip(q, 632 + 4 + 128 + 6 + 384 + 5), ['qe-report-signature'], { sig: false, chain: true }],
    ['the QE auth data (breaks the binding)', (q) => flip(q, 632 + 4 + 128 + 6 + 384 + 64 + 2 + 1), ['qe-report-data'], { sig: false, chain: true }],
  ];
  it.each(tampers)('fails on a flipped bit in %s', async (_, tamper, fails, want) => {
    const r = await verifyTdxQuote(tamper(v4), opts());
    expect(failed(r)).toEqual(fails);
    expect(r.signatureValid).toBe(want.sig);
    expect(r.chainValid).toBe(want.chain);
    expect(r.ok).toBe(false);
  });
  it('fails when the attestation key is replaced (quote signature and QE binding)', async () => {
    const r = await verifyTdxQuote(flip(v4, 632 + 4 + 64 + 63), opts());
    expect(failed(r)).toEqual(expect.arrayContaining(['quote-signature', 'qe-report-data']));
  });
  const chainWith = async (pems: (p: Pki) => Promise<string>) => (await makeQuote(pki, { chainPem: await pems(pki) })).quote;
  const corrupt = (p: string): string => {
    // flip a bit in the signature (the DER's last byte)
    const der = Buffer.from(p.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    der[der.length - 1]! ^= 1;
    return pem('CERTIFICATE', der);
  };
  it('fails on a PCK certificate whose signature is altered', async () => {
    const r = await verifyTdxQuote(await chainWith(async (p) => corrupt(p.pck.pem) + p.ca.pem + p.root.pem), opts());
    expect(failed(r)).toContain('chain:pck-by-ca');
    expect(r.chainValid).toBe(false);
  });
  it('fails on a PCK CA certificate whose signature is altered', async () => {
    const r = await verifyTdxQuote(await chainWith(async (p) => p.pck.pem + corrupt(p.ca.pem) + p.root.pem), opts());
    expect(failed(r)).toEqual(['chain:ca-by-root']);
    expect(r.chainValid).toBe(false);
  });
  it('fails on a root certificate that is not the trust anchor', async () => {
    const other = await makePki();
    const r = await verifyTdxQuote(await chainWith(async (p) => p.pck.pem + p.ca.pem + other.root.pem), opts());
    expect(failed(r)).toEqual(['chain:root']);
  });
  it("fails on a foreign PCK chain: another platform's genuine certificate under the same CA (QE report signature)", async () => {
    const k = await p256();
    const foreign = await makeCert({ subject: 'Intel SGX PCK Certificate (other platform)', issuer: CA_CN, key: k.publicKey, signer: pki.caKey.privateKey, ca: false, extension: sgxExtension(pki.tcb) });
    const r = await verifyTdxQuote(await chainWith(async (p) => foreign.pem + p.ca.pem + p.root.pem), opts());
    expect(failed(r)).toEqual(['qe-report-signature']);
    expect([r.signatureValid, r.chainValid]).toEqual([false, true]);
  });
  it('fails on a chain from another root entirely', async () => {
    const other = await makePki();
    const r = await verifyTdxQuote((await makeQuote(pki, { chainPem: other.pck.pem + other.ca.pem + other.root.pem })).quote, opts());
    expect(r.signatureValid).toBe(false);
    expect(r.chainValid).toBe(false);
  });
  it('fails when a certificate is outside its validity at --at', async () => {
    const p = await makePki(undefined, { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z') });
    const q = (await makeQuote(p)).quote;
    const r = await verifyTdxQuote(q, { trustAnchor: p.anchor, at: new Date('2025-06-01T00:00:00Z') });
    expect(failed(r)).toEqual(['chain:validity']);
    // without --at the validity is not checked (a skip that says so)
    expect(check(await verifyTdxQuote(q, { trustAnchor: p.anchor }), 'chain:validity')).toMatchObject({ status: 'skipped', detail: 'certificate validity not checked: no --at TIME' });
  });
  it('a PCK certificate without the SGX extension', async () => {
    const k = await p256();
    const bare = await makeCert({ subject: 'Intel SGX PCK Certificate', issuer: CA_CN, key: k.publicKey, signer: pki.caKey.privateKey, ca: false });
    const r = await verifyTdxQuote(await chainWith(async (p) => bare.pem + p.ca.pem + p.root.pem), opts());
    expect(check(r, 'pck-extension')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/no SGX extension/) });
  });
});

describe('byte inputs', () => {
  it('Buffer and odd-offset quote and collateral give the same result and are not written', async () => {
    const odd = (b: Uint8Array): Uint8Array => {
      const big = Buffer.alloc(b.length + 7, 0x5a);
      big.set(b, 3);
      return big.subarray(3, 3 + b.length);
    };
    const plain = await withCollateral(v5);
    const q = odd(v5);
    const c = odd(collateral);
    const before = [Buffer.from(q).toString('hex'), Buffer.from(c).toString('hex')];
    const viaViews = await verifyTdxQuote(q, opts({ collateral: parseTdxCollateral(c, 'collateral.json'), at: AT }));
    expect(viaViews.ok).toBe(true);
    expect(JSON.stringify(viaViews)).toBe(JSON.stringify(plain));
    expect([Buffer.from(q).toString('hex'), Buffer.from(c).toString('hex')]).toEqual(before);
  });
});

describe('TDX TCB status from collateral (Intel QVL logic)', () => {
  it('UpToDate: SGX and TDX levels, TDX module identity TDX_01 and QE identity all current', async () => {
    const r = await withCollateral(v4);
    expect(failed(r)).toEqual([]);
    expect(r.tcbStatus).toBe('UpToDate');
    expect(r.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['collateral:tcb-info-signature', 'collateral:qe-identity-signature', 'crl:root-signature', 'crl:pck-signature', 'crl:pck-revocation']));
  });
  it('rates the TDX module through tdxModuleIdentities when TEE_TCB_SVN[1] > 0 (QVL TdxModuleCheck)', async () => {
    // module SVN 2 of major version 1: TDX_01 rates it OutOfDate; bytes 0–1 are not compared with the TCB level
    const q = (await makeQuote(pki, { teeTcbSvn: Uint8Array.from([2, 1, 3, ...new Array(13).fill(0)]) })).quote;
    const r = await withCollateral(q);
    expect(r.tcbStatus).toBe('OutOfDate');
    expect(r.advisoryIds).toEqual(['INTEL-SA-00837']);
    expect(r.ok).toBe(true); // a status is reported, not judged (only Revoked fails)
  });
  it('compares from byte 0 when the module major version is 0 (isTdxTcbHigherOrEqual)', async () => {
    const up = (await makeQuote(pki, { teeTcbSvn: Uint8Array.from([5, 0, 3, ...new Array(13).fill(0)]) })).quote;
    expect((await withCollateral(up)).tcbStatus).toBe('UpToDate');
    const low = (await makeQuote(pki, { teeTcbSvn: Uint8Array.from([4, 0, 3, ...new Array(13).fill(0)]) })).quote;
    const r = await withCollateral(low);
    expect(r.tcbStatus).toBe('OutOfDate');
    expect(r.advisoryIds).toEqual(['INTEL-SA-00960']);
  });
  it('TcbNotSupported when the PCK certificate is below every SGX level', async () => {
    const p = await makePki({ components: [1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], pceSvn: 11, fmspc: 'b0c06f000000', pceId: '0000' });
    const rr = await verifyTdxQuote((await makeQuote(p)).quote, { trustAnchor: p.anchor, collateral: parseTdxCollateral(await makeCollateral(p), 'c.json'), at: AT });
    expect(rr.tcbStatus).toBe('TcbNotSupported');
    expect(check(rr, 'tcb-status')!.detail).toMatch(/no TCB level matches the PCK certificate's SGX TCB/);
  });
  it('TcbNotSupported when PCESVN is below every level', async () => {
    const p = await makePki({ ...DEFAULT_TCB, pceSvn: 10 });
    const r = await verifyTdxQuote((await makeQuote(p)).quote, { trustAnchor: p.anchor, collateral: parseTdxCollateral(await makeCollateral(p), 'c.json'), at: AT });
    expect(r.tcbStatus).toBe('TcbNotSupported');
  });
  it('a QE below its current level makes an UpToDate platform OutOfDate (convergeTcbStatusWithQeTcbStatus)', async () => {
    const q = (await makeQuote(pki, { qeIsvSvn: 5 })).quote;
    const r = await withCollateral(q);
    expect(r.tcbStatus).toBe('OutOfDate');
    expect(r.advisoryIds).toContain('INTEL-SA-00615');
  });
  it('ConfigurationNeeded levels and a QE out of date: OutOfDateConfigurationNeeded', async () => {
    const levels = [level([3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0], 11, [5, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'ConfigurationNeeded')];
    const q = (await makeQuote(pki, { qeIsvSvn: 5 })).quote;
    expect((await withCollateral(q, await makeCollateral(pki, { tcbLevels: levels }))).tcbStatus).toBe('OutOfDateConfigurationNeeded');
    expect((await withCollateral(v4, await makeCollateral(pki, { tcbLevels: levels }))).tcbStatus).toBe('ConfigurationNeeded');
  });
  it('a level status passes through (SWHardeningNeeded); a Revoked TDX level or module is Revoked and fails the verdict', async () => {
    const sw = [level([3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0], 11, [5, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'SWHardeningNeeded', undefined, ['INTEL-SA-00615'])];
    const r = await withCollateral(v4, await makeCollateral(pki, { tcbLevels: sw }));
    expect([r.tcbStatus, r.advisoryIds, r.ok]).toEqual(['SWHardeningNeeded', ['INTEL-SA-00615'], true]);
    const revokedLevel = [level([3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0], 11, [5, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'Revoked')];
    const rv = await withCollateral(v4, await makeCollateral(pki, { tcbLevels: revokedLevel }));
    expect([rv.tcbStatus, rv.ok]).toEqual(['Revoked', false]);
    const revokedModule = [{ id: 'TDX_01', mrsigner: '00'.repeat(48), attributes: '0000000000000000', attributesMask: 'FFFFFFFFFFFFFFFF', tcbLevels: [{ tcb: { isvsvn: 2 }, tcbDate: '2023-08-09T00:00:00Z', tcbStatus: 'Revoked' }] }];
    const rm = await withCollateral(v4, await makeCollateral(pki, { tdxModuleIdentities: revokedModule }));
    expect([rm.tcbStatus, rm.ok]).toEqual(['Revoked', false]);
    // a module SVN below every level of its identity: TcbNotSupported
    const high = [{ ...revokedModule[0]!, tcbLevels: [{ tcb: { isvsvn: 9 }, tcbDate: '2024-03-13T00:00:00Z', tcbStatus: 'UpToDate' }] }];
    expect((await withCollateral(v4, await makeCollateral(pki, { tdxModuleIdentities: high }))).tcbStatus).toBe('TcbNotSupported');
  });
  it('orders TCB levels as QVL does (highest SGX components first), whatever the document order', async () => {
    const r = await withCollateral(v4, await makeCollateral(pki, { tcbLevels: [...DEFAULT_LEVELS].reverse() }));
    expect(r.tcbStatus).toBe('UpToDate');
  });
  it('TD relaunch advised on a TDX 1.5 quote whose module was updated since launch (TDRelaunchCheck)', async () => {
    const q = (await makeQuote(pki, { version: 5, bodyType: 3, teeTcbSvn: Uint8Array.from([2, 1, 3, ...new Array(13).fill(0)]), teeTcbSvn2: Uint8Array.from([6, 1, 3, ...new Array(13).fill(0)]) })).quote;
    expect((await withCollateral(q)).tcbStatus).toBe('TDRelaunchAdvised');
    const notYet = (await makeQuote(pki, { version: 5, bodyType: 3, teeTcbSvn: Uint8Array.from([2, 1, 3, ...new Array(13).fill(0)]), teeTcbSvn2: Uint8Array.from([2, 1, 3, ...new Array(13).fill(0)]) })).quote;
    expect((await withCollateral(notYet)).tcbStatus).toBe('OutOfDate');
  });
  it('Revoked when the PCK certificate is on the PCK CRL: the verdict fails', async () => {
    const r = await withCollateral(v4, await makeCollateral(pki, { revokedPck: true }));
    expect(r.tcbStatus).toBe('Revoked');
    expect(r.ok).toBe(false);
    expect(failed(r)).toEqual(['crl:pck-revocation', 'tcb-status']);
  });
  it('fails on altered TCB info (its signature) and does not evaluate the TCB', async () => {
    const r = await withCollateral(v4, await makeCollateral(pki, { tamperTcbInfo: true }));
    expect(failed(r)).toEqual(['collateral:tcb-info-signature']);
    expect(check(r, 'tcb-status')!.status).toBe('skipped');
    expect(r.tcbStatus).toBeUndefined();
  });
  it('fails when --at is outside the collateral validity window', async () => {
    const r = await withCollateral(v4, collateral, new Date('2025-08-01T00:00:00Z'));
    expect(failed(r)).toEqual(['collateral:tcb-info-validity', 'collateral:qe-identity-validity']);
    expect(check(r, 'collateral:tcb-info-validity')!.detail).toMatch(/not at 2025-08-01/);
  });
  it('fails on collateral for another FMSPC (TcbInfoMismatch)', async () => {
    const r = await withCollateral(v4, await makeCollateral(pki, { fmspc: '00806f050000' }));
    expect(check(r, 'tcb-status')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/TcbInfoMismatch.*FMSPC 00806f050000/) });
  });
  it('fails when the TDX module has a major version the TCB info has no identity for', async () => {
    const r = await withCollateral(v4, await makeCollateral(pki, { tdxModuleIdentities: null }));
    expect(check(r, 'tcb-status')!.detail).toMatch(/TcbInfoMismatch.*no tdxModuleIdentities/);
    const other = (await makeQuote(pki, { teeTcbSvn: Uint8Array.from([6, 2, 3, ...new Array(13).fill(0)]) })).quote;
    expect(check(await withCollateral(other), 'tcb-status')!.detail).toMatch(/TdxModuleMismatch.*TDX_02/);
  });
  it('fails when MRSIGNERSEAM is not the TDX module signer', async () => {
    const q = (await makeQuote(pki, { mrSignerSeam: new Uint8Array(48).fill(1) })).quote;
    expect(check(await withCollateral(q), 'tcb-status')!.detail).toMatch(/TdxModuleMismatch\): MRSIGNERSEAM/);
  });
  it('reads TCB info and QE identity as Intel PCS returns them ({"tcbInfo": …, "signature": …}, the sgx_ql_qve_collateral_t form): the signature covers the member\'s exact text', async () => {
    const doc = JSON.parse(new TextDecoder().decode(collateral)) as Record<string, string>;
    // the envelope keeps the signed text byte for byte (spacing included), as Intel's PCS writes it
    const env = { ...doc, tcb_info: `{"tcbInfo":${doc.tcb_info},"signature":"${doc.tcb_info_signature}"}`, qe_identity: `{ "enclaveIdentity" : ${doc.qe_identity} , "signature": "${doc.qe_identity_signature}" }` } as Record<string, string | undefined>;
    delete env.tcb_info_signature;
    delete env.qe_identity_signature;
    const r = await withCollateral(v4, new TextEncoder().encode(JSON.stringify(env)));
    expect(failed(r)).toEqual([]);
    expect(r.tcbStatus).toBe('UpToDate');
    // a re-serialised member (other spacing) is not what was signed
    const reformatted = { ...env, tcb_info: JSON.stringify({ tcbInfo: JSON.parse(doc.tcb_info!), signature: doc.tcb_info_signature }, null, 1) };
    expect(failed(await withCollateral(v4, new TextEncoder().encode(JSON.stringify(reformatted))))).toEqual(['collateral:tcb-info-signature']);
  });
  it('collateral that cannot be read is a CollateralError (ERR_MALFORMED) naming the field', () => {
    const doc = JSON.parse(new TextDecoder().decode(collateral)) as Record<string, unknown>;
    const bad = (o: Record<string, unknown>) => new TextEncoder().encode(JSON.stringify(o));
    expect(() => parseTdxCollateral(bad({ ...doc, tcb_info: undefined }), 'c.json')).toThrow(/c.json.tcb_info: missing/);
    expect(() => parseTdxCollateral(bad({ ...doc, tcb_info_signature: 'zz' }), 'c.json')).toThrow(/tcb_info_signature: not 64 bytes of hex/);
    expect(() => parseTdxCollateral(bad({ ...doc, tcb_info: '{"id":"TDX"' }), 'c.json')).toThrow(/c.json.tcb_info: not JSON/);
    expect(() => parseTdxCollateral(new TextEncoder().encode('[1]'), 'c.json')).toThrow(CollateralError);
    try { parseTdxCollateral(bad({ ...doc, pck_crl: 'nothex' }), 'c.json'); } catch (e) { expect((e as PrelaunchError).code).toBe('ERR_MALFORMED'); }
  });
});

describe('TDX golden values and CCEL replay', () => {
  const golden = (over: Record<string, unknown> = {}) => tdxGoldenEntries({ tdx: [{ name: 'release-1', mrtd: hex(MRTD), rtmr0: hex(RTMRS[0]!), rtmr1: hex(RTMRS[1]!), rtmr2: hex(RTMRS[2]!), xfam: hex(XFAM), tdAttributes: '0000001000000000', mrConfigId: '00'.repeat(48), ...over }] }, 'golden.json');
  it('matches MRTD, RTMR0–2, XFAM, TD attributes and MRCONFIGID', async () => {
    const r = await verifyTdxQuote(v4, opts({ golden: golden() }));
    expect(r.golden).toEqual({ matched: true, entry: 'release-1' });
    expect(r.checks.filter((c) => c.id.startsWith('golden:')).map((c) => c.id)).toEqual(['golden:mrtd', 'golden:rtmr0', 'golden:rtmr1', 'golden:rtmr2', 'golden:xfam', 'golden:tdAttributes', 'golden:mrConfigId']);
    expect(r.ok).toBe(true);
  });
  it('names the register that differs and what it covers', async () => {
    const r = await verifyTdxQuote(v4, opts({ golden: golden({ rtmr2: 'ab'.repeat(48) }) }));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/rtmr2 .* release-1 \(RTMR2 covers the kernel command line and the initrd\)/);
  });
  it('an MRTD that matches nothing names the nearest entries and how they differ', async () => {
    const r = await verifyTdxQuote(v4, opts({ golden: golden({ mrtd: 'cd'.repeat(48), xfam: 'e718060000000000' }) }));
    expect(r.reason).toBe('MRTD 111111111111… matches no entry of golden.json; nearest: release-1: mrtd (firmware or page order), xfam (VMM CPU features) differ');
  });
  it('reads the TDX entries of a prelaunch golden document (mode tdx, measurement = MRTD)', () => {
    const g = tdxGoldenEntries({ entries: [{ mode: 'snp', measurement: 'aa' }, { mode: 'tdx', artifact: 'ovmf', measurement: hex(MRTD), tdx: { shape: '4g', pageOrder: 'qemu', rtmr0: null, rtmr1: hex(RTMRS[1]!), rtmr2: null, xfam: null, tdAttributes: null, mrConfigId: null } }] }, 'g.json');
    expect(g.entries).toHaveLength(1);
    expect(g.entries[0]).toMatchObject({ label: 'ovmf / 4g / qemu', mrtd: hex(MRTD), rtmr1: hex(RTMRS[1]!), rtmr0: null });
    expect(() => tdxGoldenEntries({ entries: [] }, 'g.json')).toThrow(/g.json: no TDX entries/);
  });
  it('XFAM and TD attributes as 64-bit values (0x…, as golden documents carry them) are the quote\'s little-endian bytes', async () => {
    const g = tdxGoldenEntries({ entries: [{ mode: 'tdx', artifact: 'ovmf', measurement: hex(MRTD), tdx: { xfam: '0x602e7', tdAttributes: '0x10000000' } }] }, 'g.json');
    expect(g.entries[0]).toMatchObject({ xfam: 'e702060000000000', tdAttributes: '0000001000000000' });
    const r = await verifyTdxQuote(v4, opts({ golden: g }));
    expect(r.golden).toEqual({ matched: true, entry: 'ovmf' });
    expect(() => tdxGoldenEntries({ tdx: [{ mrtd: hex(MRTD), xfam: '0x12345678901234567' }] }, 'g.json')).toThrow(/tdx\[0\]\.xfam: not 8 bytes of hex/);
  });
  it('--ccel: a log that replays to the quote RTMRs passes; one that does not names the register', async () => {
    const d = (s: string) => createHash('sha384').update(s).digest();
    const events = [
      { mrIndex: 1, eventType: EV.EV_EFI_HANDOFF_TABLES2, sha384: d('hob'), data: new Uint8Array(8) },
      { mrIndex: 2, eventType: EV.EV_EFI_BOOT_SERVICES_APPLICATION, sha384: d('kernel'), data: new Uint8Array(8) },
      { mrIndex: 3, eventType: EV.EV_EVENT_TAG, sha384: d('cmdline'), data: Uint8Array.from([0xed, 0x22, 0x3b, 0x8f, 0, 0, 0, 0]) },
    ];
    const log = encodeCcel(events);
    const ext = (prev: Uint8Array, dg: Uint8Array) => createHash('sha384').update(prev).update(dg).digest();
    const z = new Uint8Array(48);
    const rtmrs = [ext(z, events[0]!.sha384), ext(z, events[1]!.sha384), ext(z, events[2]!.sha384), z];
    const q = (await makeQuote(pki, { rtmrs })).quote;
    const ok = await verifyTdxQuote(q, opts({ ccel: { bytes: log, name: 'ccel.bin' } }));
    expect(ok.checks.filter((c) => c.id.startsWith('ccel:')).every((c) => c.status === 'pass')).toBe(true);
    const bad = await verifyTdxQuote(v4, opts({ ccel: { bytes: log, name: 'ccel.bin' } }));
    expect(bad.reason).toMatch(/ccel.bin replays RTMR0 to .*, the quote has/);
    // with a golden entry's event digests, the first differing event is named
    const g = tdxGoldenEntries({ entries: [{ mode: 'tdx', artifact: 'ovmf', measurement: hex(MRTD), tdx: { kernelDigest: hex(d('other-kernel')), cmdlineDigest: hex(d('cmdline')) } }] }, 'g.json');
    const named = await verifyTdxQuote(q, opts({ ccel: { bytes: log, name: 'ccel.bin' }, golden: g }));
    expect(named.checks.find((c) => c.id === 'ccel:event:rtmr1')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/event #2 .*EV_EFI_BOOT_SERVICES_APPLICATION.* predicts/) });
    expect(named.checks.find((c) => c.id === 'ccel:event:rtmr2')?.status).toBe('pass');
  });
});

describe('--golden with a `prelaunch tdx --json` prediction and --ccel: the first differing event named', () => {
  const GiB = 1024 ** 3;
  // Debian sid's TDVF (2026.08, Microsoft keys enrolled: only signed kernels boot, so the two
  // boots differ in a firmware input instead — QEMU's -boot menu, the fw_cfg BootMenu event),
  // with QEMU 11.1's fw_cfg dump of a real boot (its ACPI and SMBIOS blobs; test/vectors/tdx-sid-2026.08.json)
  const fwCfg = new Uint8Array(readFileSync(join(ROOT, 'test/vectors/measured-boot/sid-q11-quiet/fwcfg.tar')));
  const prediction = (bootMenu: boolean) => predictRtmrs(parseOvmf(bytesSource(new Uint8Array(readFileSync(join(ROOT, 'firmware-samples/debian-sid/OVMF.inteltdx.ms.fd'))), 'OVMF.inteltdx.ms.fd')), { memory: 2 * GiB, fwCfg, bootMenu });
  const ccelOf = (p: RtmrValues): Uint8Array => encodeCcel(p.events.map((e) => ({ mrIndex: e.rtmr + 1, eventType: e.eventType, sha384: e.digest!, data: e.data })), { areaSize: 0x10000 });
  // the shape `prelaunch tdx --firmware … --memory … --json` writes (src/report/tdx-report.ts tdxReportJson)
  const predictionJson = (p: RtmrValues) => ({
    mrtd: hex(MRTD),
    policy: { tdAttributes: { value: '0x10000000', quoteHex: '0000001000000000' }, xfam: null, mrconfigid: null },
    rtmrs: p.rtmrs.map((v, i) => ({ index: i, value: v ? hex(v) : null, events: p.events.filter((e) => e.rtmr === i).map((e) => ({ rtmr: e.rtmr, mrIndex: e.rtmr + 1, type: eventTypeName(e.eventType), digest: e.digest ? hex(e.digest) : null, description: e.description })) })),
  });
  it('a TD booted as predicted: golden and every log event agree; a TD booted with the boot menu on: the event is named', async () => {
    const predicted = prediction(false);
    expect(predicted.rtmrs[0]).not.toBeNull();
    const known = (p: RtmrValues): Uint8Array[] => [0, 1, 2, 3].map((i) => p.rtmrs[i] ?? new Uint8Array(48));
    const golden = tdxGoldenEntries(predictionJson(predicted), 'predicted.json');
    expect(golden.entries[0]!.events!.length).toBe(predicted.events.length);
    const asPredicted = (await makeQuote(pki, { rtmrs: known(predicted) })).quote;
    const good = await verifyTdxQuote(asPredicted, opts({ golden, ccel: { bytes: ccelOf(predicted), name: 'ccel.bin' } }));
    expect(failed(good)).toEqual([]);
    expect(check(good, 'ccel:prediction')).toMatchObject({ status: 'pass' });
    // -boot menu=on: RTMR0 differs from the golden value, the log reproduces the quote, and the event is named
    const actual = prediction(true);
    const q = (await makeQuote(pki, { rtmrs: known(actual) })).quote;
    const r = await verifyTdxQuote(q, opts({ golden, ccel: { bytes: ccelOf(actual), name: 'ccel.bin' } }));
    expect(failed(r)).toEqual(['golden:rtmr0', 'ccel:prediction']);
    expect(check(r, 'ccel:prediction')!.detail).toMatch(/^RTMR0 event \d+ differs from predicted\.json: the log has event #\d+ .*BootMenu/);
  });
});

describe('the shipped Intel SGX Root CA', () => {
  it('is the certificate Intel publishes (SHA-256 of the DER), self-signed, valid to 2049', async () => {
    const root = intelSgxRootCa();
    expect(createHash('sha256').update(root.der).digest('hex')).toBe(INTEL_SGX_ROOT_CA_SHA256);
    expect(INTEL_SGX_ROOT_CA_SHA256).toBe('44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3');
    expect(root.subject).toBe('CN=Intel SGX Root CA, O=Intel Corporation, L=Santa Clara, ST=CA, C=US');
    expect(root.notAfter.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(await verifySelfSigned(root)).toBe(true);
  });
  it.skipIf(!HAVE_SHARED)("is byte-identical to ../shared's copy (fetched from Intel's URL)", () => {
    expect(Buffer.from(intelSgxRootCa().der).equals(readFileSync(join(VERIFY, 'intel/Intel_SGX_Root_CA.der')))).toBe(true);
  });
});

interface Case { id: string; kind: string; files: Record<string, string>; expected: Record<string, unknown> & { tcb_status_independent?: { status?: string; advisory_ids?: string[] } } }
describe.skipIf(!HAVE_SHARED)('real TDX quotes (../shared/oracles/verify)', () => {
  const index = HAVE_SHARED ? (JSON.parse(readFileSync(join(VERIFY, 'index.json'), 'utf8')) as { cases: Case[]; collateral_sets: Record<string, { file: string; verification_time: string }> }) : { cases: [], collateral_sets: {} };
  const cases = index.cases.filter((c) => c.kind === 'tdx-quote');
  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_, c) => {
    const e = c.expected;
    const set = Object.values(index.collateral_sets).find((s) => s.file === c.files.collateral);
    const r = await verifyTdxQuote(new Uint8Array(readFileSync(join(VERIFY, c.files.quote!))), {
      source: c.id,
      ...(c.files.collateral ? { collateral: parseTdxCollateral(new Uint8Array(readFileSync(join(VERIFY, c.files.collateral))), c.files.collateral), at: new Date(set!.verification_time) } : {}),
    });
    expect([r.signatureValid, r.chainValid]).toEqual([e.signature_valid, e.chain_valid]);
    expect({ mrtd: r.mrtd, rtmrs: r.rtmrs, xfam: r.xfam, tdAttributes: r.tdAttributes, mrSeam: r.mrSeam, teeTcbSvn: r.teeTcbSvn, reportData: r.reportData, fmspc: r.fmspc })
      .toEqual({ mrtd: e.mrtd, rtmrs: e.rtmrs, xfam: e.xfam, tdAttributes: e.td_attributes, mrSeam: e.mrseam, teeTcbSvn: e.tee_tcb_svn, reportData: e.report_data, fmspc: e.fmspc });
    if (e.tee_tcb_svn2) expect(r.teeTcbSvn2).toBe(e.tee_tcb_svn2);
    const want = e.tcb_status_independent;
    if (c.files.collateral && want?.status) {
      expect(r.tcbStatus).toBe(want.status);
      if (want.advisory_ids) expect(r.advisoryIds).toEqual(want.advisory_ids);
    }
  });
});

describe('TDX quote parser fuzzing (fast-check, bounded)', () => {
  const parsesOrRefuses = (b: Uint8Array): void => {
    try {
      const q = parseTdxQuote(b);
      expect(q.length).toBeLessThanOrEqual(b.length);
      expect(q.pckChainPem.length).toBeLessThanOrEqual(b.length);
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
    }
  };
  it('mutated and truncated quotes parse or fail with a ParseError', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(), (five, edits, cut) => {
        const b = (five ? v5 : v4).slice();
        for (const [at, v] of edits) b[at % b.length] = v;
        parsesOrRefuses(b.subarray(0, b.length - (cut % 64 === 0 ? 0 : cut % b.length)));
      }),
      fuzzParams({ numRuns: 300 }),
    );
  });
  it('random bytes behind a valid header parse or fail with a ParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(4, 5), (tail, version) => {
        const b = new Uint8Array(48 + tail.length);
        b.set(v4.subarray(0, 48));
        b[0] = version;
        b.set(tail, 48);
        parsesOrRefuses(b);
      }),
      fuzzParams({ numRuns: 200 }),
    );
  });
  it('length fields pointing anywhere parse or fail with a ParseError', () => {
    // the signature data length, the outer and inner certification data sizes and the QE auth data size
    const fields = [632, 632 + 4 + 128 + 2, 632 + 4 + 128 + 6 + 384 + 64];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.integer({ min: 0, max: 0xffffffff }), (at, v) => {
        const b = v4.slice();
        const dv = new DataView(b.buffer);
        if (at === 632 + 4 + 128 + 6 + 384 + 64) dv.setUint16(at, v & 0xffff, true);
        else dv.setUint32(at, v, true);
        parsesOrRefuses(b);
      }),
      fuzzParams({ numRuns: 200 }),
    );
  });
});

describe('fuzzing the collateral, CRL and SGX extension readers and the whole verifier (fast-check, bounded)', () => {
  const typed = (fn: () => unknown): void => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(PrelaunchError);
    }
  };
  const mutate = (b: Uint8Array, edits: ReadonlyArray<readonly [number, number]>, cut: number): Uint8Array => {
    const c = b.slice();
    for (const [at, v] of edits) c[at % c.length] = v;
    return c.subarray(0, c.length - (cut % 5 === 0 ? cut % c.length : 0));
  };
  const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 });
  it('parseTdxCollateral: mutated documents parse or fail with a PrelaunchError', () => {
    fc.assert(fc.property(edits, fc.nat(), (e, cut) => typed(() => parseTdxCollateral(mutate(collateral, e, cut), 'c.json'))), fuzzParams({ numRuns: 150 }));
  });
  it('pcsEnvelope: any text gives the member\'s raw JSON text (which parses to the member) or null, never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 }), fc.json({ maxDepth: 3 }).map((j) => `{"tcbInfo": ${j}, "signature": "ab"}`)), (t) => {
        const r = pcsEnvelope(t, ['tcbInfo']);
        if (r) expect(JSON.parse(r.raw)).toEqual((JSON.parse(t) as { tcbInfo: unknown }).tcbInfo);
      }),
      fuzzParams({ numRuns: 300 }),
    );
  });
  it('parseCrl: mutated DER parses or fails with a CertificateError', () => {
    const der = Buffer.from((JSON.parse(new TextDecoder().decode(collateral)) as { pck_crl: string }).pck_crl, 'hex');
    fc.assert(fc.property(edits, fc.nat(), (e, cut) => typed(() => parseCrl(mutate(der, e, cut), 'crl'))), fuzzParams({ numRuns: 200 }));
  });
  it('parseSgxExtension: mutated DER parses or fails with a CertificateError', () => {
    const der = sgxExtension(DEFAULT_TCB);
    expect(parseSgxExtension(der, 'ext')).toMatchObject({ fmspc: 'b0c06f000000', pceSvn: 11 });
    fc.assert(fc.property(edits, fc.nat(), (e, cut) => typed(() => parseSgxExtension(mutate(der, e, cut), 'ext'))), fuzzParams({ numRuns: 300 }));
  });
  it('verifyTdxQuote: a mutated quote (PCK chain included) resolves with a verdict or rejects with a PrelaunchError', async () => {
    await fc.assert(
      fc.asyncProperty(edits, async (e) => {
        const q = mutate(v4, e.map(([at, v]) => [632 + (at % (v4.length - 632)), v] as const), 1);
        try {
          const r = await verifyTdxQuote(q, opts());
          if (e.length && !r.ok) expect(r.reason).toBeTruthy();
        } catch (x) {
          expect(x).toBeInstanceOf(PrelaunchError);
        }
      }),
      fuzzParams({ numRuns: 60 }),
    );
  });
});
