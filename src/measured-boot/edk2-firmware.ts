/**
 * What an OVMF image is, for measured boot: its edk2 generation (from the firmware version
 * string in its compressed volumes, or from its module set where the string is absent), whether
 * it was built with secure-boot support, and its decompressed DXE volume (measured into PCR0).
 * A generation prelaunch has not modelled is refused, naming what the model lacks.
 */
import { FirmwareError } from '../errors.js';
import type { SmbiosType0Strings } from './smbios.js';
import { fromHex, toHex } from '../bytes/hex.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { PREDICTED_BANKS, BANK_SIZE, type PredictedBank } from './pcr.js';
import { FFS2_GUID, FFS3_GUID, firmwareVersionStrings, walkFirmware, type FirmwareVolume, type FirmwareWalk } from '../formats/uefi/firmware-volume.js';

export interface Edk2Generation {
  /** "YYYY.MM" of the edk2 stable tag */
  id: string;
  tag: string;
  /** PCR1 "ACPI DATA": QEMU's raw fw_cfg ACPI blobs, in the loader's ALLOCATE order (OvmfPkg AcpiPlatformDxe) */
  measuresAcpiData: boolean;
  /** QemuKernelLoaderFsDxe fetches QEMU ≥ 10.0's named etc/boot/* blobs first (the unpatched kernel; stable202502) */
  fetchesEtcBoot: boolean;
  /** LoadOptions for direct boot: cmdline + " initrd=initrd" (suffix) or "initrd=initrd " + cmdline (prefix, stable202508) */
  loadOptions: 'suffix' | 'prefix';
  /**
   * a kernel secure boot rejects falls back to the legacy Linux loader (no PCR4 kernel event) in a
   * guest that is not confidential (a swtpm vTPM boot): the default of the fw_cfg knob
   * opt/org.tianocore/EnableLegacyLoader (stable202502, 1549bf11cc94), false from stable202602
   * (d2cbaefc08; OvmfPkg/Library/X86QemuLoadImageLib/X86QemuLoadImageLib.c QemuLoadKernelImage)
   */
  legacyFallback: boolean;
  /** the same in a confidential guest (a TD): none from stable202511 (5a6a9f7955, PcdConfidentialComputingGuestAttr) */
  legacyFallbackInCvm: boolean;
  /**
   * the IntelTdx (PEI-less) build measures fw_cfg items into PCR1/RTMR0 from SEC
   * (OvmfPkg/Library/QemuFwCfgLib/QemuFwCfgCacheInit.c CacheFwCfgInfoWithOptionalMeasurment; stable202505)
   */
  measuresFwCfgItems: boolean;
  /**
   * the boot options OVMF creates for a pristine varstore: Boot0000 = UiApp (≤ 2025.02), or
   * Boot0000 = BootManagerMenuApp and Boot0001 = "EFI Firmware Setup" (UiApp) (stable202505:
   * 9d9e3a2ba8, d433b4c8e4; OvmfPkg/Library/PlatformBootManagerLib/BdsPlatform.c)
   */
  bootOptions: 'uiapp' | 'menu-and-setup';
}

const gen = (id: string, f: Omit<Edk2Generation, 'id' | 'tag'>): Edk2Generation => ({ id, tag: `edk2-stable${id.replace('.', '')}`, ...f });

/**
 * What each edk2 stable tag changes in the events of a QEMU direct boot (spec note "edk2
 * changes by stable tag", read from edk2 sources). A generation being listed here is not the
 * same as being modelled: see {@link MODELLED_GENERATIONS} and {@link TDX_MODELLED_GENERATIONS}.
 */
