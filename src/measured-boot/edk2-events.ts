/**
 * The edk2 event model: what OVMF measures when QEMU direct-boots a Linux kernel, as an explicit
 * list of events in the order the firmware logs them (the plan), and the engine that hashes
 * them into the SHA-256 and SHA-384 banks. Checked against real boots (../shared/oracles/
 * measured-boot; docs/measured-boot.md): edk2 2022.11 and 2025.02, QEMU 7.2 and 10.0; edk2
 * 2026.08 under QEMU 11.1 and 7.2 (our captures, test/vectors/measured-boot/sid-*).
 *
 *   PCR0  EV_S_CRTM_VERSION (PcdFirmwareVersionString, UTF-16 with NUL) · PEIFV blob (its measured
 *         copy depends on memory and QEMU version: not predicted) · DXEFV blob (the decompressed volume)
 *   PCR7  SecureBoot, PK, KEK, db, dbx [, dbt] (EV_EFI_VARIABLE_DRIVER_CONFIG over UEFI_VARIABLE_DATA,
 *         contents from the varstore) · separator
 *   PCR1  "ACPI DATA" × each fw_cfg blob: etc/table-loader, then the files it ALLOCATEs (≥ 2025.02)
 *   PCR4  the kernel's Authenticode digest (QEMU-patched or not; absent when secure boot rejects it)
 *   PCR1  SMBIOS, filtered (EV_EFI_HANDOFF_TABLES; ≥ 2025.05, SmbiosMeasurementDxe)
 *   PCR1  BootOrder = 0000, Boot0000 = UiApp (≤ 2025.02) / 0000,0001, BootManagerMenuApp,
 *         "EFI Firmware Setup" (≥ 2025.05; no Boot0001 in a TD of IntelTdx ≥ 2026.08) (EV_EFI_VARIABLE_BOOT over the data)
 *   PCR4  "Calling EFI Application from Boot Option" · PCR0–6 separators
 *   PCR9  Linux EFI stub: LoadOptions (UTF-16), "Linux initrd" (the initrd bytes)
 *   PCR5  "Exit Boot Services Invocation" · "Exit Boot Services Returned with Success"
 *
 * The TDX list is the same plan with target 'tdx'; where it differs, a named rule (EDK2_RULES)
 * says so and the code below cites the edk2 function that makes the difference.
 */
import { toHex } from '../bytes/hex.js';
import { copyBytes, forEachChunk, type ByteSource } from '../bytes/source.js';
import { FirmwareError, OptionError, PrelaunchError } from '../errors.js';
import { authenticodeRanges } from '../formats/pe/authenticode-ranges.js';
import { cmdlineBytes, cmdlineText, type KernelCmdline } from '../formats/linux/cmdline.js';
import { qemuPatchSetupHeader, SETUP_HEADER_END } from '../formats/linux/qemu-setup-patch.js';
import { loaderAllocations } from '../formats/qemu/table-loader.js';
import {
  EV, EFI_GLOBAL_VARIABLE_GUID, EFI_IMAGE_SECURITY_DATABASE_GUID, LINUX_INITRD_EVENT_TAG_ID, LINUX_LOAD_OPTIONS_EVENT_TAG_ID,
  HANDOFF_TABLE_POINTERS, PLATFORM_FIRMWARE_BLOB, bootManagerMenuBootOption, encodeAscii, encodeUtf16, eventTypeName, firmwareBlob2Data, firmwareSetupBootOption, imageLoadEventData, qemuKernelDevicePath,
  taggedEventData, tdxHandoffTablesData, uefiVariableData, uiAppBootOption,
} from '../formats/tdx/tcg-events.js';
import { q35MemorySplit } from '../formats/tdx/td-hob.js';
import { findVariable, type VariableStore } from '../formats/uefi/variable-store.js';
import { defaultBackend, type HashBackend, type Hasher } from '../hash/index.js';
import { overlaySource } from '../measure/authenticode.js';
import { cmpVersion, type Edk2Firmware, type MeasurementTarget } from './edk2-firmware.js';
import { kernelSecureBootVerdict } from './secure-boot.js';
import { edk2MeasuredSmbiosTable } from './smbios.js';
import { guidToBytes } from '../bytes/guid.js';
import { PREDICTED_BANKS, BANK_SIZE, type PredictedBank } from './pcr.js';

export const SECURE_BOOT_ENABLE_GUID = 'f0a30bc7-af08-4556-99c4-001009c93a44';
export const SMBIOS_TABLE_GUID = 'eb9d2d31-2d88-11d3-9a16-0090273fc14d';
export const SMBIOS3_TABLE_GUID = 'f2fd1544-9794-4a2c-992e-e5bbcf20e394';

/** What an event's digest is computed over. */
export type EventPayload =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'stream'; source: ByteSource }
  | { kind: 'authenticode'; image: ByteSource }
  /** digests computed before the plan (the DXE volume's, kept with the firmware's facts) */
  | { kind: 'digests'; digests: Record<PredictedBank, Uint8Array> }
  /** not predicted: the reason says what it depends on */
  | { kind: 'unknown'; reason: string };

export type EventBasis = 'fixed' | 'firmware' | 'varstore' | 'boot-input' | 'vmm-supplied' | 'unknown';

export interface PlannedEvent {
  pcr: number;
  /**
   * TDX: the CC MR index the firmware extends directly (1 = RTMR0 … 4 = RTMR3) where it does not
   * map a PCR (SEC's TD HOB and CFV, TdTcg2Dxe's ReadyToBoot separator); absent: mapped from `pcr`
   */
  mr?: number;
  eventType: number;
  /** the event data as the firmware logs it (addresses known only at run time are zero) */
  data: Uint8Array;
  payload: EventPayload;
  description: string;
  basis: EventBasis;
  /** the named rule (see EDK2_RULES) that decided this event's presence or content, when one did */
  rule?: Edk2RuleName;
}

export interface QemuDirectBoot {
  kernel: ByteSource;
  initrd?: ByteSource | null;
  append?: KernelCmdline | null;
}

