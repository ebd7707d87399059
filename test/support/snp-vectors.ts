/**
 * Test support for test/vectors/snp-measure.json: loads the vectors, recreates their inputs
 * in a temporary work directory (firmware symlinked from firmware-samples/, kernels and
 * initrds regenerated from their SHAKE256 recipes, every file checked against the sha256
 * the reference corpus recorded), and maps sev-snp-measure argument lists to the library's
 * MeasureOptions.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../../src/bytes/hex.js';
import { parseAutoBaseInt, parseDecimalInt } from '../../src/cli/numbers.js';
import { OptionError } from '../../src/errors.js';
import { VCPU_TYPES, cpuSig, isVcpuType, MAX_FAMILY } from '../../src/formats/snp/vcpu-types.js';
import { VMM_TYPES, type VmmType } from '../../src/formats/snp/vmsa-profiles.js';
import { SEV_MODES, type MeasureOptions, type SevMode } from '../../src/measure/api.js';

export const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const VECTORS_FILE = path.join(PROJECT, 'test/vectors/snp-measure.json');
export const CLI_BUNDLE = path.join(PROJECT, 'dist/prelaunch.cjs');
export const SAMPLES = path.join(PROJECT, 'firmware-samples');

type Recipe =
  | { kind: 'empty' }
  | { kind: 'sample'; path: string }
  | { kind: 'shake256'; seed: string; size: number; bzimage?: boolean }
  | { kind: 'concat'; parts: Recipe[] };

export interface SnpVector {
  id: string;
  mode: string;
  args: string[];
  inputs: Record<string, string>;
  expected?: string;
  exit_code?: number;
  expected_error?: string;
  error_kind?: 'usage' | 'runtime' | 'exception';
  vmsa_sha256?: string[];
  may_reject?: boolean;
  note?: string;
}

export interface SnpVectorFile {
  provenance: Record<string, unknown>;
  inputs: Record<string, { sha256: string; recipe: Recipe }>;
  vectors: SnpVector[];
}

export function loadVectors(): SnpVectorFile {
  return JSON.parse(fs.readFileSync(VECTORS_FILE, 'utf8')) as SnpVectorFile;
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function build(r: Recipe): Buffer {
  switch (r.kind) {
    case 'empty':
      return Buffer.alloc(0);
    case 'sample':
      return fs.readFileSync(path.join(PROJECT, r.path));
    case 'concat':
      return Buffer.concat(r.parts.map(build));
    case 'shake256': {
      const b = createHash('shake256', { outputLength: r.size }).update(r.seed, 'utf8').digest();
      if (r.bzimage && r.size >= 0x208) {
        b[0x1fe] = 0x55;
        b[0x1ff] = 0xaa;
        b.write('HdrS', 0x202, 'latin1');
        b.writeUInt16LE(0x020f, 0x206);
      }
      return b;
    }
  }
}

/**
 * A fresh temporary directory holding every input of the vector file at the relative paths
 * the vectors' arguments use. Firmware samples are symlinked; generated files are written.
 * Throws if any file does not have the sha256 the corpus recorded.
 */
export function makeWorkDir(file: SnpVectorFile): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-test-snp-'));
  for (const [rel, { sha256, recipe }] of Object.entries(file.inputs)) {
    const dest = path.join(dir, rel);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    if (recipe.kind === 'sample') {
      const src = path.join(PROJECT, recipe.path);
      if (sha256Hex(fs.readFileSync(src)) !== sha256) throw new Error(`${recipe.path} does not have the sha256 the corpus recorded for ${rel}`);
      fs.symlinkSync(src, dest);
    } else {
      const bytes = build(recipe);
      if (sha256Hex(bytes) !== sha256) throw new Error(`generated ${rel} does not have the sha256 the corpus recorded`);
      fs.writeFileSync(dest, bytes);
    }
  }
  return dir;
}

