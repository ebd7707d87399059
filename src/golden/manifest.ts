/**
 * Golden-values manifests (JSON or YAML): which artifacts, which matrix, which ID-block keys.
 * Validation is strict — an unknown key or an impossible value is an error naming its path
 * in the manifest — because a typo silently dropping a dimension would publish wrong values.
 * Paths stay as written; the caller resolves them (relative to the manifest's directory).
 * The structure is checked first against the schema (src/schema/golden-manifest.ts, published
 * as docs/schemas/golden-manifest.schema.json), then the values (vCPU types, ranges, …) here.
 */
import { parse as parseYaml } from 'yaml';
import { OptionError, PrelaunchError } from '../errors.js';
import { parseStacks } from './stacks.js';
import { fromHex } from '../bytes/hex.js';
import { cmdlineBytes, type KernelCmdline } from '../formats/linux/cmdline.js';
import { GOLDEN_MANIFEST_SCHEMA, MAX_MANIFEST_BYTES } from '../schema/golden-manifest.js';
import { validateDocument } from '../schema/validate.js';
import { checkSnpOnlyDimensions, cpusOf, needsVcpuCount, parseHexBytesList, parseHostDataList, parseModes, parseUintList, parseVcpuList, parseVcpuTypes, parseVmmTypes, parseVmsaProfiles, type GoldenMatrix, type GoldenMode, type GoldenTdxMatrix, type GoldenTdxShape, type GoldenTpmMatrix, type GoldenTpmShape } from './matrix.js';
import { requireModelledQemu } from '../measured-boot/edk2-events.js';
import { parseQemuMemorySize } from '../formats/qemu/memory-size.js';
import { checkTdMemory } from '../formats/tdx/td-hob.js';
import { TDX_PAGE_ORDERS, type TdxPageOrder } from '../plan/tdx.js';

export interface ManifestArtifact {
  name: string;
  /** ovmf: an OVMF/TDVF image (every mode); igvm: an IGVM file (snp and tdx: its launch digests) */
  kind: 'ovmf' | 'igvm';
  /** the OVMF image, or the IGVM file */
  firmware: string;
  /** the matrix modes this artifact is measured in (default: all that apply to its kind) */
  modes?: GoldenMode[] | null;
  /** TDX direct boot: apply QEMU's setup-header patch before the kernel's Authenticode (default true; edk2 >= 202505 measures the unpatched image) */
  qemuKernelPatch?: boolean;
  /** tpm: the OVMF_VARS the guest starts with (absent: a unified image's own store, or an empty one) */
  vars?: string | null;
  kernel: string | null;
  initrd: string | null;
  /** `cmdline` (text, measured as UTF-8) or `cmdlineHex` (the exact bytes) */
  cmdline: KernelCmdline | null;
}

export interface ManifestIdBlock {
  idKey: string;
  authorKey: string | null;
  familyId: string | null;
  imageId: string | null;
  guestSvn: number;
  passphraseFile: string | null;
  passphraseEnv: string | null;
}

export interface GoldenManifest {
  artifacts: ManifestArtifact[];
  matrix: GoldenMatrix;
  maxEntries: number;
  idBlock: ManifestIdBlock | null;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keysOnly(o: Obj, allowed: string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new OptionError(`${where}${where ? '.' : ''}${k}`, `unknown key (allowed here: ${allowed.join(', ')})`);
  }
}

function str(o: Obj, key: string, where: string, required: true): string;
function str(o: Obj, key: string, where: string, required: false): string | null;
function str(o: Obj, key: string, where: string, required: boolean): string | null {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw new OptionError(`${where}.${key}`, 'is required');
    return null;
  }
  if (typeof v !== 'string' || (required && v === '')) throw new OptionError(`${where}.${key}`, 'must be a non-empty string');
  return v;
}

const U64 = (1n << 64n) - 1n;

