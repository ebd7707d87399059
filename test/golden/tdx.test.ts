/**
 * TDX and IGVM in golden values and exports. Expected values come from outside prelaunch's
 * model: MRTD, TD HOB, CFV and fixed-event digests from test/vectors/tdx-reference.json (three
 * tools agreeing), the unpatched kernel's Authenticode from osslsigncode (same file), IGVM
 * digests from igvmmeasure and the igvm crate (test/vectors/igvm-measure.json), ACPI and
 * command-line event digests recomputed here with node:crypto from the bytes the firmware
 * hashes; export names from the upstream sources in test/vectors/consumers.json.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode, Tag } from 'cbor2';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { bytesSource } from '../../src/bytes/source.js';
import { generateGolden, serializeGolden, countArtifactEntries, type GoldenDocument, type GoldenEntry } from '../../src/golden/engine.js';
import { parseGoldenDocument, validateGoldenDocument } from '../../src/golden/document.js';
import { parseManifestText } from '../../src/golden/manifest.js';
import { DEFAULT_TDX_MATRIX, type GoldenMatrix } from '../../src/golden/matrix.js';
import { trusteeSample } from '../../src/export/trustee.js';
import { goTdxGuestConfig } from '../../src/export/go-tdx-guest.js';
import { tdxCorim, snpCorim } from '../../src/export/corim.js';
import { selectEntries } from '../../src/export/select.js';
import { checkReport } from '../../src/golden/check.js';
import { reportFromJson } from '../../src/formats/snp/attestation-report.js';
import { OVMF, AMDSEV, ROOT, cli, cleanError } from '../support/golden.js';
import { thrownPrelaunchError } from '../support/thrown.js';
import { syntheticBzImage } from '../tdx/synthetic-kernel.js';
import { sidWithoutPk } from '../tdx/fixtures.js';
import { measureIgvm } from '../../src/measure/igvm.js';
import { fixIgvm } from '../fuzz/mutate.js';

const spec = JSON.parse(readFileSync(path.join(ROOT, 'test/vectors/consumers.json'), 'utf8'));
const TDXV = JSON.parse(readFileSync(path.join(ROOT, 'test/vectors/tdx-reference.json'), 'utf8'));
const IGVMV = JSON.parse(readFileSync(path.join(ROOT, 'test/vectors/igvm-measure.json'), 'utf8'));
const SCHEMA = JSON.parse(readFileSync(path.join(ROOT, 'docs/schemas/golden-document.schema.json'), 'utf8'));
const ajvCheck = new Ajv2020({ strict: true, validateFormats: false }).compile(SCHEMA);

const DEBIAN_SHA256 = '7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773';
const VANADIUM = path.join(ROOT, 'firmware-samples/igvm/builder/vanadium-snp-tdp.igvm');
const SNP_ONLY_IGVM = path.join(ROOT, 'firmware-samples/igvm/builder/qemu-snp-bldr.igvm');
const MEM = 2147483648; // 2 GiB: a TD HOB vector exists for it
const sha384 = (b: Uint8Array | string): string => createHash('sha384').update(b).digest('hex');
const extend = (digests: string[]): string => digests.reduce((r, d) => createHash('sha384').update(Buffer.from(r, 'hex')).update(Buffer.from(d, 'hex')).digest('hex'), '00'.repeat(48));
const shake = (seed: string, n: number): Uint8Array => new Uint8Array(createHash('shake256', { outputLength: n }).update(seed).digest());
const fixed: Record<string, string> = Object.fromEntries((TDXV.fixedEvents as Array<{ event: string; value: string }>).map((e) => [e.event, e.value]));
const fx = (name: string): string => { const v = fixed[name]; if (v === undefined) throw new Error(`no fixed-event vector ${name}`); return v; };
const mrtdVector = (order: string): string => (TDXV.mrtd as Array<{ firmwareSha256: string; order: string; value: string }>).find((v) => v.firmwareSha256 === DEBIAN_SHA256 && v.order === order)!.value;
const igvmVector = (file: string, platform: string): string =>
  (IGVMV.vectors as Array<{ file: string; flags: string[]; igvmCrate?: Array<{ platform?: string; digest?: string }> }>)
    .find((v) => v.file.endsWith(file) && v.flags.length === 0)!.igvmCrate!.find((x) => x.platform === platform)!.digest!.toLowerCase();

// the inputs: Debian OVMF (TDVF metadata), a synthetic bzImage, an initrd and ACPI blobs
const tmp = mkdtempSync(path.join(tmpdir(), 'prelaunch-golden-tdx-'));
const kernel = syntheticBzImage();
const initrd = shake('golden/initrd', 5000);
const ACPI = { tableLoader: shake('acpi/loader', 4096), rsdp: shake('acpi/rsdp', 20), tables: shake('acpi/tables', 0x2000) };
mkdirSync(path.join(tmp, 'acpi'));
writeFileSync(path.join(tmp, 'acpi/table-loader'), ACPI.tableLoader);
writeFileSync(path.join(tmp, 'acpi/rsdp'), ACPI.rsdp);
writeFileSync(path.join(tmp, 'acpi/tables'), ACPI.tables);
writeFileSync(path.join(tmp, 'bzImage'), kernel);
writeFileSync(path.join(tmp, 'initrd'), initrd);
// Debian sid's IntelTdx TDVF (edk2 2026.08) with PK deleted (secure boot off): a firmware whose RTMR events are modelled
// (Debian's 2022.11 OVMF.fd, the MRTD fixture, has no TdTcg2Dxe: its RTMRs are not predicted)
const SID_NOPK = path.join(tmp, 'OVMF.inteltdx.nopk.fd');
writeFileSync(SID_NOPK, sidWithoutPk());
const CMDLINE = 'console=ttyS0 root=/dev/vda1';

/** The LoadOptions edk2 2026.08 hands the kernel (each byte one CHAR16, "initrd=initrd " prefixed, NUL-terminated). */
function loadOptions(cmdline: string, withInitrd: boolean): Uint8Array {
  return new Uint8Array(Buffer.from(`${withInitrd ? 'initrd=initrd ' : ''}${cmdline}\0`, 'utf16le'));
}