/** What SEC measures in a TD before any driver runs (OvmfPkg/IntelTdx/TdxHelperLib/SecTdxHelper.c). */
export interface TdvfSecInputs {
  /** the TD HOB QEMU wrote (TdxHelperMeasureTdHob: up to, not including, the end-of-list HOB) */
  tdHob: { measured: Uint8Array; gpa: number; description: string };
  /** the CFV section's raw data as in the image (TdxHelperMeasureCfvImage) */
  cfv: { data: ByteSource; memoryAddress: number; rawDataSize: number; description: string };
}

export interface Edk2PlanInputs {
  firmware: Edk2Firmware;
  /** the varstore (OVMF_VARS, or a TDVF's CFV); null: an empty one (a unified image's own store is not read) */
  varstore: VariableStore | null;
  /** QEMU version "X.Y[.Z]"; TDX: null when not given (then a rule that needs it asks for it) */
  qemuVersion: string | null;
  /** guest RAM in bytes (QEMU -m) */
  memory: number;
  /** null: no direct boot (TDX RTMR0 only) */
  boot: QemuDirectBoot | null;
  /** fw_cfg files by name (a capture's fwcfg.tar by_name/NAME/raw), or null when not supplied */
  fwCfg: ReadonlyMap<string, Uint8Array> | null;
  /** vTPM PCRs (default) or TDX RTMRs */
  target?: MeasurementTarget;
  /** TDX: the SEC-phase events' inputs */
  tdvf?: TdvfSecInputs;
  /** TDX: the three ACPI blobs from --acpi-dir (logged as table-loader, rsdp, tables: dstack's hardware logs) */
  acpiBlobs?: { tableLoader: Uint8Array; rsdp: Uint8Array; tables: Uint8Array } | null;
  /** TDX: the user's --no-kernel-patch (true: measured as given); undefined: decided by rule kernel-from-etc-boot */
  kernelUnpatched?: boolean;
  /** QEMU -boot menu=on: the fw_cfg BootMenu item is 1 (default 0) */
  bootMenu?: boolean;
}

/**
 * QEMU versions whose direct boot was checked against real boots. 11.1: our captures
 * (test/vectors/measured-boot/sid-q11-*: etc/boot/kernel, unpatched; bookworm-q11-quiet: edk2
 * 2022.11 takes the legacy items, and QEMU 11.1's setup-header patch equals the model's).
 */
export const MODELLED_QEMU = ['7.2', '10.0', '11.1'] as const;

/**
 * The named rules that make the event list differ by edk2 generation, QEMU version and target.
 * Each event a rule decides carries the rule's name (PlannedEvent.rule); docs/measured-boot.md
 * lists them with the generations they apply to.
 */
export const EDK2_RULES = {
  'acpi-data': 'edk2 ≥ 2023.02 (935343cf16; of the modelled generations: ≥ 2025.02): AcpiPlatformDxe measures QEMU\'s raw fw_cfg ACPI blobs into PCR1/RTMR0 (table-loader, then each file it allocates)',
  'kernel-from-etc-boot': 'edk2 ≥ 2025.02 with QEMU ≥ 10.0: QemuKernelLoaderFsDxe fetches etc/boot/kernel, the file unpatched; otherwise the setup-header-patched kernel',
  'fw-cfg-items': 'edk2 ≥ 2025.05, IntelTdx (PEI-less) build: QemuFwCfgCacheInit measures BootMenu and the fw_cfg files etc/extra-pci-roots, etc/boot-menu-wait, etc/reserved-memory-end, opt/ovmf/X-PciMmio64Mb, bootorder (when present) into PCR1/RTMR0 — only in a TD (CacheFwCfgInfoWithOptionalMeasurment: TdIsEnabled), so never in a vTPM log',
  'smbios-tables': 'edk2 ≥ 2025.05 with SmbiosMeasurementDxe: the filtered SMBIOS table (QEMU\'s etc/smbios/smbios-tables, OVMF\'s type 0, the end structure) as EV_EFI_HANDOFF_TABLES in PCR1/RTMR0',
  'boot-options': 'edk2 ≥ 2025.05: BootOrder 0000,0001, Boot0000 = BootManagerMenuApp, Boot0001 = "EFI Firmware Setup" (was: BootOrder 0000, Boot0000 = UiApp); no Boot0001 when UiApp is not in the DXE volume (IntelTdx ≥ 2026.05 keeps it in the NCCFV, 03a07cb0f5)',
  'load-options-prefix': 'edk2 ≥ 2025.08: LoadOptions "initrd=initrd " + cmdline (was: cmdline + " initrd=initrd")',
  'no-legacy-fallback': 'a kernel secure boot rejects does not boot (no legacy Linux loader): in a TD from edk2 2025.11 (5a6a9f7955), in a vTPM guest from edk2 2026.02 (d2cbaefc08, the default of opt/org.tianocore/EnableLegacyLoader)',
  'tdx-sec-events': 'TDX: SEC measures the TD HOB and the CFV into RTMR0 (instead of PCR0\'s CRTM version and firmware volumes)',
  'smbios-event-order': 'with SmbiosMeasurementDxe: the SMBIOS event comes before Tcg2Dxe\'s ReadyToBoot events (boot variables, action, separators) where Tcg2Dxe (depex gEfiVariableArchProtocolGuid) is dispatched before SmbiosMeasurementDxe — a non-SMM build, VariableRuntimeDxe — and after its separators in an SMM build (VariableSmmRuntimeDxe: the variable arch protocol comes after the SMM variable driver, so Tcg2Dxe is dispatched later and, its ReadyToBoot event being newer, notified first)',
  'peifv-as-built': 'edk2 ≥ 2026.08, a build without SMM_REQUIRE: the PEI volume Tcg2Pei measures into PCR0 is the decompressed volume as built (1506c6da7b: PEI links BaseRomAcpiTimerLib, whose timer address is no static global written into the volume); before, and with SMM PEI modules, PEI writes into the volume before it is measured',
  'tdx-ready-to-boot-separator': 'TDX, edk2 ≥ 2024.11: one ReadyToBoot separator, into RTMR1 (TdTcg2Dxe OnReadyToBoot), instead of PCR0–6 separators',
} as const;
export type Edk2RuleName = keyof typeof EDK2_RULES;

