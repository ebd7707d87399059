import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/bytes/source.js';
import { toHex } from '../../src/bytes/hex.js';
import { ParseError, PrelaunchError } from '../../src/errors.js';
import { parseOvmf } from '../../src/formats/ovmf/parse.js';
import { encodeCcel, parseCcel } from '../../src/formats/tdx/ccel.js';
import { buildTdHob } from '../../src/formats/tdx/td-hob.js';
import { EV, EFI_GLOBAL_VARIABLE_GUID, EFI_IMAGE_SECURITY_DATABASE_GUID, encodeAscii, qemuKernelDevicePath, uefiVariableData, uiAppBootOption } from '../../src/formats/tdx/tcg-events.js';
import { qemuPatchSetupHeader } from '../../src/formats/linux/qemu-setup-patch.js';
import { nodeBackend } from '../../src/hash/index.js';
import { authenticodeDigest } from '../../src/measure/authenticode.js';
import { diffRtmrs, directBootLoadOptions, predictRtmrs, replayCcel, type RtmrValues } from '../../src/measure/rtmr.js';
import { HAVE_SHARED, SHARED, VECTORS, fw, readBytes, sidWithoutPk } from './fixtures.js';
import { syntheticBzImage } from './synthetic-kernel.js';

const GiB = 1024 ** 3;
const sha384 = (b: Uint8Array): string => createHash('sha384').update(b).digest('hex');
const debian = () => parseOvmf(bytesSource(readBytes(fw('debian/OVMF.fd')), 'OVMF.fd'));
/** …with PK deleted (secure boot off), read as the 2025.02 generation for the event-list mechanics (QEMU 9.2: patched kernel) */
const sid = () => parseOvmf(bytesSource(sidWithoutPk(), 'OVMF.inteltdx.nopk.fd'));
const AS_2025_02 = { edk2Version: '2025.02', qemuVersion: '9.2.0' } as const;
/** what a CCEL needs for an event whose digest is not predicted (SMBIOS): a stand-in */
const standIn = (e: { digest: Uint8Array | null; description: string }): Uint8Array => e.digest ?? new Uint8Array(createHash('sha384').update(`stand-in ${e.description}`).digest());
const shake = (seed: string, n: number): Uint8Array => new Uint8Array(createHash('shake256', { outputLength: n }).update(seed).digest());
const ACPI = { tableLoader: shake('acpi/loader', 4096), rsdp: shake('acpi/rsdp', 20), tables: shake('acpi/tables', 0x2000) };

describe('RTMR0 inputs from reference-values.jsonl', () => {
  for (const v of VECTORS.tdHob) {
    it(`TD HOB digest for ${v.memory} bytes`, () => {
      expect(sha384(buildTdHob(debian().tdxMetadata!, v.memory).measured)).toBe(v.value);
    });
  }
  it('configuration-volume digest (Debian OVMF.fd: the CFV section\'s raw data)', () => {
    const want = VECTORS.cfv.find((c) => c.firmwareSha256 === '7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773')!.value;
    const img = debian();
    const cfv = img.tdxMetadata!.sections.find((s) => s.type === 1)!;
    expect(sha384(img.source.read(cfv.dataOffset, cfv.rawDataSize))).toBe(want);
  });
  it('the CFV event hashes the CFV section as the image has it', () => {
    const img = sid();
    const cfv = img.tdxMetadata!.sections.find((s) => s.type === 1)!;
    const events = predictRtmrs(img, { ...AS_2025_02, memory: 2 * GiB }).events;
    expect(toHex(events[1]!.digest!)).toBe(sha384(img.source.read(cfv.dataOffset, cfv.rawDataSize)));
  });
  it('fixed event digests', () => {
    const byName = Object.fromEntries(VECTORS.fixedEvents.map((e) => [e.event, e.value]));
    const empty = new Uint8Array(0);
    expect(sha384(uefiVariableData(EFI_GLOBAL_VARIABLE_GUID, 'SecureBoot', empty))).toBe(byName['var_SecureBoot_empty']);
    expect(sha384(uefiVariableData(EFI_GLOBAL_VARIABLE_GUID, 'PK', empty))).toBe(byName['var_PK_empty']);
    expect(sha384(uefiVariableData(EFI_GLOBAL_VARIABLE_GUID, 'KEK', empty))).toBe(byName['var_KEK_empty']);
    expect(sha384(uefiVariableData(EFI_IMAGE_SECURITY_DATABASE_GUID, 'db', empty))).toBe(byName['var_db_empty']);
    expect(sha384(uefiVariableData(EFI_IMAGE_SECURITY_DATABASE_GUID, 'dbx', empty))).toBe(byName['var_dbx_empty']);
    expect(sha384(new Uint8Array(4))).toBe(byName['separator']);
    expect(sha384(new Uint8Array(2))).toBe(byName['boot_order_0000']);
    expect(sha384(uiAppBootOption())).toBe(byName['boot0000_uiapp']);
    for (const a of ['Calling EFI Application from Boot Option', 'Exit Boot Services Invocation', 'Exit Boot Services Returned with Success']) {
      expect(sha384(encodeAscii(a))).toBe(byName[`action:${a}`]);
    }
    // and the predictor's fixed events (2025.02) are exactly these (the secure-boot variables come from the CFV now)
    const p = predictRtmrs(sid(), { ...AS_2025_02, memory: 2 * GiB, directBoot: { kernel: syntheticBzImage() } });
    const fixed = p.events.filter((e) => e.basis === 'fixed').map((e) => toHex(e.digest!));
    expect(new Set(fixed)).toEqual(new Set(Object.entries(byName).filter(([k]) => !k.startsWith('var_')).map(([, v]) => v)));
  });
});

