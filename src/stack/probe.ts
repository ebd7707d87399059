/**
 * `prelaunch host probe`: what a host tells without root about the stack it launches guests
 * on, as a stack file (./model.ts). Everything is read through {@link ProbeHost}, so the probe
 * runs on fixture files in tests and on `/` on a real host.
 */
import { cpuSig } from '../formats/snp/vcpu-types.js';
import { STACK_FORMAT_VERSION } from './model.js';
import { parseVersion } from './version.js';
import { child, childrenNamed, parseXml } from './xml.js';

export interface ProbeHost {
  /** a file's text, or null when it cannot be read */
  readFile(path: string): string | null;
  /** the names in a directory, or null */
  readDir(path: string): string[] | null;
  /** a command's stdout, or null when it cannot be run or fails */
  run(command: string, args: string[]): string | null;
}

export interface ProbeResult {
  /** the stack file */
  stack: Record<string, unknown>;
  /** what was read from where, and what could not be */
  notes: string[];
}

/** CPUID(1).EAX of the first processor in /proc/cpuinfo (x86). */
export function cpuinfoSig(text: string): { sig: number; vendor: string | null; modelName: string | null } | null {
  const first = text.split(/\n\s*\n/)[0] ?? '';
  const field = (name: string): string | null => {
    const m = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(first);
    return m ? m[1]!.trim() : null;
  };
  const fam = field('cpu family');
  const model = field('model');
  const step = field('stepping');
  if (fam === null || model === null || step === null || !/^\d+$/.test(fam) || !/^\d+$/.test(model) || !/^\d+$/.test(step)) return null;
  try {
    return { sig: cpuSig(Number(fam), Number(model), Number(step)), vendor: field('vendor_id'), modelName: field('model name') };
  } catch {
    return null;
  }
}

/** The host-model CPU of `virsh domcapabilities` (<cpu><mode name='host-model' supported='yes'><model>…). */
export function domcapsHostModel(xml: string): string | null {
  try {
    const root = parseXml(xml, 'domcapabilities');
    const cpu = child(root, 'cpu');
    const mode = cpu ? childrenNamed(cpu, 'mode').find((m) => m.attrs.name === 'host-model' && m.attrs.supported !== 'no') : undefined;
    const model = mode ? child(mode, 'model') : undefined;
    return model?.text.trim() || null;
  } catch {
    return null;
  }
}

export function probeHost(h: ProbeHost): ProbeResult {
  const notes: string[] = [];
  const stack: Record<string, unknown> = { prelaunchStack: STACK_FORMAT_VERSION, vmm: 'QEMU' };
  const qv = h.run('qemu-system-x86_64', ['--version']) ?? h.run('qemu-kvm', ['--version']);
  const qemu = qv ? parseVersion(qv.split('\n')[0]!.replace(/^.*?version\s+/i, '')) : null;
  if (qemu) {
    stack.qemu = qemu.text.split(/\s/)[0];
    notes.push(`qemu: ${qv!.split('\n')[0]}`);
  } else notes.push('qemu: qemu-system-x86_64 --version gave nothing (give --qemu-version when measuring)');
  const rel = h.readFile('/proc/sys/kernel/osrelease')?.trim() ?? h.run('uname', ['-r'])?.trim() ?? null;
  if (rel && parseVersion(rel)) {
    stack.hostKernel = rel;
    notes.push(`host kernel: ${rel}`);
  } else notes.push('host kernel: /proc/sys/kernel/osrelease unreadable');
  const lv = h.run('virsh', ['--version']);
  if (lv && parseVersion(lv.trim())) {
    stack.libvirt = lv.trim();
    notes.push(`libvirt: ${lv.trim()}`);
    const caps = h.run('virsh', ['domcapabilities', '--virttype', 'kvm', '--arch', 'x86_64']);
    const hm = caps ? domcapsHostModel(caps) : null;
    if (hm) {
      stack.hostModel = hm;
      notes.push(`libvirt host-model: ${hm} (virsh domcapabilities)`);
    } else notes.push('libvirt host-model: virsh domcapabilities gave no host-model CPU');
  } else notes.push('libvirt: virsh not found');
  const ci = h.readFile('/proc/cpuinfo');
  const cs = ci ? cpuinfoSig(ci) : null;
  if (cs) {
    stack.hostCpuSig = `0x${cs.sig.toString(16)}`;
    notes.push(`host CPU: ${cs.vendor ?? '?'} ${cs.modelName ?? ''} signature 0x${cs.sig.toString(16)}`.replace(/\s+/g, ' '));
  } else notes.push('host CPU: no family/model/stepping in /proc/cpuinfo');
  for (const mod of ['kvm_amd', 'kvm_intel']) {
    const dir = `/sys/module/${mod}/parameters`;
    const names = h.readDir(dir);
    if (!names) continue;
    const params: Record<string, string> = {};
    for (const n of names.sort()) {
      if (!['sev', 'sev_es', 'sev_snp', 'debug_swap', 'tdx', 'ciphertext_hiding_asids'].includes(n)) continue;
      const v = h.readFile(`${dir}/${n}`);
      if (v !== null) params[n] = v.trim();
    }
    if (Object.keys(params).length) {
      if (mod === 'kvm_amd') stack.kvmAmd = params;
      notes.push(`${mod}: ${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    }
  }
  return { stack, notes };
}