export const EDK2_GENERATIONS: readonly Edk2Generation[] = [
  gen('2022.11', { measuresAcpiData: false, fetchesEtcBoot: false, loadOptions: 'suffix', legacyFallback: true, legacyFallbackInCvm: true, measuresFwCfgItems: false, bootOptions: 'uiapp' }),
  gen('2025.02', { measuresAcpiData: true, fetchesEtcBoot: true, loadOptions: 'suffix', legacyFallback: true, legacyFallbackInCvm: true, measuresFwCfgItems: false, bootOptions: 'uiapp' }),
  gen('2025.05', { measuresAcpiData: true, fetchesEtcBoot: true, loadOptions: 'suffix', legacyFallback: true, legacyFallbackInCvm: true, measuresFwCfgItems: true, bootOptions: 'menu-and-setup' }),
  gen('2025.08', { measuresAcpiData: true, fetchesEtcBoot: true, loadOptions: 'prefix', legacyFallback: true, legacyFallbackInCvm: true, measuresFwCfgItems: true, bootOptions: 'menu-and-setup' }),
  gen('2025.11', { measuresAcpiData: true, fetchesEtcBoot: true, loadOptions: 'prefix', legacyFallback: true, legacyFallbackInCvm: false, measuresFwCfgItems: true, bootOptions: 'menu-and-setup' }),
  gen('2026.02', { measuresAcpiData: true, fetchesEtcBoot: true, loadOptions: 'prefix', legacyFallback: false, legacyFallbackInCvm: false, measuresFwCfgItems: true, bootOptions: 'menu-and-setup' }),
  gen('2026.05', { measuresAcpiData: true, fetchesEtcBoot: true, loadOptions: 'prefix', legacyFallback: false, legacyFallbackInCvm: false, measuresFwCfgItems: true, bootOptions: 'menu-and-setup' }),
  gen('2026.08', { measuresAcpiData: true, fetchesEtcBoot: true, loadOptions: 'prefix', legacyFallback: false, legacyFallbackInCvm: false, measuresFwCfgItems: true, bootOptions: 'menu-and-setup' }),
];
const generation = (id: string): Edk2Generation => EDK2_GENERATIONS.find((g) => g.id === id)!;

/**
 * The generations whose vTPM events were checked against real boots: 2022.11 and 2025.02
 * (../shared/oracles/measured-boot), 2026.08 (Debian sid ovmf-generic 2026.08+ds-2, our own
 * captures test/vectors/measured-boot/sid-*: QEMU 11.1 and 7.2, every event but PEIFV equal).
 */
export const CHECKED_GENERATIONS: readonly string[] = ['2022.11', '2025.02', '2026.08'];

/**
 * The tags between 2025.02 and 2026.08 whose vTPM event list was read from the edk2 sources tag
 * by tag (docs/notes-edk2-generations.md) and found to be the rule set of their
 * EDK2_GENERATIONS entry; no boot of them was checked. A prediction for one says so.
 */
export const SOURCE_ONLY_GENERATIONS: readonly string[] = ['2025.05', '2025.08', '2025.11', '2026.02', '2026.05'];

/** The generations whose vTPM PCR events prelaunch models: the checked ones and the source-only ones. */
export const MODELLED_GENERATIONS: readonly Edk2Generation[] = EDK2_GENERATIONS.filter((g) => CHECKED_GENERATIONS.includes(g.id) || SOURCE_ONLY_GENERATIONS.includes(g.id));

/**
 * The generations whose TDX RTMR events prelaunch models (the PEI-less IntelTdx build):
 * 2025.02 — the event list of dstack's hardware CCEL logs (edk2 ≥ stable202411, ≤ stable202502);
 * 2026.08 — Debian sid's build: the rules fw-cfg-items, smbios-tables,
 * boot-options, load-options-prefix, no-legacy-fallback, read from the edk2 sources of that
 * generation and checked, where a vTPM boot shows them, against real 2026.08 vTPM logs
 * (test/vectors/measured-boot/sid-*). No TDX log of it was captured (no TDX
 * hardware here): docs/tdx.md says which values rest on source reading alone.
 * 2025.05, 2025.08, 2025.11, 2026.02: read tag by tag from the sources (TDX_SOURCE_ONLY_GENERATIONS).
 * Not 2026.05: see generationGap.
 */
export const TDX_MODELLED_GENERATIONS: readonly Edk2Generation[] = ['2025.02', '2025.05', '2025.08', '2025.11', '2026.02', '2026.08'].map(generation);