/** An artifact's command line: `cmdline` (text, UTF-8) or `cmdlineHex` (exact bytes, for a command line that is not UTF-8). */
function manifestCmdline(a: Record<string, unknown>, where: string): KernelCmdline | null {
  if (a.cmdline !== undefined && a.cmdlineHex !== undefined) throw new OptionError(`${where}.cmdlineHex`, 'give cmdline or cmdlineHex, not both');
  if (a.cmdline !== undefined) {
    if (typeof a.cmdline !== 'string') throw new OptionError(`${where}.cmdline`, 'must be a string');
    cmdlineBytes(a.cmdline, `${where}.cmdline`);
    return a.cmdline;
  }
  if (a.cmdlineHex !== undefined) {
    const bytes = typeof a.cmdlineHex === 'string' ? fromHex(a.cmdlineHex.replace(/^0x/i, '')) : null;
    if (!bytes) throw new OptionError(`${where}.cmdlineHex`, 'must be a string of hex digits (the command line\'s bytes, without the terminating NUL)');
    return cmdlineBytes(bytes, `${where}.cmdlineHex`);
  }
  return null;
}

/**
 * Validate a parsed manifest object (`name`, the file, names it in errors): ERR_MALFORMED
 * naming the JSON path of the first problem.
 */
export function validateManifest(raw: unknown, name = 'manifest'): GoldenManifest {
  validateDocument(GOLDEN_MANIFEST_SCHEMA, raw, name, 'a golden-values manifest');
  try {
    return manifestValues(raw);
  } catch (e) {
    // a value the measured-boot model refuses (an unmodelled QEMU): its own code, the manifest path named
    if (e instanceof PrelaunchError && typeof e.data.manifestPath === 'string') throw new PrelaunchError(e.code, `${name}: $.${e.data.manifestPath}: ${e.message}`, { file: name, path: `$.${e.data.manifestPath}` });
    if (e instanceof OptionError) throw new PrelaunchError('ERR_MALFORMED', `${name}: $${e.option.startsWith('[') ? '' : '.'}${e.option}: ${e.message.slice(e.option.length + 2)}`, { file: name, path: `$.${e.option}` });
    throw e;
  }
}