describe('direct boot', () => {
  it('Authenticode of the unpatched kernel equals osslsigncode', () => {
    expect(toHex(authenticodeDigest(bytesSource(syntheticBzImage()), nodeBackend))).toBe(VECTORS.authenticode.sha384);
  });
  it('Authenticode skips a certificate table', () => {
    const k = syntheticBzImage();
    const signed = new Uint8Array(k.length + 0x100);
    signed.set(k);
    signed.fill(0x5a, k.length);
    const v = new DataView(signed.buffer);
    v.setUint32(0x58 + 112 + 32, k.length, true);
    v.setUint32(0x58 + 112 + 36, 0x100, true);
    expect(toHex(authenticodeDigest(bytesSource(signed), nodeBackend))).toBe(VECTORS.authenticode.sha384);
  });
  it('Authenticode refuses section data shared between sections (edk2 would hash it once per section: a hang from one field)', () => {
    // 20000 section headers, each covering the same 1 MiB: 20 GB to hash before this was refused
    const k = syntheticBzImage({ tail: 0x10_0000 });
    const v = new DataView(k.buffer);
    const n = 20_000;
    v.setUint16(0x46, n, true);
    for (let i = 0; i < n; i++) {
      const at = 0x58 + 240 + 40 * i;
      v.setUint32(at + 16, k.length - 0x2000, true); // SizeOfRawData
      v.setUint32(at + 20, 0x1000, true); // PointerToRawData
    }
    let err: unknown;
    try { authenticodeDigest(bytesSource(k), nodeBackend); } catch (e) { err = e; }
    expect((err as PrelaunchError).code).toBe('ERR_MALFORMED');
    expect((err as Error).message).toMatch(/PE section header at offset 0x[0-9a-f]+: section 1 data 0x1000\+0x[0-9a-f]+ overlaps section 0's/);
  });
  it('QEMU setup-header patch', () => {
    const k = syntheticBzImage();
    const p = qemuPatchSetupHeader(k.slice(0, 0x280), k.length, 'console=ttyS0', 0x1234, 0x8000_0000);
    const v = new DataView(p.header.buffer);
    expect(p.header[0x210]).toBe(0xb0);
    expect(p.header[0x211]).toBe(0x81);
    expect(v.getUint16(0x224, true)).toBe(0xfe00);
    expect(v.getUint32(0x228, true)).toBe(0x20000);
    // XLF_CAN_BE_LOADED_ABOVE_4G: initrd_max = 0xffffffff, clamped to below4g - 0x28000 - 1
    expect(v.getUint32(0x218, true)).toBe((0x8000_0000 - 0x28000 - 1 - 0x1234) & ~0xfff);
    expect(v.getUint32(0x21c, true)).toBe(0x1234);
    // without it, initrd_addr_max (0x7fffffff) applies
    const q = qemuPatchSetupHeader(syntheticBzImage({ xloadflags: 0 }).slice(0, 0x280), k.length, 'vga=0x317', 0x1000, 0xb000_0000);
    expect(new DataView(q.header.buffer).getUint32(0x218, true)).toBe(0x7fffe000);
    expect(new DataView(q.header.buffer).getUint16(0x1fa, true)).toBe(0x317);
  });
  it('kernel device path as OVMF logs it (bytes of a real dstack CCEL event)', () => {
    expect(toHex(qemuKernelDevicePath())).toBe('0403140072f728144ab61e44b8c39ebdd7f893c7040412006b00650072006e0065006c0000007fff0400');
  });
  it('LoadOptions as OVMF builds them', () => {
    expect(directBootLoadOptions(null, false)).toBeNull();
    expect(directBootLoadOptions('', true)).toEqual(new Uint8Array([...' initrd=initrd\0'].flatMap((c) => [c.charCodeAt(0), 0])));
    expect(directBootLoadOptions('a', false)).toEqual(new Uint8Array([0x61, 0, 0, 0]));
  });
  it('predicts RTMR1/RTMR2 event lists; the kernel digest changes with memory below 2.75 GiB', () => {
    const inputs = { kernel: syntheticBzImage(), initrd: shake('initrd', 12345), append: 'console=ttyS0' };
    const a = predictRtmrs(sid(), { ...AS_2025_02, memory: 2 * GiB, acpi: ACPI, directBoot: inputs });
    expect(a.events.filter((e) => e.rtmr === 1).map((e) => e.eventType)).toEqual([EV.EV_EFI_BOOT_SERVICES_APPLICATION, EV.EV_EFI_ACTION, EV.EV_SEPARATOR, EV.EV_EFI_ACTION, EV.EV_EFI_ACTION]);
    expect(a.events.filter((e) => e.rtmr === 2).map((e) => toHex(e.digest!))).toEqual([sha384(directBootLoadOptions('console=ttyS0', true)!), sha384(inputs.initrd)]);
    expect(a.rtmrs.slice(1).every((r) => r !== null)).toBe(true);
    expect(a.rtmrs[0]).toBeNull(); // SMBIOS (this image has SmbiosMeasurementDxe) is not predicted
    const b = predictRtmrs(sid(), { ...AS_2025_02, memory: 64 * GiB, acpi: ACPI, directBoot: inputs });
    const k = (v: RtmrValues): string => toHex(v.events.find((e) => e.eventType === EV.EV_EFI_BOOT_SERVICES_APPLICATION)!.digest!);
    expect(k(b)).toBe(k(a)); // stable from 2 GiB
    const c = predictRtmrs(sid(), { ...AS_2025_02, memory: GiB, acpi: ACPI, directBoot: inputs });
    expect(k(c)).not.toBe(k(a));
    const unpatched = predictRtmrs(sid(), { ...AS_2025_02, memory: 2 * GiB, acpi: ACPI, directBoot: { ...inputs, qemuKernelPatch: false } });
    expect(k(unpatched)).toBe(VECTORS.authenticode.sha384);
    // rule kernel-from-etc-boot: edk2 2025.02 under QEMU >= 10.0 measures the file as given
    expect(k(predictRtmrs(sid(), { ...AS_2025_02, qemuVersion: '10.1.0', memory: GiB, acpi: ACPI, directBoot: inputs }))).toBe(VECTORS.authenticode.sha384);
    // without a QEMU version the rule cannot be applied: refused
    expect(() => predictRtmrs(sid(), { edk2Version: '2025.02', memory: GiB, acpi: ACPI, directBoot: inputs })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/--vmm-version: needed with --kernel/) }));
  });
  it('without ACPI blobs RTMR0 is unknown, the others are not', () => {
    const p = predictRtmrs(sid(), { ...AS_2025_02, memory: 2 * GiB, directBoot: { kernel: syntheticBzImage() } });
    expect(p.rtmrs[0]).toBeNull();
    expect(p.rtmrs[1]).not.toBeNull();
    // ACPI DATA (not supplied) and SMBIOS (this image has SmbiosMeasurementDxe)
    expect(p.events.filter((e) => e.basis === 'vmm-unknown').map((e) => e.rule)).toEqual(['acpi-data', 'acpi-data', 'acpi-data', 'smbios-tables']);
  });
});

