/**
 * Guest CPU → the signature QEMU puts in the VMSA's rdx (rule H5).
 *
 * libvirt passes a `<cpu mode='custom'><model>NAME</model>` to QEMU as `-cpu NAME` (the
 * x86 cpu_map model names are QEMU's), so both inputs end in a QEMU model name whose
 * family/model/stepping come from the QEMU model table (src/formats/snp/vcpu-types.ts).
 *
 * `host-model`: libvirt resolves it to a cpu_map model (x86UpdateHostModel, src/cpu/cpu_x86.c)
 * and runs QEMU with that model plus features. The model cannot be read from the domain XML;
 * it comes from the stack (`hostModel`, from `virsh domcapabilities`) or, when the host's
 * family/model equal the `<signature>` of libvirt's cpu_map EPYC models, from the host's
 * signature: every cpu_map model with that signature is a version of one QEMU model with the
 * same family/model/stepping, so the rdx is the same whichever version libvirt picks.
 */
import { PrelaunchError } from '../errors.js';
import { cpuSig, isVcpuType, VCPU_TYPES, type VcpuType } from '../formats/snp/vcpu-types.js';

/** libvirt src/cpu_map/x86_EPYC*.xml `<signature family= model=>` (libvirt 11.x), by model family. */
export const LIBVIRT_EPYC_SIGNATURES: ReadonlyArray<{ family: number; model: number; models: readonly string[] }> = [
  { family: 23, model: 1, models: ['EPYC', 'EPYC-IBPB', 'EPYC-v1', 'EPYC-v2', 'EPYC-v3', 'EPYC-v4', 'EPYC-v5'] },
  { family: 23, model: 49, models: ['EPYC-Rome', 'EPYC-Rome-v1', 'EPYC-Rome-v2', 'EPYC-Rome-v3', 'EPYC-Rome-v4', 'EPYC-Rome-v5'] },
  { family: 25, model: 1, models: ['EPYC-Milan', 'EPYC-Milan-v1', 'EPYC-Milan-v2', 'EPYC-Milan-v3'] },
  { family: 25, model: 17, models: ['EPYC-Genoa', 'EPYC-Genoa-v1', 'EPYC-Genoa-v2'] },
  { family: 26, model: 0, models: ['EPYC-Turin', 'EPYC-Turin-v1'] },
];

/** family, model, stepping of a CPUID(1).EAX signature. */
export function decodeSig(sig: number): { family: number; model: number; stepping: number } {
  const baseFamily = (sig >>> 8) & 0xf;
  const family = baseFamily === 0xf ? baseFamily + ((sig >>> 20) & 0xff) : baseFamily;
  const model = baseFamily === 0xf || baseFamily === 0x6 ? (((sig >>> 16) & 0xf) << 4) | ((sig >>> 4) & 0xf) : (sig >>> 4) & 0xf;
  return { family, model, stepping: sig & 0xf };
}

export interface CpuOverrides {
  family?: number;
  model?: number;
  stepping?: number;
}

/** The signature of QEMU model `name` with `-cpu NAME,family=…,model=…,stepping=…` applied. */
export function qemuModelSig(name: string, o: CpuOverrides, where: string): number {
  if (!isVcpuType(name)) {
    throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${where}: CPU model ${JSON.stringify(name)} is not in prelaunch's QEMU model table (known: ${Object.keys(VCPU_TYPES).join(', ')}); give the signature with --host-cpu-sig only for -cpu host, or open an issue for the model`, { model: name });
  }
  const [f, m, s] = VCPU_TYPES[name as VcpuType];
  return cpuSig(o.family ?? f, o.model ?? m, o.stepping ?? s);
}

/** The cpu_map model libvirt resolves `host-model` to on a host with signature `sig`, or null if not decidable. */
export function hostModelFromSig(sig: number): string | null {
  const { family, model } = decodeSig(sig);
  const hit = LIBVIRT_EPYC_SIGNATURES.find((e) => e.family === family && e.model === model);
  return hit ? hit.models[0]! : null;
}