/** The values of a manifest whose structure matches the schema. */
function manifestValues(raw: unknown): GoldenManifest {
  if (!isObj(raw)) throw new OptionError('manifest', 'must be an object with artifacts and matrix');
  keysOnly(raw, ['version', 'artifacts', 'matrix', 'idBlock', 'maxEntries'], '');
  if (raw.version !== undefined && raw.version !== 1) throw new OptionError('version', `unsupported manifest version ${JSON.stringify(raw.version)} (this prelaunch reads version 1)`);
  if (!Array.isArray(raw.artifacts) || raw.artifacts.length === 0) throw new OptionError('artifacts', 'must be a non-empty list');
  const artifacts = raw.artifacts.map((a, i): ManifestArtifact => {
    const where = `artifacts[${i}]`;
    if (!isObj(a)) throw new OptionError(where, 'must be an object');
    keysOnly(a, ['name', 'kind', 'firmware', 'vars', 'kernel', 'initrd', 'cmdline', 'cmdlineHex', 'modes', 'qemuKernelPatch'], where);
    const kind = a.kind ?? 'ovmf';
    if (kind !== 'ovmf' && kind !== 'igvm') {
      throw new OptionError(`${where}.kind`, `${JSON.stringify(kind)} artifacts are not supported by golden (supported: ovmf, igvm)`);
    }
    const kernel = str(a, 'kernel', where, false);
    if (!kernel && (a.initrd !== undefined || a.cmdline !== undefined || a.cmdlineHex !== undefined)) throw new OptionError(`${where}.kernel`, 'initrd and cmdline need a kernel');
    if (kind === 'igvm') {
      // an IGVM file carries its own kernel, command line and start state
      for (const k of ['kernel', 'initrd', 'cmdline', 'cmdlineHex', 'qemuKernelPatch', 'vars']) if (a[k] !== undefined) throw new OptionError(`${where}.${k}`, 'an igvm artifact is measured as the file is (its kernel and command line are inside it)');
    }
    if (a.qemuKernelPatch !== undefined && typeof a.qemuKernelPatch !== 'boolean') throw new OptionError(`${where}.qemuKernelPatch`, 'must be true or false');
    const modes = a.modes === undefined ? null : parseModes(a.modes, `${where}.modes`);
    if (kind === 'igvm' && modes) {
      const bad = modes.find((x) => x !== 'snp' && x !== 'tdx');
      if (bad) throw new OptionError(`${where}.modes`, `${bad}: an igvm artifact gives snp and tdx launch digests only`);
    }
    return {
      name: str(a, 'name', where, true), kind, firmware: str(a, 'firmware', where, true), kernel, initrd: str(a, 'initrd', where, false), cmdline: manifestCmdline(a, where),
      ...(modes ? { modes } : {}), ...(a.qemuKernelPatch !== undefined ? { qemuKernelPatch: a.qemuKernelPatch as boolean } : {}),
      ...(a.vars !== undefined ? { vars: str(a, 'vars', where, true) } : {}),
    };
  });
  const seen = new Set<string>();
  artifacts.forEach((a, i) => {
    if (seen.has(a.name)) throw new OptionError(`artifacts[${i}].name`, `${JSON.stringify(a.name)} is used by an earlier artifact (names must be unique)`);
    seen.add(a.name);
  });
  const m = raw.matrix;
  if (!isObj(m)) throw new OptionError('matrix', 'is required (an object)');
  keysOnly(m, ['modes', 'vcpus', 'vcpuTypes', 'vcpuSigs', 'vmmTypes', 'vmsaProfiles', 'guestFeatures', 'policies', 'hostData', 'stacks', 'tdx', 'tpm'], 'matrix');
  if (m.stacks !== undefined) {
    for (const k of ['vmmTypes', 'vmsaProfiles', 'guestFeatures']) if (m[k] !== undefined) throw new OptionError(`matrix.${k}`, 'comes from matrix.stacks (each stack derives its VMM, VMSA profile and SEV features); give one or the other');
  }
  const modes = m.modes === undefined ? (['snp'] as const).slice() : parseModes(m.modes, 'matrix.modes');
  artifacts.forEach((a, i) => {
    const other = a.modes?.find((x) => !modes.includes(x));
    if (other) throw new OptionError(`artifacts[${i}].modes`, `${other} is not one of matrix.modes (${modes.join(', ')})`);
  });
  artifacts.forEach((a, i) => {
    // the patch is a TDX direct-boot input: given where it changes nothing, it is refused rather than ignored
    if (a.qemuKernelPatch !== undefined && (!a.kernel || !(a.modes ?? modes).includes('tdx'))) throw new OptionError(`artifacts[${i}].qemuKernelPatch`, 'applies to tdx entries of an artifact with a kernel (TDX direct boot) only');
    // an IGVM file has snp and tdx digests only: an artifact measured in neither would give no entry
    if (a.kind === 'igvm' && !(a.modes ?? modes).some((x) => x === 'snp' || x === 'tdx')) throw new OptionError(`artifacts[${i}]`, `an igvm artifact gives snp and tdx launch digests, and the modes (${modes.join(', ')}) have neither`);
  });
  artifacts.forEach((a, i) => {
    const own = a.modes ?? modes;
    // the varstore is a vTPM input (PCR7): given where nothing measures it, it is refused rather than ignored
    if (a.vars !== undefined && !own.includes('tpm')) throw new OptionError(`artifacts[${i}].vars`, 'applies to tpm entries only (the varstore\'s secure-boot variables are measured into PCR7)');
    // predictTpmPcrs models QEMU direct boot only
    if (a.kind === 'ovmf' && own.includes('tpm') && !a.kernel) throw new OptionError(`artifacts[${i}].kernel`, 'tpm entries need a direct-boot kernel (only QEMU direct boot is modelled for vTPM PCRs); give one, or leave tpm out of this artifact\'s modes');
  });
  if (m.tpm !== undefined && !modes.includes('tpm')) throw new OptionError('matrix.tpm', `applies to tpm entries only, and the modes (${modes.join(', ')}) have none`);
  if (modes.includes('tpm') && m.tpm === undefined && artifacts.some((a) => a.kind === 'ovmf' && (a.modes ?? modes).includes('tpm'))) throw new OptionError('matrix.tpm', 'is required with mode tpm: matrix.tpm.shapes (QEMU version, memory, vCPUs and fw_cfg dump the PCRs depend on)');
  if (m.stacks !== undefined && modes.includes('tpm')) throw new OptionError('matrix.stacks', 'host stacks derive SEV settings; tpm entries take matrix.tpm (give the tpm artifacts their own manifest)');
  if (m.tdx !== undefined && !modes.includes('tdx')) throw new OptionError('matrix.tdx', `applies to tdx entries only, and the modes (${modes.join(', ')}) have none`);
  if (m.stacks !== undefined && artifacts.some((a) => a.kind === 'igvm')) throw new OptionError('matrix.stacks', 'host stacks derive the VMSA of OVMF guests; an IGVM file carries its own (give the igvm artifacts their own manifest)');
  if (m.stacks !== undefined && modes.includes('tdx')) throw new OptionError('matrix.stacks', 'host stacks derive SEV settings; tdx entries take matrix.tdx (give the tdx artifacts their own manifest)');
  const needsVcpus = needsVcpuCount(modes);
  if (needsVcpus && m.vcpus === undefined) throw new OptionError('matrix.vcpus', 'is required for snp and seves');
  const vmmTypes = m.vmmTypes === undefined ? ['QEMU' as const] : parseVmmTypes(m.vmmTypes, 'matrix.vmmTypes');
  const cpus = cpusOf(m.vcpuTypes === undefined ? [] : parseVcpuTypes(m.vcpuTypes, 'matrix.vcpuTypes'), m.vcpuSigs === undefined ? [] : parseUintList(m.vcpuSigs, 'matrix.vcpuSigs', 0xffff_ffffn));
  if (needsVcpus && vmmTypes.includes('QEMU') && cpus.length === 0) throw new OptionError('matrix.vcpuTypes', 'QEMU guests need vcpuTypes or vcpuSigs (the signature is part of the VMSA)');
  checkSnpOnlyDimensions(modes, [['matrix.guestFeatures', m.guestFeatures !== undefined], ['matrix.policies', m.policies !== undefined], ['matrix.hostData', m.hostData !== undefined], ['idBlock', raw.idBlock !== undefined]]);
  const matrix: GoldenMatrix = {
    modes,
    vcpus: needsVcpus ? parseVcpuList(m.vcpus, 'matrix.vcpus') : [],
    cpus,
    vmmTypes,
    vmsaProfiles: m.vmsaProfiles === undefined ? null : parseVmsaProfiles(m.vmsaProfiles, 'matrix.vmsaProfiles'),
    guestFeatures: m.guestFeatures === undefined ? [1n] : parseUintList(m.guestFeatures, 'matrix.guestFeatures', U64),
    policies: m.policies === undefined ? null : parseUintList(m.policies, 'matrix.policies', U64),
    hostData: m.hostData === undefined ? null : parseHostDataList(m.hostData, 'matrix.hostData'),
    stacks: m.stacks === undefined ? null : parseStacks(m.stacks, 'matrix.stacks'),
    tdx: m.tdx === undefined ? null : parseTdxMatrix(m.tdx),
    tpm: m.tpm === undefined ? null : parseTpmMatrix(m.tpm),
  };
  if (matrix.stacks) {
    matrix.vmmTypes = [...new Set(matrix.stacks.map((s) => (s.vmm === 'QEMU' ? 'QEMU' : s.vmm === 'gce' ? 'gce' : 'ec2') as 'QEMU' | 'ec2' | 'gce'))];
    if (needsVcpus && matrix.vmmTypes.includes('QEMU') && cpus.length === 0) throw new OptionError('matrix.vcpuTypes', 'QEMU guests need vcpuTypes or vcpuSigs (the signature is part of the VMSA)');
  }
  if (modes.includes('tdx') && !matrix.tdx?.shapes.length) {
    // RTMR1 depends on the guest memory (QEMU patches the initrd address into the kernel's setup header)
    const i = artifacts.findIndex((a) => a.kind === 'ovmf' && a.kernel && (a.modes ?? modes).includes('tdx'));
    if (i >= 0) throw new OptionError(`artifacts[${i}].kernel`, 'tdx entries with a kernel need matrix.tdx.shapes (the guest memory and ACPI tables the RTMRs depend on), or RTMR1 and RTMR2 could not be predicted');
  }
  let idBlock: ManifestIdBlock | null = null;
  if (raw.idBlock !== undefined) {
    const b = raw.idBlock;
    if (!isObj(b)) throw new OptionError('idBlock', 'must be an object');
    keysOnly(b, ['idKey', 'authorKey', 'familyId', 'imageId', 'guestSvn', 'passphraseFile', 'passphraseEnv'], 'idBlock');
    const svn = b.guestSvn ?? 0;
    if (typeof svn !== 'number' || !Number.isInteger(svn) || svn < 0 || svn > 0xffff_ffff) throw new OptionError('idBlock.guestSvn', 'must be an integer within 0..2^32-1');
    for (const k of ['familyId', 'imageId']) {
      const v = b[k];
      if (v !== undefined && (typeof v !== 'string' || !/^(0x)?[0-9a-fA-F]{32}$/.test(v))) throw new OptionError(`idBlock.${k}`, 'must be 16 bytes as 32 hex digits');
    }
    idBlock = {
      idKey: str(b, 'idKey', 'idBlock', true), authorKey: str(b, 'authorKey', 'idBlock', false),
      familyId: str(b, 'familyId', 'idBlock', false), imageId: str(b, 'imageId', 'idBlock', false), guestSvn: svn,
      passphraseFile: str(b, 'passphraseFile', 'idBlock', false), passphraseEnv: str(b, 'passphraseEnv', 'idBlock', false),
    };
  }
  const maxEntries = raw.maxEntries ?? 100_000;
  if (typeof maxEntries !== 'number' || !Number.isInteger(maxEntries) || maxEntries < 1) throw new OptionError('maxEntries', 'must be a positive integer');
  return { artifacts, matrix, maxEntries, idBlock };
}

