/**
 * `prelaunch measure`: sev-snp-measure's flags → {@link measure} → the same stdout.
 */
import { fromHex, toHex } from '../../bytes/hex.js';
import { OptionError, PrelaunchError } from '../../errors.js';
import { VCPU_TYPES, cpuSig, isVcpuType, MAX_FAMILY } from '../../formats/snp/vcpu-types.js';
import { VMM_TYPES, VMSA_PROFILES, DEFAULT_VMSA_PROFILE, type VmmType, type VmsaProfileName } from '../../formats/snp/vmsa-profiles.js';
import { loadHashBackend, type HashBackend, type HashBackendName } from '../../hash/index.js';
import { measure, inputSha256, type MeasureOptions, type Measurement, type SevMode } from '../../measure/api.js';
import { measureReportJson, referenceLine, type InputDescription } from '../../report/measure-report.js';
import { sevTraceLine, snpTraceLine, traceHeader } from '../../report/trace.js';
import { VERSION } from '../../version.js';
import { LIMITS, OpenFiles, Outputs, inputSize, readInput, type FileSource, type TextSink, writeStdout } from '../io.js';
import { intOption } from '../numbers.js';
import { cmdlineFromFlags, trailingNewlineWarning } from '../cmdline-flag.js';
import type { KernelCmdline } from '../../formats/linux/cmdline.js';
import { refuseWrongKind } from '../../formats/file-kind.js';
import { resolveStack, stackJson, type HostStack } from '../../stack/model.js';
import { deriveSev, ruleJson, type RuleHit } from '../../stack/rules.js';
import { writeStderr } from '../context.js';

/** The host stack the flags describe (--stack FILE, --qemu-version, --host-kernel, ...), or null. */
export function stackFromFlags(f: MeasureFlags, withDefaults: boolean): HostStack | null {
  let file: { name: string; doc: unknown } | undefined;
  if (f.stack !== undefined) {
    const text = new TextDecoder().decode(readInput(f.stack, '--stack', LIMITS.stackFile, 'a host stack file'));
    try {
      file = { name: f.stack, doc: JSON.parse(text) };
    } catch {
      throw new PrelaunchError('ERR_MALFORMED', `--stack ${f.stack}: not JSON (write one with \`prelaunch host probe\`)`, { file: f.stack });
    }
  }
  return resolveStack(
    {
      ...(f.qemuVersion !== undefined ? { qemuVersion: f.qemuVersion } : {}),
      ...(f.hostKernel !== undefined ? { hostKernel: f.hostKernel } : {}),
      ...(f.libvirtVersion !== undefined ? { libvirtVersion: f.libvirtVersion } : {}),
      ...(f.hostCpuSig !== undefined ? { hostCpuSig: f.hostCpuSig } : {}),
      ...(f.hostModel !== undefined ? { hostModel: f.hostModel } : {}),
      ...(file ? { file } : {}),
    },
    withDefaults,
  );
}

export interface MeasureFlags {
  mode?: SevMode;
  vcpus?: string;
  vcpuType?: string;
  vcpuSig?: string;
  vcpuFamily?: string;
  vcpuModel?: string;
  vcpuStepping?: string;
  vmmType?: string;
  vmsaProfile?: VmsaProfileName;
  ovmf?: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  appendFile?: string;
  /** undefined when not given: the mode's default (snp 0x1, seves 0) */
  guestFeatures?: string;
  outputFormat: 'hex' | 'base64' | 'json';
  verbose?: boolean;
  snpOvmfHash?: string;
  dumpVmsa?: boolean;
  svsm?: string;
  varsSize?: string;
  varsFile?: string;
  trace?: string;
  hashBackend: HashBackendName;
  // the launch stack as input (./measure-stack.ts)
  fromQemu?: string;
  fromLibvirt?: string;
  stack?: string;
  qemuVersion?: string;
  hostKernel?: string;
  libvirtVersion?: string;
  hostCpuSig?: string;
  hostModel?: string;
  firmwareDescriptors?: string;
  sysroot?: string;
}

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffff_ffffn;

/**
 * Resolve the vCPU signature: family/model/stepping, then --vcpu-sig, then --vcpu-type (the
 * precedence of sev-snp-measure). A --vcpu-type that loses to a different signature is named in
 * a warning: it is not what the VMSA carries.
 */
