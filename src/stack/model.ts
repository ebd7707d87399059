/**
 * The host stack a confidential VM is launched on, as one explicit, versioned description.
 * Every version-dependent behaviour of a launch (VMSA generation, default SEV features, TDX
 * page order, ...) is derived from it by the named rules in ./rules.ts. It is written by
 * `prelaunch host probe` and read by `prelaunch measure --stack FILE` (format below, version 1):
 *
 * ```json
 * { "prelaunchStack": 1, "vmm": "QEMU", "qemu": "10.0.2", "hostKernel": "6.12.48+deb13-amd64",
 *   "libvirt": "11.3.0", "hostCpuSig": "0xa10f11", "hostModel": "EPYC-Genoa",
 *   "kvmAmd": { "sev": "Y", "sev_es": "Y", "sev_snp": "Y" } }
 * ```
 */
import { OptionError, PrelaunchError } from '../errors.js';
import { parseVersion, type Version } from './version.js';

export const STACK_FORMAT_VERSION = 1;

/** VMMs with their own VMSA conventions (H10): QEMU/KVM, AWS EC2 (since 2026 / before), Google GCE. */
export type StackVmm = 'QEMU' | 'ec2' | 'ec2-legacy' | 'gce';
export const STACK_VMMS: readonly StackVmm[] = ['QEMU', 'ec2', 'ec2-legacy', 'gce'];

export interface HostStack {
  vmm: StackVmm;
  /** QEMU version (`qemu-system-x86_64 --version`) */
  qemu: Version | null;
  /** host kernel release (`uname -r`) */
  hostKernel: Version | null;
  /** libvirt version, where libvirt launches the guest */
  libvirt: Version | null;
  /** the host's CPUID(1).EAX, for `-cpu host` / host-passthrough */
  hostCpuSig: number | null;
  /** the CPU model libvirt resolves `host-model` to (virsh domcapabilities) */
  hostModel: string | null;
  /** /sys/module/kvm_amd/parameters/* as read on the host */
  kvmAmd: Readonly<Record<string, string>>;
  /** where each field came from: 'flag', 'file', 'default' */
  origin: Readonly<Record<string, string>>;
}

/**
 * The stack assumed when --from-qemu / --from-libvirt get none: the newest versions whose
 * sources the rules were checked against (QEMU 11.1.3 and Linux 7.2, Debian sid; libvirt 11.3).
 */
export const DEFAULT_STACK = { qemu: '11.1.3', hostKernel: '7.2.0', libvirt: '11.3.0' } as const;

/** A host kernel from AMD's out-of-tree SNP host branch (`uname -r` like 6.6.0-rc1-snp-host-5a170ce1a082). */
export function isAmdSnpHostKernel(v: Version): boolean {
  return /snp-host/.test(v.text);
}

export interface StackInputs {
  qemuVersion?: string;
  hostKernel?: string;
  libvirtVersion?: string;
  hostCpuSig?: string;
  hostModel?: string;
  /** a parsed stack file and its name */
  file?: { name: string; doc: unknown };
}

function version(flag: string, text: string): Version {
  const v = parseVersion(text);
  if (!v) throw new OptionError(flag, `${JSON.stringify(text)} is not a version (e.g. 10.1.0, 6.12.48+deb13-amd64)`);
  return v;
}

function sig(flag: string, text: string): number {
  const t = text.trim();
  const n = /^0x[0-9a-f]{1,8}$/i.test(t) ? parseInt(t.slice(2), 16) : /^\d{1,10}$/.test(t) ? Number(t) : NaN;
  if (!Number.isInteger(n) || n > 0xffff_ffff) throw new OptionError(flag, `${JSON.stringify(text)} is not a CPUID signature (a u32, e.g. 0xa10f11)`);
  return n;
}

function fileError(name: string, problem: string): PrelaunchError {
  return new PrelaunchError('ERR_MALFORMED', `--stack ${name}: ${problem}`, { file: name });
}

const FILE_KEYS = new Set(['prelaunchStack', 'vmm', 'qemu', 'hostKernel', 'libvirt', 'hostCpuSig', 'hostModel', 'kvmAmd', 'host', 'notes']);

/**
 * The stack from flags and/or a stack file (flags win), with defaults for what neither gives
 * when `withDefaults` (the --from-qemu / --from-libvirt case). Returns null when nothing
 * describes a stack and no defaults are wanted.
 */
