/**
 * `prelaunch verify` through the CLI (in process): the JSON contract of
 * ../shared/conformance/verify.mjs, exit codes (0 valid, 1 not valid with the JSON still
 * printed and one `error:` line, 2 usage), and bad input as one `error:` line.
 * The synthetic chain (test keys) is not AMD's, so through the CLI — which anchors in AMD's
 * shipped ARKs — it verifies the signature but never the chain.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrelaunchError } from '../../src/errors.js';
import { parseAttestationReport } from '../../src/formats/snp/attestation-report.js';
import { parseCertTable } from '../../src/formats/snp/cert-table.js';
import { detectEvidence, verifyEvidence } from '../../src/verify/index.js';
import { expectCleanError, runCliInProcess } from '../support/cli.js';
import { fuzzParams } from '../support/fuzz.js';

const SYN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'synthetic');
const s = (f: string): string => path.join(SYN, f);
const dir = mkdtempSync(path.join(tmpdir(), 'prelaunch-verify-cli-'));
const tmp = (name: string, content: Uint8Array | string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('prelaunch verify (CLI)', () => {
  it('prints the contract\'s JSON and exits 1 with one error line when the chain is not AMD\'s', async () => {
    const r = await runCliInProcess(['verify', s('report-v3-milan.bin'), '--cert', s('vcek_milan.pem'), '--cert', s('milan_ask.pem'), '--cert', s('milan_ark.pem'), '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ kind: 'snp-report', signatureValid: true, chainValid: false, ok: false });
    expect(j.measurement).toMatch(/^[0-9a-f]{96}$/);
    expect(j.chipId).toMatch(/^[0-9a-f]{128}$/);
    expect(j.reportedTcb).toEqual({ bootloader: 3, tee: 0, snp: 8, microcode: 115 });
    expect(j.report.version).toBe(3);
    expect(j.checks.map((c: { id: string }) => c.id)).toContain('chain:ark');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*report-v3-milan\.bin: not verified: the ARK given .* is not AMD's ARK-Milan/);
  });

  it('human output names the verdict, the fields and every check', async () => {
    const r = await runCliInProcess(['verify', s('report-v5-turin.bin'), '--cert', s('vcek_turin.pem'), '--policy', 'debug=off', '--min-tcb', 'fmc=1,snp=4']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^NOT VALID: SEV-SNP attestation report v5 \(Turin\), signed by the VCEK; signature valid/);
    expect(r.stdout).toMatch(/reported TCB +0x5100000004010101 \(fmc=1 bootloader=1 tee=1 snp=4 microcode=81\)/);
    expect(r.stdout).toMatch(/ok {4}tcb:minimum/);
    expect(r.stdout).toMatch(/FAIL {2}policy:debug/);
  });

  it('--certs DIR and an extended report\'s table', async () => {
    const r = await runCliInProcess(['verify', s('report-v3-milan-ext.bin'), '--json']);
    expect(JSON.parse(r.stdout).certificates.map((c: { origin: string }) => c.origin)).toEqual(['table', 'table', 'table']);
    const d = mkdtempSync(path.join(tmpdir(), 'prelaunch-certs-'));
    writeFileSync(path.join(d, 'vcek.der'), readFileSync(s('vcek_milan.der')));
    writeFileSync(path.join(d, 'cert_chain.pem'), Buffer.concat([readFileSync(s('milan_ask.pem')), readFileSync(s('milan_ark.pem'))]));
    writeFileSync(path.join(d, 'README'), 'ignored');
    const j = JSON.parse((await runCliInProcess(['verify', s('report-v3-milan.bin'), '--certs', d, '--json'])).stdout);
    expect(j.signatureValid).toBe(true);
    expect(j.certificates.map((c: { role: string }) => c.role)).toEqual(['vcek', 'ask', 'ark']);
  });

  it.each([
    [['--policy', 'debug=maybe'], /--policy: "debug=maybe": expected FIELD=on\|off/],
    [['--min-tcb', 'ucode=3'], /--min-tcb: "ucode=3": expected NAME=0\.\.255/],
    [['--at', 'yesterday'], /--at: "yesterday": expected an ISO 8601 time/],
    [['--collateral', s('expected.json')], /--collateral: needs --at TIME/],
    [['--collateral', s('expected.json'), '--at', '2025-01-01'], /--collateral: applies to TDX quotes/],
    [['--ccel', s('expected.json')], /--ccel: applies to TDX quotes/],
    [[], /--cert: no VCEK or VLEK certificate/],
  ])('usage: %j (exit 2)', async (flags, re) => {
    expect(expectCleanError(await runCliInProcess(['verify', s('report-v3-milan.bin'), ...flags]), 2, 'ERR_INVALID_OPTION')).toMatch(re);
  });

  it.each([
    ['neither report nor quote', () => tmp('zero.bin', new Uint8Array(2000)), [], 'ERR_MALFORMED', /zero\.bin: neither an SEV-SNP attestation report/],
    ['an IGVM file', () => tmp('x.igvm', 'IGVM' + '\0'.repeat(200)), [], 'ERR_MALFORMED', /it is an IGVM file/],
    ['a TDX quote cut short', () => { const q = new Uint8Array(1000); const v = new DataView(q.buffer); v.setUint16(0, 4, true); v.setUint16(2, 2, true); v.setUint32(4, 0x81, true); return tmp('quote.bin', q); }, [], 'ERR_TRUNCATED', /quote\.bin: ECDSA 256-bit quote signature data at offset 0x27c: needs 128 bytes/],
    ['a truncated report', () => tmp('cut.bin', readFileSync(s('report-v3-milan.bin')).subarray(0, 1000)), ['--cert', s('vcek_milan.pem')], 'ERR_TRUNCATED', /cut\.bin: SNP attestation report at offset 0x0: 1000 bytes/],
    ['an unknown report version', () => { const b = Buffer.from(readFileSync(s('report-v3-milan.bin'))); b.writeUInt32LE(4, 0); return tmp('v4.bin', b); }, ['--cert', s('vcek_milan.pem')], 'ERR_MALFORMED', /version 4 is not one prelaunch reads/],
    ['a PEM with the wrong key type', () => s('report-v3-milan.bin'), ['--cert', s('vcek_rsa.pem')], 'ERR_KEY', /vcek_rsa\.pem: the VCEK certificate's key is RSA, not ECDSA P-384/],
    ['a truncated certificate', () => s('report-v3-milan.bin'), ['--cert', tmp('cut.der', readFileSync(s('vcek_milan.der')).subarray(0, 500))], 'ERR_MALFORMED', /cut\.der: not a DER certificate/],
    ['a missing certificate file', () => s('report-v3-milan.bin'), ['--cert', path.join(dir, 'nope.pem')], 'ERR_IO', /nope\.pem/],
    ['--certs without certificates', () => s('report-v3-milan.bin'), ['--certs', mkdtempSync(path.join(tmpdir(), 'prelaunch-empty-'))], 'ERR_IO', /no certificate files/],
  ] as const)('%s: one error line, exit 1', async (_, evidence, flags, code, re) => {
    expect(expectCleanError(await runCliInProcess(['verify', evidence(), ...flags]), 1, code)).toMatch(re);
  });
});

describe('golden --check says it did not verify a signature', () => {
  it('text and JSON', async () => {
    const { SAMPLE_DOC } = await import('../support/samples.js');
    const doc = tmp('doc.json', JSON.stringify(SAMPLE_DOC));
    const r = await runCliInProcess(['golden', '--check', s('report-v3-milan.bin'), doc]);
    expect(r.stdout).toMatch(/signature not verified.*prelaunch verify/);
    const j = await runCliInProcess(['golden', '--check', s('report-v3-milan.bin'), doc, '--json']);
    expect(JSON.parse(j.stdout).signatureVerified).toBe(false);
  });
});

describe('fuzz: the report parser, the certificate table and detection never fail untyped', () => {
  const report = new Uint8Array(readFileSync(s('report-v3-milan-ext.bin')));
  const typed = (fn: () => unknown): void => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof PrelaunchError)) throw e;
    }
  };
  it('mutated reports and tables', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat(report.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.nat(report.length),
      (edits, cut) => {
        const b = report.slice(0, Math.max(cut, 0x30));
        for (const [at, v] of edits) if (at < b.length) b[at] = v;
        detectEvidence(b);
        typed(() => parseAttestationReport(b, 'fuzz'));
        if (b.length > 0x4a0) typed(() => parseCertTable(b.subarray(0x4a0), 'fuzz', 0x4a0));
      },
    ), fuzzParams({ numRuns: 300 }));
  });
  it('mutated certificates through verifyEvidence', async () => {
    const rep = new Uint8Array(readFileSync(s('report-v3-milan.bin')));
    const certs = ['vcek_milan.der', 'milan_ask.pem', 'milan_ark.pem'].map((f) => new Uint8Array(readFileSync(s(f))));
    await fc.assert(fc.asyncProperty(fc.nat(2), fc.array(fc.tuple(fc.nat(2000), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), async (which, edits) => {
      const mine = certs.map((c) => c.slice());
      const c = mine[which]!;
      for (const [at, v] of edits) c[at % c.length] = v;
      try {
        const r = await verifyEvidence(rep, { source: 'fuzz', certificates: mine.map((bytes, i) => ({ bytes, source: `c${i}` })) });
        expect(r.ok).toBe(false); // never AMD's chain, and a mutated certificate never verifies anyway
      } catch (e) {
        if (!(e instanceof PrelaunchError)) throw e;
      }
    }), fuzzParams({ numRuns: 100 }));
  });
  it('random bytes through verifyEvidence', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 1400 }), fc.boolean(), async (b, asReport) => {
      if (asReport && b.length >= 0x38) {
        const v = new DataView(b.buffer, b.byteOffset);
        v.setUint32(0, 2 + (b[8]! % 4), true);
        v.setUint32(0x34, 1, true);
      }
      try {
        await verifyEvidence(b, { source: 'fuzz' });
      } catch (e) {
        if (!(e instanceof PrelaunchError)) throw e;
      }
    }), fuzzParams({ numRuns: 150 }));
  });
});
