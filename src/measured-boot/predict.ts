/**
 * `predictTpmPcrs`: vTPM PCRs (SHA-256 and SHA-384 banks) of an OVMF guest that QEMU
 * direct-boots, from its inputs: firmware, varstore, kernel, initrd, command line, QEMU
 * version, memory, and QEMU's fw_cfg blobs. bytes → model (edk2-firmware, variable store) →
 * plan (edk2-events planEdk2Boot) → engine (measureEdk2Events) → this plain-data result.
 */
import { toHex } from '../bytes/hex.js';
import { asSource, plainBytes, type ByteSource } from '../bytes/source.js';
import { OptionError } from '../errors.js';
import type { KernelCmdline } from '../formats/linux/cmdline.js';
import { readTar } from '../formats/tar.js';
import { guidFromBytes } from '../bytes/guid.js';
import { NV_DATA_FV_GUID } from '../formats/uefi/firmware-volume.js';
import { parseVariableStore, type VariableStore } from '../formats/uefi/variable-store.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { identifyEdk2Firmware, type Edk2Firmware, type FirmwareFactsCache } from './edk2-firmware.js';
import { measureEdk2Events, planEdk2Boot, requireModelledQemu, type MeasuredEvent } from './edk2-events.js';
import { PREDICTED_BANKS, type PredictedBank } from './pcr.js';

export interface TpmPredictOptions {
  /** OVMF_CODE (or a unified OVMF image) */
  firmware: Uint8Array;
  /** OVMF_VARS; omitted: an empty varstore */
  vars?: Uint8Array | null;
  kernel: ByteSource | Uint8Array;
  initrd?: ByteSource | Uint8Array | null;
  append?: KernelCmdline | null;
  /** QEMU version "X.Y[.Z]" */
  qemuVersion: string;
  /** guest RAM in bytes */
  memory: number;
  /** vCPUs (enter only the ACPI blobs, which come from fwCfg) */
  smp?: number;
  /** QEMU's fw_cfg files: a capture's fwcfg.tar (by_name/NAME/raw), or a map NAME → bytes */
  fwCfg?: Uint8Array | ReadonlyMap<string, Uint8Array> | null;
  /** override the detected edk2 generation ("YYYY.MM") */
  edk2Version?: string;
  hashBackend?: HashBackend;
  /** keeps what is read from the firmware's compressed volumes between runs, keyed by the image's SHA-256 */
  firmwareFactsCache?: FirmwareFactsCache | null;
  /** names for messages */
  names?: { firmware?: string; vars?: string; fwCfg?: string };
}

export interface TpmPrediction {
  firmware: { versionString: string | null; generation: string; generationSource: string; secureBootCapable: boolean };
  qemuVersion: string;
  memory: number;
  /** bank → PCR (decimal string) → hex; PCRs whose events are not all predicted are absent */
  pcrs: Record<PredictedBank, Record<string, string>>;
  /** PCRs not predicted, with why */
  unpredicted: Array<{ pcr: number; reason: string }>;
  events: MeasuredEvent[];
  warnings: string[];
  notes: string[];
}

/** fw_cfg files from a capture tar (by_name/NAME/raw) or a map. */
export function fwCfgFiles(input: Uint8Array | ReadonlyMap<string, Uint8Array>, source?: string): Map<string, Uint8Array> {
  if (!(input instanceof Uint8Array)) return new Map(input);
  const out = new Map<string, Uint8Array>();
  for (const [name, e] of readTar(plainBytes(input), source)) {
    const m = /^(?:.*\/)?by_name\/(.+)\/(raw|size)$/.exec(name);
    if (!m) continue;
    if (m[2] === 'raw') out.set(m[1]!, e.data);
    else if (!out.has(m[1]!)) out.set(`${m[1]!}/size`, e.data);
  }
  if (![...out.keys()].some((k) => !k.endsWith('/size'))) throw new OptionError('--fw-cfg', `${source ?? 'the archive'} holds no by_name/NAME/raw files (a capture's fwcfg.tar)`);
  return out;
}

export function predictTpmPcrs(o: TpmPredictOptions): TpmPrediction {
  const backend = o.hashBackend ?? defaultBackend;
  requireModelledQemu(o.qemuVersion); // before the firmware is decompressed
  const fw: Edk2Firmware = identifyEdk2Firmware(plainBytes(o.firmware), { ...(o.names?.firmware ? { source: o.names.firmware } : {}), ...(o.edk2Version !== undefined ? { edk2Version: o.edk2Version } : {}), factsCache: o.firmwareFactsCache ?? null, hashBackend: backend });
  // without --vars, a unified image's own variable store (its first volume) is the varstore
  const unified = !o.vars && o.firmware.length >= 56 && guidFromBytes(plainBytes(o.firmware).subarray(16, 32)) === NV_DATA_FV_GUID;
  const store: VariableStore | null = o.vars ? parseVariableStore(plainBytes(o.vars), o.names?.vars ?? '--vars') : unified ? parseVariableStore(plainBytes(o.firmware), o.names?.firmware ?? '--firmware') : null;
  const fwCfg = o.fwCfg ? fwCfgFiles(o.fwCfg, o.names?.fwCfg) : null;
  const plan = planEdk2Boot({
    firmware: fw,
    varstore: store,
    qemuVersion: o.qemuVersion,
    memory: o.memory,
    boot: { kernel: asSource(o.kernel, 'kernel'), initrd: o.initrd ? asSource(o.initrd, 'initrd') : null, append: o.append ?? null },
    fwCfg,
  });
  const m = measureEdk2Events(plan.events, backend);
  const pcrs = { sha256: {}, sha384: {} } as Record<PredictedBank, Record<string, string>>;
  const unpredicted: Array<{ pcr: number; reason: string }> = [];
  for (const bank of PREDICTED_BANKS) {
    for (const idx of [...m.pcrs[bank].keys()].sort((a, b) => a - b)) {
      const v = m.pcrs[bank].get(idx)!;
      if (v) pcrs[bank][String(idx)] = toHex(v);
      else if (bank === 'sha256') unpredicted.push({ pcr: idx, reason: m.events.filter((e) => e.pcr === idx && !e.digests).map((e) => e.unknownReason).join('; ') });
    }
  }
  return {
    firmware: { versionString: fw.versionString, generation: fw.generation.id, generationSource: fw.generationSource, secureBootCapable: fw.secureBootCapable },
    qemuVersion: o.qemuVersion,
    memory: o.memory,
    pcrs,
    unpredicted,
    events: m.events,
    warnings: plan.warnings,
    notes: plan.notes,
  };
}