/** The TDX generations modelled from source reading tag by tag (docs/notes-edk2-generations.md); a prediction says so. */
export const TDX_SOURCE_ONLY_GENERATIONS: readonly string[] = ['2025.05', '2025.08', '2025.11', '2026.02'];

/** The warning a prediction for a source-only generation carries, or null. */
export function sourceOnlyWarning(id: string, target: MeasurementTarget): string | null {
  if (!(target === 'tdx' ? TDX_SOURCE_ONLY_GENERATIONS : SOURCE_ONLY_GENERATIONS).includes(id)) return null;
  return `edk2 ${id}: its ${target === 'tdx' ? 'RTMR' : 'PCR'} event list rests on reading the edk2 sources of edk2-stable${id.replace('.', '')} (docs/notes-edk2-generations.md), not on a real boot of it: only ${target === 'tdx' ? '2025.02 (dstack\'s hardware logs) and, for the events a vTPM boot shows, 2026.08' : '2022.11, 2025.02 and 2026.08'} were checked against real boots`;
}

/**
 * Why a generation that is not modelled is refused (the refusal names it).
 */
function generationGap(id: string, target: MeasurementTarget): string {
  const modelled = target === 'tdx' ? TDX_MODELLED_GENERATIONS : MODELLED_GENERATIONS;
  const newest = modelled[modelled.length - 1]!.id;
  if (cmpVersion(id, newest) > 0) return `it is newer than the newest modelled generation (${newest}): its events were not checked ${target === 'tdx' ? 'against its sources' : 'against a real boot'}`;
  if (target === 'tdx' && cmpVersion(id, '2025.02') < 0) return 'before 2025.02 the TDX event list differs (stable202411 moved the ReadyToBoot separator from RTMR0 to RTMR1; etc/boot/* is not fetched before 2025.02) and was not checked';
  if (target === 'tdx' && id === '2026.05') {
    return 'edk2-stable202605 put UiApp and BootManagerMenuApp in the IntelTdx NCCFV (03a07cb0f5), which a TD does not load: BDS finds no boot manager menu (an ASSERT in BdsPlatform.c PlatformRegisterOptionsAndKeys in DEBUG builds, no Boot#### at all in RELEASE builds), which the boot-options rule cannot express; f272dd7ea3, after the tag, moved BootManagerMenuApp back';
  }
  return `the events between the modelled generations were not checked against a real boot of edk2 ${id}`;
}

/** OvmfPkgX64 modules added after edk2-stable202211 (in Debian's 2025.02 builds, not in its 2022.11 ones). */
const LATER_MODULES = ['VirtHstiDxe', 'TdTcg2Dxe', 'TdTcg2Pei', 'VirtioSerialDxe', 'Hash2DxeCrypto', 'RngDxe'];

/** Where the events land: vTPM PCRs (Tcg2Dxe) or TDX RTMRs (TdTcg2Dxe, the CC measurement protocol). */
export type MeasurementTarget = 'tpm' | 'tdx';

/** Where an application is in the image: in the volume BdsDxe is loaded from, in another one, or not at all. */
export type AppPlacement = 'bds-volume' | 'other-volume' | 'absent';

export interface Edk2Firmware {
  /** PcdFirmwareVersionString, or null when the image carries none */
  versionString: string | null;
  generation: Edk2Generation;
  /** how the generation was decided */
  generationSource: string;
  /** built with SECURE_BOOT_ENABLE (SecureBootConfigDxe present): the SecureBoot variable exists */
  secureBootCapable: boolean;
  /** the decompressed DXE volume edk2 measures into PCR0 (EV_EFI_PLATFORM_FIRMWARE_BLOB): its length and digests, or null when not found */
  dxeFv: { length: number; digests: Record<PredictedBank, Uint8Array> } | null;
  /** the decompressed PEI volume: length, digests, and the PEI modules it holds (whether edk2 measures it as built: rule peifv-as-built) */
  peiFv: { length: number; digests: Record<PredictedBank, Uint8Array>; modules: string[] } | null;
  modules: string[];
  /** the type-0 strings OVMF's SmbiosPlatformDxe would install, or null when they could not be read from the module */
  smbiosType0: SmbiosType0Strings | null;
  /**
   * whether UiApp and BootManagerMenuApp are in the firmware volume BdsDxe is loaded from (the
   * DXEFV): BDS registers "EFI Firmware Setup" only for a UiApp there (OvmfPkg/Library/
   * PlatformBootManagerCommonLib PlatformRegisterFvBootOption, FileIsInFv), and a TD loads no
   * other volume of an IntelTdx image (its NCCFV: PeilessStartupLib DxeLoadCore); null when
   * BdsDxe was not found
   */
  bdsVolumeApps: { uiApp: AppPlacement; bootManagerMenuApp: AppPlacement } | null;
  /**
   * set when the version string is a distribution's package version whose patches change the
   * legacy-loader default (Fedora): why a legacy fallback cannot be predicted for this image
   */
  legacyFallbackUnknown: string | null;
  warnings: string[];
}