function toCcel(p: RtmrValues, areaSize = 0x10000): Uint8Array {
  return encodeCcel(p.events.map((e) => ({ mrIndex: e.rtmr + 1, eventType: e.eventType, sha384: standIn(e), data: e.data })), { areaSize });
}
const predictedJson = (p: RtmrValues) => p.events.map((e) => ({ rtmr: e.rtmr, digest: e.digest ? toHex(e.digest) : null, type: String(e.eventType), description: e.description }));

describe('CCEL', () => {
  const p = predictRtmrs(sid(), { ...AS_2025_02, memory: 2 * GiB, acpi: ACPI, directBoot: { kernel: syntheticBzImage(), initrd: shake('initrd', 999), append: 'quiet' } });
  it('a log written by encodeCcel replays to the predicted RTMRs', () => {
    const rep = replayCcel(toCcel(p));
    expect(rep.events).toHaveLength(p.events.length);
    expect(p.rtmrs[0]).toBeNull(); // the SMBIOS event is not predicted
    expect(rep.rtmrs.slice(1).map(toHex)).toEqual(p.rtmrs.slice(1).map((r) => toHex(r!)));
    expect(rep.events[0]!.description).toMatch(/TdxTable: 93bb96af-b9f2-4eb8-9462-e0ba74564236 at 0x809000/);
    const d = diffRtmrs(predictedJson(p), rep);
    expect(d.first).toBeNull();
    expect(d.unchecked.map((u) => u.predicted?.description)).toEqual(["SMBIOS tables (SmbiosMeasurementDxe, filtered): not predicted (QEMU's fw_cfg etc/smbios/smbios-tables was not supplied (--fw-cfg))"]);
  });
  it('diff names the first divergent event', () => {
    const other = predictRtmrs(sid(), { ...AS_2025_02, memory: 2 * GiB, acpi: { ...ACPI, tables: shake('other', 64) }, directBoot: { kernel: syntheticBzImage(), initrd: shake('initrd', 999), append: 'quiet' } });
    const d = diffRtmrs(predictedJson(p), replayCcel(toCcel(other)));
    expect(d.first).toMatchObject({ rtmr: 0, position: 10, actual: { logIndex: 11, digest: sha384(shake('other', 64)) }, predicted: { digest: sha384(ACPI.tables) } });
    expect(d.registers[1]).toBeNull();
  });
  it('unknown (VMM) events are not compared but listed', () => {
    const noAcpi = predictRtmrs(sid(), { ...AS_2025_02, memory: 2 * GiB, directBoot: { kernel: syntheticBzImage(), initrd: shake('initrd', 999), append: 'quiet' } });
    const d = diffRtmrs(predictedJson(noAcpi), replayCcel(toCcel(p)));
    expect(d.first).toBeNull();
    expect(d.unchecked).toHaveLength(4); // 3 ACPI DATA, SMBIOS
  });
  it('a missing event is a divergence', () => {
    const short = { events: p.events.filter((e) => e.rtmr !== 2 || e.eventType !== EV.EV_EVENT_TAG || !e.description.startsWith('initrd')), rtmrs: [] };
    const d = diffRtmrs(predictedJson(p), replayCcel(toCcel(short as RtmrValues)));
    expect(d.first).toMatchObject({ rtmr: 2, position: 1, actual: null });
  });
  it('rejects a truncated log', () => {
    const log = toCcel(p, 0);
    expect(() => parseCcel(log.subarray(0, log.length - 10))).toThrow(ParseError);
    expect(() => parseCcel(log.subarray(0, 40))).toThrow(/TCG_EfiSpecIDEvent/);
    expect(() => parseCcel(log.subarray(0, 20))).toThrow(/TCG_PCR_EVENT at offset 0x0/);
    expect(() => parseCcel(log.subarray(0, 100))).toThrow(/TCG_PCR_EVENT2 #1/);
  });
  it('rejects a log that is not crypto-agile', () => {
    const log = toCcel(p, 0);
    log[32] = 0x58;
    expect(() => parseCcel(log)).toThrow(/Spec ID Event03/);
  });
});

describe.skipIf(!HAVE_SHARED)('real CCEL (../shared/oracles/tdx/samples/dstack-ccel.bin)', () => {
  it('replays to the recorded RTMR0-3', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(SHARED, 'oracles/tdx/samples/dstack-ccel.bin')));
    expect(sha384(bytes)).toBeTypeOf('string');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(VECTORS.ccelReplay.fileSha256);
    const rep = replayCcel(bytes);
    expect(rep.events).toHaveLength(VECTORS.ccelReplay.events);
    expect(rep.rtmrs.map(toHex)).toEqual(VECTORS.ccelReplay.rtmrs);
    expect(rep.log.specId.headerMrIndex).toBe(1);
  });
});

