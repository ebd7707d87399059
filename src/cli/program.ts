/**
 * The CLI's commands and options (commander). Each command maps flags to one library call in
 * ./commands/, imported lazily so start-up stays fast.
 */
import { Command, Option } from 'commander';
import { VERSION } from '../version.js';
import { addMeasureOptions } from './measure-options.js';
import { addSigningOptions } from './signing-options.js';
import { writeHelpOut, writeStderr } from './context.js';

/**
 * The top-level commands, each defined (with its options and subcommands) by one function.
 * Order: as `prelaunch --help` lists them.
 */
const COMMANDS: ReadonlyArray<readonly [string, (program: Command) => void]> = [
  ['measure', defineMeasure],
  ['ovmf', defineOvmf],
  ['golden', defineGolden],
  ['verify', defineVerify],
  ['export', defineExport],
  ['trace', defineTrace],
  ['igvm', defineIgvm],
  ['id-block', defineIdBlock],
  ['policy', definePolicy],
  ['tdx', defineTdx],
  ['tpm', defineTpm],
  ['host', defineHost],
];

/**
 * The CLI. With `command`, the name of a top-level command, only that command is defined
 * (start-up: commander's objects for ~150 options cost ~1-2 ms a process); `main` passes the
 * first argument, so `prelaunch igvm measure …` builds the igvm tree alone. Anything else (no
 * argument, an option, `help`, a misspelt command) gets every command, so help, errors and
 * suggestions are unchanged (test/cli/program.test.ts checks the help of every command both ways).
 */
export function buildProgram(command?: string): Command {
  const program = new Command('prelaunch')
    .description('Predict confidential-VM launch measurements before launch: AMD SEV, SEV-ES and SEV-SNP (OVMF and IGVM), SNP ID blocks, Intel TDX, and golden values for release pipelines.')
    .version(`prelaunch ${VERSION}`, '-V, --version')
    .showHelpAfterError(false)
    .enablePositionalOptions() // subcommand options (id-block prepare --measurement) go to the subcommand
    .exitOverride()
    // commander's errors are one line, like ours ("error: unknown command 'igvmm' (Did you mean igvm?)")
    .configureOutput({ writeErr: (s) => writeStderr(s), writeOut: (s) => writeHelpOut(s), outputError: (s, write) => write(s.replace(/\n(?=.)/g, ' ')) });
  const only = COMMANDS.find(([name]) => name === command);
  for (const [, define] of only ? [only] : COMMANDS) define(program);
  return program;
}

function defineMeasure(program: Command): void {
  addMeasureOptions(
    program
      .command('measure')
      .description('compute a launch digest from OVMF firmware (flags compatible with sev-snp-measure)'),
  )
    .action(async (opts) => (await import('./commands/measure.js')).runMeasure(opts));
}

function defineOvmf(program: Command): void {
  const ovmf = program.command('ovmf').description('OVMF/EDK2 firmware metadata');
  ovmf
    .command('inspect')
    .description('show the footer table, SEV and TDX metadata, reset EIP and direct-boot support of an OVMF image')
    .argument('<file>', 'OVMF image')
    .option('--json', 'machine-readable output')
    .action(async (file, opts) => (await import('./commands/ovmf-inspect.js')).runOvmfInspect(file, opts));
}

