/**
 * RTMR0–3: the extend rule, CCEL replay, and the predicted event lists for a QEMU direct boot
 * of TDVF/OVMF (edk2 ≤ stable202502 layout, as in dstack's hardware logs):
 *
 *   RTMR0  TD HOB · CFV · SecureBoot, PK, KEK, db, dbx (empty) · separator ·
 *          ACPI table-loader, RSDP, tables (VMM-defined: supplied as files) · BootOrder · Boot0000
 *   RTMR1  kernel Authenticode (after QEMU's setup-header patch) · "Calling EFI Application from
 *          Boot Option" · separator · "Exit Boot Services Invocation" · "… Returned with Success"
 *   RTMR2  kernel command line (UTF-16 LoadOptions as the Linux EFI stub measures it) · initrd
 *   RTMR3  not extended by firmware
 *
 * `RTMR[i] = SHA-384(RTMR[i] ‖ digest)`, from 48 zero bytes. In the CCEL the "PCR index" is the
 * MR index: 1..4 = RTMR0..3.
 */
import { asSource, inputBytes, type ByteInput, type ByteSource, copyBytes } from '../bytes/source.js';
import { toHex } from '../bytes/hex.js';
import { FirmwareError, OptionError } from '../errors.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { parseCcel, eventSha384, type CcelLog } from '../formats/tdx/ccel.js';
import { buildTdHob, q35MemorySplit } from '../formats/tdx/td-hob.js';
import {
  EV, EFI_GLOBAL_VARIABLE_GUID, EFI_IMAGE_SECURITY_DATABASE_GUID, LINUX_INITRD_EVENT_TAG_ID, LINUX_LOAD_OPTIONS_EVENT_TAG_ID,
  describeEventData, encodeAscii, eventTypeName, firmwareBlob2Data, imageLoadEventData, qemuKernelDevicePath,
  taggedEventData, tdxHandoffTablesData, uefiVariableData, uiAppBootOption,
} from '../formats/tdx/tcg-events.js';
import { qemuPatchSetupHeader, SETUP_HEADER_END } from '../formats/linux/qemu-setup-patch.js';
import { cmdlineBytes, cmdlineText, ovmfLoadOptions, type KernelCmdline } from '../formats/linux/cmdline.js';
import type { OvmfImage } from '../formats/ovmf/parse.js';
import { requireTdxMetadata } from '../plan/tdx.js';
import { authenticodeDigest, overlaySource } from './authenticode.js';
import { identifyEdk2Firmware, type Edk2Firmware } from '../measured-boot/edk2-firmware.js';

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
}

export interface RtmrValues {
  /** the TDVF as identified: its edk2 generation decides the event list */
  firmware?: TdvfIdentity;
  /** what should be said next to the values */
  warnings?: string[];
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
  /** apply QEMU's setup-header patch before hashing (default true; edk2 ≥ 202505 guests measure the unpatched image) */
  qemuKernelPatch?: boolean;
}

export interface RtmrPredictionOptions {
  /** guest memory in bytes (QEMU -m) */
  memory: number;
  /** the firmware's edk2 generation "YYYY.MM", when the image carries no version string (or to override it) */
  edk2Version?: string;
  acpi?: AcpiBlobs | null;
  directBoot?: DirectBootInputs | null;
  hashBackend?: HashBackend;
}

const ACTIONS = {
  callingEfiApp: 'Calling EFI Application from Boot Option',
  exitBootServices: 'Exit Boot Services Invocation',
  exitBootServicesOk: 'Exit Boot Services Returned with Success',
} as const;

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
export function identifyTdvf(img: OvmfImage, edk2Version?: string): Edk2Firmware {
  let byVersion = identified.get(img);
  if (!byVersion) identified.set(img, (byVersion = new Map()));
  const key = edk2Version ?? '';
  let fw = byVersion.get(key);
  if (!fw) {
    fw = identifyEdk2Firmware(copyBytes(img.source.read(0, img.source.size)), { source: img.source.name, target: 'tdx', ...(edk2Version !== undefined ? { edk2Version } : {}) });
    byVersion.set(key, fw);
  }
  return fw;
}

