/**
 * vitest globalSetup: when ../shared (the conformance suites, oracles and third-party
 * samples, beside the checkout) is absent, say once which suites skip for it — a fresh clone
 * passes `npm test`, and says what it did not run. PRELAUNCH_NO_SHARED=1 counts as absent
 * (the tests that honour it skip too).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DIR = path.resolve(ROOT, '../shared');

/** The suites that need ../shared, by file (keep in step with their skipIf conditions). */
export const NEEDS_SHARED: ReadonlyArray<readonly [string, string]> = [
  ['test/igvm/igvm.test.ts', 'upstream and third-party IGVM samples, samples/bad'],
  ['test/igvm/sign.test.ts', 'the 1.6 MB OVMF-in-IGVM signing vector'],
  ['test/igvm/cli.test.ts', 'samples/bad and the upstream VSM sample through the CLI'],
  ['test/idblock/sign.test.ts', 'parity with igvmmeasure signatures'],
  ['test/tdx/mrtd.test.ts', 'MRTD of the firmware kept only in ../shared'],
  ['test/tdx/rtmr.test.ts', 'the real dstack CCEL'],
  ['test/tdx/cli.test.ts', 'tdx replay of the real dstack CCEL'],
  ['test/verify/tdx.test.ts', 'real TDX quotes and collateral (../shared/oracles/verify)'],
  ['test/cli/file-kinds.test.ts', 'real SNP reports, TDX quotes and a CCEL'],
  ['test/measured-boot/captures.test.ts', 'own captures: firmware and kernels from ../shared'],
  ['test/measured-boot/predict.test.ts', 'real boots'],
  ['test/golden/tpm.test.ts', 'golden tpm entries against real boots\' logs (the rest runs without)'],
  ['test/verify/x509.test.ts', 'AMD\'s ARK/ASK certificates from the verify corpus'],
  ['test/verify/snp-verify.test.ts', 'real SEV-SNP reports (Milan, Genoa, Turin) and their certificates'],
  ['test/verify/amd-certificates.test.ts', 'the corpus copies of AMD\'s certificates the shipped ones must equal'],
];

export default function setup(): void {
  if (fs.existsSync(SHARED_DIR) && !process.env.PRELAUNCH_NO_SHARED) return;
  const why = process.env.PRELAUNCH_NO_SHARED ? 'PRELAUNCH_NO_SHARED is set' : `${SHARED_DIR} is absent`;
  process.stderr.write(`note: ${why}: tests that need it skip — ${NEEDS_SHARED.map(([f, what]) => `${f.replace(/^test\//, '').replace(/\.test\.ts$/, '')} (${what})`).join('; ')}\n`);
}