function defineGolden(program: Command): void {
  addSigningOptions(program
    .command('golden')
    .description('golden values for a release: every measurement of a matrix in one canonical JSON document')
    .argument('[manifest]', 'manifest (JSON or YAML); with --check, the golden document')
    .option('-o, --output <file>', 'write the document here (default: stdout)')
    .option('--ovmf <file>', 'without a manifest: the OVMF image')
    .option('--kernel <file>', 'without a manifest: kernel for measured direct boot')
    .option('--initrd <file>', 'without a manifest: initrd')
    .option('--append <cmdline>', 'without a manifest: kernel command line (UTF-8; for other bytes use --append-file)')
    .option('--append-file <file>', 'without a manifest: kernel command line, the exact bytes of FILE')
    .option('--mode <list>', 'snp, seves, sev, tdx (default snp; tdx: MRTD only, TD shapes need a manifest)')
    .option('--vcpus <list>', 'vCPU counts and ranges, e.g. 1-64 or 1,2,4')
    .option('--vcpu-type <list>', 'QEMU CPU models, or all')
    .option('--vcpu-sig <list>', 'CPUID signatures')
    .option('--vmm-type <list>', 'QEMU, ec2, gce (default QEMU)')
    .option('--vmsa-profile <list>', 'VMSA generations (default: each VMM\'s current one)')
    .option('--guest-features <list>', 'SNP SEV_FEATURES values (default 0x1; snp entries only)')
    .option('--policy <list>', 'guest policies to carry into entries')
    .option('--host-data <list>', 'HOST_DATA values (32-byte hex) to carry into entries')
    .option('--max-entries <n>', 'refuse larger matrices (default 100000)')
    .option('--jobs <n>', 'worker threads for manifests with several artifacts (default: one per core)')
    .option('--timestamp', 'record the generation time (the document is then no longer reproducible)')
    .option('--no-cache', 'read firmware compressed volumes afresh (no firmware facts cache; see docs/cli.md)')
    .option('--check <report>', 'check an attestation report (JSON or raw binary) against the document given as argument')
    .option('--json', 'with --check: machine-readable result')
  , { idKey: 'sign an ID block for every SNP entry with this P-384 private key' })
    .addOption(new Option('--hash-backend <name>', 'hashing backend').choices(['node', 'noble']).default('node'))
    .action(async (manifest, opts) => (await import('./commands/golden.js')).runGolden(manifest, opts));
}

