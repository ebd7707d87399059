/**
 * libvirt domain XML (`virsh dumpxml`) → {@link LaunchDescription}, as libvirt turns it into
 * a QEMU command line (src/qemu/qemu_command.c qemuBuildSEVCommandLine,
 * qemuBuildSEVSNPCommandLine, qemuBuildTDXCommandLine, qemuBuildCpuCommandLine,
 * qemuBuildSmpCommandLine) and picks firmware (src/qemu/qemu_firmware.c, see
 * ./firmware-descriptors.ts).
 */
import { fromBase64, utf8 } from '../bytes/hex.js';
import { PrelaunchError } from '../errors.js';
import { selectFirmware, type FirmwareDescriptor, type FirmwareRequest } from './firmware-descriptors.js';
import type { GuestCpu, GuestType, LaunchDescription } from './launch.js';
import { child, childrenNamed, parseXml, type XmlElement } from './xml.js';
import { confidentialRefusal, type VtpmLaunch } from './vtpm-launch.js';

function bad(file: string, problem: string): PrelaunchError {
  return new PrelaunchError('ERR_MALFORMED', `${file}: ${problem}`, { file });
}

const LS_CHILDREN: Record<string, readonly string[]> = {
  sev: ['cbitpos', 'reducedPhysBits', 'policy', 'dhCert', 'session'],
  'sev-snp': ['cbitpos', 'reducedPhysBits', 'policy', 'guestVisibleWorkarounds', 'idBlock', 'idAuth', 'hostData'],
  tdx: ['policy', 'mrConfigId', 'mrOwner', 'mrOwnerConfig', 'quoteGenerationService'],
};
const LS_ATTRS: Record<string, readonly string[]> = {
  sev: ['type', 'kernelHashes'],
  'sev-snp': ['type', 'kernelHashes', 'authorKey', 'vcek'],
  tdx: ['type'],
};

function yesNo(file: string, where: string, v: string | undefined): boolean | null {
  if (v === undefined) return null;
  if (v === 'yes') return true;
  if (v === 'no') return false;
  throw bad(file, `${where}='${v}' is not yes or no`);
}

function uint(file: string, where: string, text: string, max: bigint): bigint {
  const t = text.trim();
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(t)) throw bad(file, `${where} ${JSON.stringify(t)} is not a number`);
  const n = BigInt(t);
  if (n > max) throw bad(file, `${where} ${t} is too large`);
  return n;
}

export interface LibvirtParseOptions {
  /** the firmware descriptors to autoselect from (firmware='efi') */
  descriptors?: FirmwareDescriptor[];
  resolvePath?: (p: string) => string;
}

/** <vcpu current='N'>M</vcpu> → -smp N,maxcpus=M (qemuBuildSmpCommandLine) */
function domainVcpus(root: XmlElement, file: string, notes: string[]): { cur: number; max: number } {
  const vcpuEl = child(root, 'vcpu');
  if (!vcpuEl) throw bad(file, 'no <vcpu>');
  const max = Number(uint(file, '<vcpu>', vcpuEl.text, 4096n));
  const cur = vcpuEl.attrs.current !== undefined ? Number(uint(file, "<vcpu current=''>", vcpuEl.attrs.current, 4096n)) : max;
  if (cur < 1 || cur > max) throw bad(file, `<vcpu current='${cur}'>${max}</vcpu> is not a valid count`);
  const vcpusEl = child(root, 'vcpus');
  if (vcpusEl) {
    const enabled = childrenNamed(vcpusEl, 'vcpu').filter((v) => v.attrs.enabled === 'yes').length;
    if (enabled !== cur) throw bad(file, `<vcpus> enables ${enabled} vCPUs but <vcpu current> says ${cur}`);
  }
  notes.push(`<vcpu${cur !== max ? ` current='${cur}'` : ''}>${max}</vcpu>: ${cur} vCPUs at start`);

  return { cur, max };
}