export function removeWorkDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Split sev-snp-measure's argv into (flag, value) pairs the way argparse does. */
const VALUE_FLAGS = new Set([
  '--mode', '--vcpus', '--vcpu-type', '--vcpu-sig', '--vcpu-family', '--vcpu-model', '--vcpu-stepping', '--vmm-type', '--ovmf',
  '--kernel', '--initrd', '--append', '--guest-features', '--output-format', '--snp-ovmf-hash', '--svsm', '--vars-size', '--vars-file',
]);
const BOOL_FLAGS = new Set(['-v', '--verbose', '--dump-vmsa']);

export function splitArgs(args: string[]): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (BOOL_FLAGS.has(flag)) out.set(flag === '--verbose' ? '-v' : flag, true);
    else if (VALUE_FLAGS.has(flag)) {
      const value = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : args[++i];
      if (value === undefined) throw new OptionError(flag, 'expects a value');
      out.set(flag, value);
    } else throw new OptionError(a, 'unknown option');
  }
  return out;
}

export interface LibraryCall {
  options: MeasureOptions;
  format: 'hex' | 'base64';
  verbose: boolean;
  dumpVmsa: boolean;
}

const num = (flag: string, v: bigint | null, text: string): bigint => {
  if (v === null) throw new OptionError(flag, `${JSON.stringify(text)} is not a number`);
  return v;
};

/**
 * sev-snp-measure arguments → one `measure()` call. Only syntax is checked here (numbers
 * parse, names are known, flags that need each other are present); ranges and firmware
 * requirements are left to the library, which must reject them itself. Files are read
 * whole from `cwd`.
 */
export function argsToOptions(args: string[], cwd: string): LibraryCall {
  const a = splitArgs(args);
  const str = (f: string): string | undefined => {
    const v = a.get(f);
    return typeof v === 'string' ? v : undefined;
  };
  const file = (f: string): Uint8Array | undefined => {
    const p = str(f);
    return p === undefined ? undefined : new Uint8Array(fs.readFileSync(path.join(cwd, p)));
  };
  const mode = str('--mode');
  if (mode === undefined) throw new OptionError('--mode', 'is required');
  if (!(SEV_MODES as readonly string[]).includes(mode)) throw new OptionError('--mode', `invalid choice ${mode}`);
  const ovmf = file('--ovmf');
  if (!ovmf) throw new OptionError('--ovmf', 'is required');
  const vmm = str('--vmm-type') ?? 'QEMU';
  if (!(VMM_TYPES as readonly string[]).includes(vmm)) throw new OptionError('--vmm-type', `unknown VMM type ${vmm}`);
  const format = str('--output-format') ?? 'hex';
  if (format !== 'hex' && format !== 'base64') throw new OptionError('--output-format', `invalid choice ${format}`);

  const o: MeasureOptions = { mode: mode as SevMode, ovmf, vmm: vmm as VmmType };
  const vcpus = str('--vcpus');
  if (vcpus !== undefined) o.vcpus = Number(num('--vcpus', parseDecimalInt(vcpus), vcpus));

  const fam = str('--vcpu-family'), model = str('--vcpu-model'), step = str('--vcpu-stepping');
  const type = str('--vcpu-type'), sig = str('--vcpu-sig');
  if (type !== undefined && !isVcpuType(type)) throw new OptionError('--vcpu-type', `invalid choice ${type}`);
  if (fam !== undefined || model !== undefined || step !== undefined) {
    if (fam === undefined || model === undefined || step === undefined) throw new OptionError('--vcpu-family', 'family, model and stepping go together');
    const f = num('--vcpu-family', parseDecimalInt(fam), fam), m = num('--vcpu-model', parseDecimalInt(model), model), s = num('--vcpu-stepping', parseDecimalInt(step), step);
    if (f < 0n || f > BigInt(MAX_FAMILY) || m < 0n || m > 255n || s < 0n || s > 15n) throw new OptionError('--vcpu-family', 'family/model/stepping out of range');
    o.vcpuSig = cpuSig(Number(f), Number(m), Number(s));
  } else if (sig !== undefined) {
    const v = num('--vcpu-sig', parseAutoBaseInt(sig), sig);
    if (v < 0n || v > 0xffff_ffffn) throw new OptionError('--vcpu-sig', 'is not a 32-bit value');
    o.vcpuSig = Number(v);
  } else if (type !== undefined && isVcpuType(type)) {
    const [f, m, s] = VCPU_TYPES[type];
    o.vcpuSig = cpuSig(f, m, s);
  }

  const gf = str('--guest-features');
  if (gf !== undefined) o.guestFeatures = num('--guest-features', parseAutoBaseInt(gf), gf);

  const kernel = file('--kernel');
  if (a.has('--initrd') && !kernel) throw new OptionError('--initrd', '--kernel is required');
  if (a.has('--append') && !kernel) throw new OptionError('--append', '--kernel is required');
  if (kernel) o.directBoot = { kernel, initrd: file('--initrd') ?? null, append: str('--append') ?? null };

  const ovmfHash = str('--snp-ovmf-hash');
  if (ovmfHash !== undefined) {
    const b = fromHex(ovmfHash);
    if (!b) throw new OptionError('--snp-ovmf-hash', 'is not hex');
    o.ovmfHash = b;
  }
  const svsm = file('--svsm');
  if (svsm) o.svsm = svsm;
  const varsSize = str('--vars-size');
  if (varsSize !== undefined) o.varsSize = Number(num('--vars-size', parseDecimalInt(varsSize), varsSize));
  const varsFile = str('--vars-file');
  if (varsFile !== undefined) o.varsSize = fs.statSync(path.join(cwd, varsFile)).size;

  const dumpVmsa = a.has('--dump-vmsa');
  if (dumpVmsa && mode === 'sev') throw new OptionError('--dump-vmsa', 'SEV guests have no VMSA');
  return { options: o, format, verbose: a.has('-v'), dumpVmsa };
}

