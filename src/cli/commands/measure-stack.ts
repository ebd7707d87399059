/**
 * `prelaunch measure --from-qemu FILE | --from-libvirt FILE`: read the launch, combine it with
 * the host stack (flags, --stack FILE, or the documented default stack) and measure it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toBase64, toHex } from '../../bytes/hex.js';
import { OptionError, PrelaunchError } from '../../errors.js';
import { parseOvmf } from '../../formats/ovmf/parse.js';
import { ID_BLOCK_STRUCT } from '../../formats/snp/id-block.js';
import { loadHashBackend } from '../../hash/index.js';
import { inputSha256, measure, type MeasureOptions } from '../../measure/api.js';
import { mrtdOfImage } from '../../measure/tdx-mrtd.js';
import { referenceLine } from '../../report/measure-report.js';
import { sevTraceLine, snpTraceLine, traceHeader } from '../../report/trace.js';
import { parseFirmwareDescriptor, type FirmwareDescriptor } from '../../stack/firmware-descriptors.js';
import { resolveLaunch, type LaunchDescription } from '../../stack/launch.js';
import { parseLibvirtDomain } from '../../stack/libvirt-domain.js';
import { describeStack, stackJson } from '../../stack/model.js';
import { parseQemuCommandLine } from '../../stack/qemu-cmdline.js';
import { ruleJson, STACK_RULES } from '../../stack/rules.js';
import { atLeast } from '../../stack/version.js';
import { VERSION } from '../../version.js';
import { LIMITS, OpenFiles, Outputs, readInput, writeStdout, type TextSink } from '../io.js';
import { intOption } from '../numbers.js';
import { stackFromFlags, type MeasureFlags } from './measure.js';
import { resolvePath as cwdPath, writeStderr } from '../context.js';


/** Flags that describe the guest, which the command line / domain describes instead. */
const GUEST_FLAGS: Array<[keyof MeasureFlags, string]> = [
  ['mode', '--mode'], ['vcpus', '--vcpus'], ['vcpuType', '--vcpu-type'], ['vcpuSig', '--vcpu-sig'], ['vcpuFamily', '--vcpu-family'], ['vcpuModel', '--vcpu-model'],
  ['vcpuStepping', '--vcpu-stepping'], ['vmmType', '--vmm-type'], ['ovmf', '--ovmf'], ['kernel', '--kernel'], ['initrd', '--initrd'], ['append', '--append'],
  ['snpOvmfHash', '--snp-ovmf-hash'], ['svsm', '--svsm'], ['varsSize', '--vars-size'], ['varsFile', '--vars-file'],
];

/** A launch description (a file, a pipe such as <(virsh dumpxml …), or - for standard input), capped. */
function readLaunchInput(file: string, flag: string): Uint8Array {
  return readInput(file, flag, LIMITS.launchConfig, 'a launch description', { stdin: true });
}

/** QEMU firmware descriptors: DIR, or libvirt's search path (/etc/qemu/firmware overrides /usr/share/qemu/firmware by file name; an empty file masks). */
export function loadDescriptors(f: Pick<MeasureFlags, 'firmwareDescriptors'>, sysroot: (p: string) => string): FirmwareDescriptor[] {
  const dirs = f.firmwareDescriptors !== undefined ? [f.firmwareDescriptors] : ['/usr/share/qemu/firmware', '/etc/qemu/firmware'].map(sysroot);
  const byName = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(cwdPath(dir));
    } catch (e) {
      if (f.firmwareDescriptors !== undefined) throw new PrelaunchError('ERR_IO', `--firmware-descriptors: cannot read directory ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message}`, { file: dir });
      continue;
    }
    for (const n of names) if (n.endsWith('.json')) byName.set(n, path.join(dir, n));
  }
  const out: FirmwareDescriptor[] = [];
  for (const [name, p] of byName) {
    const bytes = readInput(p, 'firmware descriptor', LIMITS.stackFile, 'a QEMU firmware descriptor');
    if (bytes.length === 0) continue; // masked
    out.push(parseFirmwareDescriptor(new TextDecoder().decode(bytes), name, p));
  }
  return out;
}

