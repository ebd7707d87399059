/**
 * QEMU `-cpu` models and their CPUID Fn0000_0001_EAX signature, which QEMU passes to the
 * guest in rdx at reset (so it is part of the VMSA and of the measurement).
 *
 * Source: QEMU target/i386/cpu.c `builtin_x86_defs[]`. The family/model/stepping of each base
 * model (EPYC 23/1/2, EPYC-Rome 23/49/0, EPYC-Milan 25/1/1, EPYC-Genoa 25/17/0) were read at
 * qemu/qemu commit 0048035a870312f2fd0f3dd28115398d26e419bb; EPYC-Turin (26/0/0) from the patch
 * that added it. A versioned name `NAME-vN` (and an alias such as EPYC-IBPB = EPYC-v2) is the
 * base model plus the `props` of its `X86CPUVersionDefinition`; no AMD EPYC version sets
 * "family", "model" or "stepping" there (they set features, caches and "model-id"), so every
 * version keeps its base model's signature (`x86_cpu_apply_version_props`). The version lists
 * are QEMU master's (10.2/11.x): EPYC v1–v5, EPYC-Rome v1–v5, EPYC-Milan v1–v4, EPYC-Genoa
 * v1–v3, EPYC-Turin v1–v2 (EPYC-v5, Rome-v5, Milan-v3, Genoa-v2 from the qemu-devel series
 * that added them; Milan-v4, Genoa-v3, Turin-v2 from the version tables of a recent build of
 * cpu.c — each adds one feature and a model-id). Only AMD EPYC models are listed: they are
 * the ones that can run SEV-ES and SEV-SNP guests.
 */
type Fms = readonly [family: number, model: number, stepping: number];

const EPYC: Fms = [23, 1, 2];
const ROME: Fms = [23, 49, 0];
const MILAN: Fms = [25, 1, 1];
const GENOA: Fms = [25, 17, 0];
const TURIN: Fms = [26, 0, 0];

export const VCPU_TYPES = {
  'EPYC': EPYC, 'EPYC-v1': EPYC, 'EPYC-v2': EPYC, 'EPYC-IBPB': EPYC, 'EPYC-v3': EPYC, 'EPYC-v4': EPYC, 'EPYC-v5': EPYC,
  'EPYC-Rome': ROME, 'EPYC-Rome-v1': ROME, 'EPYC-Rome-v2': ROME, 'EPYC-Rome-v3': ROME, 'EPYC-Rome-v4': ROME, 'EPYC-Rome-v5': ROME,
  'EPYC-Milan': MILAN, 'EPYC-Milan-v1': MILAN, 'EPYC-Milan-v2': MILAN, 'EPYC-Milan-v3': MILAN, 'EPYC-Milan-v4': MILAN,
  'EPYC-Genoa': GENOA, 'EPYC-Genoa-v1': GENOA, 'EPYC-Genoa-v2': GENOA, 'EPYC-Genoa-v3': GENOA,
  'EPYC-Turin': TURIN, 'EPYC-Turin-v1': TURIN, 'EPYC-Turin-v2': TURIN,
} as const satisfies Record<string, Fms>;

export type VcpuType = keyof typeof VCPU_TYPES;
export const VCPU_TYPE_NAMES = Object.keys(VCPU_TYPES) as VcpuType[];

export const MAX_FAMILY = 0xff + 0xf;

/**
 * CPUID signature of family/model/stepping:
 * `ext_family<<20 | ext_model<<16 | family<<8 | model<<4 | stepping`, where families above
 * 15 are encoded as 0xF plus the excess in the extended-family field.
 */
export function cpuSig(family: number, model: number, stepping: number): number {
  if (!Number.isInteger(family) || family < 0 || family > MAX_FAMILY) throw new RangeError(`family ${family} is outside 0..${MAX_FAMILY}`);
  if (!Number.isInteger(model) || model < 0 || model > 0xff) throw new RangeError(`model ${model} is outside 0..255`);
  if (!Number.isInteger(stepping) || stepping < 0 || stepping > 0xf) throw new RangeError(`stepping ${stepping} is outside 0..15`);
  const [lo, hi] = family > 0xf ? [0xf, (family - 0xf) & 0xff] : [family, 0];
  return ((hi << 20) | (((model >> 4) & 0xf) << 16) | (lo << 8) | ((model & 0xf) << 4) | (stepping & 0xf)) >>> 0;
}

export function vcpuTypeSig(type: VcpuType): number {
  const [f, m, s] = VCPU_TYPES[type];
  return cpuSig(f, m, s);
}

export function isVcpuType(name: string): name is VcpuType {
  return Object.prototype.hasOwnProperty.call(VCPU_TYPES, name);
}