/** `matrix.tdx`: page orders, TD shapes (memory and ACPI tables), and the values carried into entries. */
function parseTdxMatrix(t: unknown): GoldenTdxMatrix {
  if (!isObj(t)) throw new OptionError('matrix.tdx', 'must be an object');
  keysOnly(t, ['pageOrders', 'shapes', 'tdAttributes', 'xfam', 'mrConfigId'], 'matrix.tdx');
  const pageOrders = t.pageOrders === undefined ? [...TDX_PAGE_ORDERS] : parsePageOrders(t.pageOrders, 'matrix.tdx.pageOrders');
  const shapes: GoldenTdxShape[] = [];
  if (t.shapes !== undefined) {
    if (!Array.isArray(t.shapes) || t.shapes.length === 0) throw new OptionError('matrix.tdx.shapes', 'must be a non-empty list');
    t.shapes.forEach((sh, i) => {
      const where = `matrix.tdx.shapes[${i}]`;
      if (!isObj(sh)) throw new OptionError(where, 'must be an object');
      keysOnly(sh, ['name', 'memory', 'acpiDir', 'fwCfg'], where);
      const name = str(sh, 'name', where, true);
      if (shapes.some((x) => x.name === name)) throw new OptionError(`${where}.name`, `${JSON.stringify(name)} names an earlier shape too`);
      const mem = sh.memory;
      if (typeof mem !== 'string' && typeof mem !== 'number') throw new OptionError(`${where}.memory`, 'is required: the guest memory (QEMU -m syntax, e.g. "2G", or bytes)');
      const memory = typeof mem === 'number' ? mem : parseQemuMemorySize(mem, `${where}.memory`);
      try {
        checkTdMemory(memory);
      } catch (e) {
        if (e instanceof OptionError) throw new OptionError(`${where}.memory`, e.message.slice(e.option.length + 2));
        throw e;
      }
      const acpiDir = str(sh, 'acpiDir', where, false);
      const fwCfg = str(sh, 'fwCfg', where, false);
      // the same blobs from two places: predictRtmrs takes one (as `tdx --acpi-dir` / `--fw-cfg`)
      if (acpiDir !== null && fwCfg !== null) throw new OptionError(`${where}.fwCfg`, 'give the ACPI blobs once: acpiDir or fwCfg (which holds them too), not both');
      shapes.push({ name, memory, acpiDir, fwCfg });
    });
  }
  return {
    pageOrders,
    shapes,
    tdAttributes: t.tdAttributes === undefined ? null : parseUintList(t.tdAttributes, 'matrix.tdx.tdAttributes', U64),
    xfam: t.xfam === undefined ? null : parseUintList(t.xfam, 'matrix.tdx.xfam', U64),
    mrConfigId: t.mrConfigId === undefined ? null : parseHexBytesList(t.mrConfigId, 'matrix.tdx.mrConfigId', 48),
  };
}

