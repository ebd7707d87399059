/**
 * A QEMU command line (shell script, `ps` line or /proc/PID/cmdline) → {@link LaunchDescription}.
 *
 * Every option that changes an SEV/SNP/TDX launch measurement is applied or refused: the
 * confidential-guest object and its properties (QEMU target/i386/sev.c, kvm/tdx.c property
 * lists), -machine confidential-guest-support/memory-encryption, -smp, -cpu, -bios, pflash,
 * -kernel/-initrd/-append. Options that cannot change it are accepted; options that could
 * change it in ways not modelled (-dtb, -device loader, -global on the guest objects, -set,
 * -readconfig, IGVM) and options this parser does not know are refused, naming the option.
 */
import { fromBase64 } from '../bytes/hex.js';
import { PrelaunchError } from '../errors.js';
import type { GuestCpu, GuestType, LaunchDescription } from './launch.js';
import type { LegacyVmType } from './rules.js';
import { shellCommands, wordText, type ShellWord } from './shell-words.js';

/** Options that take no argument (qemu-options.hx entries without HAS_ARG) that a launch may carry. */
const FLAG_OPTIONS = new Set([
  'enable-kvm', 'nographic', 'no-reboot', 'no-shutdown', 'S', 'daemonize', 'nodefaults', 'no-user-config', 'snapshot',
  'no-hpet', 'full-screen', 'no-fd-bootchk', 's', 'preconfig', 'only-migratable', 'no-quit', 'usb', 'win2k-hack',
  'alt-grab', 'ctrl-grab', 'semihosting', 'enable-sync-profile', 'nic-off',
]);

/** Options with one argument that cannot change a confidential launch measurement. */
const NEUTRAL_OPTIONS = new Set([
  'name', 'uuid', 'm', 'accel', 'netdev', 'nic', 'net', 'chardev', 'serial', 'monitor', 'mon', 'qmp', 'qmp-pretty', 'vga', 'display', 'vnc', 'spice',
  'blockdev', 'cdrom', 'hda', 'hdb', 'hdc', 'hdd', 'boot', 'rtc', 'pidfile', 'D', 'd', 'trace', 'msg', 'sandbox', 'overcommit', 'numa', 'parallel',
  'debugcon', 'runas', 'run-with', 'k', 'audiodev', 'audio', 'watchdog-action', 'action', 'incoming', 'loadvm', 'L', 'mem-path', 'mem-prealloc',
  'object', 'fsdev', 'virtfs', 'iscsi', 'add-fd', 'chroot', 'g', 'icount', 'seed', 'compat', 'smbios', 'fw_cfg', 'drive', 'device', 'machine', 'M',
  'smp', 'cpu', 'bios', 'pflash', 'kernel', 'initrd', 'append', 'dtb', 'global', 'set', 'readconfig', 'plugin', 'semihosting-config', 'tpmdev',
  'usbdevice', 'fda', 'fdb', 'mtdblock', 'sd', 'xen-domid', 'cpu-throttle', 'msg', 'vmcoreinfo', 'device-list',
]);

const BOOL_TRUE = new Set(['on', 'yes', 'true', 'y']);
const BOOL_FALSE = new Set(['off', 'no', 'false', 'n']);

/** QEMU's key=value syntax (`,,` escapes a comma); the first item may be implied (`-smp 4`, `-cpu EPYC`). */
export function parseKeyval(text: string, implied: string | null): Array<[string, string]> {
  const items: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ',') {
      if (text[i + 1] === ',') {
        cur += ',';
        i++;
      } else {
        items.push(cur);
        cur = '';
      }
    } else cur += c;
  }
  items.push(cur);
  const out: Array<[string, string]> = [];
  items.forEach((it, idx) => {
    const eq = it.indexOf('=');
    if (eq < 0) {
      if (idx === 0 && implied !== null) out.push([implied, it]);
      else out.push([it, '']);
    } else out.push([it.slice(0, eq), it.slice(eq + 1)]);
  });
  return out;
}

interface CgsSpec {
  /** properties every object of the type accepts, and the QEMU version that added each */
  props: Record<string, string>;
}