/** A UTF-16 NUL-terminated printable string at `at`, or null. */
function utf16At(b: Uint8Array, at: number): string | null {
  let s = '';
  for (let i = at; i + 1 < b.length; i += 2) {
    const c = b[i]! | (b[i + 1]! << 8);
    if (c === 0) return s;
    if (c < 0x20 || c > 0x7e || s.length > 256) return null;
    s += String.fromCharCode(c);
  }
  return null;
}

/**
 * The FixedAtBuild PCDs PcdFirmwareReleaseDateString, PcdFirmwareVersionString and
 * PcdFirmwareVendor compiled into SmbiosPlatformDxe (OvmfPkg/SmbiosPlatformDxe/
 * SmbiosPlatformDxe.c InstallAllStructures reads them with FixedPcdGetPtr): UTF-16 strings at
 * consecutive 16-byte-aligned offsets of the module's image, date, version, vendor (so in
 * Debian's 2025.02 and 2026.08 builds). Read only when the version string is found there with a
 * date before it and a vendor after it; otherwise null (the SMBIOS event is then not predicted).
 */
function smbiosType0Strings(walk: FirmwareWalk, version: string | null): SmbiosType0Strings | null {
  const pe = walk.modules.find((m) => m.name === 'SmbiosPlatformDxe')?.pe;
  if (!pe || version === null) return null;
  const found: SmbiosType0Strings[] = [];
  for (let at = 16; at + 16 < pe.length; at += 16) {
    if (utf16At(pe, at) !== version) continue;
    let date: string | null = null;
    for (let d = at - 16; d >= 0 && d >= at - 64; d -= 16) {
      const s = utf16At(pe, d);
      if (s !== null && /^\d{2}\/\d{2}\/\d{4}$/.test(s)) { date = s; break; }
    }
    const vendorAt = (at + 2 * (version.length + 1) + 15) & ~15;
    const vendor = utf16At(pe, vendorAt);
    if (date !== null && vendor !== null && vendor.length > 0) found.push({ vendor, version, releaseDate: date });
  }
  return found.length === 1 ? found[0]! : null;
}

/**
 * RTMR prediction models the PEI-less IntelTdx build (OvmfPkg/IntelTdx/IntelTdxX64.dsc, Debian's
 * OVMF.inteltdx*.fd, dstack's TDVF): SEC measures the TD HOB and the CFV (OvmfPkg/IntelTdx/
 * TdxHelperLib/SecTdxHelper.c TdxHelperMeasureTdHob, TdxHelperMeasureCfvImage) and TdTcg2Dxe
 * logs the rest. Refused: images without TdTcg2Dxe (they extend no RTMR through the CC
 * measurement protocol, e.g. Debian's 2022.11 OVMF.fd) and PEI-based builds (OvmfPkgX64 with
 * TDX: TdTcg2Pei measures there, and which events it logs was not checked).
 */
