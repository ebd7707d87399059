/**
 * QEMU firmware descriptors (docs/interop/firmware.json; /usr/share/qemu/firmware/*.json) and
 * libvirt's firmware autoselection (src/qemu/qemu_firmware.c qemuFirmwareFillDomain →
 * qemuFirmwareMatchDomain): descriptors are tried in file-name order and the first one that
 * matches the domain wins. A match needs the interface (uefi for firmware='efi'), a target
 * of the domain's architecture whose machine globs match the machine type, the launch
 * security feature (amd-sev; amd-sev-es when the SEV policy has the ES bit; amd-sev-snp;
 * intel-tdx), and agreement on secure-boot / enrolled-keys / SMM / ACPI S3-S4 / stateless
 * flash with what the domain asks for.
 */
import { PrelaunchError } from '../errors.js';

export interface FirmwareDescriptor {
  /** file name (sort key) and where it was read */
  name: string;
  path: string;
  interfaces: string[];
  device: 'memory' | 'flash' | 'kernel';
  /** memory: filename; flash: executable.filename */
  filename: string;
  flashMode: 'split' | 'combined' | 'stateless' | null;
  targets: Array<{ architecture: string; machines: string[] }>;
  features: string[];
}

function bad(path: string, problem: string): PrelaunchError {
  return new PrelaunchError('ERR_MALFORMED', `firmware descriptor ${path}: ${problem}`, { file: path });
}

export function parseFirmwareDescriptor(text: string, name: string, path: string): FirmwareDescriptor {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    throw bad(path, 'not JSON');
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw bad(path, 'not a JSON object');
  const d = j as Record<string, unknown>;
  const strs = (v: unknown, what: string): string[] => {
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad(path, `"${what}" must be a list of strings`);
    return v as string[];
  };
  const mapping = d.mapping as Record<string, unknown> | undefined;
  if (!mapping || typeof mapping !== 'object') throw bad(path, 'no "mapping"');
  const device = mapping.device;
  let filename: string;
  let flashMode: FirmwareDescriptor['flashMode'] = null;
  if (device === 'memory' || device === 'kernel') {
    if (typeof mapping.filename !== 'string') throw bad(path, `"mapping" of device ${device} has no "filename"`);
    filename = mapping.filename;
  } else if (device === 'flash') {
    const exe = mapping.executable as Record<string, unknown> | undefined;
    if (!exe || typeof exe.filename !== 'string') throw bad(path, 'flash "mapping" has no "executable" filename');
    filename = exe.filename;
    const mode = mapping.mode ?? 'split';
    if (mode !== 'split' && mode !== 'combined' && mode !== 'stateless') throw bad(path, `unknown flash mode ${JSON.stringify(mode)}`);
    flashMode = mode;
  } else throw bad(path, `unknown mapping device ${JSON.stringify(device)}`);
  const targets = (Array.isArray(d.targets) ? d.targets : []).map((t: unknown) => {
    const o = t as Record<string, unknown>;
    if (!o || typeof o.architecture !== 'string') throw bad(path, 'a target without "architecture"');
    return { architecture: o.architecture, machines: strs(o.machines ?? [], 'machines') };
  });
  return { name, path, interfaces: strs(d['interface-types'] ?? [], 'interface-types'), device, filename, flashMode, targets, features: strs(d.features ?? [], 'features') };
}

/** fnmatch(3) without flags, as libvirt uses for machine globs: *, ?, [...]. */
export function fnmatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const e = pattern.indexOf(']', i + 2);
      if (e < 0) re += '\\[';
      else {
        re += '[' + pattern.slice(i + 1, e).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = e;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$').test(s);
}

export interface FirmwareRequest {
  interface: 'uefi' | 'bios';
  arch: string;
  machine: string;
  /** amd-sev, amd-sev-es, amd-sev-snp, intel-tdx: every listed one is required */
  securityFeatures: string[];
  secureBoot: boolean | null;
  enrolledKeys: boolean | null;
  smmOff: boolean;
  s3: boolean;
  s4: boolean;
  /** <loader stateless='yes'> */
  stateless: boolean;
  /** <loader type=…> without a path */
  loaderType: 'rom' | 'pflash' | null;
}

/** Why `d` does not match, or null when it does (qemuFirmwareMatchDomain). */
export function descriptorMismatch(d: FirmwareDescriptor, r: FirmwareRequest): string | null {
  if (!d.interfaces.includes(r.interface)) return `interface ${r.interface} not offered`;
  if (!d.targets.some((t) => t.architecture === r.arch && t.machines.some((m) => fnmatch(m, r.machine)))) return `no target for ${r.arch} machine ${r.machine}`;
  for (const f of r.securityFeatures) if (!d.features.includes(f)) return `no feature ${f}`;
  const has = (f: string): boolean => d.features.includes(f);
  if (r.s3 && !has('acpi-s3')) return 'no acpi-s3';
  if (r.s4 && !has('acpi-s4')) return 'no acpi-s4';
  if (r.secureBoot === true && !has('secure-boot')) return 'no secure-boot';
  if (r.secureBoot === false && has('secure-boot')) return 'has secure-boot, which the domain refuses';
  if (r.enrolledKeys === true && !has('enrolled-keys')) return 'no enrolled-keys';
  if (r.enrolledKeys === false && has('enrolled-keys')) return 'has enrolled-keys, which the domain refuses';
  if (has('requires-smm') && r.smmOff) return 'requires SMM, which the domain turns off';
  if (d.device === 'kernel') return 'kernel mapping (not a firmware image)';
  if (d.device === 'flash') {
    if (r.stateless ? d.flashMode !== 'stateless' : d.flashMode !== 'split') return `flash mode ${d.flashMode} (the domain needs ${r.stateless ? 'stateless' : 'split'})`;
  }
  if (r.loaderType === 'rom' && d.device !== 'memory') return 'not a ROM (memory) image, as <loader type=\'rom\'> asks';
  if (r.loaderType === 'pflash' && d.device !== 'flash') return 'not a flash image, as <loader type=\'pflash\'> asks';
  return null;
}

/** The descriptor libvirt picks: the first in name order that matches. */
export function selectFirmware(descs: FirmwareDescriptor[], r: FirmwareRequest, where: string): FirmwareDescriptor {
  const sorted = [...descs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const why: string[] = [];
  for (const d of sorted) {
    const m = descriptorMismatch(d, r);
    if (m === null) return d;
    why.push(`${d.name}: ${m}`);
  }
  throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${where}: no firmware descriptor matches (${r.interface}, ${r.arch} ${r.machine}${r.securityFeatures.length ? `, ${r.securityFeatures.join('+')}` : ''})${why.length ? `: ${why.join('; ')}` : ': no descriptors found (give --firmware-descriptors DIR)'}`);
}