/** QOM properties, from QEMU target/i386/sev.c (sev_common_class_init, sev_guest_class_init, sev_snp_guest_class_init) and target/i386/kvm/tdx.c (tdx_guest_init). */
export const CGS_OBJECTS: Record<string, CgsSpec> = {
  'sev-guest': { props: { id: '0', 'sev-device': '0', cbitpos: '0', 'reduced-phys-bits': '0', 'kernel-hashes': '7.0', 'dh-cert-file': '0', 'session-file': '0', policy: '0', handle: '0', 'legacy-vm-type': '9.1' } },
  'sev-snp-guest': { props: { id: '0', 'sev-device': '0', cbitpos: '0', 'reduced-phys-bits': '0', 'kernel-hashes': '0', policy: '0', 'guest-visible-workarounds': '0', 'id-block': '0', 'id-auth': '0', 'author-key-enabled': '0', 'vcek-disabled': '0', 'host-data': '0', 'secure-tsc': '10.2', 'tsc-frequency': '10.2' } },
  'tdx-guest': { props: { id: '0', attributes: '0', 'sept-ve-disable': '0', mrconfigid: '0', mrowner: '0', mrownerconfig: '0', 'quote-generation-socket': '0' } },
};

const GUEST_OF: Record<string, GuestType> = { 'sev-guest': 'sev', 'sev-snp-guest': 'sev-snp', 'tdx-guest': 'tdx' };

function bad(file: string, problem: string): PrelaunchError {
  return new PrelaunchError('ERR_MALFORMED', `${file}: ${problem}`, { file });
}
function unsupported(file: string, problem: string): PrelaunchError {
  return new PrelaunchError('ERR_UNSUPPORTED_STACK', `${file}: ${problem}`, { file });
}

function toBool(file: string, where: string, v: string | number | boolean): boolean {
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (BOOL_TRUE.has(s)) return true;
  if (BOOL_FALSE.has(s)) return false;
  throw bad(file, `${where}: ${JSON.stringify(v)} is not on/off`);
}

function toUint(file: string, where: string, v: string | number | boolean, max: bigint): bigint {
  let n: bigint | null = null;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) n = BigInt(v);
  else if (typeof v === 'string' && /^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(v)) n = BigInt(/^0[0-7]+$/.test(v) ? `0o${v.slice(1)}` : v);
  if (n === null || n > max) throw bad(file, `${where}: ${JSON.stringify(v)} is not an integer in 0..0x${max.toString(16)}`);
  return n;
}

function b64(file: string, where: string, v: string | number | boolean, len: number | null, maxLen?: number): Uint8Array {
  const b = typeof v === 'string' ? fromBase64(v) : null;
  if (!b) throw bad(file, `${where}: not base64`);
  if (len !== null && b.length !== len) throw bad(file, `${where}: ${b.length} bytes, QEMU requires ${len}`);
  if (maxLen !== undefined && b.length > maxLen) throw bad(file, `${where}: ${b.length} bytes, QEMU accepts at most ${maxLen}`);
  return b;
}

export interface QemuParseOptions {
  /** resolve a path from the command line (relative to the current directory) */
  resolvePath?: (p: string) => string;
  /** QEMU version, to refuse properties the version does not have */
  qemuVersionAtLeast?: (v: string) => boolean;
}

/** What one QEMU command line says, option by option, before it is read as a confidential launch or a vTPM launch. */
export interface QemuScan {
  machine: Record<string, string>;
  objects: Array<{ type: string; props: Record<string, string | number | boolean>; form: string }>;
  smp: Array<[string, string]> | null;
  cpu: string | null;
  bios: string | null;
  pflash: Array<{ unit: number; file: string; via: string }>;
  kernel: string | null;
  initrd: string | null;
  append: Uint8Array | null;
  /** -m, as given */
  memory: string | null;
  /** -tpmdev arguments */
  tpmdevs: string[];
  /** -device drivers, in order */
  devices: string[];
  /** -drive arguments that are not if=pflash, and -hda/-cdrom/-blockdev/… */
  disks: string[];
  /** -nic / -net / -netdev arguments (-nic none is kept too) */
  nets: Array<{ opt: string; arg: string }>;
  /** -fw_cfg arguments */
  fwCfg: string[];
  /** -boot arguments */
  boot: string[];
  /** -global arguments (those on the confidential-guest objects or CPUs are refused while scanning) */
  globals: string[];
  /** argument-less options given */
  flags: Set<string>;
}