export function parseQemuVersion(text: string, flag = '--qemu-version'): { major: number; minor: number; micro: number; series: string } {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new OptionError(flag, `${JSON.stringify(text)} is not a QEMU version (X.Y or X.Y.Z, e.g. 10.0.2)`);
  return { major: Number(m[1]), minor: Number(m[2]), micro: Number(m[3] ?? 0), series: `${Number(m[1])}.${Number(m[2])}` };
}

export function requireModelledQemu(text: string): { major: number; minor: number; series: string } {
  const v = parseQemuVersion(text);
  if (!(MODELLED_QEMU as readonly string[]).includes(v.series)) {
    throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `--qemu-version ${text}: QEMU ${v.series} is not modelled for measured boot (modelled: ${MODELLED_QEMU.join(', ')}; what QEMU serves the firmware — the setup-header patch, etc/boot/* blobs — was checked against real boots of these only)`, { qemuVersion: text });
  }
  return v;
}

const ACTION = {
  callingEfiApp: 'Calling EFI Application from Boot Option',
  exitBootServices: 'Exit Boot Services Invocation',
  exitBootServicesOk: 'Exit Boot Services Returned with Success',
} as const;

/** LoadOptions edk2 passes to a direct-boot kernel (UTF-16LE with NUL; each command-line byte one CHAR16). */
export function edk2LoadOptions(cmdline: Uint8Array, hasInitrd: boolean, style: 'suffix' | 'prefix'): Uint8Array | null {
  const text: number[] = [];
  if (hasInitrd && style === 'prefix') for (const c of 'initrd=initrd ') text.push(c.charCodeAt(0));
  for (const b of cmdline) text.push(b);
  if (hasInitrd && style === 'suffix') for (const c of ' initrd=initrd') text.push(c.charCodeAt(0));
  if (text.length === 0) return null;
  const out = new Uint8Array(2 * (text.length + 1));
  text.forEach((c, i) => { out[2 * i] = c; });
  return out;
}

const SEP = new Uint8Array(4);

/**
 * The fw_cfg items QemuFwCfgCacheInit measures (OvmfPkg/Library/QemuFwCfgLib/QemuFwCfgCacheInit.c
 * mCacheFwCfgList, NeedMeasure TRUE, in list order): name, and the size the item must have to be
 * cached (0: any). A file absent, empty or of another size is skipped (ConstructCacheFwCfgList).
 */
export const MEASURED_FW_CFG_ITEMS: ReadonlyArray<{ name: string; size: number; item?: 'BootMenu' }> = [
  { name: 'etc/extra-pci-roots', size: 8 },
  { name: 'BootMenu', size: 2, item: 'BootMenu' },
  { name: 'etc/boot-menu-wait', size: 2 },
  { name: 'etc/reserved-memory-end', size: 8 },
  { name: 'opt/ovmf/X-PciMmio64Mb', size: 0 },
  { name: 'bootorder', size: 0 },
];

/** FW_CFG_EVENT: "QEMU FW CFG\0" (12 bytes) ‖ CHAR8 FileName[QEMU_FW_CFG_FNAME_SIZE = 56] (zero-padded). */
export function fwCfgEventData(name: string): Uint8Array {
  const out = new Uint8Array(12 + 56);
  out.set(encodeAscii('QEMU FW CFG'), 0);
  out.set(encodeAscii(name).subarray(0, 56), 12);
  return out;
}

/** CC MR index of a TCG PCR (UEFI 2.10 §38.4.1, OvmfPkg TdxMeasurementMapPcrToMrIndex): 0 = MRTD, 1..3 = RTMR0..2. */
export function mapPcrToMrIndex(pcr: number): number {
  if (pcr === 0) return 0;
  if (pcr === 1 || pcr === 7) return 1;
  if (pcr >= 2 && pcr <= 6) return 2;
  if (pcr >= 8 && pcr <= 15) return 3;
  throw new OptionError('pcr', `PCR ${pcr} has no TDX measurement register`);
}

/** The RTMR (0..3) an event lands in, or null (MRTD: not extended, not logged). */
export function rtmrOfEvent(e: Pick<PlannedEvent, 'pcr' | 'mr'>): number | null {
  const mr = e.mr ?? mapPcrToMrIndex(e.pcr);
  return mr >= 1 ? mr - 1 : null;
}