/** The firmware of <os>: a <loader> path, or autoselection among QEMU firmware descriptors (<os firmware='efi'>, qemu_firmware.c). */
function domainFirmware(root: XmlElement, file: string, securityFeatures: string[], opts: LibvirtParseOptions, notes: string[]): { os: XmlElement; machine: string | null; firmware: LaunchDescription['firmware'] } {
  const resolve = opts.resolvePath ?? ((p: string) => p);
  const os = child(root, 'os');
  if (!os) throw bad(file, 'no <os>');
  const type = child(os, 'type');
  const arch = type?.attrs.arch ?? 'x86_64';
  if (arch !== 'x86_64') throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${file}: arch ${arch}: only x86_64 guests are modelled`);
  const machine = type?.attrs.machine ?? null;
  const loader = child(os, 'loader');
  const loaderPath = loader?.text.trim() || null;
  const loaderType = (loader?.attrs.type as 'rom' | 'pflash' | undefined) ?? null;
  if (loaderType !== null && loaderType !== 'rom' && loaderType !== 'pflash') throw bad(file, `<loader type='${String(loaderType)}'> is not rom or pflash`);
  let firmware: LaunchDescription['firmware'];
  if (loaderPath) {
    if (loaderType === null) throw bad(file, "<loader> with a path but no type='rom' or type='pflash'");
    firmware = { path: resolve(loaderPath), device: loaderType === 'rom' ? 'memory' : 'flash', via: `<loader type='${loaderType}'>` };
  } else if (os.attrs.firmware === 'efi' || os.attrs.firmware === 'bios') {
    if (!machine) throw bad(file, "firmware autoselection needs the machine type (<os><type machine='…'>, as virsh dumpxml writes it)");
    const fwFeatures: Record<string, boolean> = {};
    const fwEl = child(os, 'firmware');
    if (fwEl) for (const f of childrenNamed(fwEl, 'feature')) fwFeatures[f.attrs.name ?? ''] = yesNo(file, `<firmware><feature name='${f.attrs.name}'> enabled`, f.attrs.enabled) ?? false;
    const features = child(root, 'features');
    const smm = features ? child(features, 'smm') : undefined;
    const pm = child(root, 'pm');
    const req: FirmwareRequest = {
      interface: os.attrs.firmware === 'efi' ? 'uefi' : 'bios',
      arch,
      machine,
      securityFeatures,
      secureBoot: fwFeatures['secure-boot'] ?? null,
      enrolledKeys: fwFeatures['enrolled-keys'] ?? null,
      smmOff: smm?.attrs.state === 'off',
      s3: (pm && child(pm, 'suspend-to-mem')?.attrs.enabled === 'yes') ?? false,
      s4: (pm && child(pm, 'suspend-to-disk')?.attrs.enabled === 'yes') ?? false,
      stateless: loader?.attrs.stateless === 'yes',
      loaderType,
    };
    const d = selectFirmware(opts.descriptors ?? [], req, file);
    firmware = { path: resolve(d.filename), device: d.device === 'memory' ? 'memory' : 'flash', via: `firmware descriptor ${d.path}` };
    notes.push(`firmware autoselected: ${d.path} → ${d.filename}`);
  } else throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${file}: no firmware: neither <os firmware='efi'> nor a <loader> path (libvirt would boot QEMU's default SeaBIOS, which is not modelled)`);
  return { os, machine, firmware };
}