function resolveSig(f: MeasureFlags, warnings: string[]): { sig: number | undefined; type: string | null } {
  const r = resolveSigOnly(f);
  if (f.vcpuType !== undefined && r.type === null && r.sig !== undefined && isVcpuType(f.vcpuType)) {
    const [fam, model, step] = VCPU_TYPES[f.vcpuType];
    const typeSig = cpuSig(fam, model, step);
    const by = f.vcpuFamily !== undefined ? '--vcpu-family/--vcpu-model/--vcpu-stepping' : '--vcpu-sig';
    if (typeSig !== r.sig) warnings.push(`warning: --vcpu-type ${f.vcpuType} (signature 0x${typeSig.toString(16)}) is overridden by ${by}: the VMSAs carry 0x${r.sig.toString(16)}`);
  }
  return r;
}

function resolveSigOnly(f: MeasureFlags): { sig: number | undefined; type: string | null } {
  if (f.vcpuFamily !== undefined || f.vcpuModel !== undefined || f.vcpuStepping !== undefined) {
    if (f.vcpuFamily === undefined || f.vcpuModel === undefined || f.vcpuStepping === undefined) {
      throw new OptionError('--vcpu-family', '--vcpu-family, --vcpu-model and --vcpu-stepping go together');
    }
    const fam = Number(intOption('--vcpu-family', f.vcpuFamily, { min: 0n, max: BigInt(MAX_FAMILY) }));
    const model = Number(intOption('--vcpu-model', f.vcpuModel, { min: 0n, max: 255n }));
    const step = Number(intOption('--vcpu-stepping', f.vcpuStepping, { min: 0n, max: 15n }));
    return { sig: cpuSig(fam, model, step), type: null };
  }
  if (f.vcpuSig !== undefined) return { sig: Number(intOption('--vcpu-sig', f.vcpuSig, { auto: true, min: 0n, max: U32_MAX })), type: null };
  if (f.vcpuType !== undefined && isVcpuType(f.vcpuType)) {
    const [fam, model, step] = VCPU_TYPES[f.vcpuType];
    return { sig: cpuSig(fam, model, step), type: f.vcpuType };
  }
  return { sig: undefined, type: null };
}

function describe(src: FileSource | null, sha256: Uint8Array | null): InputDescription | null {
  return src ? { path: src.name, size: src.size, sha256: sha256 ? toHex(sha256) : '' } : null;
}

/** The flags, checked and resolved (everything but opening files). */
interface ResolvedFlags {
  mode: SevMode;
  vmm: VmmType;
  vmsaProfile: VmsaProfileName;
  vcpus: number | undefined;
  sig: number | undefined;
  vcpuType: string | null;
  /** as given, or the mode's default (snp and snp:svsm 0x1, seves 0, sev none) */
  guestFeatures: bigint | undefined;
  ovmfHash: Uint8Array | null;
  varsSize: number | undefined;
  /** the host stack, when one was given (--stack, --qemu-version, --host-kernel), and the rules it fired */
  stack: HostStack | null;
  hits: RuleHit[];
  cmdline: KernelCmdline | undefined;
  warnings: string[];
}

