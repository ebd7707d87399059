/**
 * The SMBIOS table edk2 measures (edk2 ≥ 2025.05 with SmbiosMeasurementDxe, PCR1 / RTMR0), from
 * QEMU's fw_cfg `etc/smbios/smbios-tables` and the firmware's own type-0 strings:
 *
 * 1. OVMF installs QEMU's structures in order, keeping their handles, up to QEMU's type 127
 *    (OvmfPkg/SmbiosPlatformDxe/SmbiosPlatformDxe.c InstallAllStructures); when QEMU gave no
 *    type 0 it adds its own (mOvmfDefaultType0, strings PcdFirmwareVendor, PcdFirmwareVersionString,
 *    PcdFirmwareReleaseDateString, each replaced when shorter than 3 characters) with the first
 *    free handle (MdeModulePkg/Universal/SmbiosDxe/SmbiosDxe.c GetAvailableSmbiosHandle).
 * 2. SmbiosDxe lays them out in that order and ends the table with a 6-byte type-127 structure,
 *    handle 0xFEFF (SmbiosCreateTable, EndStructure).
 * 3. SmbiosMeasurementDxe copies the table and filters it (MeasureSmbiosTable, FilterSmbiosTable,
 *    FilterSmbiosEntry): listed fields are zeroed — for a string field its string is first
 *    overwritten with spaces, then its index zeroed; types 11, 15, 18, 31, 33 and OEM types
 *    (≥ 128) are zeroed after the header, strings included — and hashes the result.
 *
 * Checked: the digest of a real edk2 2026.08 boot under QEMU 11.1 in both banks
 * (test/vectors/measured-boot/sid-q11-quiet).
 */
import { encodeAscii } from '../formats/tdx/tcg-events.js';
import { splitSmbiosStructures, SMBIOS_STRUCTURE } from '../formats/smbios/smbios-structure.js';

/** OVMF's firmware strings of its SMBIOS type 0 (FixedAtBuild PCDs compiled into SmbiosPlatformDxe). */
export interface SmbiosType0Strings { vendor: string; version: string; releaseDate: string }

/** mOvmfDefaultType0's formatted area (26 bytes): Vendor 1, BiosVersion 2, BiosSegment 0xE800, BiosReleaseDate 3, characteristics "not supported", extension byte 2 = 0x1C, releases 0xFF. */
const OVMF_DEFAULT_TYPE0 = Uint8Array.from([0x00, 0x1a, 0x00, 0x00, 0x01, 0x02, 0x00, 0xe8, 0x03, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x1c, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00]);

/** field offset, size, is a string index — SmbiosMeasurementDxe.c mSmbiosFilter*BlackList (offsets from MdePkg SmBios.h) */
const FILTERS: ReadonlyMap<number, ReadonlyArray<readonly [number, number, boolean]>> = new Map([
  [1, [[0x07, 1, true], [0x08, 16, false], [0x18, 1, false]]], // SerialNumber, Uuid, WakeUpType
  [2, [[0x07, 1, true], [0x0a, 1, true]]], // SerialNumber, LocationInChassis
  [3, [[0x07, 1, true], [0x08, 1, true]]], // SerialNumber, AssetTag
  // SerialNumber, AssetTag, PartNumber, CoreCount, EnabledCoreCount, ThreadCount, CoreCount2, EnabledCoreCount2, ThreadCount2, Voltage, CurrentSpeed
  [4, [[0x20, 1, true], [0x21, 1, true], [0x22, 1, true], [0x23, 1, false], [0x24, 1, false], [0x25, 1, false], [0x2a, 2, false], [0x2c, 2, false], [0x2e, 2, false], [0x11, 1, false], [0x16, 2, false]]],
  [17, [[0x18, 1, true], [0x19, 1, true], [0x1a, 1, true]]], // SerialNumber, AssetTag, PartNumber
  // types QEMU does not serve (offsets from DSP0134 / SmBios.h):
  [22, [[0x07, 1, true], [0x10, 2, false], [0x12, 2, false]]], // SerialNumber, SBDSSerialNumber, SBDSManufactureDate
  [23, [[0x05, 2, false]]], // ResetCount
  [27, [[0x0c, 2, false]]], // NominalSpeed
  [39, [[0x08, 1, true], [0x09, 1, true], [0x0a, 1, true]]], // SerialNumber, AssetTagNumber, ModelPartNumber
]);
/** types whose whole body (strings too) is zeroed (a filter entry with no field list) */
const ZEROED_TYPES = new Set([11, 15, 18, 31, 33]);

function blankString(s: Uint8Array, id: number): void {
  let p = s[1]!;
  for (let n = 1; p < s.length && s[p] !== 0; n++) {
    let q = p;
    while (q < s.length && s[q] !== 0) q++;
    if (n === id) {
      s.fill(0x20, p, q);
      return;
    }
    p = q + 1;
  }
}

function filterEntry(s: Uint8Array): void {
  const type = s[0]!;
  const length = s[1]!;
  if (type >= 128 || ZEROED_TYPES.has(type)) {
    s.fill(0, SMBIOS_STRUCTURE.size);
    return;
  }
  for (const [offset, size, isString] of FILTERS.get(type) ?? []) {
    if (length < offset + size) continue;
    if (isString && s[offset] !== 0) blankString(s, s[offset]!);
    s.fill(0, offset, offset + size);
  }
}

/** The filtered SMBIOS structure table SmbiosMeasurementDxe hashes. */
export function edk2MeasuredSmbiosTable(qemuTables: Uint8Array, type0: SmbiosType0Strings, source = 'fw_cfg etc/smbios/smbios-tables'): Uint8Array {
  const qemu = splitSmbiosStructures(qemuTables, source).filter((s) => s.type !== 127);
  const parts = qemu.map((s) => s.bytes.slice());
  if (!qemu.some((s) => s.type === 0)) {
    const used = new Set(qemu.map((s) => s.handle));
    let handle = 0;
    while (used.has(handle)) handle++;
    const str = (v: string, fallback: string): string => (v.length < 3 ? fallback : v);
    const strings = encodeAscii(`${str(type0.vendor, 'unknown')}\0${str(type0.version, 'unknown')}\0${str(type0.releaseDate, '02/02/2022')}\0\0`);
    const t0 = new Uint8Array(OVMF_DEFAULT_TYPE0.length + strings.length);
    t0.set(OVMF_DEFAULT_TYPE0);
    t0[2] = handle & 0xff;
    t0[3] = handle >> 8;
    t0.set(strings, OVMF_DEFAULT_TYPE0.length);
    parts.push(t0);
  }
  parts.push(Uint8Array.of(127, 4, 0xff, 0xfe, 0, 0));
  for (const p of parts) filterEntry(p);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