/** `matrix.tpm`: the vTPM launch shapes (QEMU version, memory, vCPUs, fw_cfg dump). */
function parseTpmMatrix(t: unknown): GoldenTpmMatrix {
  if (!isObj(t)) throw new OptionError('matrix.tpm', 'must be an object');
  keysOnly(t, ['shapes'], 'matrix.tpm');
  if (!Array.isArray(t.shapes) || t.shapes.length === 0) throw new OptionError('matrix.tpm.shapes', 'must be a non-empty list');
  const shapes: GoldenTpmShape[] = [];
  t.shapes.forEach((sh, i) => {
    const where = `matrix.tpm.shapes[${i}]`;
    if (!isObj(sh)) throw new OptionError(where, 'must be an object');
    keysOnly(sh, ['name', 'qemuVersion', 'memory', 'smp', 'fwCfg'], where);
    const name = str(sh, 'name', where, true);
    if (shapes.some((x) => x.name === name)) throw new OptionError(`${where}.name`, `${JSON.stringify(name)} names an earlier shape too`);
    const qemuVersion = str(sh, 'qemuVersion', where, true);
    try {
      requireModelledQemu(qemuVersion);
    } catch (e) {
      if (e instanceof OptionError) throw new OptionError(`${where}.qemuVersion`, e.message.slice(e.option.length + 2));
      if (e instanceof PrelaunchError) throw new PrelaunchError(e.code, e.message.replace(/^--qemu-version /, ''), { manifestPath: `${where}.qemuVersion` });
      throw e;
    }
    const mem = sh.memory;
    if (typeof mem !== 'string' && typeof mem !== 'number') throw new OptionError(`${where}.memory`, 'is required: the guest memory (QEMU -m syntax, e.g. "2G", or bytes)');
    const memory = typeof mem === 'number' ? mem : parseQemuMemorySize(mem, `${where}.memory`);
    if (!Number.isSafeInteger(memory) || memory <= 0 || memory % 4096 !== 0) throw new OptionError(`${where}.memory`, `${String(mem)} is not a positive whole number of 4 KiB pages`);
    const smp = sh.smp ?? null;
    if (smp !== null && (typeof smp !== 'number' || !Number.isInteger(smp) || smp < 1 || smp > 4096)) throw new OptionError(`${where}.smp`, 'must be a vCPU count within 1..4096');
    shapes.push({ name, qemuVersion, memory, smp: smp as number | null, fwCfg: str(sh, 'fwCfg', where, false) });
  });
  return { shapes };
}

