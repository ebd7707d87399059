/**
 * `prelaunch tpm predict …`: vTPM PCRs of an OVMF guest QEMU direct-boots; `tpm replay LOG`:
 * PCRs replayed from a TCG2 log; `tpm diff PREDICTED.json LOG`: the first event where they part.
 */
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
import { LIMITS, OpenFiles, Outputs, readInput, writeStdout } from '../io.js';
import { setExitCode, writeStderr } from '../context.js';
import { parseQemuMemorySize } from '../../formats/qemu/memory-size.js';

export interface TpmPredictFlags {
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
}

export async function runTpmPredict(f: TpmPredictFlags): Promise<void> {
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
  const cmdline = cmdlineFromFlags(f.append, f.appendFile);
  const out = new Outputs();
  if (f.logOut !== undefined) out.add(f.logOut, '--log-out');
  const backend = await loadHashBackend(f.hashBackend);
  const files = new OpenFiles();
  try {
    const firmware = readInput(f.firmware, '--firmware', LIMITS.firmwareStream, 'an OVMF firmware image');
    refuseWrongKind(bytesSource(firmware, f.firmware), ['ovmf'], '--firmware', 'an OVMF firmware image');
    const vars = f.vars !== undefined ? readInput(f.vars, '--vars', LIMITS.firmwareStream, 'an OVMF varstore') : null;
    const fwCfg = f.fwCfg !== undefined ? readInput(f.fwCfg, '--fw-cfg', LIMITS.firmwareStream, 'a fw_cfg dump (fwcfg.tar)') : null;
    const notes: string[] = [];
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
      names: { firmware: f.firmware, vars: f.vars ?? '--vars', fwCfg: f.fwCfg ?? '--fw-cfg' },
    });
    p.notes.push(...notes);
    const nl = trailingNewlineWarning(cmdline);
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
