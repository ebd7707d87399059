/**
 * An ordinary (not confidential) OVMF guest with a vTPM, read from a QEMU command line: the
 * inputs of `prelaunch tpm predict` (src/measured-boot/predict.ts). The options are read by
 * the launch-stack reader {@link scanQemuCommandLine} that `measure --from-qemu` uses; this
 * file only decides what they mean for a vTPM log, and refuses what changes the PCRs but is
 * not modelled (a NIC's or disk's option ROM / boot option, extra fw_cfg items, -boot, a
 * confidential-guest object, no TPM, no -kernel).
 */
import { PrelaunchError } from '../errors.js';
import { parseQemuMemorySize } from '../formats/qemu/memory-size.js';
import { parseKeyval, qemuSmp, scanQemuCommandLine } from './qemu-cmdline.js';

export interface VtpmLaunch {
  source: { kind: 'qemu' | 'libvirt'; file: string };
  /** OVMF_CODE or a unified image, and where the launch names it */
  firmware: { path: string; via: string };
  /** the varstore QEMU maps (pflash unit 1, libvirt <nvram>); null: none (a unified image's own, or an empty one) */
  vars: { path: string; via: string } | null;
  kernel: { path: string; via: string };
  initrd: { path: string; via: string } | null;
  append: { bytes: Uint8Array; via: string } | null;
  memory: { bytes: number; via: string };
  vcpus: { count: number; via: string };
  /** the TPM device model (tpm-tis, tpm-crb) */
  tpm: string;
  notes: string[];
}

/** QEMU's default RAM for x86 PC machines: hw/i386/pc.c pc_machine_class_init, mc->default_ram_size = 128 MiB. */
export const QEMU_DEFAULT_RAM = 128 * 1024 * 1024;

/** -machine properties that reach the vTPM log only through QEMU's ACPI tables (measured from the fw_cfg dump), or not at all. */
const NEUTRAL_MACHINE_PROPS = new Set(['type', 'accel', 'usb', 'vmport', 'dump-guest-core', 'mem-merge', 'kernel-irqchip', 'hpet']);

/**
 * -device drivers that add no option ROM OVMF runs (PCR2) and no boot option (PCR1). VGA's ROM
 * (SeaVGABIOS) holds no EFI image; OVMF drives it with its built-in QemuVideoDxe.
 */
const NEUTRAL_DEVICES = new Set(['tpm-tis', 'tpm-crb', 'VGA', 'isa-serial', 'virtio-serial-pci', 'virtconsole', 'virtio-rng-pci', 'virtio-balloon-pci']);

function unsupported(file: string, problem: string): PrelaunchError {
  return new PrelaunchError('ERR_UNSUPPORTED_STACK', `${file}: ${problem}`, { file });
}

/** A confidential guest's launch is measured by the platform, not into a vTPM: refused with the command that measures it. */
export function confidentialRefusal(file: string, what: string): PrelaunchError {
  return unsupported(file, `${what}: a confidential guest; its launch is measured by \`prelaunch measure --from-qemu/--from-libvirt\` (SEV, SEV-ES, SEV-SNP) or \`prelaunch tdx\` (TDX), not by \`tpm predict\``);
}

export interface VtpmQemuOptions {
  /** resolve a path from the command line (relative to the current directory) */
  resolvePath?: (p: string) => string;
}