describe('RTMR prediction identifies the edk2 generation and refuses what it does not model', () => {
  const code = (f: () => unknown): { code?: string; message?: string } => { try { f(); } catch (e) { return e as PrelaunchError; } return {}; };
  it('a firmware without TdTcg2Dxe (Debian 2022.11 OVMF.fd) extends no RTMR: refused, MRTD still computed', () => {
    const e = code(() => predictRtmrs(debian(), { memory: 2 * GiB }));
    expect(e.code).toBe('ERR_FIRMWARE_UNSUPPORTED');
    expect(e.message).toMatch(/no TdTcg2Dxe module/);
    expect(code(() => predictRtmrs(debian(), { memory: 2 * GiB, edk2Version: '2025.02' })).message).toMatch(/no TdTcg2Dxe module/);
  });
  it('an unknown or unmodelled generation is refused, naming what is not modelled', () => {
    const e = code(() => predictRtmrs(sid(), { memory: 2 * GiB, edk2Version: '2024.11' }));
    expect(e.code).toBe('ERR_FIRMWARE_UNSUPPORTED');
    expect(e.message).toMatch(/edk2 2024\.11 \(given\) is not a modelled generation/);
    // 2026.05: the IntelTdx NCCFV holds BootManagerMenuApp, which a TD does not load — not expressible by the rules
    expect(code(() => predictRtmrs(sid(), { memory: 2 * GiB, edk2Version: '2026.05' })).message).toMatch(/edk2 2026\.05 \(given\) is not a modelled generation: prelaunch models the TDX RTMR events of edk2 2025\.02, 2025\.05, 2025\.08, 2025\.11, 2026\.02 and 2026\.08 only; edk2-stable202605 put UiApp and BootManagerMenuApp in the IntelTdx NCCFV \(03a07cb0f5\)/);
  });
  it('a tag between 2025.02 and 2026.08 read from the sources is modelled, with a warning that no boot of it was checked', () => {
    for (const id of ['2025.05', '2025.08', '2025.11', '2026.02']) {
      const p = predictRtmrs(sid(), { memory: 2 * GiB, edk2Version: id });
      expect(p.firmware?.generation).toBe(id);
      expect(p.warnings).toContain(`edk2 ${id}: its RTMR event list rests on reading the edk2 sources of edk2-stable${id.replace('.', '')} (docs/notes-edk2-generations.md), not on a real boot of it: only 2025.02 (dstack's hardware logs) and, for the events a vTPM boot shows, 2026.08 were checked against real boots`);
    }
    expect((predictRtmrs(sid(), { memory: 2 * GiB }).warnings ?? []).join()).not.toMatch(/rests on reading/);
  });
  it('a synthetic TDVF without firmware volumes is refused', () => {
    const e = code(() => predictRtmrs(parseOvmf(bytesSource(readBytes(fw('tdx/synthetic-plain.bin')))), { memory: 2 * GiB }));
    expect(e.code).toMatch(/ERR_FIRMWARE_UNSUPPORTED|ERR_MALFORMED/);
  });
  it('the generation is reported', () => {
    const p = predictRtmrs(sid(), { ...AS_2025_02, memory: 2 * GiB });
    expect(p.firmware).toEqual({ versionString: '2026.08+ds-2', generation: '2025.02', generationSource: 'given as 2025.02' });
    expect(p.warnings).toEqual(['the image says it is 2026.08+ds-2, but edk2 2025.02 was given']);
  });
});