function parsePageOrders(v: unknown, where: string): TdxPageOrder[] {
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',').map((x) => x.trim()) : null;
  if (!items || items.length === 0) throw new OptionError(where, 'expected a list or a comma-separated string');
  return [...new Set(items.map((x) => {
    if (!(TDX_PAGE_ORDERS as readonly unknown[]).includes(x)) throw new OptionError(where, `${JSON.stringify(x)} is not a page order (single: QEMU >= 9.0; two: QEMU 8.x with the KVM TDX patches)`);
    return x as TdxPageOrder;
  }))];
}

/**
 * Parse manifest text: JSON when it looks like JSON, YAML otherwise. Text longer than
 * {@link MAX_MANIFEST_BYTES} is refused before it is parsed.
 */
export function parseManifestText(text: string, name: string): GoldenManifest {
  if (text.length > MAX_MANIFEST_BYTES) {
    throw new PrelaunchError('ERR_MALFORMED', `${name}: ${text.length} characters; a golden manifest is at most ${MAX_MANIFEST_BYTES} (1 MiB)`, { file: name });
  }
  let raw: unknown;
  try {
    raw = /^\s*[{[]/.test(text) ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true, strict: true });
  } catch (e) {
    throw new PrelaunchError('ERR_MALFORMED', `${name}: not valid JSON or YAML: ${(e as Error).message.split('\n')[0]}`, { file: name });
  }
  return validateManifest(raw, name);
}
