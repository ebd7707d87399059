/**
 * The golden-values matrix: which configurations to measure. Parsing of the compact forms
 * users write ("1-64", "all", "0x1,0x21") lives here, shared by the CLI flags and manifests.
 */
import { OptionError } from '../errors.js';
import type { GoldenStack } from './stacks.js';
import { VCPU_TYPE_NAMES, isVcpuType, vcpuTypeSig, type VcpuType } from '../formats/snp/vcpu-types.js';
import type { TdxPageOrder } from '../plan/tdx.js';
import { VMM_TYPES, VMSA_PROFILE_NAMES, type VmmType, type VmsaProfileName } from '../formats/snp/vmsa-profiles.js';

export type GoldenMode = 'snp' | 'seves' | 'sev' | 'tdx' | 'tpm';
export const GOLDEN_MODES: readonly GoldenMode[] = ['snp', 'seves', 'sev', 'tdx', 'tpm'];

/** Modes whose entries depend on the vCPU count (a VMSA per vCPU). */
export const needsVcpuCount = (modes: readonly GoldenMode[]): boolean => modes.some((x) => x === 'snp' || x === 'seves');

/**
 * A TD "shape" (`matrix.tdx.shapes`): what RTMR0 depends on besides the firmware — the guest
 * memory (the TD HOB) and the VMM's ACPI tables (fw_cfg `etc/table-loader`, `etc/acpi/rsdp`,
 * `etc/acpi/tables`, which QEMU builds from the vCPU count, devices and memory). Without
 * `acpiDir` RTMR0 is not predicted (null), never guessed.
 */
export interface GoldenTdxShape {
  name: string;
  /** guest memory in bytes (QEMU -m) */
  memory: number;
  /** a directory with the three fw_cfg ACPI blobs, as `prelaunch tdx --acpi-dir` reads it (relative to the manifest) */
  acpiDir: string | null;
  /** QEMU's fw_cfg dump (fwcfg.tar, relative to the manifest): the ACPI and SMBIOS blobs and fw_cfg
   * items edk2 ≥ 2026.08 measures into RTMR0, as `prelaunch tdx --fw-cfg` reads it; excludes acpiDir */
  fwCfg: string | null;
}

/** The TDX dimensions (`matrix.tdx`). */
export interface GoldenTdxMatrix {
  /** MRTD page orders (QEMU [8.0, 9.0) with the KVM TDX patches: two; >= 9.0: single) */
  pageOrders: TdxPageOrder[];
  /** none: MRTD-only entries (RTMRs need the guest memory) */
  shapes: GoldenTdxShape[];
  /** values carried into entries (not predicted: the VMM sets them), each 64-bit; null: none given */
  tdAttributes: bigint[] | null;
  xfam: bigint[] | null;
  /** MRCONFIGID values (48 bytes, lowercase hex); null: none given */
  mrConfigId: string[] | null;
}

/**
 * A vTPM launch "shape" (`matrix.tpm.shapes`): what the PCRs depend on besides the firmware,
 * varstore and boot components — the QEMU version (which kernel edk2 measures, and what QEMU
 * serves), the guest memory (the QEMU-patched kernel), the vCPU count and QEMU's fw_cfg blobs
 * (the ACPI tables measured into PCR1 by edk2 >= 2025.02, built by QEMU from the vCPUs, memory
 * and devices). Without `fwCfg` the PCRs whose events need it are null, never guessed.
 */
export interface GoldenTpmShape {
  name: string;
  /** QEMU version "X.Y[.Z]" (a modelled one: checked when the manifest is read) */
  qemuVersion: string;
  /** guest memory in bytes (QEMU -m) */
  memory: number;
  /** vCPUs (QEMU -smp): recorded; they enter only the fw_cfg ACPI blobs */
  smp: number | null;
  /** a capture's fw_cfg dump (fwcfg.tar, by_name/NAME/raw), relative to the manifest */
  fwCfg: string | null;
}

/** The vTPM dimensions (`matrix.tpm`). */
export interface GoldenTpmMatrix {
  shapes: GoldenTpmShape[];
}

/** A guest CPU as the measurement sees it: a QEMU model name (with its signature) or a bare signature. */
export interface GoldenCpu {
  vcpuType: VcpuType | null;
  vcpuSig: number;
}

export interface GoldenMatrix {
  modes: GoldenMode[];
  vcpus: number[];
  cpus: GoldenCpu[];
  vmmTypes: VmmType[];
  /** null: each VMM's default profile */
  vmsaProfiles: VmsaProfileName[] | null;
  guestFeatures: bigint[];
  /** guest policies to carry into entries (and ID blocks); null: none given */
  policies: bigint[] | null;
  /** HOST_DATA values (32 bytes, lowercase hex) to carry into entries; null: none given */
  hostData?: string[] | null;
  /** host stacks (./stacks.ts): each derives VMM, VMSA profile and SEV features; null: none */
  stacks?: GoldenStack[] | null;
  /** TDX dimensions (mode tdx); null or absent: page orders both, no shapes */
  tdx?: GoldenTdxMatrix | null;
  /** vTPM dimensions (mode tpm): required with mode tpm */
  tpm?: GoldenTpmMatrix | null;
}

/** The TDX dimensions a matrix without `tdx` uses: both page orders, MRTD only. */
export const DEFAULT_TDX_MATRIX: GoldenTdxMatrix = { pageOrders: ['single', 'two'], shapes: [], tdAttributes: null, xfam: null, mrConfigId: null };

/**
 * Dimensions only snp entries carry: guest features (seves entries are measured with
 * SEV_FEATURES 0, sev guests have no VMSA), policies, host data and ID blocks. A matrix
 * without snp would drop them, so giving one is refused (for an SEV-ES host that sets
 * DebugSwap: `prelaunch measure --mode seves --guest-features 0x20`). `given` pairs each
 * dimension's flag or manifest key with whether it was given.
 */