/** Read the options of the one QEMU command in `text` (refusing what no reading models: -dtb, -device loader, -set, -readconfig, IGVM). */
export function scanQemuCommandLine(text: Uint8Array, file: string): QemuScan {
  const commands = shellCommands(text, file);
  const isQemu = (w: ShellWord): boolean => {
    const t = new TextDecoder().decode(w.bytes);
    const base = t.slice(t.lastIndexOf('/') + 1);
    return /^qemu-system-[\w-]+$/.test(base) || base === 'qemu-kvm';
  };
  const found: ShellWord[][] = [];
  for (const c of commands) {
    const i = c.findIndex(isQemu);
    if (i >= 0) found.push(c.slice(i + 1));
  }
  if (found.length === 0) {
    const viaVariable = commands.some((c) => c.some((w) => w.expansion));
    throw bad(file, `no QEMU command (qemu-system-x86_64 or qemu-kvm) found${viaVariable ? ' (a command built from shell variables is not expanded: give the command line as QEMU ran it, e.g. /proc/PID/cmdline)' : ''}`);
  }
  if (found.length > 1) throw bad(file, `${found.length} QEMU commands found: give one launch`);
  const args = found[0]!;

  const machine: Record<string, string> = {};
  const objects: QemuScan['objects'] = [];
  let smp: Array<[string, string]> | null = null;
  let cpu: string | null = null;
  let bios: string | null = null;
  const pflash: QemuScan['pflash'] = [];
  let kernel: string | null = null;
  let initrd: string | null = null;
  let append: Uint8Array | null = null;
  let memory: string | null = null;
  const tpmdevs: string[] = [];
  const devices: string[] = [];
  const disks: string[] = [];
  const nets: QemuScan['nets'] = [];
  const fwCfg: string[] = [];
  const boot: string[] = [];
  const globals: string[] = [];
  const flags = new Set<string>();

  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w.expansion) throw bad(file, `line ${w.line}: ${JSON.stringify(new TextDecoder().decode(w.bytes).slice(0, 40))} is an unexpanded shell expansion ($… or \`…\`): give the command line as QEMU ran it (e.g. /proc/PID/cmdline)`);
    const raw = wordText(w, file);
    if (!raw.startsWith('-') || raw === '-') {
      throw bad(file, `line ${w.line}: ${JSON.stringify(raw.slice(0, 60))} is not an option: \`ps\` joins arguments with spaces and loses their quoting (a quoted -append splits); give the script, or /proc/PID/cmdline`);
    }
    const opt = raw.replace(/^--?/, '');
    if (FLAG_OPTIONS.has(opt)) {
      flags.add(opt);
      continue;
    }
    if (!NEUTRAL_OPTIONS.has(opt)) throw bad(file, `line ${w.line}: unknown QEMU option -${opt} (prelaunch refuses options it does not know, since it cannot tell whether they change the measurement)`);
    const aw = args[++i];
    if (aw === undefined) throw bad(file, `-${opt} needs an argument`);
    if (aw.expansion) throw bad(file, `line ${aw.line}: the argument of -${opt} holds an unexpanded shell expansion ($… or \`…\`): give the command line as QEMU ran it (e.g. /proc/PID/cmdline)`);
    if (opt === 'append') {
      append = aw.bytes;
      continue;
    }
    const a = wordText(aw, file);
    switch (opt) {
      case 'machine':
      case 'M':
        for (const [k, v] of parseKeyval(a, 'type')) machine[k] = v;
        break;
      case 'smp':
        smp = [...(smp ?? []), ...parseKeyval(a, 'cpus')]; // -smp options merge (qemu_smp_opts merge_lists)
        break;
      case 'cpu':
        cpu = a;
        break;
      case 'bios':
        bios = a;
        break;
      case 'pflash':
        pflash.push({ unit: pflash.length, file: a, via: '-pflash' });
        break;
      case 'drive': {
        const kv = Object.fromEntries(parseKeyval(a, null));
        if (kv.if === 'pflash') {
          if (kv.file === undefined) throw bad(file, '-drive if=pflash without file=');
          const unit = kv.unit !== undefined ? Number(kv.unit) : pflash.length;
          pflash.push({ unit, file: kv.file, via: `-drive if=pflash,unit=${unit}` });
        } else disks.push(`-drive ${a}`);
        break;
      }
      case 'blockdev':
      case 'cdrom':
      case 'hda':
      case 'hdb':
      case 'hdc':
      case 'hdd':
      case 'fda':
      case 'fdb':
      case 'mtdblock':
      case 'sd':
        disks.push(`-${opt} ${a}`);
        break;
      case 'm':
        memory = a;
        break;
      case 'tpmdev':
        tpmdevs.push(a);
        break;
      case 'nic':
      case 'net':
      case 'netdev':
        nets.push({ opt, arg: a });
        break;
      case 'fw_cfg':
        fwCfg.push(a);
        break;
      case 'boot':
        boot.push(a);
        break;
      case 'kernel':
        kernel = a;
        break;
      case 'initrd':
        initrd = a;
        break;
      case 'dtb':
        throw unsupported(file, '-dtb: QEMU appends the device tree to the kernel buffer, which no measurement model covers');
      case 'object': {
        let type: string;
        let props: Record<string, string | number | boolean>;
        let form: string;
        if (a.trimStart().startsWith('{')) {
          let j: unknown;
          try {
            j = JSON.parse(a);
          } catch {
            throw bad(file, `-object ${a.slice(0, 40)}…: not valid JSON`);
          }
          if (!j || typeof j !== 'object' || Array.isArray(j)) throw bad(file, '-object JSON is not an object');
          const o = j as Record<string, unknown>;
          type = String(o['qom-type'] ?? '');
          props = {};
          for (const [k, v] of Object.entries(o)) {
            if (k === 'qom-type') continue;
            if (typeof v === 'number' && !Number.isSafeInteger(v)) throw bad(file, `-object ${type}: ${k} is not an exact integer`);
            props[k] = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
          }
          form = 'json';
        } else {
          const kv = parseKeyval(a, 'qom-type');
          type = kv[0]![1];
          props = Object.fromEntries(kv.slice(1));
          form = 'keyval';
        }
        if (type in CGS_OBJECTS) objects.push({ type, props, form });
        else if (type === 'igvm-cfg') throw unsupported(file, '-object igvm-cfg: an IGVM launch; measure the IGVM file with `prelaunch igvm measure`');
        break;
      }
      case 'device': {
        const driver = a.trimStart().startsWith('{') ? (() => { try { return String((JSON.parse(a) as Record<string, unknown>).driver ?? ''); } catch { throw bad(file, '-device JSON is not valid'); } })() : parseKeyval(a, 'driver')[0]![1];
        if (driver === 'loader') throw unsupported(file, '-device loader: writes data into guest memory before launch, which is not modelled');
        devices.push(driver);
        break;
      }
      case 'global': {
        const target = a.split('.')[0]!.replace(/^driver=/, '');
        if (target in CGS_OBJECTS || /cpu/.test(target)) throw unsupported(file, `-global ${a}: sets properties of the ${target} objects that may change the measurement; set them on the object instead`);
        globals.push(a);
        break;
      }
      case 'set':
        throw unsupported(file, `-set ${a}: option rewriting is not modelled; give the final options`);
      case 'readconfig':
        throw unsupported(file, `-readconfig ${a}: the configuration file is not read; give its options on the command line`);
      default:
        break;
    }
  }
  return { machine, objects, smp, cpu, bios, pflash, kernel, initrd, append, memory, tpmdevs, devices, disks, nets, fwCfg, boot, globals, flags };
}

