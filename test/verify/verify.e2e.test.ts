/**
 * `prelaunch verify` as a process (the built executable): exit codes and streams as the
 * conformance contract (../shared/conformance/verify.mjs) sees them.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectCleanError, runCli } from '../support/cli.js';

const SYN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'synthetic');
const s = (f: string): string => path.join(SYN, f);

describe('prelaunch verify (process)', () => {
  it('exit 1 with the JSON on stdout and one error line when the chain is not AMD\'s', () => {
    const r = runCli(['verify', s('report-v3-milan.bin'), '--cert', s('vcek_milan.pem'), '--cert', s('milan_ask.pem'), '--cert', s('milan_ark.pem'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'snp-report', signatureValid: true, chainValid: false });
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: .*not verified: /);
  });
  it('exit 1 for evidence that is neither, exit 2 for usage', () => {
    expectCleanError(runCli(['verify', s('expected.json')]), 1);
    expectCleanError(runCli(['verify', s('report-v3-milan.bin'), '--policy', 'nonsense']), 2);
    expectCleanError(runCli(['verify']), 2);
  });
  it('a TDX quote: exit 1 with the JSON when its chain is not Intel\'s (synthetic test keys); a quote cut short is one error line', () => {
    const r = runCli(['verify', s('tdx-quote-v5.bin'), '--collateral', s('tdx-collateral.json'), '--at', '2025-06-15T00:00:00Z', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'tdx-quote', signatureValid: true, chainValid: false });
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expectCleanError(runCli(['verify', s('tdx-quote-v5.bin'), '--cert', s('vcek_milan.pem')]), 2);
  });
});