/** The events edk2 logs for this boot, in log order (no hashing yet). */
export function planEdk2Boot(inp: Edk2PlanInputs): { events: PlannedEvent[]; warnings: string[]; notes: string[] } {
  const fw = inp.firmware;
  const gen = fw.generation;
  const tdx = inp.target === 'tdx';
  const q = tdx ? (inp.qemuVersion !== null ? parseQemuVersion(inp.qemuVersion, '--vmm-version') : null) : requireModelledQemu(inp.qemuVersion ?? '');
  if (!Number.isSafeInteger(inp.memory) || inp.memory <= 0) throw new OptionError('--memory', `must be a positive number of bytes (got ${inp.memory})`);
  if (tdx && !inp.tdvf) throw new OptionError('tdvf', 'TDX planning needs the TD HOB and CFV inputs');
  const warnings = [...fw.warnings];
  const notes: string[] = [];
  const events: PlannedEvent[] = [];
  const add = (pcr: number, eventType: number, data: Uint8Array, payload: EventPayload, basis: EventBasis, description: string, extra: { mr?: number; rule?: Edk2RuleName } = {}): void => {
    events.push({ pcr, eventType, data, payload, basis, description, ...extra });
  };
  const bytes = (b: Uint8Array): EventPayload => ({ kind: 'bytes', bytes: b });
  const store = inp.varstore ?? { authenticated: true, variables: [] };
  const varstoreName = tdx ? 'the CFV varstore' : '--vars';

  // used varstores: boot entries the platform would not create itself are not modelled
  if (findVariable(store, EFI_GLOBAL_VARIABLE_GUID, 'BootOrder')) {
    throw new FirmwareError(`${varstoreName}: the varstore already holds a BootOrder (a varstore a guest has used): not modelled; give the distribution's pristine ${tdx ? 'TDVF' : 'OVMF_VARS'}`);
  }
  const bootOptions: Array<[string, Uint8Array, string]> = [];
  if (gen.bootOptions === 'uiapp') bootOptions.push(['Boot0000', uiAppBootOption(), 'UiApp']);
  else {
    // ≥ 2025.05: the boot manager menu (UefiBootManagerLib BmRegisterBootManagerMenu) and UiApp as
    // "EFI Firmware Setup" (PlatformBootManagerCommonLib PlatformRegisterFvBootOption), each only
    // for an app in the volume BdsDxe is loaded from; a TD loads no other (rule boot-options)
    const apps = fw.bdsVolumeApps;
    if (apps?.bootManagerMenuApp === 'other-volume') {
      throw new FirmwareError(`the firmware's BootManagerMenuApp is not in the volume BdsDxe is loaded from (IntelTdx edk2-stable202605 keeps it in the NCCFV, 03a07cb0f5): BDS registers no boot manager menu (an ASSERT in BdsPlatform.c PlatformRegisterOptionsAndKeys in DEBUG builds); its boot variables are not modelled`, { target: inp.target ?? 'tpm' });
    }
    if (apps?.bootManagerMenuApp === 'absent') warnings.push(`the firmware has no BootManagerMenuApp, which edk2 ${gen.id} registers as Boot0000: predicted as that generation's boot options (is the edk2 version right?)`);
    bootOptions.push(['Boot0000', bootManagerMenuBootOption(), 'BootManagerMenuApp']);
    if (!apps || apps.uiApp === 'bds-volume') bootOptions.push(['Boot0001', firmwareSetupBootOption(), '"EFI Firmware Setup" (UiApp)']);
    else notes.push(`no Boot0001 "EFI Firmware Setup": UiApp is ${apps.uiApp === 'absent' ? 'not in the firmware' : 'not in the volume BdsDxe is loaded from (IntelTdx ≥ 2026.05 keeps it in the NCCFV, 03a07cb0f5)'}, so PlatformRegisterFvBootOption (FileIsInFv) does not register it (rule boot-options)`);
    if (inp.fwCfg?.has('opt/org.tianocore/FirmwareSetupSupport')) {
      throw new FirmwareError('--fw-cfg: QEMU offers opt/org.tianocore/FirmwareSetupSupport, which decides whether edk2 ≥ 2025.05 registers Boot0001 "EFI Firmware Setup" (BdsPlatform.c PlatformBootManagerBeforeConsole, d433b4c8e4): not modelled', { file: 'opt/org.tianocore/FirmwareSetupSupport' });
    }
  }
  for (const [name, want] of bootOptions) {
    const have = findVariable(store, EFI_GLOBAL_VARIABLE_GUID, name);
    if (have && toHex(have.data) !== toHex(want)) throw new FirmwareError(`${varstoreName}: the varstore's ${name} is not the entry OVMF creates: not modelled`);
  }

  if (tdx) {
    // RTMR0 from SEC: the TD HOB and the CFV (TdxHelperMeasureTdHob, TdxHelperMeasureCfvImage)
    const sec = inp.tdvf!;
    add(0, EV.EV_EFI_HANDOFF_TABLES2, tdxHandoffTablesData(sec.tdHob.gpa), bytes(sec.tdHob.measured), 'firmware', sec.tdHob.description, { mr: 1, rule: 'tdx-sec-events' });
    add(0, EV.EV_EFI_PLATFORM_FIRMWARE_BLOB2, firmwareBlob2Data(sec.cfv.memoryAddress, sec.cfv.rawDataSize), { kind: 'stream', source: sec.cfv.data }, 'firmware', sec.cfv.description, { mr: 1, rule: 'tdx-sec-events' });
    // SEC/PEI-less: fw_cfg items, in mCacheFwCfgList order
    if (gen.measuresFwCfgItems) {
      if (!inp.fwCfg) {
        add(1, EV.EV_PLATFORM_CONFIG_FLAGS, fwCfgEventData('BootMenu'), { kind: 'unknown', reason: 'QEMU\'s fw_cfg items were not supplied (--fw-cfg): which of etc/extra-pci-roots, etc/boot-menu-wait, etc/reserved-memory-end, opt/ovmf/X-PciMmio64Mb, bootorder QEMU offers depends on its command line' }, 'unknown',
          'QEMU FW CFG items (BootMenu, and whichever optional files QEMU offers): not supplied (--fw-cfg)', { rule: 'fw-cfg-items' });
      } else {
        for (const it of MEASURED_FW_CFG_ITEMS) {
          const data = it.item === 'BootMenu' ? Uint8Array.of(inp.bootMenu ? 1 : 0, 0) : inp.fwCfg.get(it.name);
          if (!data || data.length === 0 || (it.size !== 0 && data.length !== it.size)) continue;
          add(1, EV.EV_PLATFORM_CONFIG_FLAGS, fwCfgEventData(it.name), bytes(data), it.item ? 'fixed' : 'vmm-supplied',
            `QEMU FW CFG ${it.name} (${data.length} bytes${it.item ? `: boot menu ${inp.bootMenu ? 'on' : 'off'}` : ''})`, { rule: 'fw-cfg-items' });
        }
      }
    }
  } else {
    // vTPM: no fw_cfg item events — QemuFwCfgCacheInit.c CacheFwCfgInfoWithOptionalMeasurment
    // measures the cached items only `if (TdIsEnabled ())` (rule fw-cfg-items is TDX-only; the
    // 2026.08 vTPM logs have none). PCR0 instead: the CRTM version and the firmware volumes
    // (OvmfPkg PlatformPei / Tcg2Pei: SecurityPkg/Tcg/Tcg2Pei/Tcg2Pei.c MeasureCRTMVersion, MeasureFvImage).
    const version = fw.versionString ?? '';
    add(0, EV.EV_S_CRTM_VERSION, encodeUtf16(version, true), bytes(encodeUtf16(version, true)), 'firmware', `firmware version ${version ? JSON.stringify(version) : '(empty)'}`);
    const pei = peiFvMeasurement(fw);
    if (pei.digests) add(0, EV.EV_EFI_PLATFORM_FIRMWARE_BLOB, blobData(fw.peiFv!.length), { kind: 'digests', digests: pei.digests }, 'firmware', `PEIFV, the decompressed PEI volume as built (0x${fw.peiFv!.length.toString(16)} bytes)`, { rule: 'peifv-as-built' });
    else add(0, EV.EV_EFI_PLATFORM_FIRMWARE_BLOB, blobData(fw.peiFv?.length ?? 0), { kind: 'unknown', reason: pei.reason }, 'unknown', `PEIFV${fw.peiFv ? ` (0x${fw.peiFv.length.toString(16)} bytes)` : ''}: not predicted (${pei.reason})`, { rule: 'peifv-as-built' });
    if (fw.dxeFv) add(0, EV.EV_EFI_PLATFORM_FIRMWARE_BLOB, blobData(fw.dxeFv.length), { kind: 'digests', digests: fw.dxeFv.digests }, 'firmware', `DXEFV, the decompressed DXE volume (0x${fw.dxeFv.length.toString(16)} bytes)`);
    else add(0, EV.EV_EFI_PLATFORM_FIRMWARE_BLOB, blobData(0), { kind: 'unknown', reason: 'no DXE volume found' }, 'unknown', 'DXEFV: not found in the image');
  }

  // PCR7: secure-boot configuration
  const pk = findVariable(store, EFI_GLOBAL_VARIABLE_GUID, 'PK');
  const sbEnable = findVariable(store, SECURE_BOOT_ENABLE_GUID, 'SecureBootEnable');
  let secureBoot: number | null = null;
  if (fw.secureBootCapable) secureBoot = pk && (!sbEnable || sbEnable.data[0] === 1) ? 1 : 0;
  const sbData = secureBoot === null ? new Uint8Array(0) : Uint8Array.of(secureBoot);
  const sbVar = uefiVariableData(EFI_GLOBAL_VARIABLE_GUID, 'SecureBoot', sbData);
  add(7, EV.EV_EFI_VARIABLE_DRIVER_CONFIG, sbVar, bytes(sbVar), 'firmware',
    secureBoot === null ? 'variable SecureBoot: absent (built without secure boot)' : `variable SecureBoot = ${secureBoot}${secureBoot ? ' (PK enrolled)' : ''}`);
  const sbVars: Array<[string, string, boolean]> = [['PK', EFI_GLOBAL_VARIABLE_GUID, true], ['KEK', EFI_GLOBAL_VARIABLE_GUID, true], ['db', EFI_IMAGE_SECURITY_DATABASE_GUID, true], ['dbx', EFI_IMAGE_SECURITY_DATABASE_GUID, true], ['dbt', EFI_IMAGE_SECURITY_DATABASE_GUID, false]];
  for (const [name, guid, always] of sbVars) {
    const v = findVariable(store, guid, name);
    if (!always && (!v || v.data.length === 0)) continue;
    const d = uefiVariableData(guid, name, v ? v.data : new Uint8Array(0));
    add(7, EV.EV_EFI_VARIABLE_DRIVER_CONFIG, d, bytes(d), 'varstore', `variable ${name}: ${v ? `${v.data.length} bytes from ${tdx ? 'the CFV varstore' : 'the varstore'}` : 'absent (empty)'}`);
  }
  add(7, EV.EV_SEPARATOR, SEP, bytes(SEP), 'fixed', 'separator');

  // PCR1: ACPI data
  if (gen.measuresAcpiData) {
    const acpi = encodeAscii('ACPI DATA');
    const loader = inp.fwCfg?.get('etc/table-loader');
    if (tdx && inp.acpiBlobs) {
      const b = inp.acpiBlobs;
      for (const [name, blob] of [['etc/table-loader', b.tableLoader], ['etc/acpi/rsdp', b.rsdp], ['etc/acpi/tables', b.tables]] as const) {
        add(1, EV.EV_PLATFORM_CONFIG_FLAGS, acpi, bytes(blob), 'vmm-supplied', `ACPI DATA: QEMU fw_cfg ${name} (${blob.length} bytes)`, { rule: 'acpi-data' });
      }
    } else if (tdx && (!inp.fwCfg || !loader)) {
      // a TD has no TPM device, so QEMU's loader allocates etc/acpi/rsdp and etc/acpi/tables (dstack's hardware logs: 3 events)
      for (const name of ['etc/table-loader', 'etc/acpi/rsdp', 'etc/acpi/tables']) {
        add(1, EV.EV_PLATFORM_CONFIG_FLAGS, acpi, { kind: 'unknown', reason: `QEMU's fw_cfg ${name} was not supplied (--acpi-dir or --fw-cfg)` }, 'unknown', `ACPI DATA: QEMU fw_cfg ${name} (not supplied: use --acpi-dir or --fw-cfg)`, { rule: 'acpi-data' });
      }
    } else if (!inp.fwCfg || !loader) {
      const what = tdx ? 'QEMU\'s fw_cfg ACPI blobs were not supplied (--acpi-dir or --fw-cfg)' : 'QEMU\'s fw_cfg ACPI blobs were not supplied (--fw-cfg)';
      add(1, EV.EV_PLATFORM_CONFIG_FLAGS, acpi, { kind: 'unknown', reason: what }, 'unknown', `ACPI DATA: QEMU's fw_cfg ACPI blobs: not supplied (${tdx ? '--acpi-dir or --fw-cfg' : '--fw-cfg'})`, { rule: 'acpi-data' });
    } else {
      add(1, EV.EV_PLATFORM_CONFIG_FLAGS, acpi, bytes(loader), 'vmm-supplied', `ACPI DATA: fw_cfg etc/table-loader (${loader.length} bytes)`, { rule: 'acpi-data' });
      for (const name of loaderAllocations(loader, 'fw_cfg etc/table-loader')) {
        const blob = inp.fwCfg.get(name);
        if (!blob) throw new PrelaunchError('ERR_MALFORMED', `--fw-cfg: the table loader allocates ${name}, which the fw_cfg dump does not hold`, { file: name });
        add(1, EV.EV_PLATFORM_CONFIG_FLAGS, acpi, bytes(blob), 'vmm-supplied', `ACPI DATA: fw_cfg ${name} (${blob.length} bytes)`, { rule: 'acpi-data' });
      }
    }
  }

  // PCR4: the kernel
  const boot = inp.boot;
  let stubRuns = false;
  const initrd = boot?.initrd ?? null;
  const cmdline = boot ? cmdlineBytes(boot.append, '--append') : new Uint8Array(0);
  if (boot) {
    const kernel = boot.kernel;
    const servesEtcBoot = q !== null && q.major >= 10;
    if (inp.fwCfg) {
      const has = [...inp.fwCfg.keys()].some((k) => k === 'etc/boot/kernel') || inp.fwCfg.has('etc/boot/kernel/size');
      if (q !== null && has !== servesEtcBoot) warnings.push(`the fw_cfg dump ${has ? 'has' : 'lacks'} etc/boot/kernel, unlike QEMU ${q.series}: is ${tdx ? '--vmm-version' : '--qemu-version'} right?`);
    }
    let unpatched: boolean;
    if (inp.kernelUnpatched !== undefined) {
      unpatched = inp.kernelUnpatched;
      if (q !== null && unpatched !== (gen.fetchesEtcBoot && servesEtcBoot)) warnings.push(`--no-kernel-patch: edk2 ${gen.id} with QEMU ${q.series} measures the ${gen.fetchesEtcBoot && servesEtcBoot ? 'unpatched' : 'patched'} kernel (rule kernel-from-etc-boot); the kernel is hashed ${unpatched ? 'unpatched' : 'patched'} as asked`);
    } else if (q === null) {
      if (gen.fetchesEtcBoot) throw new OptionError('--vmm-version', `needed with --kernel: edk2 ${gen.id} measures the kernel unpatched when QEMU (>= 10.0) serves etc/boot/kernel and QEMU's setup-header-patched kernel before (rule kernel-from-etc-boot); give the QEMU version, or --no-kernel-patch`);
      unpatched = false;
    } else unpatched = gen.fetchesEtcBoot && servesEtcBoot;
    let image: ByteSource = kernel;
    if (!unpatched) {
      const head = copyBytes(kernel.read(0, Math.min(SETUP_HEADER_END, kernel.size)));
      const patch = qemuPatchSetupHeader(head, kernel.size, cmdline, initrd ? initrd.size : null, q35MemorySplit(inp.memory).below4g);
      image = overlaySource(kernel, patch.header);
    }
    const verdict = kernelSecureBootVerdict(kernel, secureBoot === 1, store);
    stubRuns = verdict.loads === 'pe';
    if (verdict.loads === 'refused') throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `--kernel: ${verdict.reason}`);
    if (verdict.loads === 'legacy') {
      // X86QemuLoadImageLib QemuLoadKernelImage: no fallback in a confidential guest (≥ 2025.11),
      // else the fw_cfg knob opt/org.tianocore/EnableLegacyLoader (≥ 2025.02) or its default
      const fallback = tdx ? gen.legacyFallbackInCvm : gen.legacyFallback;
      const knob = 'opt/org.tianocore/EnableLegacyLoader';
      if (!(tdx && !fallback)) {
        if (cmpVersion(gen.id, '2025.02') >= 0 && inp.fwCfg?.has(knob)) throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `--kernel: ${verdict.reason}; QEMU offers ${knob}, which decides whether edk2 ${gen.id} falls back to the legacy Linux loader: not modelled`, { file: knob });
        if (fw.legacyFallbackUnknown) throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `--kernel: ${verdict.reason}; ${fw.legacyFallbackUnknown}`);
      }
      if (!fallback) throw new PrelaunchError('ERR_UNSUPPORTED_STACK', `--kernel: ${verdict.reason}, and edk2 ${gen.id} has no legacy fallback${tdx ? ' in a TD' : ''} (rule no-legacy-fallback): the kernel does not boot directly`);
      if (!tdx && !gen.legacyFallbackInCvm) notes.push(`edk2 ${gen.id} falls back to the legacy Linux loader only in a guest that is not confidential: in an SEV-SNP guest (the SVSM vTPM) the kernel would not boot (rule no-legacy-fallback)`);
    }
    const kdesc = unpatched ? 'the file as given (edk2 fetches QEMU\'s unpatched etc/boot/kernel)' : 'after QEMU\'s setup-header patch (cmdline, initrd and memory enter it)';
    if (stubRuns) {
      add(4, EV.EV_EFI_BOOT_SERVICES_APPLICATION, imageLoadEventData(0, kernel.size, qemuKernelDevicePath()), { kind: 'authenticode', image }, 'boot-input', `kernel PE/COFF Authenticode digest, ${kdesc}`, { rule: 'kernel-from-etc-boot' });
    } else {
      notes.push(`no kernel event: ${verdict.reason}; OVMF falls back to the legacy Linux loader, which measures nothing`);
    }
  }

  // PCR1: SMBIOS (SmbiosMeasurementDxe's ReadyToBoot callback). Where it falls among Tcg2Dxe's
  // ReadyToBoot events (boot variables, action, separators) is the rule smbios-event-order:
  // both are TPL_CALLBACK ReadyToBoot events, and MdeModulePkg/Core/Dxe/Event/Event.c
  // CoreCreateEventInternal puts each new one at the head of gEventSignalQueue, so the driver
  // dispatched later is notified first.
  // Same event in both targets: TpmMeasureAndLogData (DxeTpmMeasurementLib) goes to Tcg2 or the
  // CC measurement protocol. EV_EFI_HANDOFF_TABLES, not ..._TABLES2: MeasureSmbiosTable
  // (MdeModulePkg/Universal/SmbiosMeasurementDxe/SmbiosMeasurementDxe.c) switches to
  // EV_EFI_HANDOFF_TABLES2 only when PcdTcgPfpMeasurementRevision ≥ 105, and the PCD's default
  // (MdeModulePkg.dec) is 0, which OvmfPkg does not override: both 2026.08 vTPM logs show
  // EV_EFI_HANDOFF_TABLES with UEFI_HANDOFF_TABLE_POINTERS.
  const smbiosEvent = (): void => {
    if (fw.modules.includes('SmbiosMeasurementDxe')) {
      const qemuTables = inp.fwCfg?.get('etc/smbios/smbios-tables');
      const anchor = inp.fwCfg?.get('etc/smbios/smbios-anchor');
      // UEFI_HANDOFF_TABLE_POINTERS: one table, SMBIOS (32-bit entry point "_SM_") or SMBIOS3; its address is known only at run time
      const guid = anchor && anchor.length >= 5 && String.fromCharCode(...anchor.subarray(0, 5)) === '_SM3_' ? SMBIOS3_TABLE_GUID : SMBIOS_TABLE_GUID;
      const data = HANDOFF_TABLE_POINTERS.encode({ numberOfTables: 1, vendorGuid: guidToBytes(guid), vendorTable: 0 });
      if (qemuTables && fw.smbiosType0) {
        const table = edk2MeasuredSmbiosTable(qemuTables, fw.smbiosType0);
        add(1, EV.EV_EFI_HANDOFF_TABLES, data, bytes(table), 'vmm-supplied', `SMBIOS tables (SmbiosMeasurementDxe, filtered): QEMU's fw_cfg etc/smbios/smbios-tables and OVMF's type 0 (${table.length} bytes)`, { rule: 'smbios-tables' });
      } else {
        const reason = !qemuTables ? 'QEMU\'s fw_cfg etc/smbios/smbios-tables was not supplied (--fw-cfg)' : 'the firmware\'s SMBIOS type-0 strings (vendor, version, release date) could not be read from SmbiosPlatformDxe';
        add(1, EV.EV_EFI_HANDOFF_TABLES, data, { kind: 'unknown', reason }, 'unknown', `SMBIOS tables (SmbiosMeasurementDxe, filtered): not predicted (${reason})`, { rule: 'smbios-tables' });
      }
    }
  };
  const smbiosAfterReadyToBoot = !tdx && fw.modules.includes('VariableSmmRuntimeDxe');
  if (!smbiosAfterReadyToBoot) smbiosEvent();

  // PCR1: boot variables; PCR4 action; separators
  const order = new Uint8Array(2 * bootOptions.length);
  bootOptions.forEach((_, i) => { order[2 * i] = i; });
  const rule: Edk2RuleName = 'boot-options';
  add(1, EV.EV_EFI_VARIABLE_BOOT, uefiVariableData(EFI_GLOBAL_VARIABLE_GUID, 'BootOrder', order), bytes(order), 'fixed', `variable BootOrder = ${bootOptions.map((_, i) => String(i).padStart(4, '0')).join(',')}`, { rule });
  for (const [name, data, what] of bootOptions) add(1, EV.EV_EFI_VARIABLE_BOOT, uefiVariableData(EFI_GLOBAL_VARIABLE_GUID, name, data), bytes(data), 'fixed', `variable ${name} = ${what}`, { rule });
  if (tdx && !boot) return { events, warnings, notes };
  add(4, EV.EV_EFI_ACTION, encodeAscii(ACTION.callingEfiApp), bytes(encodeAscii(ACTION.callingEfiApp)), 'fixed', ACTION.callingEfiApp);
  // vTPM: SecurityPkg/Tcg/Tcg2Dxe/Tcg2Dxe.c OnReadyToBoot measures a separator into each of
  // PCR0–6 (PCR7's came after the secure-boot variables); TDX: OvmfPkg/Tcg/TdTcg2Dxe/TdTcg2Dxe.c
  // OnReadyToBoot measures one, into RTMR1 (rule tdx-ready-to-boot-separator).
  if (tdx) add(4, EV.EV_SEPARATOR, SEP, bytes(SEP), 'fixed', 'separator (ReadyToBoot)', { mr: 2, rule: 'tdx-ready-to-boot-separator' });
  else for (let pcr = 0; pcr <= 6; pcr++) add(pcr, EV.EV_SEPARATOR, SEP, bytes(SEP), 'fixed', 'separator');
  if (smbiosAfterReadyToBoot) smbiosEvent();

  // PCR9: the Linux EFI stub
  if (stubRuns) {
    const lo = edk2LoadOptions(cmdline, initrd !== null, gen.loadOptions);
    const shown = cmdlineText(cmdline);
    if (lo) add(9, EV.EV_EVENT_TAG, taggedEventData(LINUX_LOAD_OPTIONS_EVENT_TAG_ID, 'LOADED_IMAGE::LoadOptions'), bytes(lo), 'boot-input',
      `kernel LoadOptions ${shown !== null ? JSON.stringify(gen.loadOptions === 'prefix' && initrd ? `initrd=initrd ${shown}` : `${shown}${initrd ? ' initrd=initrd' : ''}`) : `(0x${toHex(cmdline)})`} (UTF-16, NUL-terminated)`, { rule: 'load-options-prefix' });
  }
  if (initrd) add(9, EV.EV_EVENT_TAG, taggedEventData(LINUX_INITRD_EVENT_TAG_ID, 'Linux initrd'), { kind: 'stream', source: initrd }, 'boot-input', `initrd (${initrd.size} bytes)`);

  // PCR5
  add(5, EV.EV_EFI_ACTION, encodeAscii(ACTION.exitBootServices), bytes(encodeAscii(ACTION.exitBootServices)), 'fixed', ACTION.exitBootServices);
  add(5, EV.EV_EFI_ACTION, encodeAscii(ACTION.exitBootServicesOk), bytes(encodeAscii(ACTION.exitBootServicesOk)), 'fixed', ACTION.exitBootServicesOk);
  return { events, warnings, notes };
}