/** vCPUs at start and maxcpus of -smp (QEMU hw/core/machine-smp.c machine_parse_smp_config), with a note. */
export function qemuSmp(smp: Array<[string, string]> | null, file: string): { vcpus: number; maxVcpus: number | null; note: string } {
  let vcpus = 1;
  let maxVcpus: number | null = null;
  if (!smp) return { vcpus, maxVcpus, note: 'no -smp: 1 vCPU' };
  const num = (k: string, v: string): number => {
    if (!/^\d{1,6}$/.test(v)) throw bad(file, `-smp ${k}=${v}: not a count`);
    return Number(v);
  };
  const kv: Record<string, number> = {};
  for (const [k, v] of smp) {
    if (!['cpus', 'maxcpus', 'sockets', 'dies', 'clusters', 'modules', 'cores', 'threads', 'books', 'drawers'].includes(k)) throw bad(file, `-smp: unknown parameter "${k}"`);
    kv[k] = num(k, v);
  }
  const cpus = kv.cpus ?? 0;
  const max = kv.maxcpus ?? 0;
  const topo = ['sockets', 'dies', 'clusters', 'modules', 'cores', 'threads', 'books', 'drawers'].reduce((n, k) => n * (kv[k] || 1), 1);
  if (cpus === 0 && max === 0) {
    // only a topology: omitted parameters are 1, the vCPUs are its product
    vcpus = topo;
    maxVcpus = topo;
  } else {
    // maxcpus defaults to cpus and cpus to maxcpus; omitted topology parameters are derived
    // from maxcpus, and a fully given topology must multiply to it (else QEMU refuses)
    maxVcpus = max || cpus;
    vcpus = cpus || maxVcpus;
    if (['sockets', 'cores', 'threads'].every((k) => kv[k] !== undefined) && topo !== maxVcpus) throw bad(file, `-smp: the topology gives ${topo} vCPUs but maxcpus is ${maxVcpus} (QEMU refuses it)`);
  }
  if (vcpus < 1) throw bad(file, '-smp gives no vCPU');
  if (maxVcpus < vcpus) throw bad(file, `-smp: maxcpus ${maxVcpus} is less than cpus ${vcpus}`);
  return { vcpus, maxVcpus, note: `-smp ${smp.map(([k, v]) => `${k}=${v}`).join(',')}: ${vcpus} vCPUs at start` };
}