function requireIntelTdxBuild(modules: readonly string[], source: string | undefined): void {
  const name = source ?? 'firmware';
  if (!modules.includes('DxeCore')) throw new FirmwareError(`${name}: no DxeCore module found in its firmware volumes: not an OVMF/TDVF image whose RTMR events prelaunch can model`, { target: 'tdx' });
  if (!modules.includes('TdTcg2Dxe')) {
    throw new FirmwareError(`${name}: no TdTcg2Dxe module: this firmware logs no RTMR events through the CC measurement protocol (e.g. Debian's 2022.11 OVMF.fd); RTMR prediction is not modelled for it (its MRTD is)`, { target: 'tdx' });
  }
  if (modules.includes('PeiCore')) {
    throw new FirmwareError(`${name}: a PEI-based build with TDX support (OvmfPkgX64: PeiCore, TdTcg2Pei): RTMR prediction models the PEI-less IntelTdx build only (OvmfPkg/IntelTdx/IntelTdxX64.dsc, e.g. Debian's OVMF.inteltdx.fd); the SEC/PEI events of this build were not checked (its MRTD is exact)`, { target: 'tdx' });
  }
}

/** Orders two "YYYY.MM" edk2 versions. */
export const cmpVersion = (a: string, b: string): number => {
  const [ay, am] = a.split('.').map(Number) as [number, number];
  const [by, bm] = b.split('.').map(Number) as [number, number];
  return ay - by || am - bm;
};

const listed = (ids: string[]): string => (ids.length > 1 ? `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]!}` : ids.join(''));

/** The generation a "YYYY.MM" edk2 version names, or a refusal naming what is not modelled. */
export function generationFor(id: string, how: string, target: MeasurementTarget = 'tpm'): Edk2Generation {
  const modelled = target === 'tdx' ? TDX_MODELLED_GENERATIONS : MODELLED_GENERATIONS;
  const g = modelled.find((x) => x.id === id);
  if (g) return g;
  throw new FirmwareError(
    `edk2 ${id} (${how}) is not a modelled generation: prelaunch models the ${target === 'tdx' ? 'TDX RTMR events' : 'measured boot (vTPM PCRs)'} of edk2 ${listed(modelled.map((x) => x.id))} only; ${generationGap(id, target)}`,
    { generation: id, target },
  );
}

/**
 * Fedora's PcdFirmwareVersionString: edk2-build.py (kraxel/edk2-build-config, Fedora's edk2.spec
 * Source80) get_version takes RPM_PACKAGE_NAME-RPM_PACKAGE_VERSION-RPM_PACKAGE_RELEASE under
 * rpmbuild, and the package's Version is the spec's GITDATE, e.g. "edk2-20251119-10.fc44"
 * (edk2-stable202511). The date's month names the stable tag (02, 05, 08, 11); its day need not
 * be the tag's (RHEL's 20251114 packages stable202511 too).
 */
const FEDORA_VERSION = /^edk2-(\d{4})(02|05|08|11)\d{2}-[^-]+$/;

/** edk2 version "YYYY.MM" from a version string ("2025.02-8+deb13u1", "edk2-stable202502", Fedora's "edk2-20251119-10.fc44"), or null. */
export function edk2VersionOf(s: string): string | null {
  let m = /^(\d{4})\.(\d{2})/.exec(s);
  if (m) return `${m[1]}.${m[2]}`;
  m = /^edk2-stable(\d{4})(\d{2})/.exec(s);
  if (m) return `${m[1]}.${m[2]}`;
  m = FEDORA_VERSION.exec(s);
  return m ? `${m[1]}.${m[2]}` : null;
}

/** Fedora's version string: its builds patch the legacy-loader default (see docs/notes-edk2-generations.md). */
export const isFedoraVersionString = (s: string): boolean => FEDORA_VERSION.test(s);

/**
 * What identification needs from an image, read by walking its volumes (decompressing the LZMA
 * ones: the costly step) — plain data, so it can be kept in a {@link FirmwareFactsCache} keyed by
 * the image's SHA-256 and read back without decompressing again.
 */
export interface Edk2FirmwareFacts {
  /** the module names (UI sections) of every volume, in walk order */
  modules: string[];
  /** every distinct firmware version string found (firmwareVersionStrings) */
  versionStrings: string[];
  smbiosType0: SmbiosType0Strings | null;
  /** the decompressed DXE volume: length and digests (hex) per predicted bank */
  dxeFv: { length: number; digests: Record<PredictedBank, string> } | null;
  /** the decompressed PEI volume: length, digests (hex) per predicted bank, and the PEI modules it holds */
  peiFv: { length: number; digests: Record<PredictedBank, string>; modules: string[] } | null;
  /** where UiApp and BootManagerMenuApp are relative to BdsDxe's volume (Edk2Firmware.bdsVolumeApps) */
  bdsVolumeApps: { uiApp: AppPlacement; bootManagerMenuApp: AppPlacement } | null;
}