function resolveFlags(f: MeasureFlags): ResolvedFlags {
  if (f.mode === undefined) throw new OptionError('--mode', "required option '--mode <mode>' not specified (or measure a launch with --from-qemu / --from-libvirt)");
  if (f.ovmf === undefined) throw new OptionError('--ovmf', "required option '--ovmf <file>' not specified");
  const mode = f.mode;
  const stack = stackFromFlags(f, false);
  const usesVcpus = mode === 'seves' || mode === 'snp' || mode === 'snp:svsm';
  const stackVmm = stack ? (stack.vmm === 'QEMU' ? 'QEMU' : stack.vmm === 'gce' ? 'gce' : 'ec2') : null;
  if (stackVmm && f.vmmType !== undefined && f.vmmType !== stackVmm) throw new OptionError('--vmm-type', `${f.vmmType} contradicts the stack's VMM ${stack!.vmm}`);
  const vmmType = f.vmmType ?? stackVmm ?? (f.vmsaProfile ? VMSA_PROFILES[f.vmsaProfile].vmm : 'QEMU');
  if (!(VMM_TYPES as readonly string[]).includes(vmmType)) throw new OptionError('--vmm-type', `unknown VMM type '${vmmType}' (use QEMU, ec2 or gce)`);
  const vmm = vmmType as VmmType;
  if (f.vmsaProfile && VMSA_PROFILES[f.vmsaProfile].vmm !== vmm) {
    throw new OptionError('--vmsa-profile', `${f.vmsaProfile} is a profile for ${VMSA_PROFILES[f.vmsaProfile].vmm}, not --vmm-type ${vmm}`);
  }
  if (f.vmsaProfile && mode === 'snp:svsm') throw new OptionError('--vmsa-profile', 'snp:svsm has its own fixed VMSA');
  // the host stack derives the VMSA generation and SEV features (src/stack/rules.ts); explicit flags override
  const hits: RuleHit[] = [];
  let stackProfile: VmsaProfileName | null = null;
  let stackFeatures: bigint | null = null;
  if (stack) {
    if (mode === 'snp:svsm') throw new OptionError('--stack', 'snp:svsm (pre-IGVM COCONUT-SVSM) has its own fixed VMSA; the host stack does not apply');
    if (mode !== 'snp:ovmf-hash') {
      const d = deriveSev(stack, mode === 'snp' ? 'sev-snp' : mode === 'seves' ? 'sev-es' : 'sev', null);
      hits.push(...d.hits);
      if (mode !== 'sev') {
        stackProfile = d.vmsaProfile;
        stackFeatures = d.guestFeatures;
        if (f.vmsaProfile !== undefined && f.vmsaProfile !== d.vmsaProfile) hits.push({ rule: 'override', effect: `--vmsa-profile ${f.vmsaProfile} instead of ${d.vmsaProfile}` });
        if (f.guestFeatures !== undefined && mode === 'snp') hits.push({ rule: 'override', effect: `--guest-features ${f.guestFeatures} instead of 0x${d.guestFeatures.toString(16)}` });
      }
    }
  }
  const vmsaProfile = f.vmsaProfile ?? stackProfile ?? DEFAULT_VMSA_PROFILE[vmm];
  if (f.initrd !== undefined && f.kernel === undefined) throw new OptionError('--initrd', '--kernel is required when using --initrd');
  if (f.append !== undefined && f.kernel === undefined) throw new OptionError('--append', '--kernel is required when using --append');
  if (f.appendFile !== undefined && f.kernel === undefined) throw new OptionError('--append-file', '--kernel is required when using --append-file');
  if (f.dumpVmsa && mode === 'sev') throw new OptionError('--dump-vmsa', 'SEV guests have no VMSA (use seves, snp or snp:svsm)');
  if (f.dumpVmsa && mode === 'snp:ovmf-hash') throw new OptionError('--dump-vmsa', 'snp:ovmf-hash measures the firmware pages only, no VMSA');
  if (mode === 'sev' && f.vmsaProfile) throw new OptionError('--vmsa-profile', 'SEV guests have no VMSA (use --mode seves or snp)');
  if (mode !== 'snp:svsm') {
    for (const [flag, v] of [['--svsm', f.svsm], ['--vars-size', f.varsSize], ['--vars-file', f.varsFile]] as const) {
      if (v !== undefined) throw new OptionError(flag, `only used by --mode snp:svsm (not ${mode})`);
    }
  }
  if (f.snpOvmfHash !== undefined && mode !== 'snp') throw new OptionError('--snp-ovmf-hash', `only works with --mode snp (not ${mode})`);
  if (mode === 'snp:svsm' && vmm !== 'QEMU') throw new OptionError('--vmm-type', `snp:svsm is only defined for QEMU (got ${vmm})`);

  let vcpus: number | undefined;
  let sig: number | undefined;
  let vcpuType: string | null = null;
  const warnings: string[] = [];
  if (usesVcpus) {
    if (f.vcpus === undefined) throw new OptionError('--vcpus', `missing --vcpus N in guest mode '${mode}'`);
    vcpus = Number(intOption('--vcpus', f.vcpus, { min: 1n, max: 0xffffn }));
    ({ sig, type: vcpuType } = resolveSig(f, warnings));
    if (sig === undefined && vmm === 'QEMU') throw new OptionError('--vcpu-type', `missing --vcpu-type, --vcpu-sig or --vcpu-family in guest mode '${mode}'`);
  }
  // given: applied or refused by the library (src/measure/api.ts checkModeInputs, src/plan/sev.ts)
  const givenFeatures = f.guestFeatures !== undefined ? intOption('--guest-features', f.guestFeatures, { auto: true, min: 0n, max: U64_MAX }) : undefined;
  const guestFeatures = givenFeatures ?? (stackFeatures !== null && (mode === 'snp' || mode === 'seves') ? stackFeatures : mode === 'seves' ? 0n : mode === 'sev' ? undefined : 1n);
  const cmdline = cmdlineFromFlags(f.append, f.appendFile);
  const nl = trailingNewlineWarning(cmdline);
  if (nl) warnings.push(nl);
  let ovmfHash: Uint8Array | null = null;
  if (f.snpOvmfHash !== undefined) {
    ovmfHash = fromHex(f.snpOvmfHash);
    if (!ovmfHash) throw new OptionError('--snp-ovmf-hash', 'is not hex');
    if (ovmfHash.length !== 48) throw new OptionError('--snp-ovmf-hash', `must be 48 bytes (96 hex digits), got ${ovmfHash.length}`);
  }
  let varsSize: number | undefined;
  if (mode === 'snp:svsm') {
    if (f.svsm === undefined) throw new OptionError('--svsm', 'snp:svsm mode requires --svsm');
    if (f.varsFile !== undefined) varsSize = inputSize(f.varsFile, '--vars-file', LIMITS.varsFile, 'an OVMF vars store');
    else if (f.varsSize !== undefined) varsSize = Number(intOption('--vars-size', f.varsSize, { min: 0n, max: 0xffff_ffffn }));
    if (!varsSize) throw new OptionError('--vars-size', 'snp:svsm mode requires a non-zero --vars-size or --vars-file');
  }
  return { mode, vmm, vmsaProfile, vcpus, sig, vcpuType, guestFeatures, ovmfHash, varsSize, cmdline, warnings, stack, hits };
}

