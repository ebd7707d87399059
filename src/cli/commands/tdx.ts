/**
 * `prelaunch tdx --firmware FILE …`: MRTD (and, with --memory, RTMR0–2 event lists);
 * `prelaunch tdx replay CCEL`: replay an event log; `prelaunch tdx diff PREDICTED.json CCEL`:
 * the first event whose digest differs.
 */
import { cmdlineFromFlags, trailingNewlineWarning } from '../cmdline-flag.js';
import { toHex } from '../../bytes/hex.js';
import { bytesSource } from '../../bytes/source.js';
import { OptionError } from '../../errors.js';
import { parseOvmf } from '../../formats/ovmf/parse.js';
import { encodeCcel } from '../../formats/tdx/ccel.js';
import { checkTdMemory } from '../../formats/tdx/td-hob.js';
import { parseQemuMemorySize } from '../../formats/qemu/memory-size.js';
import { loadHashBackend, type HashBackendName } from '../../hash/index.js';
import { inputSha256 } from '../../measure/api.js';
import { mrtdOfImage } from '../../measure/tdx-mrtd.js';
import { diffRtmrs, predictRtmrs, replayCcel, type RtmrValues } from '../../measure/rtmr.js';
import { pageOrderForQemuVersion, type TdxPageOrder } from '../../plan/tdx.js';
import { renderReplay, renderRtmrDiff, renderTdxReport, replayJson, tdxReportJson, type TdxPolicyFields } from '../../report/tdx-report.js';
import { TDX_PREDICTION_SCHEMA } from '../../schema/tdx-prediction.js';
import { parseJsonDocument, validateDocument } from '../../schema/validate.js';
import { VERSION } from '../../version.js';
import { LIMITS, OpenFiles, Outputs, firmwareFactsCache, readInput, type FileSource, writeStdout } from '../io.js';
import { intOption } from '../numbers.js';
import { refuseWrongKind } from '../../formats/file-kind.js';
import { setExitCode, writeStderr } from '../context.js';
import { readAcpiDir } from '../acpi-dir.js';
import { parseBytesText } from '../../bytes/bytes-text.js';

export interface TdxFlags {
  /** --no-cache: false */
  cache?: boolean;
  firmware?: string;
  pageOrder?: string;
  vmmVersion?: string;
  json?: boolean;
  memory?: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  appendFile?: string;
  acpiDir?: string;
  kernelPatch?: boolean;
  tdAttributes?: string;
  xfam?: string;
  mrconfigid?: string;
  mrowner?: string;
  mrownerconfig?: string;
  ccelOut?: string;
  edk2Version?: string;
  fwCfg?: string;
  bootMenu?: boolean;
  hashBackend: HashBackendName;
}

const U64_MAX = (1n << 64n) - 1n;
/** QEMU `-m` syntax: a number with an optional K/M/G/T suffix; a bare number is MiB. */
export function parseMemory(text: string): number {
  const bytes = parseQemuMemorySize(text, '--memory');
  checkTdMemory(bytes);
  return bytes;
}

function mr48(flag: string, text: string | undefined): Uint8Array | null {
  if (text === undefined) return null;
  // 48 bytes as hex or base64 (QEMU's tdx-guest object takes base64); a usage error otherwise
  return parseBytesText(text, flag, { size: 48, code: 'ERR_INVALID_OPTION' });
}

function u64(flag: string, text: string | undefined): bigint | null {
  return text === undefined ? null : intOption(flag, text, { auto: true, min: 0n, max: U64_MAX });
}

function resolveOrders(f: TdxFlags): { orders: TdxPageOrder[]; source: string } {
  if (f.pageOrder !== undefined && f.vmmVersion !== undefined) throw new OptionError('--page-order', 'give --page-order or --vmm-version, not both');
  if (f.vmmVersion !== undefined) {
    const o = pageOrderForQemuVersion(f.vmmVersion);
    if (o === null) throw new OptionError('--vmm-version', `${JSON.stringify(f.vmmVersion)} is not a QEMU version (e.g. 8.2.2, 9.2.0)`);
    if (o === 'unsupported') throw new OptionError('--vmm-version', `QEMU ${f.vmmVersion} predates TDX support (8.x with the TDX patches, or >= 9)`);
    return { orders: [o], source: `from QEMU ${f.vmmVersion}: ${o === 'two' ? '[8.0, 9.0) uses the two-pass KVM TDX patches' : '>= 9.0 uses upstream KVM (single-pass)'}` };
  }
  const p = f.pageOrder ?? 'both';
  if (p === 'both') return { orders: ['single', 'two'], source: 'both orders (pick with --page-order or --vmm-version)' };
  if (p === 'single' || p === 'two') return { orders: [p], source: `--page-order ${p}` };
  throw new OptionError('--page-order', `must be single, two or both (got ${JSON.stringify(p)})`);
}