/** Bumped whenever what {@link readEdk2FirmwareFacts} extracts changes (old cache entries then miss). */
export const EDK2_FACTS_VERSION = 3;

/**
 * A store for {@link Edk2FirmwareFacts} between runs (the CLI's is a directory of JSON files,
 * src/cli/firmware-facts-cache.ts). `get` returns what `set` stored, or undefined; a value that
 * does not check as facts is ignored (read again from the image) and replaced.
 */
export interface FirmwareFactsCache {
  get(key: string): unknown;
  set(key: string, facts: Edk2FirmwareFacts): void;
}

/** A cache that keeps entries in memory in front of `backing` (one run that reads the same firmware for several launch shapes). */
export function memoryFactsCache(backing: FirmwareFactsCache | null = null): FirmwareFactsCache {
  const held = new Map<string, Edk2FirmwareFacts>();
  return {
    get: (key) => held.get(key) ?? backing?.get(key),
    set: (key, facts) => {
      held.set(key, facts);
      backing?.set(key, facts);
    },
  };
}

/** The cache key of an image's facts: the facts version and the image's SHA-256. */
export function edk2FactsKey(image: Uint8Array, backend: HashBackend = defaultBackend): string {
  return `edk2-facts-v${EDK2_FACTS_VERSION}-${toHex(backend.hash('sha256', image))}`;
}

/** Walk the image (decompressing its LZMA volumes) and read what identification needs. */
export function readEdk2FirmwareFacts(image: Uint8Array, source?: string, backend: HashBackend = defaultBackend): Edk2FirmwareFacts {
  const walk: FirmwareWalk = walkFirmware(image, source);
  const modules = walk.modules.map((m) => m.name).filter((n): n is string => n !== null);
  const versionStrings = firmwareVersionStrings(walk);
  // PEIFV and DXEFV: the two FFS volumes inside the compressed FVMAIN_COMPACT (nested locations)
  const holding = (name: string): FirmwareVolume | null => {
    const m = walk.modules.find((x) => x.name === name);
    const v = m ? walk.volumes[m.volume] : undefined;
    return v && v.location.includes('/lzma/') && (v.fileSystemGuid === FFS2_GUID || v.fileSystemGuid === FFS3_GUID) ? v : null;
  };
  const dxe = holding('DxeCore');
  const pei = holding('PeiCore');
  const bds = walk.modules.find((m) => m.name === 'BdsDxe');
  const placement = (name: string): AppPlacement => {
    const found = walk.modules.filter((m) => m.name === name);
    return found.length === 0 ? 'absent' : found.some((m) => m.volume === bds!.volume) ? 'bds-volume' : 'other-volume';
  };
  return {
    modules,
    versionStrings,
    smbiosType0: smbiosType0Strings(walk, versionStrings.length === 1 ? versionStrings[0]! : null),
    dxeFv: dxe ? { length: dxe.bytes.length, digests: { sha256: toHex(backend.hash('sha256', dxe.bytes)), sha384: toHex(backend.hash('sha384', dxe.bytes)) } } : null,
    peiFv: pei ? {
      length: pei.bytes.length,
      digests: { sha256: toHex(backend.hash('sha256', pei.bytes)), sha384: toHex(backend.hash('sha384', pei.bytes)) },
      modules: walk.modules.filter((m) => walk.volumes[m.volume] === pei).map((m) => m.name).filter((n): n is string => n !== null),
    } : null,
    bdsVolumeApps: bds ? { uiApp: placement('UiApp'), bootManagerMenuApp: placement('BootManagerMenuApp') } : null,
  };
}

