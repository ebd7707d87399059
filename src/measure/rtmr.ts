/**
 * RTMR0–3: the extend rule, CCEL replay, and the predicted event lists for a QEMU direct boot
 * of a TDVF (OVMF's IntelTdx build). The events are a projection of the one edk2 event model
 * (src/measured-boot/edk2-events.ts planEdk2Boot, target 'tdx'), the same list the vTPM PCR
 * prediction hashes, keyed on the edk2 generation (src/measured-boot/edk2-firmware.ts):
 *
 *   RTMR0  TD HOB · CFV (SEC) · [fw_cfg items ≥ 2025.05] · SecureBoot, PK, KEK, db, dbx [, dbt]
 *          (from the CFV varstore) · separator · ACPI DATA (VMM-defined: supplied) ·
 *          [SMBIOS ≥ 2025.05] · BootOrder · Boot0000 [· Boot0001 2025.05 … 2026.02: UiApp in the DXEFV]
 *   RTMR1  kernel Authenticode (patched or not: rule kernel-from-etc-boot) · "Calling EFI
 *          Application from Boot Option" · separator · "Exit Boot Services Invocation" · "… Returned with Success"
 *   RTMR2  LoadOptions (UTF-16, suffix or prefix "initrd=initrd" by generation) · initrd
 *   RTMR3  not extended by firmware
 *
 * `RTMR[i] = SHA-384(RTMR[i] ‖ digest)`, from 48 zero bytes. In the CCEL the "PCR index" is the
 * MR index: 1..4 = RTMR0..3.
 */
import { asSource, bytesSource, inputBytes, type ByteInput, type ByteSource, copyBytes } from '../bytes/source.js';
import { toHex } from '../bytes/hex.js';
import { FirmwareError, OptionError } from '../errors.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { parseCcel, eventSha384, type CcelLog } from '../formats/tdx/ccel.js';
import { buildTdHob } from '../formats/tdx/td-hob.js';
import { EV, describeEventData, eventTypeName } from '../formats/tdx/tcg-events.js';
import { cmdlineBytes, ovmfLoadOptions, type KernelCmdline } from '../formats/linux/cmdline.js';
import type { OvmfImage } from '../formats/ovmf/parse.js';
import { parseVariableStore } from '../formats/uefi/variable-store.js';
import { requireTdxMetadata } from '../plan/tdx.js';
import { identifyEdk2Firmware, type Edk2Firmware, type FirmwareFactsCache } from '../measured-boot/edk2-firmware.js';
import { measureEdk2Events, planEdk2Boot, rtmrOfEvent, type Edk2RuleName, type MeasuredEvent } from '../measured-boot/edk2-events.js';
import { fwCfgFiles } from '../measured-boot/predict.js';

export const RTMR_COUNT = 4;
const ZERO48 = new Uint8Array(48);

export function extendRtmr(backend: HashBackend, rtmr: Uint8Array, digest: Uint8Array): Uint8Array {
  return backend.create('sha384').update(rtmr).update(digest).digest();
}

/** How far a predicted digest can be trusted. */
export type EventBasis =
  /** fixed by firmware code: the same for every TD with this firmware layout */
  | 'fixed'
  /** computed from the firmware image or boot inputs given */
  | 'computed'
  /** defined by the VMM (QEMU version, devices, vCPUs, memory): taken from files given */
  | 'vmm-supplied'
  /** defined by the VMM and not supplied: unknown */
  | 'vmm-unknown';

export interface RtmrEvent {
  /** register 0..3 */
  rtmr: number;
  eventType: number;
  /** SHA-384, or null when unknown (a VMM-defined input was not supplied) */
  digest: Uint8Array | null;
  description: string;
  basis: EventBasis;
  /** the event data as the firmware logs it (image addresses unknown before launch are zero) */
  data: Uint8Array;
  /** the named rule of the event model that decided it (EDK2_RULES) */
  rule?: Edk2RuleName;
}

export interface RtmrValues {
  /** the TDVF as identified: its edk2 generation decides the event list */
  firmware?: TdvfIdentity;
  /** what should be said next to the values */
  warnings?: string[];
  /** facts about the boot (e.g. no kernel event: secure boot rejects it) */
  notes?: string[];
  events: RtmrEvent[];
  /** final register values; null when an event's digest is unknown */
  rtmrs: Array<Uint8Array | null>;
}