/**
 * The PEI modules of the build whose PEI volume was seen measured as built: Debian sid's
 * OVMF_CODE_4M.fd (ovmf-generic 2026.08+ds-2; captures test/vectors/measured-boot/sid-q11-quiet,
 * sid-q11-3g-2cpu, sid-q7-2g-2cpu: QEMU 7.2 and 11.1, 1–3 GiB, 1–2 vCPUs, one PEIFV digest,
 * the volume's). A PEI module outside this set may write into the volume before Tcg2Pei
 * measures it: not predicted.
 */
export const PEIFV_CHECKED_MODULES: readonly string[] = [
  'PeiCore', 'PcdPeim', 'ReportStatusCodeRouterPei', 'StatusCodeHandlerPei', 'TdTcg2Pei', 'PlatformPei', 'DxeIpl', 'S3Resume2Pei',
  'CpuMpPei', 'TpmMmioSevDecryptPei', 'Tcg2ConfigPei', 'TcgPei', 'Tcg2Pei', 'Tcg2PlatformPei',
];
/** PEI modules of an SMM_REQUIRE build; Debian sid's OVMF_CODE_4M.secboot.fd with them measured a PEIFV that changed with memory and vCPUs (captures sidsec-*). */
const SMM_PEI_MODULES = ['SmmAccessPei', 'PeiVariable', 'FaultTolerantWritePei'];