/** `value` as {@link Edk2FirmwareFacts} when every field checks, else null (a damaged or foreign cache entry). */
export function checkEdk2FirmwareFacts(value: unknown): Edk2FirmwareFacts | null {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const length = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
  if (!isObj(value) || !strings(value.modules) || !strings(value.versionStrings)) return null;
  const t0 = value.smbiosType0;
  if (t0 !== null && !(isObj(t0) && typeof t0.vendor === 'string' && typeof t0.version === 'string' && typeof t0.releaseDate === 'string')) return null;
  const volume = (v: unknown): v is { length: number; digests: Record<PredictedBank, string> } => isObj(v) && length(v.length) && isObj(v.digests) && PREDICTED_BANKS.every((b) => {
    const h = (v.digests as Record<string, unknown>)[b];
    return typeof h === 'string' && new RegExp(`^[0-9a-f]{${2 * BANK_SIZE[b]}}$`).test(h);
  });
  const d = value.dxeFv;
  if (d !== null && !volume(d)) return null;
  const pei = value.peiFv;
  if (pei !== null && !(volume(pei) && strings((pei as Record<string, unknown>).modules))) return null;
  const placed = (v: unknown): v is AppPlacement => v === 'bds-volume' || v === 'other-volume' || v === 'absent';
  const apps = value.bdsVolumeApps;
  if (apps !== null && !(isObj(apps) && placed(apps.uiApp) && placed(apps.bootManagerMenuApp))) return null;
  return {
    modules: [...value.modules],
    versionStrings: [...value.versionStrings],
    smbiosType0: t0 === null ? null : { vendor: (t0 as Record<string, string>).vendor!, version: (t0 as Record<string, string>).version!, releaseDate: (t0 as Record<string, string>).releaseDate! },
    dxeFv: d === null ? null : { length: d.length, digests: { sha256: d.digests.sha256, sha384: d.digests.sha384 } },
    peiFv: pei === null ? null : { length: pei.length, digests: { sha256: pei.digests.sha256, sha384: pei.digests.sha384 }, modules: [...(pei as unknown as { modules: string[] }).modules] },
    bdsVolumeApps: apps === null ? null : { uiApp: (apps as { uiApp: AppPlacement }).uiApp, bootManagerMenuApp: (apps as { bootManagerMenuApp: AppPlacement }).bootManagerMenuApp },
  };
}

/** The image's facts: from `cache` when it holds a well-formed entry for this image, else read (and stored). */
export function edk2FirmwareFacts(image: Uint8Array, opts: { source?: string; cache?: FirmwareFactsCache | null; hashBackend?: HashBackend } = {}): Edk2FirmwareFacts {
  const backend = opts.hashBackend ?? defaultBackend;
  if (!opts.cache) return readEdk2FirmwareFacts(image, opts.source, backend);
  const key = edk2FactsKey(image, backend);
  const hit = checkEdk2FirmwareFacts(opts.cache.get(key));
  if (hit) return hit;
  const facts = readEdk2FirmwareFacts(image, opts.source, backend);
  opts.cache.set(key, facts);
  return facts;
}

export interface IdentifyOptions {
  source?: string;
  edk2Version?: string;
  target?: MeasurementTarget;
  /** keeps the facts read from an image between runs (see {@link FirmwareFactsCache}) */
  factsCache?: FirmwareFactsCache | null;
  hashBackend?: HashBackend;
}

