/**
 * `prelaunch tpm predict …`: vTPM PCRs of an OVMF guest QEMU direct-boots; `tpm replay LOG`:
 * PCRs replayed from a TCG2 log; `tpm diff PREDICTED.json LOG`: the first event where they part.
 */
import * as fs from 'node:fs';
import { toHex } from '../../bytes/hex.js';
import { bytesSource } from '../../bytes/source.js';
import { OptionError, PrelaunchError } from '../../errors.js';
import { refuseWrongKind } from '../../formats/file-kind.js';
import { encodeTcgLog, TPM_ALG } from '../../formats/tcg/event-log.js';
import { readTar } from '../../formats/tar.js';
import { loadHashBackend, type HashBackendName } from '../../hash/index.js';
import { diffTpmEvents, type PredictedEventSummary } from '../../measured-boot/diff.js';
import { predictTpmPcrs } from '../../measured-boot/predict.js';
import { replayTpmLog } from '../../measured-boot/replay.js';
import { renderTpmDiff, renderTpmPrediction, renderTpmReplay, tpmPredictionJson, tpmReplayJson } from '../../report/tpm-report.js';
import { parseJsonDocument } from '../../schema/validate.js';
import { cmdlineFromFlags, trailingNewlineWarning } from '../cmdline-flag.js';
import { LIMITS, OpenFiles, Outputs, firmwareFactsCache, readInput, writeStdout } from '../io.js';
import { setExitCode, writeStderr } from '../context.js';
import { parseQemuMemorySize } from '../../formats/qemu/memory-size.js';
import type { KernelCmdline } from '../../formats/linux/cmdline.js';
import { vtpmLaunchFromLibvirt } from '../../stack/libvirt-domain.js';
import { parseVersion, versionString } from '../../stack/version.js';
import { vtpmLaunchFromQemu, type VtpmLaunch } from '../../stack/vtpm-launch.js';
import { resolvePath as cwdPath } from '../context.js';

export interface TpmPredictFlags {
  /** --no-cache: false */
  cache?: boolean;
  firmware?: string;
  vars?: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  appendFile?: string;
  qemuVersion?: string;
  memory?: string;
  smp?: string;
  tables?: string;
  fwCfg?: string;
  edk2Version?: string;
  logOut?: string;
  logOmitUnknown?: boolean;
  json?: boolean;
  hashBackend: HashBackendName;
  fromQemu?: string;
  fromLibvirt?: string;
  firmwareDescriptors?: string;
  stack?: string;
}

/**
 * --from-qemu FILE / --from-libvirt DOMAIN.xml: the launch-stack readers `measure` uses
 * (src/stack/vtpm-launch.ts), merged into the flags. A flag the launch also gives must name
 * the same file or value (never one silently wins); --qemu-version may come from --stack.
 */