export function parseLibvirtDomain(text: string, file: string, opts: LibvirtParseOptions = {}): LaunchDescription {
  const resolve = opts.resolvePath ?? ((p: string) => p);
  const root = parseXml(text, file);
  if (root.name !== 'domain') throw bad(file, `the root element is <${root.name}>, not <domain>: not a libvirt domain (virsh dumpxml NAME)`);
  if (root.attrs.type !== undefined && root.attrs.type !== 'kvm') throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${file}: <domain type='${root.attrs.type}'>: confidential guests run on kvm`);
  for (const c of root.children) {
    if (/:(commandline|capabilities|deprecation|override)$/.test(c.name)) throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${file}: <${c.name}> passes options to QEMU directly, which may change the measurement and is not modelled`, { file });
  }
  const ls = child(root, 'launchSecurity');
  if (!ls) throw bad(file, 'no <launchSecurity>: not a confidential guest');
  const lsType = ls.attrs.type ?? '';
  if (!(lsType in LS_CHILDREN)) throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${file}: <launchSecurity type='${lsType}'> is not modelled (sev, sev-snp, tdx)`);
  for (const a of Object.keys(ls.attrs)) if (!LS_ATTRS[lsType]!.includes(a)) throw bad(file, `<launchSecurity type='${lsType}'>: unknown attribute ${a}`);
  const props: Record<string, string> = {};
  for (const c of ls.children) {
    if (!LS_CHILDREN[lsType]!.includes(c.name)) throw bad(file, `<launchSecurity type='${lsType}'>: unknown element <${c.name}>`);
    props[c.name] = c.text.trim();
  }
  const notes: string[] = [];
  let guest: GuestType;
  let policy: bigint | null = null;
  if (lsType === 'sev') {
    // libvirt requires <policy> for sev; the ES bit (0x4) makes it SEV-ES (VIR_QEMU_FIRMWARE_AMD_SEV_ES_POLICY)
    policy = props.policy !== undefined ? uint(file, '<policy>', props.policy, 0xffff_ffffn) : 0x1n;
    guest = policy & 0x4n ? 'sev-es' : 'sev';
  } else if (lsType === 'sev-snp') {
    policy = props.policy !== undefined ? uint(file, '<policy>', props.policy, (1n << 64n) - 1n) : 0x30000n;
    guest = 'sev-snp';
  } else guest = 'tdx';
  const kernelHashes = yesNo(file, 'kernelHashes', ls.attrs.kernelHashes) ?? false;
  const b64 = (name: string, len: number | null, max?: number): Uint8Array | null => {
    if (props[name] === undefined) return null;
    const b = fromBase64(props[name]!);
    if (!b) throw bad(file, `<${name}> is not base64`);
    if ((len !== null && b.length !== len) || (max !== undefined && b.length > max)) throw bad(file, `<${name}> is ${b.length} bytes (QEMU needs ${len ?? `at most ${max}`})`);
    return b;
  };
  const idBlock = b64('idBlock', 96);
  const idAuth = b64('idAuth', null, 4096);
  const hostData = b64('hostData', 32);
  for (const n of ['mrConfigId', 'mrOwner', 'mrOwnerConfig']) b64(n, 48);

  const { cur, max } = domainVcpus(root, file, notes);

  // guest CPU
  const cpuEl = child(root, 'cpu');
  let cpu: GuestCpu = { kind: 'none' };
  if (cpuEl) {
    const model = child(cpuEl, 'model');
    const mode = cpuEl.attrs.mode ?? 'custom';
    if (mode === 'custom' && !model && cpuEl.attrs.mode === undefined) cpu = { kind: 'none' }; // <cpu> with only a topology: no -cpu model
    else if (mode === 'host-passthrough') cpu = { kind: 'host', how: "<cpu mode='host-passthrough'> (-cpu host)" };
    else if (mode === 'maximum') cpu = { kind: 'host', how: "<cpu mode='maximum'> (-cpu max)" };
    else if (mode === 'host-model') cpu = { kind: 'host-model' };
    else if (mode === 'custom') {
      if (!model || !model.text.trim()) throw bad(file, "<cpu mode='custom'> without <model>");
      cpu = { kind: 'model', name: model.text.trim(), overrides: {} };
    } else throw bad(file, `<cpu mode='${mode}'> is not a libvirt CPU mode`);
  }

  // firmware
  const { os, machine, firmware } = domainFirmware(root, file, guest === 'sev' ? ['amd-sev'] : guest === 'sev-es' ? ['amd-sev', 'amd-sev-es'] : guest === 'sev-snp' ? ['amd-sev-snp'] : ['intel-tdx'], opts, notes);
  if (guest === 'tdx' && firmware.device === 'flash') throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${file}: TDX with pflash firmware (${firmware.via}): QEMU loads TDVF only as -bios; pflash is not modelled`);
  if (guest === 'sev-snp' && firmware.device === 'flash') throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${file}: SEV-SNP with pflash firmware (${firmware.via}): QEMU cannot launch it (stack rule H8; use a ROM/memory firmware such as OVMF.amdsev.fd)`);

  const kernel = child(os, 'kernel')?.text.trim() || null;
  const initrd = child(os, 'initrd')?.text.trim() || null;
  const cmdlineEl = child(os, 'cmdline');
  if ((initrd || cmdlineEl) && !kernel) throw bad(file, '<initrd>/<cmdline> without <kernel>');
  return {
    source: { kind: 'libvirt', file },
    guest,
    properties: { launchSecurity: lsType, ...Object.fromEntries(Object.entries(ls.attrs).filter(([k]) => k !== 'type')), ...props },
    policy,
    kernelHashes,
    legacyVmType: null, // libvirt (qemuBuildSEVCommandLine) sets no legacy-vm-type
    vcpus: cur,
    maxVcpus: max,
    cpu,
    firmware,
    kernel: kernel ? resolve(kernel) : null,
    initrd: initrd ? resolve(initrd) : null,
    append: cmdlineEl ? utf8(cmdlineEl.text) : null,
    idBlock,
    idAuth,
    authorKeyEnabled: yesNo(file, 'authorKey', ls.attrs.authorKey) ?? false,
    hostData,
    machine,
    notes,
  };
}

export type { XmlElement };

/** libvirt's memory units (virScaleInteger); the default is KiB. */
const MEMORY_UNITS: Record<string, number> = { b: 1, bytes: 1, kb: 1000, k: 1024, kib: 1024, mb: 1e6, m: 1024 ** 2, mib: 1024 ** 2, gb: 1e9, g: 1024 ** 3, gib: 1024 ** 3, tb: 1e12, t: 1024 ** 4, tib: 1024 ** 4 };

/** <devices> children that add no option ROM OVMF runs (PCR2) and no boot option (PCR1). */
const VTPM_NEUTRAL_DEVICES = new Set(['emulator', 'tpm', 'controller', 'serial', 'console', 'channel', 'input', 'graphics', 'video', 'memballoon', 'rng', 'audio']);

export interface VtpmLibvirtOptions extends LibvirtParseOptions {
  /** whether a file exists (the <nvram> path: libvirt copies the template there at first start) */
  exists?: (p: string) => boolean;
}

/**
 * A domain without <launchSecurity> that has a vTPM, as libvirt starts it: the inputs of
 * `prelaunch tpm predict` (src/stack/vtpm-launch.ts says what is refused and why).
 */
export function vtpmLaunchFromLibvirt(text: string, file: string, opts: VtpmLibvirtOptions = {}): VtpmLaunch {
  const resolve = opts.resolvePath ?? ((p: string) => p);
  const root = parseXml(text, file);
  if (root.name !== 'domain') throw bad(file, `the root element is <${root.name}>, not <domain>: not a libvirt domain (virsh dumpxml NAME)`);
  if (root.attrs.type !== undefined && root.attrs.type !== 'kvm' && root.attrs.type !== 'qemu') throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${file}: <domain type='${root.attrs.type}'>: only QEMU (kvm, qemu) guests are modelled`, { file });
  for (const c of root.children) {
    if (/:(commandline|capabilities|deprecation|override)$/.test(c.name)) throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${file}: <${c.name}> passes options to QEMU directly, which may change the measurement and is not modelled`, { file });
  }
  const unsupported = (problem: string): PrelaunchError => new PrelaunchError('ERR_UNSUPPORTED_STACK', `${file}: ${problem}`, { file });
  if (child(root, 'launchSecurity')) throw confidentialRefusal(file, `<launchSecurity type='${child(root, 'launchSecurity')!.attrs.type ?? ''}'>`);
  const notes: string[] = [];

  // the vTPM (qemuBuildTPMCommandLine)
  const devices = child(root, 'devices');
  const tpms = devices ? childrenNamed(devices, 'tpm') : [];
  if (tpms.length === 0) throw unsupported('no <devices><tpm>: the guest has no vTPM, so nothing is measured into one');
  if (tpms.length > 1) throw unsupported(`${tpms.length} <tpm> devices: the prediction is for one`);
  const tpm = tpms[0]!;
  const backend = child(tpm, 'backend');
  if (backend?.attrs.type !== 'emulator') throw unsupported(`<tpm><backend type='${backend?.attrs.type ?? ''}'>: only an emulated TPM (swtpm, type='emulator') is modelled; a passed-through TPM's PCRs already hold the host's measurements`);
  if (backend.attrs.version !== undefined && backend.attrs.version !== '2.0') throw unsupported(`<tpm><backend version='${backend.attrs.version}'>: only TPM 2.0 (crypto-agile log, sha256 and sha384 banks) is modelled`);
  const model = tpm.attrs.model ?? 'libvirt\'s default model';
  if (tpm.attrs.model !== undefined && tpm.attrs.model !== 'tpm-tis' && tpm.attrs.model !== 'tpm-crb') throw unsupported(`<tpm model='${tpm.attrs.model}'>: only tpm-tis and tpm-crb are modelled`);
  notes.push(`<tpm model='${model}'> (its active PCR banks are swtpm's: the prediction is for sha256 and sha384)`);
  for (const d of devices!.children) {
    if (!VTPM_NEUTRAL_DEVICES.has(d.name)) throw unsupported(`<devices><${d.name}>: not modelled for a vTPM prediction (${d.name === 'disk' ? 'a disk adds a boot option (PCR1)' : d.name === 'interface' ? 'a NIC adds iPXE\'s option ROM (PCR2) and a boot option (PCR1)' : 'a device may add an option ROM (PCR2) or a boot option (PCR1)'}); modelled: ${[...VTPM_NEUTRAL_DEVICES].join(', ')}`);
  }

  // firmware (<loader>/<nvram> or autoselection) and the machine
  const { os, machine, firmware } = domainFirmware(root, file, [], opts, notes);
  if (machine !== null && machine !== 'q35' && !/^pc-q35-[\d.]+$/.test(machine)) throw unsupported(`<os><type machine='${machine}'>: only q35 machines are modelled`);
  if (machine === null) throw unsupported('<os><type> names no machine: libvirt\'s default (pc, i440fx) is not modelled; give machine=\'q35\'');
  const bootmenu = child(os, 'bootmenu');
  if (bootmenu && bootmenu.attrs.enable === 'yes') throw unsupported('<os><bootmenu enable=\'yes\'> (-boot menu=on): not modelled');
  let vars: VtpmLaunch['vars'] = null;
  const nvram = child(os, 'nvram');
  if (firmware.device === 'flash') {
    const loader = child(os, 'loader');
    if (loader?.attrs.stateless === 'yes') notes.push('stateless firmware: no varstore');
    else if (!nvram) throw unsupported('no <nvram>: libvirt would create the varstore from its own template (qemu.conf nvram, or the descriptor\'s nvram-template); give <nvram template=\'…\'>PATH</nvram> as virsh dumpxml writes it');
    else {
      const p = nvram.text.trim();
      const template = nvram.attrs.template;
      const exists = opts.exists ?? (() => true);
      if (p && exists(resolve(p))) vars = { path: resolve(p), via: '<nvram>' };
      else if (template) {
        // qemuPrepareNVRAM: libvirt copies the template to the <nvram> path when that does not exist yet
        vars = { path: resolve(template), via: '<nvram template>' };
        notes.push(`${p ? `<nvram> ${p} does not exist yet: ` : ''}the varstore is a copy of its template ${template} (libvirt qemuPrepareNVRAM)`);
      } else throw unsupported(`<nvram> ${p || '(no path)'} does not exist and has no template: the varstore is unknown`);
    }
  } else if (nvram) throw unsupported(`<nvram> with ${firmware.via}: QEMU maps no varstore next to a ROM image`);

  // direct boot
  const kernel = child(os, 'kernel')?.text.trim() || null;
  const initrd = child(os, 'initrd')?.text.trim() || null;
  const cmdlineEl = child(os, 'cmdline');
  if (!kernel) throw unsupported('no <os><kernel>: only direct kernel boot is modelled');

  // memory: <memory> is QEMU's -m (qemuBuildMemCommandLine); <maxMemory> adds hot-pluggable slots
  if (child(root, 'maxMemory')) throw unsupported('<maxMemory>: memory hotplug slots are not modelled');
  const memEl = child(root, 'memory');
  if (!memEl) throw bad(file, 'no <memory>');
  const unit = (memEl.attrs.unit ?? 'KiB').toLowerCase();
  const scale = MEMORY_UNITS[unit];
  if (scale === undefined) throw bad(file, `<memory unit='${memEl.attrs.unit}'> is not a libvirt unit`);
  const bytes = Number(uint(file, '<memory>', memEl.text, 1n << 40n)) * scale;
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % 4096 !== 0) throw bad(file, `<memory> ${memEl.text.trim()} ${memEl.attrs.unit ?? 'KiB'} is not a positive whole number of 4 KiB pages`);
  const { cur } = domainVcpus(root, file, notes);
  return {
    source: { kind: 'libvirt', file },
    firmware: { path: firmware.path, via: firmware.via },
    vars,
    kernel: { path: resolve(kernel), via: '<kernel>' },
    initrd: initrd ? { path: resolve(initrd), via: '<initrd>' } : null,
    append: cmdlineEl ? { bytes: utf8(cmdlineEl.text), via: '<cmdline>' } : null,
    memory: { bytes, via: '<memory>' },
    vcpus: { count: cur, via: '<vcpu>' },
    tpm: tpm.attrs.model ?? 'default',
    notes,
  };
}