/** Final values of a list of events (null for a register with an unknown digest). */
export function rtmrsOf(events: readonly RtmrEvent[], backend: HashBackend = defaultBackend): Array<Uint8Array | null> {
  const out: Array<Uint8Array | null> = Array.from({ length: RTMR_COUNT }, () => ZERO48.slice());
  for (const e of events) {
    const cur = out[e.rtmr];
    out[e.rtmr] = cur && e.digest ? extendRtmr(backend, cur, e.digest) : null;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// replay

export interface ReplayedEvent {
  /** record number in the log (the Spec ID header is 0) */
  index: number;
  offset: number;
  mrIndex: number;
  /** RTMR 0..3, or null for EV_NO_ACTION / MR index 0 events, which extend nothing */
  rtmr: number | null;
  eventType: number;
  typeName: string;
  digest: Uint8Array;
  description: string;
}

export interface Replay {
  log: CcelLog;
  events: ReplayedEvent[];
  rtmrs: Uint8Array[];
}

export function replayCcel(bytes: ByteInput, opts: { hashBackend?: HashBackend; name?: string } = {}): Replay {
  const backend = opts.hashBackend ?? defaultBackend;
  const log = parseCcel(bytes, opts.name);
  const rtmrs: Uint8Array[] = Array.from({ length: RTMR_COUNT }, () => ZERO48.slice());
  const events: ReplayedEvent[] = log.events.map((e) => {
    const digest = eventSha384(e, opts.name);
    let rtmr: number | null = null;
    if (e.eventType !== EV.EV_NO_ACTION && e.mrIndex >= 1) {
      if (e.mrIndex > RTMR_COUNT) throw new FirmwareError(`${opts.name ?? 'CCEL'}: event #${e.index} at offset 0x${e.offset.toString(16)} has MR index ${e.mrIndex} (RTMRs are 1..4)`);
      rtmr = e.mrIndex - 1;
      rtmrs[rtmr] = extendRtmr(backend, rtmrs[rtmr]!, digest);
    }
    return { index: e.index, offset: e.offset, mrIndex: e.mrIndex, rtmr, eventType: e.eventType, typeName: eventTypeName(e.eventType), digest, description: describeEventData(e.eventType, e.data) };
  });
  return { log, events, rtmrs };
}

// ---------------------------------------------------------------------------------------
// prediction

export interface AcpiBlobs {
  /** fw_cfg `etc/table-loader` */
  tableLoader: ByteInput;
  /** fw_cfg `etc/acpi/rsdp` */
  rsdp: ByteInput;
  /** fw_cfg `etc/acpi/tables` */
  tables: ByteInput;
}

export interface DirectBootInputs {
  kernel: ByteSource | Uint8Array;
  initrd?: ByteSource | Uint8Array | null;
  /** `-append`: text (UTF-8) or the exact bytes; null or undefined = none */
  append?: KernelCmdline | null;
  /**
   * override rule kernel-from-etc-boot: true = hash QEMU's setup-header-patched kernel, false =
   * the file as given; undefined = decided by the edk2 generation and `qemuVersion`
   */
  qemuKernelPatch?: boolean;
}

export interface RtmrPredictionOptions {
  /** guest memory in bytes (QEMU -m) */
  memory: number;
  /** the firmware's edk2 generation "YYYY.MM", when the image carries no version string (or to override it) */
  edk2Version?: string;
  acpi?: AcpiBlobs | null;
  /** QEMU's fw_cfg files (a capture's fwcfg.tar, or NAME → bytes): fw_cfg item events and the ACPI blobs (instead of `acpi`) */
  fwCfg?: Uint8Array | ReadonlyMap<string, Uint8Array> | null;
  /** the VMM's QEMU version "X.Y[.Z]": decides whether the kernel is measured patched (rule kernel-from-etc-boot) */
  qemuVersion?: string;
  /** QEMU -boot menu=on (the fw_cfg BootMenu item edk2 ≥ 2025.05 measures); default off */
  bootMenu?: boolean;
  directBoot?: DirectBootInputs | null;
  /** keeps what is read from the TDVF's compressed volumes between runs (see FirmwareFactsCache) */
  firmwareFactsCache?: FirmwareFactsCache | null;
  hashBackend?: HashBackend;
}


/**
 * The UTF-16 LoadOptions OVMF builds for a direct-boot kernel (null: none, nothing measured):
 * every byte of the command line widened to one CHAR16 (see src/formats/linux/cmdline.ts).
 */
export function directBootLoadOptions(append: KernelCmdline | null | undefined, hasInitrd: boolean): Uint8Array | null {
  return ovmfLoadOptions(cmdlineBytes(append, '--append'), hasInitrd);
}

/** The TDVF facts RTMR prediction rests on. */
export interface TdvfIdentity {
  versionString: string | null;
  /** edk2 generation "YYYY.MM" */
  generation: string;
  generationSource: string;
}

const identified = new WeakMap<OvmfImage, Map<string, Edk2Firmware>>();

/**
 * The TDVF's edk2 generation (from the version string in its compressed volume, or `edk2Version`),
 * refused (FirmwareError, ERR_FIRMWARE_UNSUPPORTED) when its RTMR events are not modelled: a
 * firmware without TdTcg2Dxe, a PEI-based build, or a generation not in TDX_MODELLED_GENERATIONS.
 */
export function identifyTdvf(img: OvmfImage, edk2Version?: string, factsCache?: FirmwareFactsCache | null, hashBackend?: HashBackend): Edk2Firmware {
  let byVersion = identified.get(img);
  if (!byVersion) identified.set(img, (byVersion = new Map()));
  const key = edk2Version ?? '';
  let fw = byVersion.get(key);
  if (!fw) {
    fw = identifyEdk2Firmware(copyBytes(img.source.read(0, img.source.size)), { source: img.source.name, target: 'tdx', ...(edk2Version !== undefined ? { edk2Version } : {}), factsCache: factsCache ?? null, ...(hashBackend ? { hashBackend } : {}) });
    byVersion.set(key, fw);
  }
  return fw;
}

/**
 * RTMR0–3 of a QEMU direct boot of this TDVF: the edk2 event model (src/measured-boot/
 * edk2-events.ts planEdk2Boot, target 'tdx' — the same event list the vTPM PCR prediction
 * uses), hashed with SHA-384 and projected onto the RTMRs (PCR1,7 → RTMR0; PCR2–6 → RTMR1;
 * PCR8–15 → RTMR2; SEC's TD HOB and CFV → RTMR0). Refuses a firmware whose generation is not
 * modelled (identifyTdvf).
 */
export function predictRtmrs(img: OvmfImage, opts: RtmrPredictionOptions): RtmrValues {
  const backend = opts.hashBackend ?? defaultBackend;
  if (!Number.isSafeInteger(opts.memory) || opts.memory <= 0) throw new OptionError('--memory', `must be a positive number of bytes (got ${opts.memory})`);
  const meta = requireTdxMetadata(img);
  const fw = identifyTdvf(img, opts.edk2Version, opts.firmwareFactsCache, backend);
  if (opts.acpi && opts.fwCfg) throw new OptionError('--acpi-dir', 'give the ACPI blobs once: --acpi-dir or --fw-cfg, not both');
  const hob = buildTdHob(meta, opts.memory);
  const cfv = meta.sections.find((s) => s.type === 1);
  if (!cfv) throw new FirmwareError('the TDVF metadata has no CFV section (OVMF measures its configuration volume into RTMR0)');
  const cfvBytes = copyBytes(img.source.read(cfv.dataOffset, cfv.rawDataSize));
  // the IntelTdx build's variables live in the CFV (EmuVariableFvbRuntimeDxe starts from it)
  const varstore = parseVariableStore(cfvBytes, `${img.source.name}: the CFV varstore`);
  const db = opts.directBoot;
  const fwCfg = opts.fwCfg ? fwCfgFiles(opts.fwCfg, '--fw-cfg') : null;
  const plan = planEdk2Boot({
    target: 'tdx',
    firmware: fw,
    varstore,
    qemuVersion: opts.qemuVersion ?? null,
    memory: opts.memory,
    boot: db ? { kernel: asSource(db.kernel, 'kernel'), initrd: db.initrd ? asSource(db.initrd, 'initrd') : null, append: db.append ?? null } : null,
    fwCfg,
    acpiBlobs: opts.acpi ? { tableLoader: inputBytes(opts.acpi.tableLoader), rsdp: inputBytes(opts.acpi.rsdp), tables: inputBytes(opts.acpi.tables) } : null,
    ...(db?.qemuKernelPatch !== undefined ? { kernelUnpatched: !db.qemuKernelPatch } : {}),
    ...(opts.bootMenu !== undefined ? { bootMenu: opts.bootMenu } : {}),
    tdvf: {
      tdHob: { measured: hob.measured, gpa: hob.gpa, description: `TD HOB for ${opts.memory} bytes of memory (${hob.ram.length} RAM entries) at 0x${hob.gpa.toString(16)}` },
      cfv: { data: bytesSource(cfvBytes, 'CFV'), memoryAddress: cfv.memoryAddress, rawDataSize: cfv.rawDataSize, description: `configuration volume (CFV), 0x${cfv.rawDataSize.toString(16)} bytes at file offset 0x${cfv.dataOffset.toString(16)}` },
    },
  });
  const measured = measureEdk2Events(plan.events, backend);
  const events: RtmrEvent[] = [];
  measured.events.forEach((m, i) => {
    const rtmr = rtmrOfEvent(plan.events[i]!);
    if (rtmr === null) return;
    events.push({ rtmr, eventType: m.eventType, digest: m.digests ? m.digests.sha384 : null, basis: BASIS[m.basis], data: m.data, description: m.description, ...(plan.events[i]!.rule ? { rule: plan.events[i]!.rule } : {}) });
  });
  return {
    firmware: { versionString: fw.versionString, generation: fw.generation.id, generationSource: fw.generationSource },
    warnings: plan.warnings,
    notes: plan.notes,
    events,
    rtmrs: rtmrsOf(events, backend),
  };
}

const BASIS: Record<MeasuredEvent['basis'], EventBasis> = {
  fixed: 'fixed',
  firmware: 'computed',
  varstore: 'computed',
  'boot-input': 'computed',
  'vmm-supplied': 'vmm-supplied',
  unknown: 'vmm-unknown',
};

// ---------------------------------------------------------------------------------------
// diff

export interface EventSummary { digest: string | null; type: string; description: string; logIndex?: number }

export interface RtmrDivergence {
  rtmr: number;
  /** 0-based position within this register's events */
  position: number;
  predicted: EventSummary | null;
  actual: EventSummary | null;
}

export interface RtmrDiff {
  /** per register: first divergence, or null when the lists agree */
  registers: Array<RtmrDivergence | null>;
  /** the divergence that comes first in the log */
  first: RtmrDivergence | null;
  /** events the prediction left unknown (VMM-defined, not supplied): not compared */
  unchecked: RtmrDivergence[];
  actualRtmrs: string[];
}

/** Compare predicted per-register event lists with a replayed log, register by register. */
export function diffRtmrs(predicted: ReadonlyArray<{ rtmr: number; digest: string | null; type: string; description: string }>, replay: Replay): RtmrDiff {
  const registers: Array<RtmrDivergence | null> = [];
  const unchecked: RtmrDivergence[] = [];
  for (let r = 0; r < RTMR_COUNT; r++) {
    const want = predicted.filter((e) => e.rtmr === r);
    const got = replay.events.filter((e) => e.rtmr === r);
    let found: RtmrDivergence | null = null;
    for (let i = 0; i < Math.max(want.length, got.length); i++) {
      const w = want[i];
      const g = got[i];
      const gHex = g ? toHex(g.digest) : null;
      if (w && g && w.digest !== null && w.digest.toLowerCase() === gHex) continue;
      if (w && g && w.digest === null) {
        // a VMM-defined event the prediction could not know: take the log's value, say so
        unchecked.push({ rtmr: r, position: i, predicted: { digest: null, type: w.type, description: w.description }, actual: { digest: gHex, type: g.typeName, description: g.description, logIndex: g.index } });
        continue;
      }
      found = {
        rtmr: r,
        position: i,
        predicted: w ? { digest: w.digest, type: w.type, description: w.description } : null,
        actual: g ? { digest: gHex, type: g.typeName, description: g.description, logIndex: g.index } : null,
      };
      break;
    }
    registers.push(found);
  }
  const logPos = (d: RtmrDivergence): number => d.actual?.logIndex ?? Number.MAX_SAFE_INTEGER;
  const first = registers.filter((d): d is RtmrDivergence => d !== null).sort((a, b) => logPos(a) - logPos(b) || a.rtmr - b.rtmr)[0] ?? null;
  return { registers, first, unchecked, actualRtmrs: replay.rtmrs.map(toHex) };
}