async function flagsFromLaunch(f: TpmPredictFlags): Promise<{ flags: TpmPredictFlags; append: KernelCmdline | undefined; appendVia: string | null; notes: string[] }> {
  const fromFlag = f.fromQemu !== undefined && f.fromLibvirt !== undefined ? null : f.fromQemu !== undefined ? '--from-qemu' : f.fromLibvirt !== undefined ? '--from-libvirt' : undefined;
  if (fromFlag === null) throw new OptionError('--from-libvirt', 'give --from-qemu or --from-libvirt, not both');
  if (f.firmwareDescriptors !== undefined && fromFlag !== '--from-libvirt') throw new OptionError('--firmware-descriptors', 'only applies to --from-libvirt');
  const flags = { ...f };
  const notes: string[] = [];
  if (f.stack !== undefined) {
    const { stackFromFlags } = await import('./measure.js');
    const stack = stackFromFlags({ stack: f.stack } as Parameters<typeof stackFromFlags>[0], false);
    if (!stack || stack.vmm !== 'QEMU') throw new OptionError('--stack', `${f.stack} does not describe a QEMU host`);
    if (stack.qemu === null) {
      if (f.qemuVersion === undefined) throw new OptionError('--stack', `${f.stack} records no QEMU version: give --qemu-version`);
    } else if (f.qemuVersion !== undefined) {
      const v = parseVersion(f.qemuVersion);
      if (!v || versionString(v) !== versionString(stack.qemu)) throw new OptionError('--qemu-version', `${f.qemuVersion} disagrees with --stack ${f.stack} (QEMU ${stack.qemu.text}): give one`);
    } else {
      flags.qemuVersion = versionString(stack.qemu);
      notes.push(`QEMU ${flags.qemuVersion} from --stack ${f.stack}`);
    }
  }
  let append = cmdlineFromFlags(f.append, f.appendFile);
  if (fromFlag === undefined) return { flags, append, appendVia: '--append-file', notes };
  const file = (f.fromQemu ?? f.fromLibvirt)!;
  const name = file === '-' ? 'stdin' : file;
  const bytes = readInput(file, fromFlag, LIMITS.launchConfig, 'a launch description', { stdin: true });
  let launch: VtpmLaunch;
  if (fromFlag === '--from-qemu') launch = vtpmLaunchFromQemu(bytes, name, { resolvePath: cwdPath });
  else {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new PrelaunchError('ERR_MALFORMED', `${name}: not UTF-8 text: not a libvirt domain XML`, { file: name });
    }
    const { loadDescriptors } = await import('./measure-stack.js');
    const descriptors = /<os\b[^>]*\bfirmware=/.test(text) ? loadDescriptors(f, (p) => p) : [];
    launch = vtpmLaunchFromLibvirt(text, name, { resolvePath: cwdPath, descriptors, exists: (p) => fs.existsSync(p) });
  }
  const disagree = (flag: string, given: string, what: string): OptionError => new OptionError(flag, `${given} disagrees with ${name}'s ${what}: give it once (or the same)`);
  const samePath = (flag: string, key: 'firmware' | 'vars' | 'kernel' | 'initrd'): void => {
    const given = f[key];
    const l = launch[key];
    if (given === undefined) {
      if (l) flags[key] = l.path;
      return;
    }
    if (!l) throw disagree(flag, given, `launch, which has no ${flag === '--vars' ? 'varstore' : flag.slice(2)}`);
    if (cwdPath(given) !== l.path) throw disagree(flag, given, `${l.via} ${l.path}`);
  };
  samePath('--firmware', 'firmware');
  samePath('--vars', 'vars');
  samePath('--kernel', 'kernel');
  samePath('--initrd', 'initrd');
  if (append !== undefined) {
    const given = typeof append === 'string' ? new TextEncoder().encode(append) : append;
    const flag = f.append !== undefined ? '--append' : '--append-file';
    if (!launch.append) throw disagree(flag, 'the command line', 'launch, which has no kernel command line');
    if (toHex(given) !== toHex(launch.append.bytes)) throw disagree(flag, 'the command line', launch.append.via);
  }
  let appendVia: string | null = '--append-file';
  if (append === undefined && launch.append) {
    append = launch.append.bytes;
    appendVia = null; // the launch's bytes are what QEMU gets: a trailing newline there is no mistake to warn of
  }
  if (f.memory !== undefined) {
    if (parseQemuMemorySize(f.memory, '--memory') !== launch.memory.bytes) throw disagree('--memory', f.memory, `${launch.memory.via} (${launch.memory.bytes} bytes)`);
  } else flags.memory = `${launch.memory.bytes}B`;
  if (f.smp !== undefined) {
    if (f.smp !== String(launch.vcpus.count)) throw disagree('--smp', f.smp, `${launch.vcpus.via} (${launch.vcpus.count} vCPUs)`);
  } else flags.smp = String(launch.vcpus.count);
  notes.push(`launch read from ${name} (${fromFlag}): firmware ${launch.firmware.via}${launch.vars ? `, varstore ${launch.vars.via}` : ''}, ${launch.memory.via}, ${launch.vcpus.count} vCPU${launch.vcpus.count === 1 ? '' : 's'}`, ...launch.notes);
  return { flags, append, appendVia, notes };
}