function defineVerify(program: Command): void {
  // evidence verification (src/cli/commands/verify.ts, docs/verify.md)
  program
    .command('verify')
    .description('verify an SEV-SNP attestation report or an Intel TDX quote offline: signatures, certificate chain to the vendor root, TCB, policy, golden values')
    .argument('<evidence>', 'SNP report (1184 bytes, optionally followed by its certificate table) or TDX quote')
    .option('--cert <file>', 'SNP: a VCEK/VLEK, ASK/ASVK or ARK certificate, PEM (a bundle such as cert_chain.pem) or DER; repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .option('--certs <dir>', 'SNP: a directory as snpguest fetch or AMD KDS lays it out (vcek.pem/.der, ask.pem, ark.pem, cert_chain.pem, vlek.pem, asvk.pem)')
    .option('--collateral <file>', 'TDX: DCAP collateral JSON (TCB info, QE identity, CRLs, issuer chains) for the TCB status by Intel QVL rules; needs --at')
    .option('--at <time>', 'ISO 8601 time to check certificate validity and evaluate collateral (TDX) at; default: validity not checked')
    .option('--golden <doc>', 'golden document (prelaunch golden; TDX also a {"tdx": [{mrtd, rtmr0..3, xfam, tdAttributes, mrConfigId}]} document) the evidence must match')
    .option('--ccel <log>', 'TDX: CCEL event log to replay against the quote\'s RTMRs (with --golden: names the first event that differs from the prediction)')
    .option('--policy <fields>', 'SNP: guest policy bits that must hold, e.g. debug=off,migrate-ma=off,smt=off,single-socket=on')
    .option('--min-tcb <list>', 'SNP: least REPORTED_TCB accepted, e.g. bootloader=4,tee=0,snp=22,microcode=213 (Turin: also fmc=N)')
    .option('--json', 'machine-readable result (kind, signatureValid, chainValid; SNP measurement, chipId, reportedTcb; TDX mrtd, rtmrs, xfam, tdAttributes, tcbStatus; checks, …)')
    .action(async (evidence, opts) => (await import('./commands/verify.js')).runVerify(evidence, opts));
}

function defineExport(program: Command): void {
  program
    .command('export')
    .description('render a golden document for a consumer: trustee, go-sev-guest, go-tdx-guest, snpguest, in-toto, corim, corim-tdx, keylime, qemu, libvirt')
    .argument('<document>', 'golden document (prelaunch golden output)')
    .addOption(new Option('--to <format>', 'consumer format').choices(['trustee', 'go-sev-guest', 'go-tdx-guest', 'snpguest', 'in-toto', 'corim', 'corim-tdx', 'keylime', 'qemu', 'libvirt']).makeOptionMandatory())
    .option('-o, --output <file>', 'write here (default: stdout)')
    .option('--select <key=value,...>', 'only entries matching, e.g. vcpus=4,vcpuType=EPYC-v4 or mode=tdx,shape=2g')
    .option('--name <name>', 'trustee: reference-value name for the measurement (default snp_launch_measurement)')
    .option('--id <id>', 'corim, corim-tdx: CoRIM id (default derived from the firmware digests)')
    .option('--cbitpos <n>', 'qemu, libvirt: the host\'s C-bit position (default 51, every SNP-capable EPYC)')
    .option('--reduced-phys-bits <n>', 'qemu, libvirt: the host\'s reduced physical address bits (default 1)')
    .action(async (doc, opts) => (await import('./commands/export.js')).runExport(doc, opts));
}

function defineTrace(program: Command): void {
  const trace = program.command('trace').description('work with --trace files');
  trace
    .command('diff')
    .description('name the first page operation where two traces diverge')
    .argument('<a>', 'trace file')
    .argument('<b>', 'trace file')
    .action(async (a, b) => (await import('./commands/trace-diff.js')).runTraceDiff(a, b));
}

function defineIgvm(program: Command): void {
  // IGVM files (src/cli/commands/igvm-*.ts)
  const igvm = program.command('igvm').description('IGVM files: inspect, measure and sign (igvmmeasure-compatible), build, CoRIM endorsements, diff');
  igvm
    .command('measure')
    .description('launch digest of an IGVM file, as COCONUT igvmmeasure computes it (TDX: as the igvm crate does)')
    .argument('<file>', 'IGVM file')
    .addOption(new Option('--platform <platform>', 'platform to measure').choices(['sev-snp', 'sev-es', 'sev', 'tdx', 'vbs']).default('sev-snp'))
    .option('--check-kvm', 'apply igvmmeasure\'s QEMU/KVM checks (one VMSA at 0xFFFFFFFFF000, CR0, VMSA last)')
    .option('--native-zero', 'measure pages without data as SNP ZERO pages')
    .option('--ignore-idblock', 'do not fail when the file\'s SNP ID block expects another digest')
    .option('--allow-unknown', 'skip unknown headers whose type has the optional bit set')
    .option('--json', 'machine-readable output')
    .option('--trace <file>', 'write every page operation with its running digest to FILE (- for stderr)')
    .addOption(new Option('--hash-backend <name>', 'hashing backend').choices(['node', 'noble']).default('node'))
    .action(async (file, opts) => (await import('./commands/igvm-measure.js')).runIgvmMeasure(file, opts));
  igvm
    .command('inspect')
    .description('show platforms, masks, directives, VP contexts, parameter areas and the SNP ID block of an IGVM file')
    .argument('<file>', 'IGVM file')
    .option('--json', 'machine-readable output')
    .option('--svg <file>', 'also draw the guest physical memory map per platform to FILE')
    .option('--allow-unknown', 'skip unknown headers whose type has the optional bit set')
    .action(async (file, opts) => (await import('./commands/igvm-inspect.js')).runIgvmInspect(file, opts));
  const igvmSign = igvm
    .command('sign')
    .description('write the file with a signed SEV-SNP ID block, as COCONUT igvmmeasure sign does (byte-identical)')
    .argument('<file>', 'IGVM file')
    .requiredOption('-o, --output <file>', 'the signed IGVM file to write (not the input)');
  addSigningOptions(igvmSign, { idKey: 'ID private key, P-384 SEC1 PEM (PKCS#8 with --allow-pkcs8)', required: true })
    .option('--allow-pkcs8', 'also accept PKCS#8 (plain or encrypted) and DER keys, which igvmmeasure refuses')
    .option('--replace-idblock', 'replace an SNP ID block the file already has (default: refuse)')
    .addOption(new Option('--platform <platform>', 'platform to sign for (only sev-snp)').choices(['sev-snp', 'sev-es', 'sev']).default('sev-snp'))
    .option('--check-kvm', 'apply igvmmeasure\'s QEMU/KVM checks before signing')
    .option('--native-zero', 'sign the digest that measures pages without data as SNP ZERO pages')
    .option('--allow-unknown', 'skip unknown headers whose type has the optional bit set')
    .option('--json', 'machine-readable summary')
    .addOption(new Option('--hash-backend <name>', 'hashing backend').choices(['node', 'noble']).default('node'))
    .action(async (file, opts) => (await import('./commands/igvm-sign.js')).runIgvmSign(file, opts));
  const keySources = (c: Command): Command => c
    .option('--signer <name>', 'signer name written in the COSE protected header (corim-meta); give the same to prepare and assemble')
    .option('--passphrase-file <file>', 'passphrase of an encrypted key: first line of FILE')
    .option('--passphrase-env <var>', 'passphrase of an encrypted key: environment variable VAR');
  const igvmCorim = igvm
    .command('corim')
    .description('add a CoRIM launch endorsement (igvm crate CORIM_DOCUMENT header) per SEV-SNP/TDX/VBS platform, optionally signed (CORIM_SIGNATURE)')
    .argument('<file>', 'IGVM file')
    // not requiredOption: commander checks a parent's mandatory options for its subcommands too
    .option('-o, --output <file>', 'the IGVM file to write (not the input; required)')
    .option('--platform <platform>', 'endorse this platform only: sev-snp, tdx or vbs (repeatable; default every SEV-SNP, TDX and VBS platform)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--svn <n>', 'the SVN the CoRIM endorses for the digest (u64, default 0)')
    .option('--replace', 'replace a CoRIM (and its signature) the file already has for the platform (default: refuse)')
    .option('--sign-key <file>', 'also sign each CoRIM (COSE_Sign1, ES384) with this P-384 private key (PEM or DER)');
  keySources(igvmCorim)
    .option('--allow-unknown', 'skip unknown headers whose type has the optional bit set')
    .option('--json', 'machine-readable summary')
    .addOption(new Option('--hash-backend <name>', 'hashing backend').choices(['node', 'noble']).default('node'))
    .action(async (file, opts) => (await import('./commands/igvm-corim.js')).runIgvmCorim(file, opts));
  keySources(igvmCorim.command('prepare'))
    .description('write what an external signer signs for a platform\'s CoRIM: corim-<platform>.tbs (COSE Sig_structure) and corim-<platform>.cbor')
    .argument('<file>', 'IGVM file carrying the CoRIM document')
    .requiredOption('--platform <platform>', 'sev-snp, tdx or vbs')
    .option('--out-dir <dir>', 'where to write the files', '.')
    .option('--allow-unknown', 'skip unknown headers whose type has the optional bit set')
    .option('--json', 'machine-readable summary')
    .action(async (file, opts) => (await import('./commands/igvm-corim.js')).runIgvmCorimPrepare(file, opts));
  keySources(igvmCorim.command('assemble'))
    .description('add the external signer\'s signature of a platform\'s CoRIM to the file (verified with --pubkey first)')
    .argument('<file>', 'IGVM file carrying the CoRIM document')
    .requiredOption('--platform <platform>', 'sev-snp, tdx or vbs')
    .requiredOption('--signature <file>', 'ECDSA P-384/SHA-384 signature of corim-<platform>.tbs: DER or raw r||s, binary, hex or base64')
    .requiredOption('--pubkey <file>', 'the signer\'s P-384 public key (PEM or DER)')
    .requiredOption('-o, --output <file>', 'the IGVM file to write (not the input)')
    .option('--replace', 'replace a signature the document already has (default: refuse)')
    .option('--allow-unknown', 'skip unknown headers whose type has the optional bit set')
    .option('--json', 'machine-readable summary')
    .action(async (file, opts) => (await import('./commands/igvm-corim.js')).runIgvmCorimAssemble(file, opts));
  igvmCorim.command('verify')
    .description('check that each SEV-SNP/TDX/VBS platform\'s CoRIM endorses the file\'s digest and its signature verifies with --pubkey')
    .argument('<file>', 'IGVM file')
    .requiredOption('--pubkey <file>', 'the signer\'s P-384 public key (PEM or DER)')
    .option('--platform <platform>', 'check this platform only: sev-snp, tdx or vbs (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--passphrase-file <file>', 'passphrase of an encrypted key given as --pubkey: first line of FILE')
    .option('--passphrase-env <var>', 'passphrase of an encrypted key given as --pubkey: environment variable VAR')
    .option('--allow-unknown', 'skip unknown headers whose type has the optional bit set')
    .option('--json', 'machine-readable result')
    .addOption(new Option('--hash-backend <name>', 'hashing backend').choices(['node', 'noble']).default('node'))
    .action(async (file, opts) => (await import('./commands/igvm-corim.js')).runIgvmCorimVerify(file, opts));
  igvm
    .command('diff')
    .description('what differs between two IGVM files: headers, per-platform digests, the first measured page that differs')
    .argument('<a>', 'IGVM file')
    .argument('<b>', 'IGVM file')
    .option('--allow-unknown', 'skip unknown headers whose type has the optional bit set')
    .option('--json', 'machine-readable output')
    .addOption(new Option('--hash-backend <name>', 'hashing backend').choices(['node', 'noble']).default('node'))
    .action(async (a, b, opts) => (await import('./commands/igvm-diff.js')).runIgvmDiff(a, b, opts));
  const igvmBuild = igvm
    .command('build')
    .description('build an IGVM file from an SVSM kernel, boot loader and firmware, byte-identical to COCONUT igvmbuilder')
    .argument('<hypervisor>', 'qemu | hyper-v | vanadium')
    .requiredOption('-k, --kernel <file>', 'SVSM kernel ELF (x86-64, statically linked)')
    .requiredOption('-o, --output <file>', 'the IGVM file to write')
    .option('-b, --bldr <file>', 'boot loader flat binary (needed for TDP, and for SNP on QEMU/Vanadium)')
    .option('--tdx-stage1 <file>', 'TDX stage 1 binary, exactly 4096 bytes (with --tdp)')
    .option('--filesystem <file>', 'filesystem image, loaded at 8 MiB')
    .option('-f, --firmware <file>', 'QEMU/Vanadium: a flat OVMF image (OVMF.fd); Hyper-V: an IGVM firmware file')
    .option('-c, --comport <n>', 'SVSM console COM port, 1-4', '1')
    .option('--policy <hex>', 'SNP guest policy, hex (e.g. 0x30000); needs --snp')
    .option('--snp', 'include the SEV-SNP platform')
    .option('--tdp', 'include the TDX (TD partitioning) platform')
    .option('--native', 'include the NATIVE platform (writes an IGVM v2 file)')
    .option('--vsm', 'include the VSM isolation platform')
    .option('--no-vtom', 'do not use vTOM in the SVSM')
    .option('--alt-injection', 'use alternate injection if available')
    .option('--sev-features <list>', `extra VMSA SEV features, comma-separated: reflect-vc, alternate-injection, prevent-host-ibs, snpbtb-isolation, vmpl-sss, secure-tsc-en, vmsa-reg-prot, smt-protection`, (v: string, prev: string[] = []) => [...prev, v])
    .option('--sort', 'sort the page directives by GPA (the official build does)')
    .option('-v, --verbose', 'print what the builder notices (merged OVMF regions)')
    .option('--measure', 'print the launch digest of every platform in the file')
    .option('--manifest <file>', 'write the digests, the sha256 of every input and the memory layout as JSON');
  addSigningOptions(igvmBuild, { idKey: 'sign an SNP ID block into the file with this P-384 key (needs --snp and --policy)' })
    .addOption(new Option('--hash-backend <name>', 'hashing backend').choices(['node', 'noble']).default('node'))
    .action(async (hypervisor, opts) => (await import('./commands/igvm-build.js')).runIgvmBuild(hypervisor, opts));
}

function defineIdBlock(program: Command): void {
  // SEV-SNP ID block / ID auth (src/cli/commands/id-block.ts) and guest policy (policy.ts)
  const idBlockFields = (c: Command): Command => c
    .option('--measurement <digest>', 'the 48-byte launch digest, hex (96 digits) or base64')
    .option('--from-measure <source>', 'compute the digest: measure flags in quotes ("--mode snp --vcpus 4 …"), or read `prelaunch measure` output from FILE (- for stdin)')
    .option('--family-id <hex>', 'FAMILY_ID, 16 bytes hex (default zero)')
    .option('--image-id <hex>', 'IMAGE_ID, 16 bytes hex (default zero)')
    .option('--guest-svn <n>', 'GUEST_SVN, u32 (default 0)')
    .option('--policy <policy>', 'guest policy: a number or fields, e.g. smt,abi=1.55 (default 0x30000)');
  const idBlockOutputs = (c: Command): Command => c
    .option('--json', 'JSON: idBlock, idAuth, idKeyDigest, authorKeyDigest, measurement, familyId, imageId, guestSvn, policy')
    .addOption(new Option('--emit <target>', 'print a launch snippet instead').choices(['qemu', 'libvirt']))
    .option('--host-data <data>', 'HOST_DATA for the launch snippet, 32 bytes hex or base64')
    .option('--cbitpos <n>', 'C-bit position for the launch snippet (default 51, every SNP-capable EPYC)')
    .option('--reduced-phys-bits <n>', 'reduced-phys-bits for the launch snippet (default 1)')
    .addOption(new Option('--kernel-hashes <on|off>', 'for the launch snippet: whether the measurement includes a kernel (needed when the digest is given as a value; --from-measure knows)').choices(['on', 'off']))
    .option('--id-block-out <file>', 'also write the 96-byte ID block to FILE')
    .option('--id-auth-out <file>', 'also write the 4096-byte ID auth to FILE');
  const passphraseOpts = (c: Command): Command => c
    .option('--passphrase-file <file>', 'passphrase of encrypted keys: first line of FILE')
    .option('--passphrase-env <var>', 'passphrase of encrypted keys: environment variable VAR');
  const idBlock = program
    .command('id-block')
    .description('build and sign an SEV-SNP ID block and ID auth (flags compatible with snp-create-id-block)')
    .enablePositionalOptions();
  idBlockOutputs(passphraseOpts(idBlockFields(idBlock)))
    .option('--id-key <file>', 'ID private key, P-384 PEM or DER (SEC1 or PKCS#8)')
    .addOption(new Option('--idkey <file>').hideHelp())
    .option('--author-key <file>', 'author private key, P-384 (optional: without it author-key-enabled is off)')
    .addOption(new Option('--authorkey <file>').hideHelp())
    .action(async (opts) => (await import('./commands/id-block.js')).runIdBlock(opts));
  passphraseOpts(idBlockFields(idBlock.command('prepare')))
    .description('write the bytes each key must sign (for keys in an HSM or KMS): id-block.bin (96 B, ID key) and id-key.bin (1028 B, author key)')
    .option('--id-pubkey <file>', 'ID public key, PEM or DER')
    .option('--id-key <file>', 'or the ID private key (only its public half is used)')
    .addOption(new Option('--idkey <file>').hideHelp())
    .option('--out-dir <dir>', 'where to write id-block.bin and id-key.bin', '.')
    .option('--json', 'machine-readable output')
    .action(async (opts) => (await import('./commands/id-block.js')).runIdBlockPrepare(opts));
  idBlockOutputs(passphraseOpts(idBlock.command('assemble')))
    .description('build ID auth from detached signatures (DER or raw r||s), verifying each')
    .requiredOption('--id-block <file>', 'the 96-byte ID block (from prepare)')
    .requiredOption('--id-pubkey <file>', 'ID public key, PEM or DER')
    .requiredOption('--id-block-sig <file>', 'the ID key\'s signature of the ID block')
    .option('--author-pubkey <file>', 'author public key, PEM or DER')
    .option('--id-key-sig <file>', 'the author key\'s signature of id-key.bin')
    .action(async (opts) => (await import('./commands/id-block.js')).runIdBlockAssemble(opts));
  idBlock
    .command('verify')
    .description('check an ID block + ID auth pair: signatures, key digests and optionally the measurement')
    .requiredOption('--id-block <data>', 'ID block: base64/hex, or a file (raw or base64)')
    .requiredOption('--id-auth <data>', 'ID auth: base64/hex, or a file (raw or base64)')
    .option('--measurement <digest>', 'expected launch digest (hex or base64)')
    .option('--from-measure <source>', 'expected launch digest: measure flags in quotes, or `prelaunch measure` output FILE')
    .option('--id-key-digest <hex>', 'expected ID key digest')
    .option('--author-key-digest <hex>', 'expected author key digest')
    .option('--json', 'machine-readable output')
    .action(async (opts) => (await import('./commands/id-block.js')).runIdBlockVerify(opts));
}

function definePolicy(program: Command): void {
  const policy = program.command('policy').description('SEV-SNP guest policy bits');
  policy
    .command('decode')
    .description('show the fields of a policy value')
    .argument('<value>', 'policy, e.g. 0x30000')
    .option('--json', 'machine-readable output')
    .action(async (value, opts) => (await import('./commands/policy.js')).runPolicyDecode(value, opts));
  policy
    .command('encode')
    .description('compose a policy from fields: smt, migrate-ma, debug, single-socket, cxl-allow, aes-256-xts, rapl-dis, ciphertext-hiding, page-swap-disable, abi=MAJOR.MINOR')
    .argument('[fields...]', 'fields, separated by spaces or commas')
    .option('--json', 'machine-readable output')
    .action(async (fields, opts) => (await import('./commands/policy.js')).runPolicyEncode(fields, opts));
}

function defineTdx(program: Command): void {
  // Intel TDX: MRTD / RTMR prediction, CCEL replay and diff (src/cli/commands/tdx.ts)
  const tdx = program
    .command('tdx')
    .description('Intel TDX: MRTD of a TDVF/OVMF image; with --memory, the RTMR0-2 event lists of a QEMU direct boot')
    .option('--firmware <file>', 'TDVF/OVMF firmware image')
    .option('--page-order <order>', 'MRTD page order: single (upstream KVM, QEMU >= 9), two (QEMU 8.2 TDX stacks) or both (default)')
    .option('--vmm-version <version>', 'the QEMU version: picks the page order (8.x: two, >= 9: single) and whether edk2 measures the kernel patched (>= 10.0 serves etc/boot/kernel)')
    .option('--memory <size>', 'guest memory, QEMU -m syntax (2048 = MiB, 2G, 64G): predicts RTMR0; checks TD_HOB/TempMem sections lie in guest RAM')
    .option('--kernel <file>', 'bzImage for QEMU direct boot: predicts RTMR1 and RTMR2')
    .option('--initrd <file>', 'initrd for QEMU direct boot')
    .option('--append <cmdline>', 'kernel command line (QEMU -append; UTF-8, for other bytes use --append-file)')
    .option('--append-file <file>', 'kernel command line: the exact bytes of FILE')
    .option('--acpi-dir <dir>', 'QEMU fw_cfg ACPI blobs: table-loader, rsdp, tables (or etc/... as under /sys/firmware/qemu_fw_cfg/by_name)')
    .option('--no-kernel-patch', 'hash the kernel as given, without QEMU\'s setup-header patch (overrides the rule --vmm-version applies)')
    .option('--edk2-version <YYYY.MM>', 'the TDVF\'s edk2 generation, when the image carries no version string (RTMR events depend on it)')
    .option('--fw-cfg <tar>', 'QEMU\'s fw_cfg files (fwcfg.tar: by_name/NAME/raw): the fw_cfg items edk2 >= 2025.05 measures and the ACPI blobs')
    .option('--boot-menu', 'QEMU runs with -boot menu=on (the fw_cfg BootMenu item edk2 >= 2025.05 measures is 1)')
    .option('--td-attributes <value>', 'TD_ATTRIBUTES to report (u64, e.g. 0x10000000 = SEPT_VE_DISABLE)')
    .option('--xfam <value>', 'XFAM to report (u64)')
    .option('--mrconfigid <value>', 'MRCONFIGID to report: 48 bytes, hex or base64')
    .option('--mrowner <value>', 'MROWNER to report: 48 bytes, hex or base64')
    .option('--mrownerconfig <value>', 'MROWNERCONFIG to report: 48 bytes, hex or base64')
    .option('--ccel-out <file>', 'also write the predicted events as a CCEL event log')
    .option('--no-cache', 'read the TDVF\'s compressed volumes afresh (no firmware facts cache; see docs/cli.md)')
    .option('--json', 'machine-readable output: {"mrtd": hex (or {single, two}), …}')
    .addOption(new Option('--hash-backend <name>', 'hashing backend').choices(['node', 'noble']).default('node'))
    .action(async (opts) => (await import('./commands/tdx.js')).runTdx(opts));
  tdx
    .command('replay')
    .description('parse a CCEL (TCG crypto-agile) event log and replay RTMR0-3')
    .argument('<ccel>', 'event log file (the CCEL log area, e.g. /sys/firmware/acpi/tables/data/CCEL)')
    .option('--json', 'machine-readable output')
    .action(async (file, opts) => (await import('./commands/tdx.js')).runTdxReplay(file, opts));
  tdx
    .command('diff')
    .description('name the first event whose digest differs between a prediction and an event log (exit 1 when one does)')
    .argument('<predicted>', 'JSON from `prelaunch tdx … --memory … --json`')
    .argument('<ccel>', 'event log file')
    .option('--json', 'machine-readable output')
    .action(async (predicted, ccel, opts) => (await import('./commands/tdx.js')).runTdxDiff(predicted, ccel, opts));
}

function defineTpm(program: Command): void {
  // vTPM measured boot of OVMF under QEMU (src/cli/commands/tpm.ts, docs/measured-boot.md)
  const tpm = program.command('tpm').description('vTPM measured boot: predict the PCRs OVMF extends when QEMU direct-boots a kernel, replay and diff TCG2 event logs');
  tpm
    .command('predict')
    .description('PCRs (sha256 and sha384 banks) and the event list of an OVMF guest that QEMU direct-boots')
    .option('--from-qemu <file>', 'read firmware, varstore, -kernel/-initrd/-append, -m and -smp from a QEMU command line (- for stdin); flags also given must agree')
    .option('--from-libvirt <file>', 'the same from a libvirt domain XML (virsh dumpxml NAME; - for stdin)')
    .option('--firmware-descriptors <dir>', 'with --from-libvirt and <os firmware=\'efi\'>: QEMU firmware descriptors (default /usr/share/qemu/firmware, /etc/qemu/firmware)')
    .option('--stack <file>', 'host stack file (`prelaunch host probe`): the QEMU version, when --qemu-version is not given')
    .option('--firmware <file>', 'OVMF_CODE (or a unified OVMF image)')
    .option('--vars <file>', 'OVMF_VARS varstore (its secure-boot keys are measured); default: empty')
    .option('--kernel <file>', 'bzImage with an EFI stub (QEMU -kernel)')
    .option('--initrd <file>', 'initrd (QEMU -initrd)')
    .option('--append <cmdline>', 'kernel command line (QEMU -append; UTF-8, for other bytes use --append-file)')
    .option('--append-file <file>', 'kernel command line: the exact bytes of FILE')
    .option('--qemu-version <version>', 'QEMU version X.Y[.Z] (modelled: 7.2, 10.0, 11.1)')
    .option('--memory <size>', 'guest memory, QEMU -m syntax (1024 = MiB, 2G)')
    .option('--smp <n>', 'vCPUs (they enter only the ACPI tables, measured from --fw-cfg)')
    .option('--fw-cfg <tar>', 'QEMU\'s fw_cfg files (a capture\'s fwcfg.tar: by_name/NAME/raw): the ACPI blobs edk2 measures')
    .option('--tables <tar>', 'the guest\'s ACPI/SMBIOS tables (tables.tar; unused by the modelled generations)')
    .option('--edk2-version <YYYY.MM>', 'the firmware\'s edk2 generation, when the image carries no version string')
    .option('--log-out <file>', 'also write the predicted events as a TCG2 event log')
    .option('--log-omit-unknown', 'with --log-out: leave out events whose digest is not predicted (PCR0\'s PEIFV)')
    .option('--no-cache', 'read the firmware\'s compressed volumes afresh (no firmware facts cache; see docs/cli.md)')
    .option('--json', 'machine-readable output: {"pcrs": {"sha256": {...}, "sha384": {...}}, "events": [...]}')
    .addOption(new Option('--hash-backend <name>', 'hashing backend').choices(['node', 'noble']).default('node'))
    .action(async (opts) => (await import('./commands/tpm.js')).runTpmPredict(opts));
  tpm
    .command('replay')
    .description('parse a TCG2 (crypto-agile) event log and replay the PCRs of every bank')
    .argument('<log>', 'event log, e.g. /sys/kernel/security/tpm0/binary_bios_measurements')
    .option('--json', 'machine-readable output')
    .addOption(new Option('--hash-backend <name>', 'hashing backend').choices(['node', 'noble']).default('node'))
    .action(async (file, opts) => (await import('./commands/tpm.js')).runTpmReplay(file, opts));
  tpm
    .command('diff')
    .description('name the first event where a prediction and a TCG2 event log differ (exit 1 when one does)')
    .argument('<predicted>', 'JSON from `prelaunch tpm predict … --json`')
    .argument('<log>', 'event log file')
    .option('--bank <name>', 'digest bank to compare (default sha256)')
    .option('--json', 'machine-readable output')
    .action(async (predicted, log, opts) => (await import('./commands/tpm.js')).runTpmDiff(predicted, log, opts));
}

function defineHost(program: Command): void {
  // the host stack (src/stack/probe.ts, src/cli/commands/host-probe.ts)
  const host = program.command('host').description('the host stack measurements depend on');
  host
    .command('probe')
    .description('read (without root) the QEMU version, host kernel, kvm_amd parameters, CPU signature and libvirt host-model, and write a stack file for measure --stack')
    .option('-o, --output <file>', 'write the stack file here')
    .option('--json', 'print the stack file on stdout')
    .option('--root <dir>', 'read the files under DIR instead of / (runs no commands)')
    .action(async (opts) => (await import('./commands/host-probe.js')).runHostProbe(opts));
}