export async function runMeasureFromLaunch(f: MeasureFlags): Promise<void> {
  const flag = f.fromQemu !== undefined ? '--from-qemu' : '--from-libvirt';
  const file = (f.fromQemu ?? f.fromLibvirt)!;
  for (const [k, name] of GUEST_FLAGS) if (f[k] !== undefined) throw new OptionError(name, `conflicts with ${flag}: the ${flag === '--from-qemu' ? 'command line' : 'domain'} describes the guest (edit ${file} instead)`);
  if (f.firmwareDescriptors !== undefined && flag === '--from-qemu') throw new OptionError('--firmware-descriptors', 'only applies to --from-libvirt');
  const stack = stackFromFlags(f, true)!;
  const sysroot = (p: string): string => (f.sysroot !== undefined && path.isAbsolute(p) ? path.join(f.sysroot, p) : p);
  const resolvePath = (p: string): string => (path.isAbsolute(p) ? sysroot(p) : cwdPath(p));
  const bytes = readLaunchInput(file, flag);
  const name = file === '-' ? 'stdin' : file;
  let desc: LaunchDescription;
  if (flag === '--from-qemu') {
    desc = parseQemuCommandLine(bytes, name, { resolvePath, ...(stack.qemu ? { qemuVersionAtLeast: (v: string) => atLeast(stack.qemu!, v) } : {}) });
  } else {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new PrelaunchError('ERR_MALFORMED', `${name}: not UTF-8 text: not a libvirt domain XML`, { file: name });
    }
    const needsDescriptors = /<os\b[^>]*\bfirmware=/.test(text);
    desc = parseLibvirtDomain(text, name, { resolvePath, descriptors: needsDescriptors ? loadDescriptors(f, sysroot) : [] });
  }
  const guestFeatures = f.guestFeatures !== undefined ? intOption('--guest-features', f.guestFeatures, { auto: true, min: 0n, max: (1n << 64n) - 1n }) : undefined;
  const r = resolveLaunch(desc, stack, { ...(f.vmsaProfile !== undefined ? { vmsaProfile: f.vmsaProfile } : {}), ...(guestFeatures !== undefined ? { guestFeatures } : {}) });
  // said once the value is there (an error stays one line)
  const noteAssumed = (): void => {
    if (Object.entries(stack.origin).some(([k, o]) => o === 'default' && k !== 'vmm')) writeStderr(`note: host stack assumed: ${describeStack(stack)}; give --qemu-version and --host-kernel (or --stack FILE) for yours\n`);
  };

  const backend = await loadHashBackend(f.hashBackend);
  const files = new OpenFiles();
  // every output is checked before the work and committed together after it
  const out = new Outputs();
  let trace = null as TextSink | null;
  try {
    if (f.trace !== undefined && f.trace !== '-') out.add(f.trace, '--trace');
    if (f.dumpVmsa) out.add('vmsa0.bin', '--dump-vmsa');
    let fw;
    try {
      fw = files.open(desc.firmware.path, desc.firmware.via);
    } catch (e) {
      if (e instanceof PrelaunchError && e.code === 'ERR_IO') throw new PrelaunchError('ERR_IO', `${name}: firmware ${desc.firmware.path} (from ${desc.firmware.via}) cannot be opened: ${e.message.replace(/^.*: /, '')}`, { file: desc.firmware.path });
      throw e;
    }
    if (desc.firmware.device === 'memory' && fw.size % 65536 !== 0) {
      throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `${name}: firmware ${desc.firmware.path} is ${fw.size} bytes, not a multiple of 64 KiB: QEMU refuses it as -bios (x86_bios_rom_init; stack rule ${STACK_RULES.H8.id})`, { file: desc.firmware.path });
    }
    const launchJson: Record<string, unknown> = {
      source: desc.source.kind,
      file: name,
      guest: desc.guest,
      properties: desc.properties,
      policy: desc.policy !== null ? `0x${desc.policy.toString(16)}` : null,
      kernelHashes: desc.kernelHashes,
      vcpus: desc.vcpus,
      maxVcpus: desc.maxVcpus,
      cpu: r.vcpuSigSource,
      firmware: { path: desc.firmware.path, via: desc.firmware.via, size: fw.size },
      machine: desc.machine,
      notes: desc.notes,
    };
    if (r.mode === 'tdx') {
      if (f.dumpVmsa) throw new OptionError('--dump-vmsa', 'a TD has no VMSA');
      if (f.trace !== undefined) throw new OptionError('--trace', 'TDX MRTD traces are not written (use prelaunch tdx for the MRTD details)');
      const img = parseOvmf(fw);
      const mrtd = mrtdOfImage(img, { orders: ['single'], hashBackend: backend });
      const hex = toHex(mrtd.single!);
      if (f.outputFormat === 'json') {
        writeStdout(JSON.stringify({ mrtd: hex, algorithm: 'sha384', mode: 'tdx', pageOrder: 'single', launch: launchJson, stack: stackJson(stack), rules: r.hits.map(ruleJson), firmware: { path: fw.name, size: fw.size, sha256: toHex(inputSha256(fw, backend)) }, tool: `prelaunch ${VERSION}` }, null, 2) + '\n');
      } else writeStdout((f.verbose ? `Calculated TDX MRTD: ` : '') + (f.outputFormat === 'base64' ? toBase64(mrtd.single!) : hex) + '\n');
      noteAssumed();
      return;
    }
    const kernel = r.directBoot ? files.open(r.directBoot.kernel, `${name}: kernel`) : null;
    const initrd = r.directBoot?.initrd ? files.open(r.directBoot.initrd, `${name}: initrd`) : null;
    const opts: MeasureOptions = {
      mode: r.mode,
      ovmf: fw,
      vmm: stack.vmm === 'QEMU' ? 'QEMU' : stack.vmm === 'gce' ? 'gce' : 'ec2',
      // SEV guests have no VMSA: no profile, no SEV features
      ...(r.mode !== 'sev' ? { vmsaProfile: r.vmsaProfile, guestFeatures: r.guestFeatures } : {}),
      hashBackend: backend,
      vcpus: r.vcpus,
      ...(r.vcpuSig !== null ? { vcpuSig: r.vcpuSig } : {}),
      ...(kernel ? { directBoot: { kernel, initrd, append: r.directBoot!.append } } : {}),
    };
    if (f.trace !== undefined) {
      trace = out.textSink(f.trace, '--trace');
      trace.write(traceHeader({ mode: r.mode, vmm: opts.vmm!, vmsaProfile: r.vmsaProfile, vcpus: r.vcpus, vcpuSig: r.vcpuSig !== null ? `0x${r.vcpuSig.toString(16)}` : '-', guestFeatures: `0x${r.guestFeatures.toString(16)}`, ovmf: fw.name }));
      opts.onPage = (e) => trace!.write(snpTraceLine(e));
      opts.onPiece = (e) => trace!.write(sevTraceLine(e));
    }
    const m = measure(opts);
    trace?.close();
    trace = null;
    // an ID block carries the digest the firmware will check at SNP_LAUNCH_FINISH
    let idBlockCheck: Record<string, unknown> | null = null;
    if (desc.idBlock) {
      const { ld, policy: pol } = ID_BLOCK_STRUCT.decode(desc.idBlock, 0, { source: '--id-block' });
      const matches = toHex(ld) === toHex(m.digest);
      idBlockCheck = { measurement: toHex(ld), matches, policy: `0x${pol.toString(16)}`, policyMatches: desc.policy === pol };
      if (!matches) writeStderr(`warning: ${name}: the id-block expects measurement ${toHex(ld).slice(0, 16)}…, this launch measures ${toHex(m.digest).slice(0, 16)}…: SNP_LAUNCH_FINISH would fail (BAD_MEASUREMENT)\n`);
    }
    if (f.dumpVmsa) m.vmsas.forEach((page, i) => out.write(`vmsa${i}.bin`, page, '--dump-vmsa'));
    out.commit();
    if (f.outputFormat === 'json') {
      const doc: Record<string, unknown> = {
        measurement: toHex(m.digest),
        measurementBase64: toBase64(m.digest),
        algorithm: m.algorithm,
        mode: m.mode,
        vmmType: opts.vmm,
        vcpus: r.vcpus,
        vcpuSig: r.vcpuSig !== null ? `0x${r.vcpuSig.toString(16)}` : null,
        vmsaProfile: r.mode === 'sev' ? null : r.vmsaProfile,
        guestFeatures: r.mode === 'sev' ? null : `0x${r.guestFeatures.toString(16)}`,
        firmware: { path: fw.name, size: fw.size, sha256: toHex(inputSha256(fw, backend)) },
        kernelHashes: m.kernelHashes ? { kernel: toHex(m.kernelHashes.kernel), initrd: toHex(m.kernelHashes.initrd), cmdline: toHex(m.kernelHashes.cmdline) } : null,
        ...(idBlockCheck ? { idBlock: idBlockCheck } : {}),
        launch: launchJson,
        stack: stackJson(stack),
        rules: r.hits.map(ruleJson),
        hashBackend: backend.name,
        tool: `prelaunch ${VERSION}`,
      };
      writeStdout(JSON.stringify(doc, null, 2) + '\n');
    } else writeStdout(referenceLine(m, f.outputFormat, f.verbose === true) + '\n');
    noteAssumed();
  } catch (e) {
    trace?.discard();
    throw e;
  } finally {
    out.abort();
    files.close();
  }
}