export async function runTdx(f: TdxFlags): Promise<void> {
  if (f.firmware === undefined) throw new OptionError('--firmware', 'required (the TDVF/OVMF image), or use a subcommand: replay, diff');
  const { orders, source } = resolveOrders(f);
  for (const [flag, v] of [['--edk2-version', f.edk2Version], ['--kernel', f.kernel], ['--initrd', f.initrd], ['--append', f.append], ['--append-file', f.appendFile], ['--acpi-dir', f.acpiDir], ['--ccel-out', f.ccelOut]] as const) {
    if (v !== undefined && f.memory === undefined) throw new OptionError(flag, 'RTMR prediction needs --memory (the guest memory size, QEMU -m)');
  }
  if ((f.initrd !== undefined || f.append !== undefined || f.appendFile !== undefined) && f.kernel === undefined) {
    throw new OptionError(f.initrd !== undefined ? '--initrd' : f.append !== undefined ? '--append' : '--append-file', 'needs --kernel (QEMU direct boot)');
  }
  const cmdline = cmdlineFromFlags(f.append, f.appendFile);
  const memory = f.memory !== undefined ? parseMemory(f.memory) : null;
  const policy: TdxPolicyFields = {
    tdAttributes: u64('--td-attributes', f.tdAttributes),
    xfam: u64('--xfam', f.xfam),
    mrconfigid: mr48('--mrconfigid', f.mrconfigid),
    mrowner: mr48('--mrowner', f.mrowner),
    mrownerconfig: mr48('--mrownerconfig', f.mrownerconfig),
  };
  const out = new Outputs();
  if (f.ccelOut !== undefined) out.add(f.ccelOut, '--ccel-out');
  if (f.acpiDir !== undefined && f.fwCfg !== undefined) throw new OptionError('--fw-cfg', 'give the ACPI blobs once: --acpi-dir or --fw-cfg, not both');
  const acpi = f.acpiDir !== undefined ? readAcpiDir(f.acpiDir, '--acpi-dir') : null;
  const fwCfg = f.fwCfg !== undefined ? readInput(f.fwCfg, '--fw-cfg', LIMITS.firmwareStream, 'a fw_cfg dump (fwcfg.tar: by_name/NAME/raw)') : null;
  const backend = await loadHashBackend(f.hashBackend);
  const files = new OpenFiles();
  const open = (file: string, flag: string): FileSource => files.open(file, flag);
  const openBoot = (file: string, flag: string): FileSource => files.open(file, flag, undefined, LIMITS.bootStream, 'a kernel or initrd given as a stream');
  try {
    const fw = open(f.firmware, '--firmware');
    refuseWrongKind(fw, ['ovmf'], '--firmware', 'a TDVF/OVMF image');
    const img = parseOvmf(fw);
    const mrtd = mrtdOfImage(img, { orders, hashBackend: backend, memory });
    const warnings = [trailingNewlineWarning(cmdline)?.replace(/^warning: /, '')].filter((w): w is string => !!w);
    warnings.push(...mrtd.warnings);
    if (policy.tdAttributes != null && policy.tdAttributes & 1n) warnings.push('TD_ATTRIBUTES has DEBUG set: a debug TD offers no confidentiality; a policy must reject it');
    let rtmr: RtmrValues | null = null;
    if (memory !== null) {
      rtmr = predictRtmrs(img, {
        memory,
        ...(f.edk2Version !== undefined ? { edk2Version: f.edk2Version } : {}),
        ...(f.vmmVersion !== undefined ? { qemuVersion: f.vmmVersion } : {}),
        ...(f.bootMenu ? { bootMenu: true } : {}),
        fwCfg,
        acpi,
        hashBackend: backend,
        firmwareFactsCache: firmwareFactsCache(f.cache !== false),
        directBoot: f.kernel !== undefined
          ? { kernel: openBoot(f.kernel, '--kernel'), initrd: f.initrd !== undefined ? openBoot(f.initrd, '--initrd') : null, append: cmdline ?? null, ...(f.kernelPatch === false ? { qemuKernelPatch: false } : {}) }
          : null,
      });
      warnings.push(...(rtmr.warnings ?? []), ...(rtmr.notes ?? []));
      if (!acpi && !fwCfg) warnings.push('RTMR0 is incomplete: the ACPI events are defined by the VMM; supply the fw_cfg blobs with --acpi-dir or --fw-cfg');
      const smbios = rtmr.events.find((e) => e.rule === 'smbios-tables' && !e.digest);
      if (smbios) warnings.push(`RTMR0 is not predicted: edk2 ${rtmr.firmware?.generation ?? ''} measures QEMU's SMBIOS tables (SmbiosMeasurementDxe); ${smbios.description.replace(/^.*not predicted \((.*)\)$/, '$1')}`);
      const items = rtmr.events.find((e) => e.rule === 'fw-cfg-items' && !e.digest);
      if (items) warnings.push('RTMR0 is not predicted: the fw_cfg items edk2 measures depend on the QEMU command line; supply them with --fw-cfg');
      if (f.kernel === undefined) warnings.push('RTMR1 and RTMR2 are not predicted without --kernel (only QEMU direct boot is modelled)');
      if (f.ccelOut !== undefined) {
        const unknown = rtmr.events.filter((e) => !e.digest);
        if (unknown.length) throw new OptionError('--ccel-out', `${unknown.length} event digest(s) are not predicted (${unknown.map((e) => `RTMR${e.rtmr} ${e.description.split(':')[0]}`).join('; ')}): a CCEL needs every digest`);
        out.write(f.ccelOut, encodeCcel(rtmr.events.map((e) => ({ mrIndex: e.rtmr + 1, eventType: e.eventType, sha384: e.digest!, data: e.data })), { areaSize: 0x10000 }), '--ccel-out');
      }
    }
    const report = {
      tool: `prelaunch ${VERSION}`,
      firmware: { path: fw.name, size: fw.size, sha256: toHex(inputSha256(fw, backend)) },
      orders,
      orderSource: source,
      mrtd,
      policy,
      memory,
      rtmr,
      warnings,
    };
    for (const w of warnings) writeStderr(`warning: ${w}\n`);
    out.commit();
    writeStdout(f.json ? JSON.stringify(tdxReportJson(report), null, 2) + '\n' : renderTdxReport(report));
  } finally {
    files.close();
    out.abort();
  }
}