const MANIFEST = `
version: 1
artifacts:
  - name: td
    firmware: ${OVMF}
    kernel: bzImage
    initrd: initrd
    cmdline: "${CMDLINE}"
    qemuKernelPatch: false
    modes: [tdx]
  - name: td-patched
    firmware: ${OVMF}
    kernel: bzImage
    cmdline: "${CMDLINE}"
    modes: [tdx]
  - name: plain
    firmware: ${OVMF}
  - name: td-sid
    firmware: ${SID_NOPK}
    kernel: bzImage
    initrd: initrd
    cmdline: "${CMDLINE}"
    qemuKernelPatch: false
    modes: [tdx]
  - name: vanadium
    kind: igvm
    firmware: ${VANADIUM}
matrix:
  modes: [tdx, snp]
  vcpus: 1
  vcpuTypes: [EPYC-v4]
  tdx:
    shapes:
      - { name: 2g, memory: 2G, acpiDir: acpi }
      - { name: 4g-no-tables, memory: 4G }
    xfam: ["0x61ee7"]
    tdAttributes: ["0x10000000"]
`;
writeFileSync(path.join(tmp, 'release.yaml'), MANIFEST);
const docFile = path.join(tmp, 'doc.json');
const gen = await cli(['golden', path.join(tmp, 'release.yaml'), '-o', docFile]);
if (gen.code !== 0) throw new Error(gen.stderr);
const doc = JSON.parse(readFileSync(docFile, 'utf8')) as GoldenDocument;
const tdxOf = (artifact: string, shape: string | null, order = 'single'): GoldenEntry => doc.entries.find((e) => e.artifact === artifact && e.mode === 'tdx' && (e.tdx?.shape ?? null) === shape && e.tdx?.pageOrder === order)!;