export function resolveStack(inp: StackInputs, withDefaults: boolean): HostStack | null {
  const origin: Record<string, string> = {};
  const fromFile: Record<string, unknown> = {};
  if (inp.file) {
    const d = inp.file.doc;
    if (!d || typeof d !== 'object' || Array.isArray(d)) throw fileError(inp.file.name, 'is not a JSON object');
    const doc = d as Record<string, unknown>;
    if (doc.prelaunchStack !== STACK_FORMAT_VERSION) throw fileError(inp.file.name, `is not a prelaunch stack file of format ${STACK_FORMAT_VERSION} ("prelaunchStack": ${STACK_FORMAT_VERSION}; write one with \`prelaunch host probe\`)`);
    for (const k of Object.keys(doc)) if (!FILE_KEYS.has(k)) throw fileError(inp.file.name, `unknown key "${k}"`);
    for (const k of ['vmm', 'qemu', 'hostKernel', 'libvirt', 'hostCpuSig', 'hostModel'] as const) {
      if (doc[k] === undefined || doc[k] === null) continue;
      if (typeof doc[k] !== 'string') throw fileError(inp.file.name, `"${k}" must be a string`);
      fromFile[k] = doc[k];
    }
    if (doc.kvmAmd !== undefined) {
      const kv = doc.kvmAmd;
      if (!kv || typeof kv !== 'object' || Array.isArray(kv) || !Object.values(kv).every((v) => typeof v === 'string')) throw fileError(inp.file.name, '"kvmAmd" must map parameter names to strings');
      fromFile.kvmAmd = kv;
    }
  }
  const pick = (key: string, flagValue: string | undefined, flag: string): [string, string] | null => {
    if (flagValue !== undefined) return [flagValue, flag];
    if (typeof fromFile[key] === 'string') return [fromFile[key] as string, `--stack ${inp.file!.name}`];
    return null;
  };
  const any = [inp.qemuVersion, inp.hostKernel, inp.libvirtVersion, inp.hostCpuSig, inp.hostModel, inp.file].some((v) => v !== undefined);
  if (!any && !withDefaults) return null;

  // the VMM comes from the stack file only (EC2 and GCE are not described by versions)
  const vmm = (typeof fromFile.vmm === 'string' ? fromFile.vmm : 'QEMU') as StackVmm;
  if (!STACK_VMMS.includes(vmm)) throw fileError(inp.file!.name, `unknown "vmm" ${JSON.stringify(vmm)} (QEMU, ec2, ec2-legacy or gce)`);
  origin.vmm = typeof fromFile.vmm === 'string' ? 'file' : 'default';

  const ver = (key: 'qemu' | 'hostKernel' | 'libvirt', flagValue: string | undefined, flag: string, def: string | null): Version | null => {
    const p = pick(key, flagValue, flag);
    if (p) {
      origin[key] = p[1] === flag ? 'flag' : 'file';
      return version(p[1] === flag ? flag : '--stack', p[0]);
    }
    if (def !== null && withDefaults && vmm === 'QEMU') {
      origin[key] = 'default';
      return parseVersion(def);
    }
    return null;
  };
  const qemu = ver('qemu', inp.qemuVersion, '--qemu-version', DEFAULT_STACK.qemu);
  const hostKernel = ver('hostKernel', inp.hostKernel, '--host-kernel', DEFAULT_STACK.hostKernel);
  const libvirt = ver('libvirt', inp.libvirtVersion, '--libvirt-version', null);
  const sigP = pick('hostCpuSig', inp.hostCpuSig, '--host-cpu-sig');
  const hostCpuSig = sigP ? sig(sigP[1] === '--host-cpu-sig' ? '--host-cpu-sig' : '--stack', sigP[0]) : null;
  if (sigP) origin.hostCpuSig = sigP[1] === '--host-cpu-sig' ? 'flag' : 'file';
  const modelP = pick('hostModel', inp.hostModel, '--host-model');
  if (modelP) origin.hostModel = modelP[1] === '--host-model' ? 'flag' : 'file';
  return {
    vmm,
    qemu,
    hostKernel,
    libvirt,
    hostCpuSig,
    hostModel: modelP ? modelP[0] : null,
    kvmAmd: (fromFile.kvmAmd as Record<string, string> | undefined) ?? {},
    origin,
  };
}

/** The stack as the JSON report and the stack file write it. */
export function stackJson(s: HostStack): Record<string, unknown> {
  return {
    vmm: s.vmm,
    qemu: s.qemu?.text ?? null,
    hostKernel: s.hostKernel?.text ?? null,
    libvirt: s.libvirt?.text ?? null,
    hostCpuSig: s.hostCpuSig !== null ? `0x${s.hostCpuSig.toString(16)}` : null,
    hostModel: s.hostModel,
    ...(Object.keys(s.kvmAmd).length ? { kvmAmd: s.kvmAmd } : {}),
    origin: s.origin,
  };
}

/** One line for notes: `QEMU 11.1.3, Linux 7.2.0 (assumed: qemu, hostKernel)`. */
export function describeStack(s: HostStack): string {
  const parts = [s.vmm !== 'QEMU' ? `VMM ${s.vmm}` : null, s.qemu ? `QEMU ${s.qemu.text}` : null, s.hostKernel ? `Linux ${s.hostKernel.text}` : null, s.libvirt ? `libvirt ${s.libvirt.text}` : null].filter(Boolean);
  const assumed = Object.entries(s.origin).filter(([k, o]) => o === 'default' && k !== 'vmm').map(([k]) => k);
  return parts.join(', ') + (assumed.length ? ` (assumed: ${assumed.join(', ')})` : '');
}
