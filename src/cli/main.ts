#!/usr/bin/env node
/**
 * prelaunch CLI. Thin: each command maps flags to one library call and prints the result.
 * Command implementations are imported lazily so start-up stays fast.
 * Exit codes: 0 ok, 1 error, 2 usage error.
 */
import { Command, CommanderError, Option } from 'commander';
import { PrelaunchError } from '../errors.js';
import { VERSION } from '../version.js';

const VCPU_TYPE_CHOICES = [
  'EPYC', 'EPYC-v1', 'EPYC-v2', 'EPYC-IBPB', 'EPYC-v3', 'EPYC-v4', 'EPYC-Rome', 'EPYC-Rome-v1', 'EPYC-Rome-v2', 'EPYC-Rome-v3',
  'EPYC-Milan', 'EPYC-Milan-v1', 'EPYC-Milan-v2', 'EPYC-Genoa', 'EPYC-Genoa-v1', 'EPYC-Turin',
];

export function buildProgram(): Command {
  const program = new Command('prelaunch')
    .description('Predict confidential-VM launch measurements (AMD SEV, SEV-ES, SEV-SNP) before launch.')
    .version(`prelaunch ${VERSION}`, '-V, --version')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('measure')
    .description('compute a launch digest from OVMF firmware (flags compatible with sev-snp-measure)')
    .addOption(new Option('--mode <mode>', 'guest mode').choices(['sev', 'seves', 'snp', 'snp:ovmf-hash', 'snp:svsm']).makeOptionMandatory())
    .option('--vcpus <n>', 'number of guest vCPUs')
    .addOption(new Option('--vcpu-type <type>', 'QEMU -cpu model').choices(VCPU_TYPE_CHOICES))
    .option('--vcpu-sig <value>', 'guest vCPU CPUID signature (value of EAX of CPUID Fn0000_0001)')
    .option('--vcpu-family <n>', 'guest vCPU family')
    .option('--vcpu-model <n>', 'guest vCPU model')
    .option('--vcpu-stepping <n>', 'guest vCPU stepping')
    .option('--vmm-type <type>', 'VMM: QEMU, ec2 or gce (default: QEMU, or the VMM of --vmsa-profile)')
    .addOption(new Option('--vmsa-profile <name>', 'VMSA generation: kvm-init2 (QEMU default), kvm-legacy, ec2-2026 (ec2 default), ec2-legacy, gce').choices(['kvm-init2', 'kvm-legacy', 'ec2-2026', 'ec2-legacy', 'gce']))
    .requiredOption('--ovmf <file>', 'OVMF firmware image')
    .option('--kernel <file>', 'kernel for measured direct boot')
    .option('--initrd <file>', 'initrd for measured direct boot')
    .option('--append <cmdline>', 'kernel command line for measured direct boot')
    .option('--guest-features <value>', 'SNP SEV_FEATURES of the VMSAs', '0x1')
    .addOption(new Option('--output-format <format>', 'digest output').choices(['hex', 'base64', 'json']).default('hex'))
    .option('-v, --verbose', 'print the reference tool\'s sentence')
    .option('--snp-ovmf-hash <hex>', 'resume from a precomputed snp:ovmf-hash digest')
    .option('--dump-vmsa', 'write each vCPU\'s VMSA page to vmsa<i>.bin in the current directory')
    .option('--svsm <file>', 'COCONUT-SVSM image (snp:svsm)')
    .addOption(new Option('--vars-size <n>', 'size of the OVMF vars store (snp:svsm)').conflicts('varsFile'))
    .addOption(new Option('--vars-file <file>', 'OVMF vars store; only its size is used (snp:svsm)').conflicts('varsSize'))
    .option('--trace <file>', 'write every page operation with its running digest to FILE (- for stderr)')
    .addOption(new Option('--hash-backend <name>', 'hashing backend').choices(['node', 'noble']).default('node'))
    .action(async (opts) => (await import('./commands/measure.js')).runMeasure(opts));

  const ovmf = program.command('ovmf').description('OVMF/EDK2 firmware metadata');
  ovmf
    .command('inspect')
    .description('show the footer table, SEV and TDX metadata, reset EIP and direct-boot support of an OVMF image')
    .argument('<file>', 'OVMF image')
    .option('--json', 'machine-readable output')
    .action(async (file, opts) => (await import('./commands/ovmf-inspect.js')).runOvmfInspect(file, opts));

  program
    .command('golden')
    .description('golden values for a release: every measurement of a matrix in one canonical JSON document')
    .argument('[manifest]', 'manifest (JSON or YAML); with --check, the golden document')
    .option('-o, --output <file>', 'write the document here (default: stdout)')
    .option('--ovmf <file>', 'without a manifest: the OVMF image')
    .option('--kernel <file>', 'without a manifest: kernel for measured direct boot')
    .option('--initrd <file>', 'without a manifest: initrd')
    .option('--append <cmdline>', 'without a manifest: kernel command line')
    .option('--mode <list>', 'snp, seves, sev (default snp)')
    .option('--vcpus <list>', 'vCPU counts and ranges, e.g. 1-64 or 1,2,4')
    .option('--vcpu-type <list>', 'QEMU CPU models, or all')
    .option('--vcpu-sig <list>', 'CPUID signatures')
    .option('--vmm-type <list>', 'QEMU, ec2, gce (default QEMU)')
    .option('--vmsa-profile <list>', 'VMSA generations (default: each VMM\'s current one)')
    .option('--guest-features <list>', 'SNP SEV_FEATURES values (default 0x1)')
    .option('--policy <list>', 'guest policies to carry into entries')
    .option('--host-data <list>', 'HOST_DATA values (32-byte hex) to carry into entries')
    .option('--max-entries <n>', 'refuse larger matrices (default 100000)')
    .option('--timestamp', 'record the generation time (the document is then no longer reproducible)')
    .option('--check <report>', 'check an attestation report (JSON or raw binary) against the document given as argument')
    .option('--json', 'with --check: machine-readable result')
    .addOption(new Option('--hash-backend <name>', 'hashing backend').choices(['node', 'noble']).default('node'))
    .action(async (manifest, opts) => (await import('./commands/golden.js')).runGolden(manifest, opts));

  const trace = program.command('trace').description('work with --trace files');
  trace
    .command('diff')
    .description('name the first page operation where two traces diverge')
    .argument('<a>', 'trace file')
    .argument('<b>', 'trace file')
    .action(async (a, b) => (await import('./commands/trace-diff.js')).runTraceDiff(a, b));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2; // commander has already printed "error: …"
    }
    if (e instanceof PrelaunchError) {
      process.stderr.write(`error: ${e.message}\n`);
      return e.code === 'ERR_INVALID_OPTION' ? 2 : 1;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`error: internal error: ${msg.split('\n')[0]} (please report this)\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