describe('golden: TDX entries', () => {
  it('the manifest gives MRTD per page order equal to the reference tools (both orders)', () => {
    expect(gen.code, gen.stderr).toBe(0);
    for (const order of ['single', 'two']) {
      for (const a of ['td', 'td-patched', 'plain']) for (const s of ['2g', '4g-no-tables']) expect(tdxOf(a, s, order).measurement).toBe(mrtdVector(order));
    }
  });

  it('a firmware whose RTMR events are not modelled (Debian 2022.11 OVMF.fd: no TdTcg2Dxe): MRTD entries, RTMRs null, a warning', () => {
    for (const a of ['td', 'td-patched', 'plain']) {
      const t = tdxOf(a, '2g').tdx!;
      expect([t.rtmr0, t.rtmr1, t.rtmr2, t.kernelDigest, t.cmdlineDigest, t.initrdDigest]).toEqual([null, null, null, null, null, null]);
    }
    expect(gen.stderr).toMatch(/^warning: td \(tdx\): RTMRs not predicted: .*OVMF\.fd: no TdTcg2Dxe module/m);
    // edk2 2026.08 without the fw_cfg dump: RTMR0 not predicted (the fw_cfg items and SMBIOS tables are VMM-defined)
    expect(tdxOf('td-sid', '2g').tdx!.rtmr0).toBeNull();
  });

  it('RTMR1/RTMR2 of an unpatched direct boot: osslsigncode\'s Authenticode and the event digests recomputed here', () => {
    const t = tdxOf('td-sid', '2g').tdx!;
    expect(t.kernelDigest).toBe(TDXV.authenticode.sha384);
    expect(t.rtmr1).toBe(extend([TDXV.authenticode.sha384, fx('action:Calling EFI Application from Boot Option'), fx('separator'), fx('action:Exit Boot Services Invocation'), fx('action:Exit Boot Services Returned with Success')]));
    expect(t.cmdlineDigest).toBe(sha384(loadOptions(CMDLINE, true)));
    expect(t.initrdDigest).toBe(sha384(initrd));
    expect(t.rtmr2).toBe(extend([sha384(loadOptions(CMDLINE, true)), sha384(initrd)]));
    // RTMR1/2 do not depend on the ACPI tables
    expect(tdxOf('td-sid', '4g-no-tables').tdx!.rtmr2).toBe(t.rtmr2);
  });

  it('a TD shape with QEMU\'s fw_cfg dump (fwCfg): RTMR0 of edk2 2026.08 predicted, the same value `prelaunch tdx --fw-cfg` gives; acpiDir and fwCfg together refused', async () => {
    const tar = path.join(ROOT, 'test/vectors/measured-boot/sid-q11-quiet/fwcfg.tar');
    const f = path.join(tmp, 'fwcfg.yaml');
    writeFileSync(f, `artifacts:\n  - { name: s, firmware: ${SID_NOPK} }\nmatrix:\n  modes: [tdx]\n  tdx: { pageOrders: [single], shapes: [{ name: q11, memory: 2G, fwCfg: ${tar} }] }\n`);
    const r = await cli(['golden', f]);
    expect(r.code, r.stderr).toBe(0);
    const e = (JSON.parse(r.stdout) as GoldenDocument).entries.find((x) => x.mode === 'tdx')!;
    expect(e.tdx!.rtmr0).toMatch(/^[0-9a-f]{96}$/);
    const t = await cli(['tdx', '--firmware', SID_NOPK, '--page-order', 'single', '--memory', '2G', '--fw-cfg', tar, '--json']);
    expect(t.code, t.stderr).toBe(0);
    expect((JSON.parse(t.stdout) as { rtmrs: Array<{ value: string | null }> }).rtmrs[0]!.value).toBe(e.tdx!.rtmr0);
    writeFileSync(f, `artifacts:\n  - { name: s, firmware: ${SID_NOPK} }\nmatrix:\n  modes: [tdx]\n  tdx: { shapes: [{ name: q11, memory: 2G, acpiDir: acpi, fwCfg: ${tar} }] }\n`);
    const both = await cli(['golden', f]);
    expect(both.code, both.stderr).toBe(1);
    expect(both.stderr).toMatch(/^error: .*matrix\.tdx\.shapes\[0\]\.fwCfg: give the ACPI blobs once/m);
  });

  it('what the model does not predict is null, never a guess', async () => {
    expect(tdxOf('td-sid', '4g-no-tables').tdx!.rtmr0).toBeNull(); // no ACPI tables
    // edk2 2026.08 measures the kernel unpatched or patched by QEMU version: without qemuKernelPatch it is refused, not guessed
    const f = path.join(tmp, 'nopatch.yaml');
    writeFileSync(f, `artifacts:\n  - { name: k, firmware: ${SID_NOPK}, kernel: bzImage }\nmatrix:\n  modes: [tdx]\n  tdx: { shapes: [{ name: s, memory: 2G }] }\n`);
    const r = await cli(['golden', f]);
    expect(r.code).toBe(2);
    expect(cleanError(r.stderr), r.stderr).toBe(true);
    expect(r.stderr).toMatch(/qemuKernelPatch: k: its firmware measures the kernel unpatched when QEMU/);
  });

  it('carried values and the entry count', () => {
    const e = tdxOf('td', '2g');
    expect(e.tdx!.xfam).toBe('0x61ee7');
    expect(e.tdx!.tdAttributes).toBe('0x10000000');
    expect(e.tdx!.memory).toBe(MEM);
    // 4 OVMF artifacts × 2 orders × 2 shapes, the one measured in snp too, and the IGVM file's snp and tdx digests
    expect(doc.entries.filter((x) => x.mode === 'tdx' && x.tdx)).toHaveLength(16);
    expect(doc.entries).toHaveLength(16 + 1 + 2);
  });

  it('IGVM artifacts: the file\'s SEV-SNP and TDX digests as igvmmeasure and the igvm crate give them', () => {
    const ig = doc.entries.filter((e) => e.artifact === 'vanadium');
    expect(ig.map((e) => [e.mode, e.igvm!.platform, e.measurement])).toEqual([
      ['snp', 'sev-snp', igvmVector('vanadium-snp-tdp.igvm', 'SEV_SNP')],
      ['tdx', 'tdx', igvmVector('vanadium-snp-tdp.igvm', 'TDX')],
    ]);
    expect(doc.artifacts.find((a) => a.name === 'vanadium')).toMatchObject({ kind: 'igvm', kernel: null, initrd: null, cmdline: null });
  });

  it('round trip: the document validates (ours and ajv), reads back and serializes to the same bytes; regeneration is byte-identical', async () => {
    const text = readFileSync(docFile, 'utf8');
    expect(ajvCheck(JSON.parse(text))).toBe(true);
    expect(serializeGolden(parseGoldenDocument(text, 'doc.json'))).toBe(text);
    const again = path.join(tmp, 'again.json');
    expect((await cli(['golden', path.join(tmp, 'release.yaml'), '-o', again])).code).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(text);
  });

  it('the library call gives the same entries as the CLI', () => {
    const fw = bytesSource(new Uint8Array(readFileSync(OVMF)), 'OVMF.fd');
    const matrix: GoldenMatrix = { modes: ['tdx'], vcpus: [], cpus: [], vmmTypes: ['QEMU'], vmsaProfiles: null, guestFeatures: [1n], policies: null, tdx: { ...DEFAULT_TDX_MATRIX, shapes: [{ name: '2g', memory: MEM, acpiDir: 'acpi', fwCfg: null }], xfam: [0x61ee7n], tdAttributes: [0x10000000n] } };
    const lib = generateGolden({
      tool: 't', matrix, tdxAcpi: new Map([['2g', ACPI]]),
      artifacts: [{ name: 'td', kind: 'ovmf', firmware: fw, firmwarePath: OVMF, kernel, kernelPath: 'bzImage', initrd, initrdPath: 'initrd', cmdline: CMDLINE, qemuKernelPatch: false }],
    });
    expect(lib.entries.map((e) => e.tdx)).toEqual([tdxOf('td', '2g', 'single').tdx, tdxOf('td', '2g', 'two').tdx]);
    expect(countArtifactEntries(matrix, { kind: 'ovmf' })).toBe(2);
    // a shape naming tables the caller did not supply is refused, not measured without them
    expect(thrownPrelaunchError(() => generateGolden({ tool: 't', matrix, artifacts: [{ name: 'td', kind: 'ovmf', firmware: fw, firmwarePath: OVMF }] })).code).toBe('ERR_INVALID_OPTION');
  });

  it('golden --mode tdx from flags: MRTD entries in both orders; a kernel needs a manifest with shapes', async () => {
    const r = await cli(['golden', '--ovmf', OVMF, '--mode', 'tdx']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as GoldenDocument;
    expect(d.entries.map((e) => [e.tdx!.pageOrder, e.measurement, e.tdx!.rtmr0])).toEqual([['single', mrtdVector('single'), null], ['two', mrtdVector('two'), null]]);
    const k = await cli(['golden', '--ovmf', OVMF, '--mode', 'tdx', '--kernel', path.join(tmp, 'bzImage')]);
    expect(k.code).toBe(2);
    expect(cleanError(k.stderr)).toBe(true);
    expect(k.stderr).toMatch(/--kernel: .*matrix\.tdx\.shapes/);
  });

  it('golden --check matches an SNP report against SEV entries only (an MRTD is no launch digest of it)', () => {
    const mrtd = tdxOf('plain', '2g').measurement;
    const r = checkReport(doc, reportFromJson({ measurement: mrtd }, 'report.json'));
    expect(r.matched).toBe(false);
    expect(r.candidates.length).toBeGreaterThan(0);
    expect(r.candidates.every((c) => c.entry.mode !== 'tdx')).toBe(true);
  });
});

describe('golden: refused TDX and IGVM inputs', () => {
  const manifest = (m: string): string => {
    const f = path.join(tmp, `m-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, m);
    return f;
  };
  const run = async (m: string): Promise<{ code: number; stderr: string; errorCode?: string }> => cli(['golden', manifest(m)]);
  const base = (artifact: string, matrix: string): string => `artifacts:\n${artifact}\nmatrix:\n${matrix}\n`;

  it.each([
    ['a kernel in tdx mode without shapes', base(`  - { name: a, firmware: ${OVMF}, kernel: bzImage }`, '  modes: [tdx]'), /\$\.artifacts\[0\]\.kernel: tdx entries with a kernel need matrix\.tdx\.shapes/],
    ['matrix.tdx without mode tdx', base(`  - { name: a, firmware: ${OVMF} }`, '  modes: [sev]\n  tdx: { pageOrders: [single] }'), /\$\.matrix\.tdx: applies to tdx entries only/],
    ['an unknown page order', base(`  - { name: a, firmware: ${OVMF} }`, '  modes: [tdx]\n  tdx: { pageOrders: [three] }'), /\$\.matrix\.tdx\.pageOrders: "three" is not a page order/],
    ['a memory size that is not one', base(`  - { name: a, firmware: ${OVMF} }`, '  modes: [tdx]\n  tdx: { shapes: [{ name: x, memory: 2Q }] }'), /\$\.matrix\.tdx\.shapes\[0\]\.memory: "2Q" is not a size/],
    ['two shapes of one name', base(`  - { name: a, firmware: ${OVMF} }`, '  modes: [tdx]\n  tdx: { shapes: [{ name: x, memory: 2G }, { name: x, memory: 4G }] }'), /\$\.matrix\.tdx\.shapes\[1\]\.name: "x" names an earlier shape/],
    ['an igvm artifact with a kernel', base(`  - { name: a, kind: igvm, firmware: ${VANADIUM}, kernel: bzImage }`, '  modes: [tdx]'), /\$\.artifacts\[0\]\.kernel: an igvm artifact is measured as the file is/],
    ['an igvm artifact in seves mode', base(`  - { name: a, kind: igvm, firmware: ${VANADIUM}, modes: [seves] }`, '  modes: [seves]\n  vcpus: 1\n  vcpuTypes: [EPYC]'), /\$\.artifacts\[0\]\.modes: seves: an igvm artifact gives snp and tdx launch digests only/],
    ['an igvm artifact in a matrix without snp or tdx', base(`  - { name: a, kind: igvm, firmware: ${VANADIUM} }`, '  modes: [sev]'), /\$\.artifacts\[0\]: an igvm artifact gives snp and tdx launch digests, and the modes \(sev\) have neither/],
    ['qemuKernelPatch where nothing is hashed after the patch', base(`  - { name: a, firmware: ${OVMF}, qemuKernelPatch: false }`, '  modes: [tdx]'), /\$\.artifacts\[0\]\.qemuKernelPatch: applies to tdx entries of an artifact with a kernel/],
    ['an artifact mode not in the matrix', base(`  - { name: a, firmware: ${OVMF}, modes: [tdx] }`, '  modes: [sev]'), /\$\.artifacts\[0\]\.modes: tdx is not one of matrix\.modes/],
    ['stacks with tdx', base(`  - { name: a, firmware: ${OVMF} }`, '  modes: [tdx]\n  stacks: [{ vmm: ec2 }]'), /\$\.matrix\.stacks: host stacks derive SEV settings/],
    ['an unknown key in matrix.tdx', base(`  - { name: a, firmware: ${OVMF} }`, '  modes: [tdx]\n  tdx: { orders: [single] }'), /\$\.matrix\.tdx\.orders: unknown key/],
  ])('%s: one error line naming the manifest path, exit 1, ERR_MALFORMED', async (_what, m, message) => {
    const r = await run(m);
    expect(r.code).toBe(1);
    expect(cleanError(r.stderr), r.stderr).toBe(true);
    expect(r.stderr).toMatch(message);
    expect(r.errorCode).toBe('ERR_MALFORMED');
  });

  it('what the measurement models refuse is refused: firmware without TDVF metadata, an IGVM file without a TDX platform, memory the TDVF sections do not fit', async () => {
    let r = await run(base(`  - { name: a, firmware: ${AMDSEV} }`, '  modes: [tdx]'));
    expect(r.code).toBe(1);
    expect(cleanError(r.stderr), r.stderr).toBe(true);
    expect(r.errorCode).toBe('ERR_FIRMWARE_UNSUPPORTED');
    r = await run(base(`  - { name: a, kind: igvm, firmware: ${SNP_ONLY_IGVM} }`, '  modes: [tdx]'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no TDX platform header/);
    expect(r.errorCode).toBe('ERR_FIRMWARE_UNSUPPORTED');
    r = await run(base(`  - { name: a, firmware: ${OVMF} }`, '  modes: [tdx]\n  tdx: { shapes: [{ name: tiny, memory: 1M }] }'));
    expect(r.code).toBe(1);
    expect(cleanError(r.stderr), r.stderr).toBe(true);
    expect(r.errorCode).toBe('ERR_FIRMWARE_UNSUPPORTED');
  });

  it('a shape\'s ACPI directory missing a blob is one error naming the manifest key', async () => {
    mkdirSync(path.join(tmp, 'half-acpi'), { recursive: true });
    writeFileSync(path.join(tmp, 'half-acpi/rsdp'), ACPI.rsdp);
    const r = await run(base(`  - { name: a, firmware: ${OVMF} }`, '  modes: [tdx]\n  tdx: { shapes: [{ name: s, memory: 2G, acpiDir: half-acpi }] }'));
    expect(r.code).toBe(2);
    expect(cleanError(r.stderr), r.stderr).toBe(true);
    expect(r.stderr).toMatch(/matrix\.tdx\.shapes\[0\]\.acpiDir: .*half-acpi has none of table-loader/);
  });

  it('the document validator refuses TDX values where they do not belong', () => {
    const tdx = doc.entries.find((e) => e.mode === 'tdx' && e.tdx)!;
    const snp = doc.entries.find((e) => e.mode === 'snp' && !e.igvm)!;
    const igvmTdx = doc.entries.find((e) => e.mode === 'tdx' && e.igvm)!;
    const withEntries = (...entries: unknown[]): unknown => ({ ...doc, entries });
    const bad: Array<[unknown, RegExp]> = [
      [withEntries({ ...snp, tdx: tdx.tdx }), /\$\.entries\[0\]\.tdx: TDX values belong to tdx entries/],
      [withEntries({ ...tdx, tdx: undefined }), /\$\.entries\[0\]\.tdx: a tdx entry of an ovmf artifact carries its TDX values/],
      [withEntries({ ...igvmTdx, igvm: { platform: 'sev-snp', compatibilityMask: 1 } }), /\$\.entries\[0\]\.igvm\.platform: sev-snp does not match mode tdx/],
      [withEntries({ ...tdx, measurement: tdx.measurement!.slice(0, 64) }), /\$\.entries\[0\]\.measurement: tdx measurements are 96 hex digits/],
      [withEntries({ ...tdx, tdx: { ...tdx.tdx, rtmr1: 'zz' } }), /\$\.entries\[0\]\.tdx\.rtmr1: expected a SHA-384/],
      [withEntries({ ...tdx, tdx: { ...tdx.tdx, pageOrder: 'three' } }), /\$\.entries\[0\]\.tdx\.pageOrder/],
    ];
    for (const [d, message] of bad) {
      const e = thrownPrelaunchError(() => validateGoldenDocument(JSON.parse(JSON.stringify(d)), 'doc.json'));
      expect(e.code).toBe('ERR_MALFORMED');
      expect(e.message).toMatch(message);
    }
  });

  it('manifest parsing is strict about qemuKernelPatch and accepts byte counts as memory', () => {
    const m = parseManifestText(`artifacts: [{ name: a, firmware: f, kernel: k, qemuKernelPatch: false }]\nmatrix: { modes: [tdx], tdx: { shapes: [{ name: s, memory: ${MEM} }] } }`, 'm.yaml');
    expect(m.artifacts[0]!.qemuKernelPatch).toBe(false);
    expect(m.matrix.tdx!.shapes[0]!.memory).toBe(MEM);
    expect(thrownPrelaunchError(() => parseManifestText('artifacts: [{ name: a, firmware: f, qemuKernelPatch: "no" }]\nmatrix: { modes: [tdx] }', 'm.yaml')).message).toMatch(/qemuKernelPatch/);
  });
});

describe('exports: TDX names as the upstream consumers spell them', () => {
  it('trustee: mr_td, rtmr_0..2, xfam (little-endian, as the verifier hex-encodes the quote field), tdvfkernel, tdvfkernelparams', async () => {
    const r = await cli(['export', '--to', 'trustee', docFile]);
    expect(r.code).toBe(0);
    const sample = JSON.parse(Buffer.from(JSON.parse(r.stdout).payload, 'base64').toString('utf8')) as Record<string, string[]>;
    for (const name of spec.trusteeTdx.policyNames) expect(sample[name], name).toBeDefined();
    const tdxNames = Object.keys(sample).filter((k) => !k.startsWith('snp_'));
    for (const name of tdxNames) expect([...spec.trusteeTdx.policyNames, ...spec.trusteeTdx.quoteBodyClaims], name).toContain(name);
    expect(sample.rtmr_3).toBeUndefined();
    expect(sample.tcb_svn).toBeUndefined();
    expect([...sample.mr_td!].sort()).toEqual([mrtdVector('single'), mrtdVector('two'), tdxOf('td-sid', '2g', 'single').measurement, tdxOf('td-sid', '2g', 'two').measurement, igvmVector('vanadium-snp-tdp.igvm', 'TDX')].sort());
    expect(sample.rtmr_0).toBeUndefined(); // no RTMR0 is predicted here: OVMF.fd's are not modelled, 2026.08's need the fw_cfg dump
    expect(sample.rtmr_1).toEqual([tdxOf('td-sid', '2g').tdx!.rtmr1]);
    expect(sample.xfam).toEqual(['e71e060000000000']);
    expect(sample.xfam![0]).toHaveLength(spec.trusteeTdx.claimExample.xfam.length);
    expect(sample.td_attributes).toEqual(['0000001000000000']);
    expect(sample.tdvfkernel).toContain(TDXV.authenticode.sha384);
    expect(sample.tdvfkernelparams).toContain(sha384(loadOptions(CMDLINE, true)));
    expect(sample.snp_launch_measurement).toContain(igvmVector('vanadium-snp-tdp.igvm', 'SEV_SNP'));
    // the library call gives the payload
    expect(trusteeSample(doc.entries)).toEqual(sample);
  });

  it('go-tdx-guest: a checkconfig.Config textproto whose fields are TDQuoteBodyPolicy\'s', async () => {
    const r = await cli(['export', '--to', 'go-tdx-guest', docFile, '--select', 'artifact=td-sid,shape=2g']);
    expect(r.code, r.stderr).toBe(0);
    const body = r.stdout.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(body.slice(0, 2)).toEqual([`${spec.goTdxGuest.blocks[0]} {`, `  ${spec.goTdxGuest.blocks[1]} {`]);
    expect(body.slice(-2)).toEqual(['  }', '}']);
    const fields = body.slice(2, -2).map((l) => {
      const m = /^ {4}(\w+): "(.*)"$/.exec(l)!;
      return [m[1]!, Buffer.from(JSON.parse(`"${m[2]!.replace(/\\x/g, '\\u00')}"`), 'latin1')] as const;
    });
    for (const [name, bytes] of fields) {
      const size = spec.goTdxGuest.bytesFields[name] ?? spec.goTdxGuest.repeatedBytesFields[name];
      expect(size, name).toBeDefined();
      if (bytes.length) expect(bytes.length, name).toBe(size);
    }
    const rtmrs = fields.filter(([n]) => n === 'rtmrs').map(([, b]) => b.toString('hex'));
    const t = tdxOf('td-sid', '2g').tdx!;
    expect(rtmrs).toHaveLength(spec.goTdxGuest.rtmrsCount);
    expect(rtmrs).toEqual(['', t.rtmr1, t.rtmr2, '']); // RTMR0 not predicted: an empty (unchecked) field
    expect(fields.filter(([n]) => n === 'any_mr_td').map(([, b]) => b.toString('hex')).sort()).toEqual([tdxOf('td-sid', '2g', 'single').measurement, tdxOf('td-sid', '2g', 'two').measurement].sort());
    expect(fields.find(([n]) => n === 'xfam')![1].toString('hex')).toBe('e71e060000000000');
    expect(r.stdout).toContain(spec.goTdxGuest.configSuffix);
    expect(goTdxGuestConfig(selectEntries(doc.entries, 'artifact=td-sid,shape=2g'))).toBe(r.stdout);
  });

  it('go-tdx-guest refuses a selection with several RTMR sets or no tdx entries (usage error, exit 2)', async () => {
    let r = await cli(['export', '--to', 'go-tdx-guest', docFile]);
    expect(r.code).toBe(2);
    expect(cleanError(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/one set of RTMRs; the selection has \d+/);
    r = await cli(['export', '--to', 'go-tdx-guest', docFile, '--select', 'mode=snp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no tdx entries/);
  });

  it('corim-tdx: an unsigned CoRIM with the Intel profile OID, MRTD as tee.mrtee, RTMRs as integrity registers', async () => {
    const out = path.join(tmp, 'tdx.cbor');
    const r = await cli(['export', '--to', 'corim-tdx', docFile, '--select', 'artifact=td-sid', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const top = decode(readFileSync(out)) as Tag;
    expect(Number(top.tag)).toBe(spec.corim.unsignedCorimTag);
    const corim = top.contents as Map<number, unknown>;
    const profile = corim.get(3) as Tag;
    expect(Number(profile.tag)).toBe(spec.corimTdx.oidTag);
    expect(Buffer.from(profile.contents as Uint8Array).toString('hex')).toBe(spec.corimTdx.profileOidBytes);
    const [comidTag] = corim.get(1) as Tag[];
    expect(Number(comidTag!.tag)).toBe(spec.corim.comidTag);
    const comid = decode(comidTag!.contents as Uint8Array) as Map<number, unknown>;
    const triples = (comid.get(4) as Map<number, unknown>).get(0) as Array<[Map<number, unknown>, Array<Map<number, Map<number, unknown>>>]>;
    const td = doc.entries.filter((e) => e.artifact === 'td-sid' && e.mode === 'tdx');
    const distinct = new Set(td.map((e) => JSON.stringify([e.measurement, e.tdx!.rtmr0, e.tdx!.rtmr1, e.tdx!.rtmr2, e.tdx!.tdAttributes])));
    expect(triples).toHaveLength(distinct.size);
    const K = spec.corimTdx.mvalKeys;
    const seen = new Set<string>();
    for (const [, [m]] of triples) {
      const mval = m!.get(1)!;
      const [[alg, mrtd]] = mval.get(K['tee.mrtee']) as [[number, Uint8Array]];
      expect(alg).toBe(spec.corimTdx.sha384AlgId);
      const regs = mval.get(K['integrity-registers']) as Map<number, [[number, Uint8Array]]>;
      const hex = (i: number): string | null => (regs.has(i) ? Buffer.from(regs.get(i)![0][1]).toString('hex') : null);
      expect(Buffer.from(mval.get(K['tee.attributes']) as Uint8Array).toString('hex')).toBe('0000001000000000');
      seen.add(JSON.stringify([Buffer.from(mrtd).toString('hex'), hex(0), hex(1), hex(2), '0x10000000']));
    }
    expect(seen).toEqual(distinct);
    expect(Buffer.from(tdxCorim({ ...doc, entries: td }, 'x'))).toBeInstanceOf(Buffer);
  });

  it('corim refuses a selection without snp entries, naming corim-tdx; corim-tdx one without tdx entries', async () => {
    let r = await cli(['export', '--to', 'corim', docFile, '--select', 'mode=tdx', '-o', path.join(tmp, 'x.cbor')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no snp entries.*--to corim-tdx/);
    r = await cli(['export', '--to', 'corim-tdx', docFile, '--select', 'mode=snp', '-o', path.join(tmp, 'x.cbor')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no tdx entries/);
    expect(() => snpCorim({ ...doc, entries: [] }, 'x')).toThrow(/no snp entries/);
  });

  it('qemu/libvirt snippets refuse IGVM entries; --select takes the TDX keys', async () => {
    const r = await cli(['export', '--to', 'qemu', docFile, '--select', 'mode=snp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/igvm artifact vanadium/);
    expect(selectEntries(doc.entries, 'shape=4g-no-tables,pageOrder=two').every((e) => e.tdx?.shape === '4g-no-tables' && e.tdx.pageOrder === 'two')).toBe(true);
    expect(selectEntries(doc.entries, 'xfam=0x61EE7').length).toBe(16);
  });
});

describe('IGVM artifacts with an SNP ID block', () => {
  const SIGNED = path.join(ROOT, 'firmware-samples/igvm/builder/qemu-snp-bldr.signed.igvm');
  const manifest = (file: string): string => {
    const f = path.join(tmp, `ib-${path.basename(file)}.yaml`);
    writeFileSync(f, `artifacts:\n  - { name: s, kind: igvm, firmware: ${file} }\nmatrix:\n  modes: [snp]\n  vcpus: 1\n  vcpuTypes: [EPYC]\n`);
    return f;
  };
  it('a file whose ID block matches and verifies gives its digest (igvmmeasure\'s)', async () => {
    const r = await cli(['golden', manifest(SIGNED)]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as GoldenDocument).entries[0]!.measurement).toBe(igvmVector('qemu-snp-bldr.signed.igvm', 'SEV_SNP'));
  });
  it('a file whose ID block expects another digest is refused, as igvm measure refuses it (no launch gives that value)', async () => {
    // the ID block's expected launch digest (IGVM_VHS_SNP_ID_BLOCK: mask u32, author_key_enabled u8, reserved[3], ld[48]) overwritten, the header CRC fixed
    const bytes = new Uint8Array(readFileSync(SIGNED));
    const at = measureIgvm(bytes, { platform: 'sev-snp' }).idBlock!.location.offset + 8 + 8;
    bytes.fill(0x5a, at, at + 48);
    const bad = path.join(tmp, 'wrong-ld.igvm');
    writeFileSync(bad, fixIgvm(bytes));
    expect(measureIgvm(fixIgvm(bytes), { platform: 'sev-snp' }).idBlock!.matches).toBe(false);
    const r = await cli(['golden', manifest(bad)]);
    expect(r.code).toBe(1);
    expect(cleanError(r.stderr), r.stderr).toBe(true);
    expect(r.errorCode).toBe('ERR_FIRMWARE_UNSUPPORTED');
    expect(r.stderr).toMatch(/the SNP ID block \(header #\d+\) would make the launch fail: the ID block expects launch digest 5A5A/);
  });
});

describe('SNP exports of IGVM entries', () => {
  it('snpguest and go-sev-guest name the IGVM file instead of a VMM and vCPU model', async () => {
    const s = await cli(['export', '--to', 'snpguest', docFile, '--select', 'artifact=vanadium']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toBe(`# vanadium (IGVM file, its own VMSAs)\n--measurement 0x${igvmVector('vanadium-snp-tdp.igvm', 'SEV_SNP')}\n`);
    const g = await cli(['export', '--to', 'go-sev-guest', docFile, '--select', 'artifact=vanadium']);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout.split('\n')[0]).toBe('# vanadium: IGVM file (its own VMSAs and policy)');
  });
});