export function checkSnpOnlyDimensions(modes: readonly GoldenMode[], given: ReadonlyArray<readonly [string, boolean]>): void {
  if (modes.includes('snp')) return;
  const first = given.find(([, g]) => g);
  if (first) {
    throw new OptionError(first[0], `applies to snp entries only, and the modes (${modes.join(', ')}) have none${/eature/.test(first[0]) ? ': seves entries are measured with SEV_FEATURES 0 (for an SEV-ES host with DebugSwap use `prelaunch measure --mode seves --guest-features 0x20`)' : ''}`);
  }
}

/** Limits a vCPU count may take here. */
export const MAX_VCPUS = 512;

/** "1-64", "1,2,4", [1, "8-16"] → sorted unique counts. `where` names the flag or manifest key. */
export function parseVcpuList(value: unknown, where: string): number[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  const out = new Set<number>();
  for (const raw of items) {
    const item = typeof raw === 'string' ? raw.trim() : raw;
    if (typeof item === 'number') {
      if (!Number.isInteger(item) || item < 1 || item > MAX_VCPUS) throw new OptionError(where, `vCPU count ${item} is outside 1..${MAX_VCPUS}`);
      out.add(item);
      continue;
    }
    const m = typeof item === 'string' ? /^(\d+)(?:-(\d+))?$/.exec(item) : null;
    if (!m) throw new OptionError(where, `${JSON.stringify(raw)} is not a vCPU count or range like 1-64`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 1 || hi > MAX_VCPUS || lo > hi) throw new OptionError(where, `vCPU range ${item} must lie within 1..${MAX_VCPUS}, low to high`);
    for (let v = lo; v <= hi; v++) out.add(v);
  }
  if (out.size === 0) throw new OptionError(where, 'no vCPU counts given');
  return [...out].sort((a, b) => a - b);
}

function listOf(value: unknown, where: string): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (!items || items.length === 0) throw new OptionError(where, 'expected a list or a comma-separated string');
  return items.map((x) => {
    if (typeof x !== 'string' && typeof x !== 'number') throw new OptionError(where, `${JSON.stringify(x)} is not a string`);
    return String(x).trim();
  });
}

export function parseVcpuTypes(value: unknown, where: string): VcpuType[] {
  const items = listOf(value, where);
  if (items.length === 1 && items[0] === 'all') return [...VCPU_TYPE_NAMES];
  return items.map((t) => {
    if (!isVcpuType(t)) throw new OptionError(where, `unknown vCPU type ${JSON.stringify(t)} (known: ${VCPU_TYPE_NAMES.join(', ')}, or "all")`);
    return t;
  });
}

function parseUint(text: string, where: string, max: bigint): bigint {
  const t = text.trim();
  if (!/^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|[0-9]+)$/.test(t)) throw new OptionError(where, `${JSON.stringify(text)} is not an unsigned integer`);
  const v = BigInt(t);
  if (v > max) throw new OptionError(where, `${text} is larger than ${max === (1n << 64n) - 1n ? '2^64-1' : `0x${max.toString(16)}`}`);
  return v;
}

export function parseUintList(value: unknown, where: string, max: bigint): bigint[] {
  return [...new Set(listOf(value, where).map((x) => parseUint(x, where, max)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function parseVmmTypes(value: unknown, where: string): VmmType[] {
  return [...new Set(listOf(value, where))].map((v) => {
    if (!(VMM_TYPES as readonly string[]).includes(v)) throw new OptionError(where, `unknown VMM type ${JSON.stringify(v)} (QEMU, ec2, gce)`);
    return v as VmmType;
  });
}

export function parseVmsaProfiles(value: unknown, where: string): VmsaProfileName[] {
  return [...new Set(listOf(value, where))].map((v) => {
    if (!(VMSA_PROFILE_NAMES as readonly string[]).includes(v)) throw new OptionError(where, `unknown VMSA profile ${JSON.stringify(v)} (${VMSA_PROFILE_NAMES.join(', ')})`);
    return v as VmsaProfileName;
  });
}

export function parseModes(value: unknown, where: string): GoldenMode[] {
  return [...new Set(listOf(value, where))].map((v) => {
    if (!(GOLDEN_MODES as readonly string[]).includes(v)) throw new OptionError(where, `unknown mode ${JSON.stringify(v)} (${GOLDEN_MODES.join(', ')})`);
    return v as GoldenMode;
  });
}

/** The CPU dimension: named types first (each with its signature), then bare signatures. */
export function cpusOf(types: VcpuType[], sigs: bigint[]): GoldenCpu[] {
  return [...types.map((t) => ({ vcpuType: t, vcpuSig: vcpuTypeSig(t) })), ...sigs.map((s) => ({ vcpuType: null, vcpuSig: Number(s) }))];
}

export function parseHostDataList(value: unknown, where: string): string[] {
  return [...new Set(listOf(value, where).map((x) => {
    const t = x.replace(/^0x/i, '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(t)) throw new OptionError(where, `${JSON.stringify(x)} is not 32 bytes of hex`);
    return t;
  }))].sort();
}

/** A list of `size`-byte values in hex (optionally 0x-prefixed) → sorted unique lowercase hex. */
export function parseHexBytesList(value: unknown, where: string, size: number): string[] {
  return [...new Set(listOf(value, where).map((x) => {
    const t = x.replace(/^0x/i, '').toLowerCase();
    if (t.length !== size * 2 || !/^[0-9a-f]*$/.test(t)) throw new OptionError(where, `${JSON.stringify(x)} is not ${size} bytes of hex`);
    return t;
  }))].sort();
}
