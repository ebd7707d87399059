/**
 * The built package type-checks for a consumer without `skipLibCheck` (issue 13, item 3): a
 * tiny consumer imports every entry of package.json "exports" by its package name (through a
 * temporary node_modules/prelaunch symlink to this project) and tsc checks it, and every
 * .d.ts it reaches, with `skipLibCheck: false`, as a browser-like consumer (no @types/node, no
 * DOM), with NodeNext, bundler and node10 module resolution.
 * Needs dist/ (`npm run build`); the end-to-end tier builds first.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT } from '../support/cli.js';

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
const ENTRIES = Object.keys(pkg.exports).filter((k) => k !== './package.json').map((k) => (k === '.' ? 'prelaunch' : `prelaunch/${k.slice(2)}`));
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-consumer-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

/** prelaunch → root, prelaunch/id-block → idBlockApi */
const ident = (spec: string): string => (spec === 'prelaunch' ? 'root' : `${spec.slice('prelaunch/'.length).replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}Api`);

/** the types the single flat root exported before the split (0.1.0), by the entry that has them now */
const FORMER_ROOT_TYPES: Record<string, string> = {
  'prelaunch/tpm': 'TcgLog TcgEvent TcgWriteEvent TpmPredictOptions TpmPrediction TpmReplay TpmDiff Edk2Firmware Edk2Generation',
'prelaunch/tdx': 'AcpiBlobs CcelEvent CcelLog CcelWriteEvent DirectBootInputs EventBasis HashRange QemuKernelPatch Replay ReplayedEvent RtmrDiff RtmrDivergence RtmrEvent RtmrPredictionOptions RtmrValues TdHob TdRamEntry TdxMrtdOp TdxMrtdPlan TdxMrtdPlanOptions TdxPageOrder TdxPolicyFields TdxReportInput',
  'prelaunch/id-block': 'AssembleIdAuthOptions EcPoint EcdsaSignature IdAuthInfo IdAuthResult IdAuthSigningInputs IdAuthVerification IdBlock IdBlockOptions SignIdAuthOptions SnpLaunchConfig SnpPublicKey SnpSignature VerifyIdAuthOptions',
  'prelaunch': 'ByteSource ErrorCode HashBackend HashBackendName Hasher IgvmMeasureOptions IgvmMeasurePlatform IgvmMeasurement MeasureOptions Measurement MrtdByOrder MrtdOptions OvmfImage SevMode VcpuType',
  'prelaunch/golden': 'CheckResult GoldenArtifact GoldenCpu GoldenDocument GoldenEntry GoldenManifest GoldenMatrix GoldenMode GoldenOptions',
  'prelaunch/snp': 'DirectBootSupport FirmwareLoader KernelCmdline KernelHashes LaunchMode PageContent ReportFields Segment SevPlan SnpPageOp SnpPlan SnpPolicy SnpTraceEvent TraceDivergence VmmType VmsaProfile VmsaProfileName VmsaRegisters',
  'prelaunch/igvm': 'ElfKernel IgvmBuildHypervisor IgvmBuildLayout IgvmBuildOptions IgvmBuildResult IgvmFileInfo IgvmHeaderLocation IgvmIdBlockCheck IgvmInspection IgvmLayout IgvmMeasurePlan IgvmParseOptions IgvmPlanOptions IgvmSerializeOptions IgvmSevPlatform IgvmTdxPlan ParsedIgvm SignIgvmOptions SignedIgvm',
  'prelaunch/stack': 'FirmwareDescriptor FirmwareRequest GuestCpu HostStack LaunchDescription LibvirtParseOptions ProbeHost ProbeResult QemuParseOptions ResolvedLaunch RuleHit RuleId StackInputs StackRule StackVmm',
  'prelaunch/ovmf': 'FooterEntry FooterTable OvmfInspection SevMetadata SevSection TdvfSection TdxMetadata',
  'prelaunch/sev': 'SevTraceEvent',
};

/** Uses a few calls with their documented input types, so that a wrong signature fails too. */
const CONSUMER = `${ENTRIES.map((e) => `import * as ${ident(e)} from '${e}';`).join('\n')}
${Object.entries(FORMER_ROOT_TYPES).map(([spec, names]) => `export type { ${names.split(' ').join(', ')} } from '${spec}';`).join('\n')}

const bytes: Uint8Array = new Uint8Array(16);
const source: root.ByteSource = root.bytesSource(bytes);
const inputs: root.ByteInput[] = [bytes, source, bytes.subarray(1)];
export const m: root.Measurement = root.measureSnp({ ovmf: source, vcpus: 1, vcpuSig: root.vcpuTypeSig('EPYC-v4') });
export const img: snpApi.OvmfImage = ovmfApi.parseOvmf(bytes);
export const img2: root.OvmfImage = snpApi.parseOvmf(source);
export const hex: string = root.toHex(m.digest);
export const backend: root.HashBackend = root.hashBackend('noble');
export const igvmDigest: Uint8Array = igvmApi.measureIgvm(bytes, { platform: 'sev-snp' }).digest;
export const parsed: igvmApi.ParsedIgvm = igvmApi.parseIgvm(source);
export const log: tdxApi.CcelLog = tdxApi.parseCcel(source);
export const doc: goldenApi.GoldenDocument = exportApi.validateGoldenDocument({});
export const snippet: string = exportApi.snpguestFlags(doc.entries);
export const idb: Uint8Array = idBlockApi.buildIdBlock({ measurement: m.digest, familyId: bytes, imageId: bytes, guestSvn: 1 });
export const stackModel: stackApi.HostStack | null = stackApi.resolveStack({}, true);
export const sev1: sevApi.Measurement = sevApi.measureSev({ ovmf: bytes });
export const err: root.ErrorCode = new root.PrelaunchError('ERR_IO', 'x').code;
export { inputs };
`;

function check(name: string, compilerOptions: Record<string, unknown>): string {
  const dir = path.join(TMP, name);
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  fs.symlinkSync(PROJECT, path.join(dir, 'node_modules', 'prelaunch'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  fs.writeFileSync(path.join(dir, 'consumer.ts'), CONSUMER);
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', lib: ['ES2022'], types: [], ...compilerOptions },
    files: ['consumer.ts'],
  }));
  const r = spawnSync(process.execPath, [path.join(PROJECT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.trim() + (r.status === 0 ? '' : `\n(tsc exit ${r.status})`);
}

describe('a consumer type-checks against the built package without skipLibCheck', () => {
  it('dist/ is built for every entry of package.json "exports"', () => {
    const missing = Object.entries(pkg.exports).flatMap(([k, v]) => (typeof v === 'string' ? [v] : Object.values(v as Record<string, string>)).map((f) => [k, f] as const))
      .filter(([, f]) => !fs.existsSync(path.join(PROJECT, f)));
    expect(missing, 'run `npm run build` first').toEqual([]);
    expect(ENTRIES.length).toBeGreaterThan(5);
  });
  it('NodeNext resolution, no @types/node, no DOM', () => {
    expect(check('nodenext', { module: 'NodeNext', moduleResolution: 'NodeNext' })).toBe('');
  }, 120_000);
  it('bundler resolution (as esbuild/vite users compile)', () => {
    expect(check('bundler', { module: 'ESNext', moduleResolution: 'Bundler' })).toBe('');
  }, 120_000);
  it('node10 resolution (no "exports" support: package.json "typesVersions")', () => {
    expect(check('node10', { module: 'ESNext', moduleResolution: 'node10' })).toBe('');
  }, 120_000);
});