export async function runTpmPredict(f0: TpmPredictFlags): Promise<void> {
  const { flags: f, append: cmdline, appendVia, notes: launchNotes } = await flagsFromLaunch(f0);
  if (f.firmware === undefined) throw new OptionError('--firmware', 'required (OVMF_CODE or a unified OVMF image)');
  if (f.kernel === undefined) throw new OptionError('--kernel', 'required (only QEMU direct boot is modelled)');
  if (f.qemuVersion === undefined) throw new OptionError('--qemu-version', 'required (what QEMU hands the firmware depends on its version)');
  if (f.memory === undefined) throw new OptionError('--memory', 'required (the guest memory, QEMU -m: the QEMU-patched kernel depends on it)');
  const memory = parseQemuMemorySize(f.memory, '--memory');
  let smp: number | null = null;
  if (f.smp !== undefined) {
    if (!/^\d+$/.test(f.smp) || Number(f.smp) < 1 || Number(f.smp) > 4096) throw new OptionError('--smp', `${JSON.stringify(f.smp)} is not a vCPU count`);
    smp = Number(f.smp);
  }
  const out = new Outputs();
  if (f.logOut !== undefined) out.add(f.logOut, '--log-out');
  const backend = await loadHashBackend(f.hashBackend);
  const files = new OpenFiles();
  try {
    const firmware = readInput(f.firmware, '--firmware', LIMITS.firmwareStream, 'an OVMF firmware image');
    refuseWrongKind(bytesSource(firmware, f.firmware), ['ovmf'], '--firmware', 'an OVMF firmware image');
    const vars = f.vars !== undefined ? readInput(f.vars, '--vars', LIMITS.firmwareStream, 'an OVMF varstore') : null;
    const fwCfg = f.fwCfg !== undefined ? readInput(f.fwCfg, '--fw-cfg', LIMITS.firmwareStream, 'a fw_cfg dump (fwcfg.tar)') : null;
    const notes: string[] = [...launchNotes];
    if (f.tables !== undefined) {
      const t = readInput(f.tables, '--tables', LIMITS.firmwareStream, 'a tables.tar');
      readTar(t, f.tables); // checked; the modelled generations measure nothing from it
      notes.push('--tables: the modelled edk2 generations measure no SMBIOS or guest-table event (edk2 ≥ 2025.05 does): not used');
    }
    if (smp !== null) notes.push(`--smp ${smp}: vCPUs enter only QEMU's ACPI tables, which are measured from --fw-cfg`);
    const kernel = files.open(f.kernel, '--kernel', undefined, LIMITS.bootStream, 'a kernel given as a stream');
    const initrd = f.initrd !== undefined ? files.open(f.initrd, '--initrd', undefined, LIMITS.bootStream, 'an initrd given as a stream') : null;
    const p = predictTpmPcrs({
      firmware, vars, kernel, initrd, append: cmdline ?? null, qemuVersion: f.qemuVersion, memory, fwCfg,
      ...(smp !== null ? { smp } : {}),
      ...(f.edk2Version !== undefined ? { edk2Version: f.edk2Version } : {}),
      hashBackend: backend,
      firmwareFactsCache: firmwareFactsCache(f.cache !== false),
      names: { firmware: f.firmware, vars: f.vars ?? '--vars', fwCfg: f.fwCfg ?? '--fw-cfg' },
    });
    p.notes.push(...notes);
    const nl = appendVia !== null ? trailingNewlineWarning(cmdline, appendVia) : null;
    if (nl) p.warnings.push(nl.replace(/^warning: /, ''));
    if (f.logOut !== undefined) {
      const unknown = p.events.filter((e) => !e.digests);
      if (unknown.length && !f.logOmitUnknown) throw new OptionError('--log-out', `${unknown.length} event digest(s) are not predicted (${unknown.map((e) => `PCR${e.pcr} ${e.description.split(':')[0]}`).join('; ')}): add --log-omit-unknown to write the log without them`);
      const algs = [{ algorithmId: TPM_ALG.sha256, digestSize: 32 }, { algorithmId: TPM_ALG.sha384, digestSize: 48 }];
      const log = encodeTcgLog(algs, p.events.filter((e) => e.digests).map((e) => ({ pcrIndex: e.pcr, eventType: e.eventType, data: e.data, digests: [{ algorithmId: TPM_ALG.sha256, digest: e.digests!.sha256 }, { algorithmId: TPM_ALG.sha384, digest: e.digests!.sha384 }] })));
      out.write(f.logOut, log, '--log-out');
      if (unknown.length) p.warnings.push(`--log-out: ${unknown.length} event(s) not predicted were left out of the log; the PCRs it replays to differ from a real log's there`);
    }
    for (const w of p.warnings) writeStderr(`warning: ${w}\n`);
    out.commit();
    writeStdout(f.json ? JSON.stringify(tpmPredictionJson(p, { smp }), null, 2) + '\n' : renderTpmPrediction(p));
  } finally {
    files.close();
    out.abort();
  }
}