export async function runTdxReplay(file: string, opts: { json?: boolean; hashBackend?: HashBackendName }): Promise<void> {
  const backend = await loadHashBackend(opts.hashBackend ?? 'node');
  const log = readInput(file, 'tdx replay', LIMITS.ccel, 'a CCEL event log');
  refuseWrongKind(bytesSource(log, file), ['event-log'], 'tdx replay', 'a TCG event log (CCEL)');
  const rep = replayCcel(log, { hashBackend: backend, name: file });
  writeStdout(opts.json ? JSON.stringify(replayJson(rep, file), null, 2) + '\n' : renderReplay(rep, file));
}

interface PredictedDoc { rtmrs: Array<{ index: number; events: Array<{ rtmr: number; digest: string | null; type: string; description: string }> }> }

export async function runTdxDiff(predictedFile: string, ccelFile: string, opts: { json?: boolean }): Promise<void> {
  const what = 'a TDX prediction (write it with `prelaunch tdx --firmware FILE --memory SIZE --json`)';
  const raw = parseJsonDocument(new TextDecoder().decode(readInput(predictedFile, 'tdx diff', LIMITS.tdxPrediction, 'a tdx --json prediction')), predictedFile, what);
  const doc = validateDocument<PredictedDoc>(TDX_PREDICTION_SCHEMA, raw, predictedFile, what);
  const predicted = doc.rtmrs.flatMap((r) => r.events);
  const log = readInput(ccelFile, 'tdx diff', LIMITS.ccel, 'a CCEL event log');
  refuseWrongKind(bytesSource(log, ccelFile), ['event-log'], 'tdx diff', 'a TCG event log (CCEL)');
  const rep = replayCcel(log, { name: ccelFile });
  const d = diffRtmrs(predicted, rep);
  writeStdout(opts.json ? JSON.stringify(d, null, 2) + '\n' : renderRtmrDiff(d));
  if (d.first) setExitCode(1);
}
