/**
 * QEMU `-cpu` models and their CPUID Fn0000_0001_EAX signature, which QEMU passes to the
 * guest in rdx at reset (so it is part of the VMSA and of the measurement).
 */
export const VCPU_TYPES = {
  'EPYC': [23, 1, 2], 'EPYC-v1': [23, 1, 2], 'EPYC-v2': [23, 1, 2], 'EPYC-IBPB': [23, 1, 2], 'EPYC-v3': [23, 1, 2], 'EPYC-v4': [23, 1, 2],
  'EPYC-Rome': [23, 49, 0], 'EPYC-Rome-v1': [23, 49, 0], 'EPYC-Rome-v2': [23, 49, 0], 'EPYC-Rome-v3': [23, 49, 0],
  'EPYC-Milan': [25, 1, 1], 'EPYC-Milan-v1': [25, 1, 1], 'EPYC-Milan-v2': [25, 1, 1],
  'EPYC-Genoa': [25, 17, 0], 'EPYC-Genoa-v1': [25, 17, 0],
  'EPYC-Turin': [26, 0, 0],
} as const satisfies Record<string, readonly [number, number, number]>;

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