export function predictRtmrs(img: OvmfImage, opts: RtmrPredictionOptions): RtmrValues {
  const backend = opts.hashBackend ?? defaultBackend;
  const fw = identifyTdvf(img, opts.edk2Version);
  const sha = (b: Uint8Array): Uint8Array => backend.hash('sha384', b);
  if (!Number.isSafeInteger(opts.memory) || opts.memory <= 0) throw new OptionError('--memory', `must be a positive number of bytes (got ${opts.memory})`);
  const meta = requireTdxMetadata(img);
  const events: RtmrEvent[] = [];
  const add = (rtmr: number, eventType: number, digest: Uint8Array | null, basis: EventBasis, data: Uint8Array, description?: string): void => {
    events.push({ rtmr, eventType, digest, basis, data, description: description ?? describeEventData(eventType, data) });
  };

  // RTMR0
  const hob = buildTdHob(meta, opts.memory);
  add(0, EV.EV_EFI_HANDOFF_TABLES2, sha(hob.measured), 'computed', tdxHandoffTablesData(hob.gpa), `TD HOB for ${opts.memory} bytes of memory (${hob.ram.length} RAM entries) at 0x${hob.gpa.toString(16)}`);
  const cfv = meta.sections.find((s) => s.type === 1);
  if (!cfv) throw new FirmwareError('the TDVF metadata has no CFV section (OVMF measures its configuration volume into RTMR0)');
  const cfvHash = backend.create('sha384');
  for (let p = 0; p < cfv.rawDataSize; p += 1 << 20) cfvHash.update(img.source.read(cfv.dataOffset + p, Math.min(1 << 20, cfv.rawDataSize - p)));
  add(0, EV.EV_EFI_PLATFORM_FIRMWARE_BLOB2, cfvHash.digest(), 'computed', firmwareBlob2Data(cfv.memoryAddress, cfv.rawDataSize), `configuration volume (CFV), 0x${cfv.rawDataSize.toString(16)} bytes at file offset 0x${cfv.dataOffset.toString(16)}`);
  for (const [name, guid] of [['SecureBoot', EFI_GLOBAL_VARIABLE_GUID], ['PK', EFI_GLOBAL_VARIABLE_GUID], ['KEK', EFI_GLOBAL_VARIABLE_GUID], ['db', EFI_IMAGE_SECURITY_DATABASE_GUID], ['dbx', EFI_IMAGE_SECURITY_DATABASE_GUID]] as const) {
    const data = uefiVariableData(guid, name, new Uint8Array(0));
    add(0, EV.EV_EFI_VARIABLE_DRIVER_CONFIG, sha(data), 'fixed', data, `variable ${name} (empty: secure boot off)`);
  }
  const sep = new Uint8Array(4);
  add(0, EV.EV_SEPARATOR, sha(sep), 'fixed', sep);
  const acpiData = encodeAscii('ACPI DATA');
  const acpiBlob = (b: ByteInput | undefined): Uint8Array | undefined => (b === undefined ? undefined : inputBytes(b));
  const blobs: Array<[string, Uint8Array | undefined]> = [['etc/table-loader', acpiBlob(opts.acpi?.tableLoader)], ['etc/acpi/rsdp', acpiBlob(opts.acpi?.rsdp)], ['etc/acpi/tables', acpiBlob(opts.acpi?.tables)]];
  for (const [name, blob] of blobs) {
    add(0, EV.EV_PLATFORM_CONFIG_FLAGS, blob ? sha(blob) : null, blob ? 'vmm-supplied' : 'vmm-unknown', acpiData, `ACPI DATA: QEMU fw_cfg ${name}${blob ? ` (${blob.length} bytes)` : ' (not supplied: use --acpi-dir)'}`);
  }
  const bootOrder = new Uint8Array(2);
  add(0, EV.EV_EFI_VARIABLE_BOOT, sha(bootOrder), 'fixed', uefiVariableData(EFI_GLOBAL_VARIABLE_GUID, 'BootOrder', bootOrder), 'variable BootOrder = 0000');
  const boot0 = uiAppBootOption();
  add(0, EV.EV_EFI_VARIABLE_BOOT, sha(boot0), 'fixed', uefiVariableData(EFI_GLOBAL_VARIABLE_GUID, 'Boot0000', boot0), 'variable Boot0000 = UiApp');

  // RTMR1, RTMR2: QEMU direct boot
  const db = opts.directBoot;
  if (db) {
    const kernel = asSource(db.kernel, 'kernel');
    const initrd = db.initrd ? asSource(db.initrd, 'initrd') : null;
    const cmdline = cmdlineBytes(db.append, '--append');
    let image: ByteSource = kernel;
    if (db.qemuKernelPatch !== false) {
      const head = copyBytes(kernel.read(0, Math.min(SETUP_HEADER_END, kernel.size)));
      const patch = qemuPatchSetupHeader(head, kernel.size, cmdline, initrd ? initrd.size : null, q35MemorySplit(opts.memory).below4g);
      image = overlaySource(kernel, patch.header);
    }
    const kernelDigest = authenticodeDigest(image, backend);
    add(1, EV.EV_EFI_BOOT_SERVICES_APPLICATION, kernelDigest, 'computed', imageLoadEventData(0, kernel.size, qemuKernelDevicePath()),
      `kernel PE/COFF Authenticode${db.qemuKernelPatch !== false ? ' (after QEMU\'s setup-header patch)' : ' (unpatched)'}`);
    for (const [text, type] of [[ACTIONS.callingEfiApp, EV.EV_EFI_ACTION], ['', EV.EV_SEPARATOR], [ACTIONS.exitBootServices, EV.EV_EFI_ACTION], [ACTIONS.exitBootServicesOk, EV.EV_EFI_ACTION]] as const) {
      const data = type === EV.EV_SEPARATOR ? new Uint8Array(4) : encodeAscii(text);
      add(1, type, sha(data), 'fixed', data);
    }
    const options = ovmfLoadOptions(cmdline, initrd !== null);
    const shown = cmdlineText(cmdline);
    const what = shown !== null ? JSON.stringify(shown + (initrd ? ' initrd=initrd' : '')) : `0x${toHex(cmdline)}${initrd ? ' + " initrd=initrd"' : ''}`;
    if (options) add(2, EV.EV_EVENT_TAG, sha(options), 'computed', taggedEventData(LINUX_LOAD_OPTIONS_EVENT_TAG_ID, 'LOADED_IMAGE::LoadOptions'), `kernel command line ${what} (each byte as one UTF-16 unit, NUL-terminated)`);
    if (initrd) {
      const h = backend.create('sha384');
      for (let p = 0; p < initrd.size; p += 1 << 20) h.update(initrd.read(p, Math.min(1 << 20, initrd.size - p)));
      add(2, EV.EV_EVENT_TAG, h.digest(), 'computed', taggedEventData(LINUX_INITRD_EVENT_TAG_ID, 'Linux initrd'), `initrd (${initrd.size} bytes)`);
    }
  }
  return {
    firmware: { versionString: fw.versionString, generation: fw.generation.id, generationSource: fw.generationSource },
    warnings: [...fw.warnings],
    events,
    rtmrs: rtmrsOf(events, backend),
  };
}

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