/** Read `text` (a QEMU command line: script, `ps` line or /proc/PID/cmdline) as a vTPM launch. */
export function vtpmLaunchFromQemu(text: Uint8Array, file: string, opts: VtpmQemuOptions = {}): VtpmLaunch {
  const resolve = opts.resolvePath ?? ((p: string) => p);
  const s = scanQemuCommandLine(text, file);
  const notes: string[] = [];

  if (s.objects.length) throw confidentialRefusal(file, `-object ${s.objects[0]!.type}`);
  for (const k of Object.keys(s.machine)) {
    if (k === 'confidential-guest-support' || k === 'memory-encryption') throw confidentialRefusal(file, `-machine ${k}`);
    if (!NEUTRAL_MACHINE_PROPS.has(k)) throw unsupported(file, `-machine ${k}=${s.machine[k]}: not modelled for a vTPM prediction`);
  }
  const type = s.machine.type;
  if (type === undefined) throw unsupported(file, 'no -machine q35: QEMU\'s default machine (pc, i440fx) is not modelled');
  if (type !== 'q35' && !/^pc-q35-[\d.]+$/.test(type)) throw unsupported(file, `-machine ${type}: only q35 machines are modelled`);

  // the vTPM
  const tpmDevices = s.devices.filter((d) => d === 'tpm-tis' || d === 'tpm-crb');
  if (s.tpmdevs.length === 0 || tpmDevices.length === 0) {
    throw unsupported(file, `no TPM (${s.tpmdevs.length ? 'a -tpmdev but no -device tpm-tis or tpm-crb' : '-tpmdev with -device tpm-tis or tpm-crb'}): the guest has no vTPM, so nothing is measured into one`);
  }
  if (tpmDevices.length > 1 || s.tpmdevs.length > 1) throw unsupported(file, `${tpmDevices.length} TPM devices and ${s.tpmdevs.length} -tpmdev: QEMU supports one TPM`);
  const backend = parseKeyval(s.tpmdevs[0]!, 'type')[0]![1];
  if (backend !== 'emulator') throw unsupported(file, `-tpmdev ${backend}: only an emulated TPM (swtpm, -tpmdev emulator) is modelled; a passed-through TPM's PCRs already hold the host's measurements`);
  notes.push(`-device ${tpmDevices[0]} (its TPM's version and active PCR banks are swtpm's: the prediction is for TPM 2.0 with sha256 and sha384 banks)`);

  // what changes PCR1/PCR2 and is not modelled
  for (const d of s.devices) if (!NEUTRAL_DEVICES.has(d)) throw unsupported(file, `-device ${d}: not modelled for a vTPM prediction (a device may add an option ROM OVMF measures into PCR2 or a boot option into PCR1); modelled: ${[...NEUTRAL_DEVICES].join(', ')}`);
  if (s.disks.length) throw unsupported(file, `${s.disks[0]!.split(' ')[0]}: a disk adds a boot option (PCR1), which is not modelled`);
  const nic = s.nets.find((n) => !((n.opt === 'nic' || n.opt === 'net') && n.arg === 'none'));
  if (nic) throw unsupported(file, `-${nic.opt} ${nic.arg}: a NIC adds iPXE's option ROM (PCR2) and a boot option (PCR1), which are not modelled; give -nic none`);
  if (!s.nets.length && !s.flags.has('nodefaults')) throw unsupported(file, 'no -nic none (or -nodefaults): QEMU adds a default NIC, whose option ROM (PCR2) and boot option (PCR1) are not modelled');
  if (s.fwCfg.length) throw unsupported(file, `-fw_cfg ${s.fwCfg[0]}: extra fw_cfg items are not modelled`);
  for (const b of s.boot) {
    // libvirt always writes -boot strict=on (qemuBuildBootCommandLine): without bootable devices QEMU offers no bootorder file, so it changes nothing
    if (!parseKeyval(b, 'order').every(([k, v]) => (k === 'menu' && ['off', 'no', 'false', 'n'].includes(v)) || k === 'strict')) throw unsupported(file, `-boot ${b}: not modelled (the prediction is for QEMU's default boot settings: a boot menu, boot order or splash changes what OVMF sees)`);
  }
  if (s.globals.length) throw unsupported(file, `-global ${s.globals[0]}: not modelled for a vTPM prediction`);

  // firmware: -bios (a unified image) or pflash unit 0 (code) and unit 1 (vars)
  let firmware: VtpmLaunch['firmware'];
  let vars: VtpmLaunch['vars'] = null;
  if (s.bios !== null && s.pflash.length) throw unsupported(file, 'both -bios and pflash firmware: give one');
  if (s.bios !== null) firmware = { path: resolve(s.bios), via: '-bios' };
  else if (s.pflash.length) {
    for (const p of s.pflash) if (p.unit !== 0 && p.unit !== 1) throw unsupported(file, `${p.via}: pflash unit ${p.unit} is not modelled (unit 0 is the code, unit 1 the varstore)`);
    const unit = (n: number): QemuScanPflash[] => s.pflash.filter((p) => p.unit === n);
    if (unit(0).length !== 1 || unit(1).length > 1) throw unsupported(file, 'pflash: give one unit 0 (the code) and at most one unit 1 (the varstore)');
    firmware = { path: resolve(unit(0)[0]!.file), via: unit(0)[0]!.via };
    const v = unit(1)[0];
    if (v) vars = { path: resolve(v.file), via: v.via };
  } else throw unsupported(file, 'no -bios or pflash firmware: QEMU would boot its default SeaBIOS, which is not modelled');

  // direct boot
  if (s.kernel === null) throw unsupported(file, 'no -kernel: only QEMU direct boot (-kernel) is modelled');

  // guest memory: -m [size=]N (hw/core/machine.c: slots/maxmem add hot-pluggable memory)
  let memory: VtpmLaunch['memory'];
  if (s.memory !== null) {
    const kv = parseKeyval(s.memory, 'size');
    for (const [k] of kv) if (k !== 'size') throw unsupported(file, `-m ${s.memory}: ${k} is not modelled`);
    const size = kv.find(([k]) => k === 'size')?.[1];
    if (size === undefined) throw new PrelaunchError('ERR_MALFORMED', `${file}: -m ${s.memory}: no size`, { file });
    memory = { bytes: parseQemuMemorySize(size, `${file}: -m`), via: `-m ${s.memory}` };
  } else {
    memory = { bytes: QEMU_DEFAULT_RAM, via: 'no -m (QEMU\'s default 128 MiB)' };
    notes.push('no -m: QEMU\'s default 128 MiB');
  }
  const smp = qemuSmp(s.smp, file);
  notes.push(smp.note);

  return {
    source: { kind: 'qemu', file },
    firmware,
    vars,
    kernel: { path: resolve(s.kernel), via: '-kernel' },
    initrd: s.initrd !== null ? { path: resolve(s.initrd), via: '-initrd' } : null,
    append: s.append !== null ? { bytes: s.append, via: '-append' } : null,
    memory,
    vcpus: { count: smp.vcpus, via: s.smp ? '-smp' : 'no -smp (1 vCPU)' },
    tpm: tpmDevices[0]!,
    notes,
  };
}

type QemuScanPflash = ReturnType<typeof scanQemuCommandLine>['pflash'][number];