/**
 * UEFI_PLATFORM_FIRMWARE_BLOB of a PCR0 volume event: the volume's length as built, and base 0.
 * The base is where the volume sits in guest RAM (OvmfPkg's MEMFD PCDs, FixedAtBuild in the
 * firmware's code); it is event data only, not hashed into the PCR, so a written log
 * (`--log-out`) carries 0 there, as it does for the kernel's load address.
 */
function blobData(length: number): Uint8Array {
  return PLATFORM_FIRMWARE_BLOB.encode({ blobBase: 0n, blobLength: BigInt(length) });
}

/**
 * PCR0's PEIFV event (rule peifv-as-built): OVMF's SEC decompresses the PEI volume into RAM and
 * PEI modules run from it in place, so what a module writes to its own globals before Tcg2Pei
 * measures the volume (SecurityPkg/Tcg/Tcg2Pei/Tcg2Pei.c MeasureFvImage) is in the digest. From
 * edk2 2026.08 (1506c6da7b, "OvmfPkg: Replace BaseAcpiTimerLib with BaseRomAcpiTimerLib in PEI")
 * the checked build writes nothing there: the digest is the volume's as built.
 */
export function peiFvMeasurement(fw: Edk2Firmware): { digests: Record<PredictedBank, Uint8Array>; reason?: undefined } | { digests: null; reason: string } {
  if (!fw.peiFv) return { digests: null, reason: 'no PEI volume found in the image' };
  if (cmpVersion(fw.generation.id, '2026.08') < 0) {
    return { digests: null, reason: `edk2 ${fw.generation.id} writes into the PEI volume in RAM before measuring it (BaseAcpiTimerLib's mAcpiTimerIoAddr until 2026.08, commit 1506c6da7b; in 2022.11 the captured digest also changes with guest memory): not the volume as built` };
  }
  const smm = SMM_PEI_MODULES.filter((m) => fw.peiFv!.modules.includes(m));
  if (smm.length) return { digests: null, reason: `an SMM_REQUIRE build (PEI modules ${smm.join(', ')}): PEI writes into the PEI volume before it is measured, and the captured digest changes with guest memory and vCPUs` };
  const unchecked = fw.peiFv.modules.filter((m) => m !== '' && !PEIFV_CHECKED_MODULES.includes(m));
  if (unchecked.length) return { digests: null, reason: `PEI modules not in the build checked against real boots (${unchecked.join(', ')}): whether they write into the PEI volume before it is measured was not checked` };
  return { digests: fw.peiFv.digests };
}