/** The flags a vector uses, with the values of --mode, --vmm-type and --output-format, and its firmware file. */
export function cliTokens(v: SnpVector): string[] {
  let a: Map<string, string | true>;
  try {
    a = splitArgs(v.args);
  } catch {
    return [v.args.join(' ')];
  }
  const inline = new Set(v.args.filter((x) => x.startsWith('--') && x.includes('=')).map((x) => x.slice(0, x.indexOf('='))));
  return [
    ...[...a.keys()].map((k) => (['--mode', '--vmm-type', '--output-format'].includes(k) ? `${k}=${String(a.get(k))}` : inline.has(k) ? `${k}=…` : k)),
    `file ${String(a.get('--ovmf'))}`,
  ];
}

/**
 * The CLI runs of the default suite: every may-reject and VMSA-dump vector, the first
 * rejection of each (kind, mode, firmware), and successes until every flag (in each spelling),
 * every mode/VMM/output format and every firmware file has been seen — each CLI code path at
 * least once, while the library test runs every vector. Process start-up dominates (about
 * 0.1 s of CPU each): PRELAUNCH_TEST_ALL_CLI=1 runs all of them.
 */
export function selectCliVectors(vectors: SnpVector[]): SnpVector[] {
  if (process.env.PRELAUNCH_TEST_ALL_CLI === '1') return vectors;
  const seen = new Set<string>();
  const fresh = (keys: string[]): boolean => {
    const n = keys.filter((k) => !seen.has(k));
    n.forEach((k) => seen.add(k));
    return n.length > 0;
  };
  return vectors.filter((v) => {
    if (v.may_reject || v.vmsa_sha256) return true;
    if (v.expected_error !== undefined) return fresh([`rejection ${v.error_kind} ${v.mode} ${cliTokens(v).at(-1)}`]);
    return fresh(cliTokens(v).map((t) => `success ${t}`));
  });
}
