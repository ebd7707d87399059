/**
 * Host stacks as a golden-matrix dimension (`matrix.stacks` in a manifest): each stack
 * derives, per mode, the VMM, VMSA generation and SEV features by the stack rules
 * (src/stack/rules.ts), and the entries it produces carry the stack's name.
 */
import { OptionError, PrelaunchError } from '../errors.js';
import type { VmmType } from '../formats/snp/vmsa-profiles.js';
import { resolveStack, STACK_VMMS, type StackVmm } from '../stack/model.js';
import { deriveSev } from '../stack/rules.js';
import type { GoldenMatrix, GoldenMode } from './matrix.js';

/** A stack as the manifest names it (plain data: it crosses to worker threads). */
export interface GoldenStack {
  name: string;
  vmm: StackVmm;
  qemu: string | null;
  hostKernel: string | null;
}

const KEYS = new Set(['name', 'vmm', 'qemu', 'hostKernel']);

export function parseStacks(value: unknown, where: string): GoldenStack[] {
  if (!Array.isArray(value) || value.length === 0) throw new OptionError(where, 'must be a non-empty list of stacks ({"name", "qemu", "hostKernel"} or {"name", "vmm": "ec2"|"ec2-legacy"|"gce"})');
  const names = new Set<string>();
  return value.map((s, i) => {
    const w = `${where}[${i}]`;
    if (!s || typeof s !== 'object' || Array.isArray(s)) throw new OptionError(w, 'must be an object');
    const o = s as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!KEYS.has(k)) throw new OptionError(w, `unknown key "${k}" (name, vmm, qemu, hostKernel)`);
    for (const k of KEYS) if (o[k] !== undefined && typeof o[k] !== 'string') throw new OptionError(`${w}.${k}`, 'must be a string');
    const vmm = (o.vmm ?? 'QEMU') as StackVmm;
    if (!STACK_VMMS.includes(vmm)) throw new OptionError(`${w}.vmm`, `${JSON.stringify(vmm)} is not QEMU, ec2, ec2-legacy or gce`);
    const st: GoldenStack = { name: '', vmm, qemu: (o.qemu as string | undefined) ?? null, hostKernel: (o.hostKernel as string | undefined) ?? null };
    st.name = (o.name as string | undefined) ?? (vmm === 'QEMU' ? `qemu-${st.qemu}/linux-${st.hostKernel}` : vmm);
    if (names.has(st.name)) throw new OptionError(`${w}.name`, `${JSON.stringify(st.name)} names an earlier stack too`);
    names.add(st.name);
    // validate the versions now (a bad version is a manifest error)
    resolveStack({ ...(st.qemu !== null ? { qemuVersion: st.qemu } : {}), ...(st.hostKernel !== null ? { hostKernel: st.hostKernel } : {}) }, false);
    return st;
  });
}

/** One sub-matrix per (stack, mode): what the stack derives, in the matrix's own terms. */
export function expandStacks(m: GoldenMatrix): Array<{ stack: string; matrix: GoldenMatrix }> {
  const out: Array<{ stack: string; matrix: GoldenMatrix }> = [];
  for (const s of m.stacks ?? []) {
    const hs = resolveStack({ ...(s.qemu !== null ? { qemuVersion: s.qemu } : {}), ...(s.hostKernel !== null ? { hostKernel: s.hostKernel } : {}), file: { name: `stack ${s.name}`, doc: { prelaunchStack: 1, vmm: s.vmm } } }, false)!;
    const vmm: VmmType = s.vmm === 'QEMU' ? 'QEMU' : s.vmm === 'gce' ? 'gce' : 'ec2';
    for (const mode of m.modes as GoldenMode[]) {
      let d;
      try {
        d = deriveSev(hs, mode === 'snp' ? 'sev-snp' : mode === 'seves' ? 'sev-es' : 'sev', null);
      } catch (e) {
        if (e instanceof PrelaunchError) throw new PrelaunchError(e.code, `matrix.stacks ${s.name}, mode ${mode}: ${e.message}`, e.data);
        throw e;
      }
      out.push({
        stack: s.name,
        matrix: { ...m, stacks: null, modes: [mode], vmmTypes: [vmm], vmsaProfiles: mode === 'sev' ? null : [d.vmsaProfile], guestFeatures: mode === 'snp' ? [d.guestFeatures] : m.guestFeatures },
      });
    }
  }
  return out;
}