// ---------------------------------------------------------------------------------------
// engine

export interface MeasuredEvent {
  pcr: number;
  eventType: number;
  typeName: string;
  description: string;
  basis: EventBasis;
  /** bank → digest; null when the event is not predicted */
  digests: Record<PredictedBank, Uint8Array> | null;
  /** why the digest is not predicted */
  unknownReason?: string;
  data: Uint8Array;
}

export interface PcrPrediction {
  events: MeasuredEvent[];
  /** bank → PCR index → value; null for a PCR with an event that is not predicted */
  pcrs: Record<PredictedBank, Map<number, Uint8Array | null>>;
}

const CHUNK = 1 << 20;

/** Hash every planned event into both banks and extend the PCRs. */
export function measureEdk2Events(events: readonly PlannedEvent[], backend: HashBackend = defaultBackend): PcrPrediction {
  const out: MeasuredEvent[] = [];
  const pcrs = { sha256: new Map<number, Uint8Array | null>(), sha384: new Map<number, Uint8Array | null>() } as Record<PredictedBank, Map<number, Uint8Array | null>>;
  for (const e of events) {
    let digests: Record<PredictedBank, Uint8Array> | null = null;
    const p = e.payload;
    if (p.kind === 'digests') digests = { sha256: p.digests.sha256, sha384: p.digests.sha384 };
    else if (p.kind !== 'unknown') {
      const hs: Record<PredictedBank, Hasher> = { sha256: backend.create('sha256'), sha384: backend.create('sha384') };
      const feed = (b: Uint8Array): void => {
        hs.sha256.update(b);
        hs.sha384.update(b);
      };
      if (p.kind === 'bytes') feed(p.bytes);
      else if (p.kind === 'stream') forEachChunk(p.source, 0, p.source.size, CHUNK, feed);
      else for (const r of authenticodeRanges(p.image)) forEachChunk(p.image, r.offset, r.length, CHUNK, feed);
      digests = { sha256: hs.sha256.digest(), sha384: hs.sha384.digest() };
    }
    out.push({ pcr: e.pcr, eventType: e.eventType, typeName: eventTypeName(e.eventType), description: e.description, basis: e.basis, digests, data: e.data, ...(p.kind === 'unknown' ? { unknownReason: p.reason } : {}) });
    for (const bank of PREDICTED_BANKS) {
      const m = pcrs[bank];
      if (m.has(e.pcr) && m.get(e.pcr) === null) continue;
      if (!digests) {
        m.set(e.pcr, null);
        continue;
      }
      const cur = m.get(e.pcr) ?? new Uint8Array(BANK_SIZE[bank]);
      m.set(e.pcr, backend.create(bank).update(cur).update(digests[bank]).digest());
    }
  }
  return { events: out, pcrs };
}