export interface FlagsMeasurement {
  measurement: Measurement;
  flags: ResolvedFlags;
  /** the `--output-format json` document, when asked for (it costs a SHA-256 of each input) */
  report: Record<string, unknown> | null;
}

export interface MeasureFromFlagsOptions {
  onPage?: MeasureOptions['onPage'];
  onPiece?: MeasureOptions['onPiece'];
  /** called once the flags are valid and the inputs open, just before hashing */
  beforeRun?: (r: ResolvedFlags) => void;
  /** also build the JSON report */
  report?: boolean;
}

/**
 * Compute the measurement the flags describe (files streamed, then closed). Used by
 * `measure` and by `id-block --from-measure "--mode snp …"`.
 */
export function measureFromFlags(f: MeasureFlags, backend: HashBackend, hooks: MeasureFromFlagsOptions = {}): FlagsMeasurement {
  const r = resolveFlags(f);
  const files = new OpenFiles();
  const open = (file: string, flag: string): FileSource => files.open(file, flag);
  const openBoot = (file: string, flag: string): FileSource => files.open(file, flag, undefined, LIMITS.bootStream, 'a kernel or initrd given as a stream');
  try {
    const ovmf = open(f.ovmf!, '--ovmf');
    refuseWrongKind(ovmf, ['ovmf'], '--ovmf', 'an OVMF image');
    const kernel = f.kernel !== undefined ? openBoot(f.kernel, '--kernel') : null;
    const initrd = f.initrd !== undefined ? openBoot(f.initrd, '--initrd') : null;
    const svsm = r.mode === 'snp:svsm' ? open(f.svsm!, '--svsm') : null;
    const opts: MeasureOptions = {
      mode: r.mode,
      ovmf,
      vmm: r.vmm,
      // sev has no VMSA: neither a profile nor features reach the library (which refuses them)
      ...(r.mode === 'seves' || r.mode === 'snp' ? { vmsaProfile: r.vmsaProfile } : {}),
      ...(r.guestFeatures !== undefined && r.mode !== 'snp:ovmf-hash' ? { guestFeatures: r.guestFeatures } : {}),
      hashBackend: backend,
      ...(r.vcpus !== undefined ? { vcpus: r.vcpus } : {}),
      ...(r.sig !== undefined ? { vcpuSig: r.sig } : {}),
      ...(kernel ? { directBoot: { kernel, initrd, append: r.cmdline ?? null } } : {}),
      ...(r.ovmfHash ? { ovmfHash: r.ovmfHash } : {}),
      ...(svsm ? { svsm, varsSize: r.varsSize! } : {}),
      ...(hooks.onPage ? { onPage: hooks.onPage } : {}),
      ...(hooks.onPiece ? { onPiece: hooks.onPiece } : {}),
      // without a host stack `measure` is the sev-snp-measure drop-in: that tool's value, and a warning wherever no real launch produces it
      model: r.stack ? 'stack' : 'sev-snp-measure',
    };
    for (const w of r.warnings) writeStderr(w + '\n');
    hooks.beforeRun?.(r);
    const m = measure(opts);
    for (const w of m.warnings) writeStderr(`warning: ${w}\n`);
    // the report's input digests are computed while the files are open, and only when asked for
    const report = hooks.report
      ? measureReportJson(m, {
          tool: `prelaunch ${VERSION}`,
          hashBackend: backend.name,
          vmmType: r.vmm,
          vmsaProfile: r.mode === 'snp:svsm' ? null : r.vmsaProfile,
          vcpus: r.vcpus ?? null,
          vcpuType: r.vcpuType,
          vcpuSig: r.sig ?? null,
          guestFeatures: r.guestFeatures ?? null,
          firmware: describe(ovmf, inputSha256(ovmf, backend))!,
          svsm: svsm ? describe(svsm, inputSha256(svsm, backend)) : null,
          varsSize: r.varsSize ?? null,
          kernel: describe(kernel, null),
          initrd: describe(initrd, null),
          cmdline: r.cmdline ?? null,
          ovmfHash: r.ovmfHash,
        })
      : null;
    if (report) Object.assign(report, { model: opts.model, warnings: m.warnings });
    if (report && r.stack) Object.assign(report, { stack: stackJson(r.stack), rules: r.hits.map(ruleJson) });
    return { measurement: m, flags: r, report };
  } finally {
    files.close();
  }
}

