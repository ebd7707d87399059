/**
 * The `measure` flags (sev-snp-measure's, plus prelaunch's own), shared by `prelaunch
 * measure` and by commands that compute a measurement in the same call
 * (`id-block --from-measure "--mode snp …"`).
 */
import { Command, Option } from 'commander';
import { VCPU_TYPE_NAMES } from '../formats/snp/vcpu-types.js';

/** the `--vcpu-type` names: every model of the table in src/formats/snp/vcpu-types.ts */
export const VCPU_TYPE_CHOICES: readonly string[] = VCPU_TYPE_NAMES;

export function addMeasureOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--mode <mode>', 'guest mode (required unless --from-qemu / --from-libvirt)').choices(['sev', 'seves', 'snp', 'snp:ovmf-hash', 'snp:svsm']))
    .option('--vcpus <n>', 'number of guest vCPUs')
    .addOption(new Option('--vcpu-type <type>', 'QEMU -cpu model').choices([...VCPU_TYPE_CHOICES]))
    .option('--vcpu-sig <value>', 'guest vCPU CPUID signature (value of EAX of CPUID Fn0000_0001)')
    .option('--vcpu-family <n>', 'guest vCPU family')
    .option('--vcpu-model <n>', 'guest vCPU model')
    .option('--vcpu-stepping <n>', 'guest vCPU stepping')
    .option('--vmm-type <type>', 'VMM: QEMU, ec2 or gce (default: QEMU, or the VMM of --vmsa-profile)')
    .addOption(new Option('--vmsa-profile <name>', 'VMSA generation: kvm-init2 (default for QEMU: SNP on QEMU >= 9.1 + Linux >= 6.11; SEV-ES only with legacy-vm-type=off), kvm-legacy (MXCSR/FCW 0: SEV-ES on QEMU >= 10.0 as shipped, Linux < 6.10), ec2-2026 (ec2 default), ec2-legacy, gce').choices(['kvm-init2', 'kvm-legacy', 'ec2-2026', 'ec2-legacy', 'gce']))
    .option('--ovmf <file>', 'OVMF firmware image (required unless --from-qemu / --from-libvirt)')
    .option('--kernel <file>', 'kernel for measured direct boot')
    .option('--initrd <file>', 'initrd for measured direct boot')
    .option('--append <cmdline>', 'kernel command line for measured direct boot (UTF-8; for other bytes use --append-file)')
    .option('--append-file <file>', 'kernel command line for measured direct boot: the exact bytes of FILE (a trailing newline is part of it)')
    .option('--guest-features <value>', 'SEV_FEATURES of the VMSAs (default: 0x1 for snp, 0 for seves, or what the host stack derives; seves accepts 0x20 DebugSwap)')
    .addOption(new Option('--output-format <format>', 'digest output').choices(['hex', 'base64', 'json']).default('hex'))
    .option('-v, --verbose', 'print the reference tool\'s sentence')
    .option('--snp-ovmf-hash <hex>', 'resume from a precomputed snp:ovmf-hash digest')
    .option('--dump-vmsa', 'write each vCPU\'s VMSA page to vmsa<i>.bin in the current directory')
    .option('--svsm <file>', 'COCONUT-SVSM image (snp:svsm)')
    .addOption(new Option('--vars-size <n>', 'size of the OVMF vars store (snp:svsm)').conflicts('varsFile'))
    .addOption(new Option('--vars-file <file>', 'OVMF vars store; only its size is used (snp:svsm)').conflicts('varsSize'))
    .option('--trace <file>', 'write every page operation with its running digest to FILE (- for stderr)')
    .addOption(new Option('--hash-backend <name>', 'hashing backend').choices(['node', 'noble']).default('node'))
    // the launch stack as input (src/stack/, docs/stack.md)
    .addOption(new Option('--from-qemu <file>', 'measure the launch a QEMU command line describes (shell script, ps line or /proc/PID/cmdline; - for stdin)').conflicts('fromLibvirt'))
    .option('--from-libvirt <file>', 'measure the launch a libvirt domain XML describes (virsh dumpxml)')
    .option('--stack <file>', 'host stack file (prelaunch host probe)')
    .option('--qemu-version <version>', 'host stack: QEMU version, e.g. 10.1.0')
    .option('--host-kernel <release>', 'host stack: host kernel release (uname -r), e.g. 6.12.48+deb13-amd64')
    .option('--libvirt-version <version>', 'host stack: libvirt version')
    .option('--host-cpu-sig <value>', 'host stack: the host CPUID(1).EAX signature (for -cpu host / host-passthrough / host-model)')
    .option('--host-model <model>', 'host stack: the CPU model libvirt resolves host-model to (virsh domcapabilities)')
    .option('--firmware-descriptors <dir>', 'QEMU firmware descriptors for --from-libvirt (default: /usr/share/qemu/firmware and /etc/qemu/firmware)')
    .option('--sysroot <dir>', 'resolve the absolute paths of --from-qemu / --from-libvirt and of the descriptors under DIR');
}

/** Split a flag string the way a shell would for simple cases: whitespace, '…' and "…" quoting, backslash escapes. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inTok = false;
  let q: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      inTok = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inTok = true;
    } else if (/\s/.test(c)) {
      if (inTok) out.push(cur);
      cur = '';
      inTok = false;
    } else {
      cur += c;
      inTok = true;
    }
  }
  if (q) throw new Error(`unterminated ${q} quote`);
  if (inTok) out.push(cur);
  return out;
}