/** Parse `text` (the bytes of FILE) into a launch description. */
export function parseQemuCommandLine(text: Uint8Array, file: string, opts: QemuParseOptions = {}): LaunchDescription {
  const resolve = opts.resolvePath ?? ((p: string) => p);
  const { machine, objects, smp, cpu, bios, pflash, kernel, initrd, append } = scanQemuCommandLine(text, file);
  const notes: string[] = [];

  // the confidential-guest object
  if (objects.length === 0) throw bad(file, 'no confidential-guest object (-object sev-guest, sev-snp-guest or tdx-guest): not a confidential launch');
  if (objects.length > 1) throw bad(file, `${objects.length} confidential-guest objects (${objects.map((o) => `${o.type} id=${String(o.props.id)}`).join(', ')}): QEMU runs one`);
  const obj = objects[0]!;
  const id = String(obj.props.id ?? '');
  const cgsRef = machine['confidential-guest-support'] ?? machine['memory-encryption'];
  if (cgsRef === undefined) throw bad(file, `-object ${obj.type},id=${id} is not used: -machine has no confidential-guest-support=${id} (QEMU would launch an ordinary guest)`);
  if (cgsRef !== id) throw bad(file, `-machine confidential-guest-support=${cgsRef} names no object (the ${obj.type} object has id=${id})`);
  if (machine['igvm-cfg'] !== undefined) throw unsupported(file, '-machine igvm-cfg: an IGVM launch; measure the IGVM file with `prelaunch igvm measure`');
  if (machine.pflash0 !== undefined) throw unsupported(file, '-machine pflash0= (a -blockdev node): firmware through block nodes is not followed; use -bios, -drive if=pflash or --from-libvirt');

  const spec = CGS_OBJECTS[obj.type]!;
  for (const [k] of Object.entries(obj.props)) {
    if (!(k in spec.props)) throw bad(file, `-object ${obj.type}: unknown property "${k}" (QEMU's ${obj.type} has ${Object.keys(spec.props).join(', ')})`);
    const since = spec.props[k]!;
    if (since !== '0' && opts.qemuVersionAtLeast && !opts.qemuVersionAtLeast(since)) throw unsupported(file, `-object ${obj.type}: property "${k}" needs QEMU >= ${since}`);
  }
  const p = obj.props;
  const guest0 = GUEST_OF[obj.type]!;
  let policy: bigint | null = null;
  if (obj.type === 'sev-guest') policy = p.policy !== undefined ? toUint(file, `${obj.type} policy`, p.policy, 0xffff_ffffn) : 0x1n;
  if (obj.type === 'sev-snp-guest') policy = p.policy !== undefined ? toUint(file, `${obj.type} policy`, p.policy, (1n << 64n) - 1n) : 0x30000n;
  const guest: GuestType = guest0 === 'sev' && policy !== null && (policy & 0x4n) !== 0n ? 'sev-es' : guest0;
  const kernelHashes = p['kernel-hashes'] !== undefined ? toBool(file, `${obj.type} kernel-hashes`, p['kernel-hashes']) : false;
  let legacyVmType: LegacyVmType | null = null;
  if (p['legacy-vm-type'] !== undefined) {
    const v = p['legacy-vm-type'];
    legacyVmType = v === 'auto' ? 'auto' : toBool(file, 'sev-guest legacy-vm-type', v) ? 'on' : 'off';
  }
  if (p['secure-tsc'] !== undefined && toBool(file, 'sev-snp-guest secure-tsc', p['secure-tsc'])) throw unsupported(file, 'sev-snp-guest secure-tsc=on: Secure TSC changes the VMSA (SEV features, TSC frequency), which is not modelled');
  for (const k of ['cbitpos', 'reduced-phys-bits', 'handle'] as const) if (p[k] !== undefined) toUint(file, `${obj.type} ${k}`, p[k], 0xffff_ffffn);
  const idBlock = p['id-block'] !== undefined ? b64(file, 'sev-snp-guest id-block', p['id-block'], 96) : null;
  const idAuth = p['id-auth'] !== undefined && p['id-auth'] !== '' ? b64(file, 'sev-snp-guest id-auth', p['id-auth'], null, 4096) : null;
  const hostData = p['host-data'] !== undefined ? b64(file, 'sev-snp-guest host-data', p['host-data'], 32) : null;
  const authorKeyEnabled = p['author-key-enabled'] !== undefined ? toBool(file, 'sev-snp-guest author-key-enabled', p['author-key-enabled']) : false;
  if (obj.type === 'tdx-guest') {
    for (const k of ['mrconfigid', 'mrowner', 'mrownerconfig'] as const) if (p[k] !== undefined) b64(file, `tdx-guest ${k}`, p[k], 48);
    if (p.attributes !== undefined) toUint(file, 'tdx-guest attributes', p.attributes, (1n << 64n) - 1n);
  }

  // vCPUs
  const { vcpus, maxVcpus, note: smpNote } = qemuSmp(smp, file);
  notes.push(smpNote);

  // guest CPU
  let guestCpu: GuestCpu = { kind: 'none' };
  if (cpu !== null) {
    const kv = parseKeyval(cpu, 'model');
    const name = kv[0]![1];
    if (name === 'host' || name === 'max') guestCpu = { kind: 'host', how: `-cpu ${name}` };
    else {
      const overrides: { family?: number; model?: number; stepping?: number } = {};
      for (const [k, v] of kv.slice(1)) {
        if (k === 'family' || k === 'model' || k === 'stepping') overrides[k] = Number(toUint(file, `-cpu ${k}`, v, k === 'stepping' ? 15n : k === 'model' ? 255n : 0x10en));
      }
      guestCpu = { kind: 'model', name, overrides };
    }
  }

  // firmware
  if (bios !== null && pflash.length) throw bad(file, 'both -bios and pflash firmware: give one');
  let firmware: LaunchDescription['firmware'];
  if (bios !== null) firmware = { path: resolve(bios), device: 'memory', via: '-bios' };
  else if (pflash.length) {
    const unit0 = pflash.find((f) => f.unit === 0);
    if (!unit0) throw bad(file, 'pflash firmware without unit 0 (the code)');
    firmware = { path: resolve(unit0.file), device: 'flash', via: 'pflash unit 0' };
  } else throw unsupported(file, 'no -bios or pflash firmware: QEMU would boot its default SeaBIOS, which is not modelled');
  if (guest === 'sev-snp' && firmware.device === 'flash') throw unsupported(file, 'SEV-SNP with pflash firmware: QEMU cannot launch it (stack rule H8; use -bios with an AmdSev/OVMF build)');
  if (guest === 'tdx' && firmware.device === 'flash') throw unsupported(file, 'TDX with pflash firmware: QEMU loads TDVF only as -bios (hw/i386/pc_sysfw.c); pflash is not modelled');

  if ((initrd !== null || append !== null) && kernel === null) throw bad(file, '-initrd/-append without -kernel');
  return {
    source: { kind: 'qemu', file },
    guest,
    properties: { 'qom-type': obj.type, ...obj.props },
    policy,
    kernelHashes,
    legacyVmType,
    vcpus,
    maxVcpus,
    cpu: guestCpu,
    firmware,
    kernel: kernel !== null ? resolve(kernel) : null,
    initrd: initrd !== null ? resolve(initrd) : null,
    append,
    idBlock,
    idAuth,
    authorKeyEnabled,
    hostData,
    machine: machine.type ?? null,
    notes,
  };
}