export async function runMeasure(f: MeasureFlags): Promise<void> {
  if (f.fromQemu !== undefined || f.fromLibvirt !== undefined) return (await import('./measure-stack.js')).runMeasureFromLaunch(f);
  for (const [flag, v] of [['--firmware-descriptors', f.firmwareDescriptors], ['--sysroot', f.sysroot]] as const) {
    if (v !== undefined) throw new OptionError(flag, 'only applies to --from-qemu / --from-libvirt');
  }
  const backend = await loadHashBackend(f.hashBackend);
  // every output is checked before the work and committed together after it
  const out = new Outputs();
  let trace = null as TextSink | null;
  try {
    if (f.trace !== undefined && f.trace !== '-') out.add(f.trace, '--trace');
    if (f.dumpVmsa) out.add('vmsa0.bin', '--dump-vmsa');
    // the trace file is created only once the flags are valid and the inputs are open
    const result = measureFromFlags(f, backend, {
      report: f.outputFormat === 'json',
      ...(f.trace !== undefined
        ? {
            beforeRun: (r: ResolvedFlags) => {
              trace = out.textSink(f.trace!, '--trace');
              trace.write(traceHeader({ mode: r.mode, vmm: r.vmm, vmsaProfile: r.vmsaProfile, vcpus: r.vcpus ?? '-', vcpuSig: r.sig !== undefined ? `0x${r.sig.toString(16)}` : '-', guestFeatures: r.guestFeatures !== undefined ? `0x${r.guestFeatures.toString(16)}` : '-', ovmf: f.ovmf! }));
            },
            onPage: (e) => trace!.write(snpTraceLine(e)),
            onPiece: (e) => trace!.write(sevTraceLine(e)),
          }
        : {}),
    });
    trace?.close();
    const m = result.measurement;
    if (f.dumpVmsa) m.vmsas.forEach((page, i) => out.write(`vmsa${i}.bin`, page, '--dump-vmsa'));
    out.commit();
    if (f.outputFormat === 'json') writeStdout(JSON.stringify(result.report, null, 2) + '\n');
    else writeStdout(referenceLine(m, f.outputFormat, f.verbose === true) + '\n');
  } catch (e) {
    trace?.discard();
    throw e;
  } finally {
    out.abort();
  }
}