export async function runTpmReplay(file: string, opts: { json?: boolean; hashBackend?: HashBackendName }): Promise<void> {
  const backend = await loadHashBackend(opts.hashBackend ?? 'node');
  const log = readInput(file, 'tpm replay', LIMITS.ccel, 'a TCG2 event log');
  refuseWrongKind(bytesSource(log, file), ['event-log'], 'tpm replay', 'a TCG2 event log');
  const r = replayTpmLog(log, { hashBackend: backend, name: file });
  writeStdout(opts.json ? JSON.stringify(tpmReplayJson(r, file), null, 2) + '\n' : renderTpmReplay(r, file));
}

function predictedEvents(doc: unknown, file: string): PredictedEventSummary[] {
  const bad = (why: string): PrelaunchError => new PrelaunchError('ERR_MALFORMED', `${file}: not a \`prelaunch tpm predict --json\` document: ${why}`, { file });
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { events?: unknown }).events)) throw bad('no "events" list');
  return ((doc as { events: unknown[] }).events).map((e, i) => {
    const x = e as Record<string, unknown>;
    if (typeof x !== 'object' || x === null || !Number.isInteger(x.pcr) || typeof x.type !== 'string' || typeof x.description !== 'string') throw bad(`event ${i + 1} lacks pcr, type or description`);
    const d = x.digests;
    if (d !== null && (typeof d !== 'object' || Object.values(d as object).some((v) => typeof v !== 'string' || !/^[0-9a-f]+$/i.test(v)))) throw bad(`event ${i + 1} has malformed digests`);
    return { pcr: x.pcr as number, type: x.type, description: x.description, digests: d as Record<string, string> | null };
  });
}

export async function runTpmDiff(predictedFile: string, logFile: string, opts: { json?: boolean; bank?: string }): Promise<void> {
  const raw = parseJsonDocument(new TextDecoder().decode(readInput(predictedFile, 'tpm diff', LIMITS.tdxPrediction, 'a tpm predict --json document')), predictedFile, 'a `prelaunch tpm predict --json` document');
  const predicted = predictedEvents(raw, predictedFile);
  const log = readInput(logFile, 'tpm diff', LIMITS.ccel, 'a TCG2 event log');
  refuseWrongKind(bytesSource(log, logFile), ['event-log'], 'tpm diff', 'a TCG2 event log');
  const r = replayTpmLog(log, { name: logFile });
  const bank = opts.bank ?? 'sha256';
  if (!r.banks.includes(bank)) throw new OptionError('--bank', `${logFile} has no ${bank} bank (it has ${r.banks.join(', ')})`);
  const d = diffTpmEvents(predicted, r, bank);
  writeStdout(opts.json ? JSON.stringify(d, null, 2) + '\n' : renderTpmDiff(d));
  if (d.first) setExitCode(1);
}