export function identifyEdk2Firmware(image: Uint8Array, opts: IdentifyOptions = {}): Edk2Firmware {
  const target = opts.target ?? 'tpm';
  const facts = edk2FirmwareFacts(image, { ...(opts.source !== undefined ? { source: opts.source } : {}), cache: opts.factsCache ?? null, ...(opts.hashBackend ? { hashBackend: opts.hashBackend } : {}) });
  const modules = facts.modules;
  if (target === 'tdx') requireIntelTdxBuild(modules, opts.source);
  else if (!modules.includes('DxeCore') || !modules.includes('Tcg2Dxe')) {
    throw new FirmwareError(`${opts.source ?? 'firmware'}: not an OVMF image with a TPM 2.0 driver (${!modules.includes('DxeCore') ? 'no DxeCore module' : 'no Tcg2Dxe module: built without TPM2_ENABLE'}): nothing would be measured into PCRs`);
  }
  const versions = facts.versionStrings;
  const warnings: string[] = [];
  if (versions.length > 1) throw new FirmwareError(`${opts.source ?? 'firmware'}: carries several firmware version strings (${versions.join(', ')}): cannot tell its edk2 generation`);
  const versionString = versions[0] ?? null;
  let generation: Edk2Generation;
  let generationSource: string;
  if (opts.edk2Version !== undefined) {
    generation = generationFor(opts.edk2Version, 'given', target);
    generationSource = `given as ${opts.edk2Version}`;
    if (versionString && edk2VersionOf(versionString) !== opts.edk2Version) warnings.push(`the image says it is ${versionString}, but edk2 ${opts.edk2Version} was given`);
  } else if (versionString !== null) {
    const v = edk2VersionOf(versionString);
    if (v === null) throw new FirmwareError(`${opts.source ?? 'firmware'}: its firmware version string "${versionString}" names no edk2 version prelaunch can read (YYYY.MM…, edk2-stableYYYYMM…, Fedora's edk2-YYYYMMDD-RELEASE): give its edk2 version (--edk2-version YYYY.MM)`, { target });
    generation = generationFor(v, `firmware version string "${versionString}"`, target);
    generationSource = `firmware version string "${versionString}"`;
  } else if (target === 'tdx') {
    // every TDVF build is newer than the module-set heuristic below can tell apart
    throw new FirmwareError(`${opts.source ?? 'firmware'}: carries no firmware version string: give its edk2 version (--edk2-version YYYY.MM) for RTMR prediction (its events depend on the edk2 generation)`, { target });
  } else {
    // No version string (upstream builds leave PcdFirmwareVersionString empty; Debian sets it
    // from 2025.02 on). Modules OvmfPkgX64 gained after stable202211 (absent from the Debian
    // 2022.11 builds, present in 2025.02's) mark a later generation, which must then be named.
    const later = LATER_MODULES.filter((m) => modules.includes(m));
    if (later.length) {
      throw new FirmwareError(`${opts.source ?? 'firmware'}: carries no firmware version string, and its modules (${later.join(', ')}) show it is newer than edk2 2022.11: give its edk2 version (--edk2-version YYYY.MM)`);
    }
    generation = MODELLED_GENERATIONS[0]!;
    generationSource = `no firmware version string; module set of edk2 2022.11 (none of ${LATER_MODULES.join(', ')})`;
    warnings.push(`the firmware carries no version string: identified as edk2 ${generation.id} by its module set (give --edk2-version to override)`);
  }
  const sourceOnly = sourceOnlyWarning(generation.id, target);
  if (sourceOnly) warnings.push(sourceOnly);
  let legacyFallbackUnknown: string | null = null;
  if (versionString !== null && isFedoraVersionString(versionString)) {
    legacyFallbackUnknown = `"${versionString}" is a Fedora build, and Fedora patches the legacy-loader default (its dist-git carried a backport of edk2 d2cbaefc08 on stable202511 and a revert of it on stable202602): whether it falls back to the legacy Linux loader is not known from its version`;
    warnings.push(`the firmware version string "${versionString}" is Fedora's package version (edk2-build.py: name-GITDATE-release); read as edk2 ${generation.id} from its date`);
  }
  return {
    versionString,
    generation,
    generationSource,
    secureBootCapable: modules.includes('SecureBootConfigDxe'),
    dxeFv: facts.dxeFv ? { length: facts.dxeFv.length, digests: { sha256: fromHex(facts.dxeFv.digests.sha256)!, sha384: fromHex(facts.dxeFv.digests.sha384)! } } : null,
    peiFv: facts.peiFv ? { length: facts.peiFv.length, digests: { sha256: fromHex(facts.peiFv.digests.sha256)!, sha384: fromHex(facts.peiFv.digests.sha384)! }, modules: facts.peiFv.modules } : null,
    modules,
    smbiosType0: facts.smbiosType0,
    bdsVolumeApps: facts.bdsVolumeApps,
    legacyFallbackUnknown,
    warnings,
  };
}
