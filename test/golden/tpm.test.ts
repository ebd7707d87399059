/**
 * vTPM PCR sets in golden values (mode tpm) and their exports. The inputs are in the repository
 * (Debian's 2022.11 OVMF_CODE_4M.fd + OVMF_VARS_4M.fd, a synthetic bzImage, the fw_cfg dump of
 * our own capture test/vectors/measured-boot/trixie-q7-3g-vga), so nothing needs ../shared.
 * Expected values: PCR1, 2, 3, 5, 6, 7 of a 2026.08 / QEMU 11.1 entry from the firmware's own
 * log of our capture sid-q11-quiet (committed with its fw_cfg dump; they do not depend on the
 * kernel); the fixed events and the initrd and LoadOptions digests are recomputed here
 * with node:crypto from the bytes the firmware hashes (the model's PCRs equal real logs in
 * test/measured-boot/predict.test.ts and the conformance runner); every entry equals
 * predictTpmPcrs, the one call behind `prelaunch tpm predict`; export names come from the
 * upstream sources recorded in test/vectors/consumers.json.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { generateGolden, serializeGolden, type GoldenDocument } from '../../src/golden/engine.js';
import { parseGoldenDocument, validateGoldenDocument } from '../../src/golden/document.js';
import { parseManifestText } from '../../src/golden/manifest.js';
import type { GoldenMatrix } from '../../src/golden/matrix.js';
import { predictTpmPcrs } from '../../src/measured-boot/predict.js';
import { trusteeSample, trusteeTpmClaim, trusteeTpmName } from '../../src/export/trustee.js';
import { keylimeRefstate, pythonReEscape } from '../../src/export/keylime.js';
import { selectEntries } from '../../src/export/select.js';
import { PrelaunchError } from '../../src/errors.js';
import { ROOT, cli, cleanError } from '../support/golden.js';
import { thrownPrelaunchError } from '../support/thrown.js';
import { fuzzParams } from '../support/fuzz.js';
import { syntheticBzImage } from '../tdx/synthetic-kernel.js';
import { SAMPLE_TPM_DOC } from '../support/samples.js';

const spec = JSON.parse(readFileSync(path.join(ROOT, 'test/vectors/consumers.json'), 'utf8'));
const SCHEMA = JSON.parse(readFileSync(path.join(ROOT, 'docs/schemas/golden-document.schema.json'), 'utf8'));
const MSCHEMA = JSON.parse(readFileSync(path.join(ROOT, 'docs/schemas/golden-manifest.schema.json'), 'utf8'));
const ajv = new Ajv2020({ strict: true, validateFormats: false });
const ajvDoc = ajv.compile(SCHEMA);
const ajvManifest = ajv.compile(MSCHEMA);

const CODE = path.join(ROOT, 'firmware-samples/debian/OVMF_CODE_4M.fd');
const VARS = path.join(ROOT, 'firmware-samples/debian/OVMF_VARS_4M.fd');
const FWCFG = path.join(ROOT, 'test/vectors/measured-boot/trixie-q7-3g-vga/fwcfg.tar');
const SID = path.join(ROOT, 'firmware-samples/debian-sid/OVMF.inteltdx.ms.fd');
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
const sha = (alg: 'sha256' | 'sha384', ...parts: Uint8Array[]): string => { const h = createHash(alg); for (const p of parts) h.update(p); return h.digest('hex'); };
const extend = (alg: 'sha256' | 'sha384', digests: string[]): string => digests.reduce((pcr, d) => sha(alg, Buffer.from(pcr, 'hex'), Buffer.from(d, 'hex')), '00'.repeat(alg === 'sha256' ? 32 : 48));

const kernel = syntheticBzImage();
const initrd = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
const CMDLINE = 'console=ttyS0 root=/dev/vda1';

const matrix = (shapes: NonNullable<GoldenMatrix['tpm']>['shapes']): GoldenMatrix => ({ modes: ['tpm'], vcpus: [], cpus: [], vmmTypes: ['QEMU'], vmsaProfiles: null, guestFeatures: [1n], policies: null, tpm: { shapes } });
const SHAPES = [
  { name: 'q7-1g', qemuVersion: '7.2.22', memory: 1 << 30, smp: 1, fwCfg: null },
  { name: 'q10-3g', qemuVersion: '10.0.13', memory: 3 * 2 ** 30, smp: 2, fwCfg: 'fwcfg.tar' },
];
function doc(): GoldenDocument {
  return generateGolden({
    tool: 'prelaunch test',
    artifacts: [{ name: 'debian', kind: 'ovmf', firmware: read(CODE), firmwarePath: 'OVMF_CODE_4M.fd', vars: read(VARS), varsPath: 'OVMF_VARS_4M.fd', kernel, kernelPath: 'vmlinuz', initrd, initrdPath: 'initrd.img', cmdline: CMDLINE }],
    matrix: matrix(SHAPES),
    tpmFwCfg: new Map([['q10-3g', read(FWCFG)]]),
  });
}
const D = doc();

describe('golden tpm entries', () => {
  it('one entry per launch shape, each equal to predictTpmPcrs for its inputs, PCR0 null in both banks', () => {
    expect(D.entries.map((e) => [e.mode, e.tpm?.shape, e.measurement])).toEqual([['tpm', 'q10-3g', null], ['tpm', 'q7-1g', null]]);
    for (const e of D.entries) {
      const shape = SHAPES.find((s) => s.name === e.tpm!.shape)!;
      const p = predictTpmPcrs({ firmware: read(CODE), vars: read(VARS), kernel, initrd, append: CMDLINE, qemuVersion: shape.qemuVersion, memory: shape.memory, smp: shape.smp, fwCfg: shape.fwCfg ? read(FWCFG) : null });
      for (const bank of ['sha256', 'sha384'] as const) {
        expect(e.tpm!.pcrs[bank]['0']).toBeNull();
        const { 0: _zero, ...rest } = e.tpm!.pcrs[bank];
        expect(rest).toEqual(p.pcrs[bank]);
      }
      expect(e.tpm!.unpredicted.map((u) => u.pcr)).toEqual([0]);
      expect(e.tpm!.events.length).toBe(p.events.length);
      expect(e.tpm!.edk2).toEqual({ generation: '2022.11', versionString: null });
      expect(e.tpm!.secureBoot).toEqual({ enabled: false, enrolled: [] });
    }
    expect(D.artifacts[0]!.vars).toEqual({ path: 'OVMF_VARS_4M.fd', size: 540672, sha256: '5d2ac383371b408398accee7ec27c8c09ea5b74a0de0ceea6513388b15be5d1e' });
    expect(D.entries[0]!.tpm!.fwCfg).toBe(sha('sha256', read(FWCFG)));
    expect(D.entries[1]!.tpm!.fwCfg).toBeNull();
  });

  it('event digests recomputed from the bytes the firmware hashes (node:crypto)', () => {
    const e = D.entries[1]!.tpm!;
    // EV_S_CRTM_VERSION of a build without a version string: UTF-16 NUL
    expect(e.events[0]).toMatchObject({ pcr: 0, type: 'EV_S_CRTM_VERSION', digests: { sha256: sha('sha256', Uint8Array.of(0, 0)) } });
    for (const bank of ['sha256', 'sha384'] as const) {
      // PCR5: the separator (PCR0-6 at ReadyToBoot), then the two Exit Boot Services actions
      const acts = ['Exit Boot Services Invocation', 'Exit Boot Services Returned with Success'].map((t) => sha(bank, Buffer.from(t)));
      expect(e.pcrs[bank]['5']).toBe(extend(bank, [sha(bank, new Uint8Array(4)), ...acts]));
      // PCR9: LoadOptions (2022.11 suffix rule, UTF-16 with NUL) and the initrd
      const lo = sha(bank, Buffer.from(`${CMDLINE} initrd=initrd\0`, 'utf16le'));
      expect(e.boot.loadOptions![bank]).toBe(lo);
      expect(e.boot.initrd![bank]).toBe(sha(bank, initrd));
      expect(e.pcrs[bank]['9']).toBe(extend(bank, [lo, sha(bank, initrd)]));
      // PCR4: the kernel event, then the action and the separator
      const sep = sha(bank, new Uint8Array(4));
      expect(e.pcrs[bank]['4']).toBe(extend(bank, [e.boot.kernel![bank], sha(bank, Buffer.from('Calling EFI Application from Boot Option')), sep]));
    }
    // the PEI volume's digest is not predicted: its event is listed with null digests
    expect(e.events.filter((x) => x.digests === null).map((x) => x.pcr)).toEqual([0]);
  });

  it('round trip: canonical, reproducible, valid against the published schema (ajv) and our reader', () => {
    const text = serializeGolden(D);
    expect(serializeGolden(doc())).toBe(text);
    expect(parseGoldenDocument(text, 'doc.json')).toEqual(D);
    expect(ajvDoc(JSON.parse(text))).toBe(true);
  });

  it('the fuzz seed document (test/support/samples.ts) is valid, so its mutations reach the exporters', () => {
    expect(ajvDoc(SAMPLE_TPM_DOC)).toBe(true);
    const d = parseGoldenDocument(JSON.stringify(SAMPLE_TPM_DOC), 'sample.json');
    expect(trusteeSample(d.entries)).toEqual({ tpm_pcr4: ['44'.repeat(32)], tpm_pcr9: ['99'.repeat(32)] });
    expect(keylimeRefstate(d).kernels).toEqual([{ kernel_authcode_sha256: `0x${'04'.repeat(32)}`, initrd_plain_sha256: `0x${'0a'.repeat(32)}`, kernel_cmdline: 'console=ttyS0' }]);
  });

  it('a document lying about tpm values is refused, naming the JSON path', () => {
    const raw = JSON.parse(serializeGolden(D)) as GoldenDocument;
    const bad = (f: (d: GoldenDocument) => void, msg: RegExp): void => {
      const d = structuredClone(raw);
      f(d);
      const err = thrownPrelaunchError(() => validateGoldenDocument(d, 'doc.json'));
      expect(err.code).toBe('ERR_MALFORMED');
      expect(err.message).toMatch(msg);
    };
    bad((d) => { d.entries[0]!.measurement = 'ab'.repeat(48); }, /\$\.entries\[0\]\.measurement: a tpm entry has no launch digest/);
    bad((d) => { delete d.entries[0]!.tpm; }, /\$\.entries\[0\]\.tpm: a tpm entry carries its PCR values/);
    bad((d) => { d.entries[0]!.tpm!.pcrs.sha256['1'] = 'ab'.repeat(48); }, /\$\.entries\[0\]\.tpm\.pcrs\.sha256(\.1|\["1"\])/);
    bad((d) => { d.entries[0]!.tpm!.pcrs.sha384['x'] = null; }, /\$\.entries\[0\]\.tpm\.pcrs\.sha384: "x" is not a PCR index/);
    bad((d) => { d.entries[0]!.mode = 'snp'; }, /\$\.entries\[0\]\.tpm: only tpm entries carry/);
  });

  it('what the model refuses, the manifest refuses: an unmodelled generation names the artifact and the shape', () => {
    const err = thrownPrelaunchError(() => generateGolden({
      tool: 't', artifacts: [{ name: 'sid', kind: 'ovmf', firmware: read(SID), firmwarePath: 'sid.fd', kernel, cmdline: 'x' }], matrix: matrix([SHAPES[0]!]),
    }));
    expect(err.code).toBe('ERR_FIRMWARE_UNSUPPORTED');
    expect(err.message).toMatch(/^artifact sid, matrix\.tpm\.shapes\[0\] \(q7-1g\): /);
    expect(err.data.path).toBe('$.matrix.tpm.shapes[0]');
  });
});

describe('golden tpm, edk2 2026.08 under QEMU 11.1 (committed capture sid-q11-quiet)', () => {
  // Debian sid's OVMF_CODE_4M.fd and the fw_cfg dump of our own boot of it (provenance.json):
  // PCR1, 2, 3, 5, 6, 7 do not depend on the kernel, so they must equal the firmware's own log
  const CAP = path.join(ROOT, 'test/vectors/measured-boot/sid-q11-quiet');
  const cfg = JSON.parse(readFileSync(path.join(CAP, 'config.json'), 'utf8'));
  it('PCRs that do not depend on the kernel equal the real log; without the fw_cfg dump PCR1 is null, with the reason', async () => {
    const { replayTpmLog } = await import('../../src/measured-boot/replay.js');
    const code = read(path.join(ROOT, 'firmware-samples/debian-sid/OVMF_CODE_4M.fd'));
    expect(sha('sha256', code)).toBe(cfg.firmware_code.sha256);
    expect(sha('sha256', read(VARS))).toBe(cfg.firmware_vars.sha256);
    const d = generateGolden({
      tool: 't',
      artifacts: [{ name: 'sid', kind: 'ovmf', firmware: code, firmwarePath: 'OVMF_CODE_4M.fd', vars: read(VARS), varsPath: 'OVMF_VARS_4M.fd', kernel, kernelPath: 'vmlinuz', initrd, initrdPath: 'initrd.img', cmdline: cfg.cmdline }],
      matrix: matrix([
        { name: 'captured', qemuVersion: '11.1.3', memory: cfg.memory_mib * 1024 * 1024, smp: cfg.smp, fwCfg: 'fwcfg.tar' },
        { name: 'no-fwcfg', qemuVersion: '11.1.3', memory: cfg.memory_mib * 1024 * 1024, smp: cfg.smp, fwCfg: null },
      ]),
      tpmFwCfg: new Map([['captured', read(path.join(CAP, 'fwcfg.tar'))]]),
    });
    const log = replayTpmLog(read(path.join(CAP, 'eventlog.bin')));
    const [captured, bare] = [d.entries.find((e) => e.tpm!.shape === 'captured')!.tpm!, d.entries.find((e) => e.tpm!.shape === 'no-fwcfg')!.tpm!];
    expect(captured.edk2.generation).toBe('2026.08');
    for (const bank of ['sha256', 'sha384'] as const) {
      // PCR0 too: edk2 2026.08 without SMM measures the PEI volume as built (rule peifv-as-built)
      for (const pcr of ['0', '1', '2', '3', '5', '6', '7']) expect(`${bank} PCR${pcr} ${captured.pcrs[bank][pcr]}`).toBe(`${bank} PCR${pcr} ${log.pcrs[bank]![pcr]}`);
      expect(bare.pcrs[bank]['1']).toBeNull();
      expect(bare.pcrs[bank]['7']).toBe(captured.pcrs[bank]['7']);
    }
    expect(bare.unpredicted.map((u) => u.pcr)).toEqual([1]);
    expect(bare.unpredicted[0]!.reason).toMatch(/fw-cfg|fw_cfg/);
    // the 2026.08 LoadOptions prefix rule, recomputed
    expect(captured.boot.loadOptions!.sha256).toBe(sha('sha256', Buffer.from(`initrd=initrd ${cfg.cmdline}\0`, 'utf16le')));
    // Trustee leaves the null PCR1 of the bare shape out rather than guessing it
    expect(trusteeSample(selectEntries(d.entries, 'shape=no-fwcfg')).tpm_pcr1).toBeUndefined();
  });
});

describe('tpm manifests', () => {
  const base = { artifacts: [{ name: 'a', firmware: 'OVMF_CODE_4M.fd', vars: 'OVMF_VARS_4M.fd', kernel: 'vmlinuz', cmdline: 'x' }], matrix: { modes: ['tpm'], tpm: { shapes: [{ name: 's', qemuVersion: '10.0.13', memory: '2G', smp: 2, fwCfg: 'fwcfg.tar' }] } } };
  const with_ = (f: (m: any) => void): string => { const m = structuredClone(base) as any; f(m); return JSON.stringify(m); };
  it('parses shapes (memory in QEMU syntax), vars, and validates against the published schema', () => {
    const m = parseManifestText(JSON.stringify(base), 'm.json');
    expect(m.matrix.tpm!.shapes).toEqual([{ name: 's', qemuVersion: '10.0.13', memory: 2 * 2 ** 30, smp: 2, fwCfg: 'fwcfg.tar' }]);
    expect(m.artifacts[0]!.vars).toBe('OVMF_VARS_4M.fd');
    expect(ajvManifest(base)).toBe(true);
  });
  const cases: Array<[string, string, string]> = [
    [with_((m) => { delete m.matrix.tpm; }), 'ERR_MALFORMED', '$.matrix.tpm: is required with mode tpm'],
    [with_((m) => { m.matrix.modes = ['sev']; }), 'ERR_MALFORMED', '$.artifacts[0].vars: applies to tpm entries only'],
    [with_((m) => { m.matrix.modes = ['sev']; delete m.artifacts[0].vars; }), 'ERR_MALFORMED', '$.matrix.tpm: applies to tpm entries only'],
    [with_((m) => { delete m.artifacts[0].kernel; delete m.artifacts[0].cmdline; }), 'ERR_MALFORMED', '$.artifacts[0].kernel: tpm entries need a direct-boot kernel'],
    [with_((m) => { m.matrix.tpm.shapes[0].qemuVersion = '9.2.1'; }), 'ERR_UNSUPPORTED_STACK', '$.matrix.tpm.shapes[0].qemuVersion: 9.2.1: QEMU 9.2 is not modelled'],
    [with_((m) => { m.matrix.tpm.shapes[0].qemuVersion = 'ten'; }), 'ERR_MALFORMED', '$.matrix.tpm.shapes[0].qemuVersion'],
    [with_((m) => { m.matrix.tpm.shapes[0].memory = 4097; }), 'ERR_MALFORMED', '$.matrix.tpm.shapes[0].memory'],
    [with_((m) => { m.matrix.tpm.shapes.push({ ...m.matrix.tpm.shapes[0] }); }), 'ERR_MALFORMED', '$.matrix.tpm.shapes[1].name'],
    [with_((m) => { m.matrix.tpm.shapes[0].tables = 'x.tar'; }), 'ERR_MALFORMED', '$.matrix.tpm.shapes[0]'],
    [with_((m) => { m.matrix.tpm.shapes[0].smp = 0; }), 'ERR_MALFORMED', '$.matrix.tpm.shapes[0].smp'],
    [with_((m) => { m.matrix.stacks = [{ name: 'x', qemu: '10.0.2' }]; }), 'ERR_MALFORMED', '$.matrix.stacks'],
    [with_((m) => { m.artifacts[0] = { name: 'i', kind: 'igvm', firmware: 'x.igvm', modes: ['tpm'] }; }), 'ERR_MALFORMED', '$.artifacts[0].modes'],
  ];
  for (const [text, code, msg] of cases) {
    it(`refuses ${msg} (${code})`, () => {
      const err = thrownPrelaunchError(() => parseManifestText(text, 'm.json'));
      expect(err.code).toBe(code);
      expect(err.message.startsWith(`m.json: ${msg}`) || err.message.includes(msg)).toBe(true);
    });
  }
  it('fuzz: any matrix.tpm value gives a manifest or a PrelaunchError (bounded)', () => {
    const value = fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -5, max: 2 ** 31 }), fc.constant(null), fc.boolean(), fc.constantFrom('7.2', '10.0.13', '11.1', '2G', '4096', 'x.tar'));
    const shape = fc.dictionary(fc.constantFrom('name', 'qemuVersion', 'memory', 'smp', 'fwCfg', 'tables'), value, { maxKeys: 6 });
    fc.assert(fc.property(fc.oneof(fc.array(shape, { maxLength: 3 }), value), fc.option(fc.constantFrom('v.fd', 7)), (shapes, vars) => {
      const m = structuredClone(base) as any;
      m.matrix.tpm = { shapes };
      if (vars === null) delete m.artifacts[0].vars; else m.artifacts[0].vars = vars;
      try {
        const r = parseManifestText(JSON.stringify(m), 'm.json');
        expect(r.matrix.tpm!.shapes.length).toBeGreaterThan(0);
      } catch (e) {
        expect(e).toBeInstanceOf(PrelaunchError);
        expect((e as Error).message).toMatch(/^m\.json: /);
      }
    }), fuzzParams({ numRuns: 300 }));
  });
});

describe('tpm exports', () => {
  it('Trustee: tpm_pcrN (the default policy\'s name) with the SHA-256 bank, the bank its TPM verifier publishes as pcrNN', () => {
    const v = spec.trusteeTpm;
    expect(v.bank).toBe('sha256');
    for (const [i, name] of Object.entries(v.policyNames as Record<string, string>)) expect(trusteeTpmName(Number(i))).toBe(name);
    for (const [i, name] of Object.entries(v.claimNames as Record<string, string>)) expect(trusteeTpmClaim(Number(i))).toBe(name);
    const s = trusteeSample(D.entries);
    expect(Object.keys(s)).toEqual(['tpm_pcr1', 'tpm_pcr2', 'tpm_pcr3', 'tpm_pcr4', 'tpm_pcr5', 'tpm_pcr6', 'tpm_pcr7', 'tpm_pcr9']);
    for (const [k, vals] of Object.entries(s)) {
      expect(vals).toEqual([...new Set(D.entries.map((e) => e.tpm!.pcrs.sha256[k.slice(7)]))]);
      for (const x of vals) expect(x).toMatch(/^[0-9a-f]{64}$/);
    }
    // PCR4 differs by shape (QEMU 7.2 patches the kernel's setup header, memory enters it): both listed
    expect(s.tpm_pcr4).toHaveLength(2);
    expect(trusteeSample(selectEntries(D.entries, 'shape=q7-1g')).tpm_pcr4).toHaveLength(1);
  });

  it('Keylime: the exact part of an mb_refstate in create_mb_refstate\'s shape', () => {
    const v = spec.keylimeMbRefstate;
    expect(pythonReEscape(v.reEscape.input)).toBe(v.reEscape.escaped);
    const r = keylimeRefstate(D);
    for (const k of Object.keys(r)) expect(v.topLevelKeys).toContain(k);
    // scrtm_and_bios is the one the example policy requires that prelaunch cannot fill (PEIFV)
    expect(v.requiredByExamplePolicy.filter((k: string) => !(k in r))).toEqual(['scrtm_and_bios']);
    expect(r.has_secureboot).toBe(false);
    const t = D.entries[1]!.tpm!;
    expect(r.kernels).toEqual([
      { kernel_authcode_sha256: `0x${D.entries[0]!.tpm!.boot.kernel!.sha256}`, initrd_plain_sha256: `0x${sha('sha256', initrd)}`, kernel_cmdline: 'console=ttyS0\\ root=/dev/vda1' },
      { kernel_authcode_sha256: `0x${t.boot.kernel!.sha256}`, initrd_plain_sha256: `0x${sha('sha256', initrd)}`, kernel_cmdline: 'console=ttyS0\\ root=/dev/vda1' },
    ]);
    for (const k of r.kernels) for (const d of [k.kernel_authcode_sha256, k.initrd_plain_sha256]) expect(d).toMatch(new RegExp(v.digestPattern));
  });

  it('Keylime: secure boot on is refused (no kernel event, no signature lists in the document)', () => {
    const d = structuredClone(D);
    d.entries[0]!.tpm!.secureBoot.enabled = true;
    expect(thrownPrelaunchError(() => keylimeRefstate(d)).code).toBe('ERR_INVALID_OPTION');
    expect(thrownPrelaunchError(() => keylimeRefstate({ ...D, entries: [] })).message).toMatch(/no tpm entries/);
  });
});

describe('golden tpm (CLI, in process)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prelaunch-golden-tpm-'));
  writeFileSync(path.join(dir, 'vmlinuz'), kernel);
  writeFileSync(path.join(dir, 'initrd.img'), initrd);
  const manifest = (shapes: string): string => `version: 1
artifacts:
  - name: debian
    firmware: ${CODE}
    vars: ${VARS}
    kernel: vmlinuz
    initrd: initrd.img
    cmdline: "${CMDLINE}"
matrix:
  modes: [tpm]
  tpm:
    shapes:
${shapes}`;
  const SHAPES_YAML = `      - { name: q7-1g, qemuVersion: "7.2.22", memory: 1G, smp: 1 }\n      - { name: q10-3g, qemuVersion: "10.0.13", memory: 3G, smp: 2, fwCfg: ${FWCFG} }\n`;

  it('golden MANIFEST writes the same document as the library; export trustee and keylime read it', async () => {
    writeFileSync(path.join(dir, 'release.yaml'), manifest(SHAPES_YAML));
    const out = path.join(dir, 'doc.json');
    const r = await cli(['golden', path.join(dir, 'release.yaml'), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const got = parseGoldenDocument(readFileSync(out, 'utf8'), out);
    expect(got.entries.map((e) => e.tpm)).toEqual(D.entries.map((e) => e.tpm));
    const t = await cli(['export', '--to', 'trustee', out]);
    expect(t.code, t.stderr).toBe(0);
    const payload = JSON.parse(Buffer.from(JSON.parse(t.stdout).payload, 'base64').toString());
    expect(payload).toEqual(trusteeSample(D.entries));
    const k = await cli(['export', '--to', 'keylime', out, '--select', 'shape=q10-3g']);
    expect(k.code, k.stderr).toBe(0);
    expect(JSON.parse(k.stdout).kernels).toHaveLength(1);
  });

  it('a shape the model refuses: one error line naming the manifest and the JSON path, exit 1, no output', async () => {
    writeFileSync(path.join(dir, 'bad.yaml'), manifest('      - { name: q9, qemuVersion: "9.2.1", memory: 1G }\n'));
    const out = path.join(dir, 'never.json');
    const r = await cli(['golden', path.join(dir, 'bad.yaml'), '-o', out]);
    expect(r.code).toBe(1);
    expect(cleanError(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/bad\.yaml: \$\.matrix\.tpm\.shapes\[0\]\.qemuVersion: 9\.2\.1: QEMU 9\.2 is not modelled/);
    expect(existsSync(out)).toBe(false);
  });

  it('a firmware the model refuses: one error line naming the manifest, the artifact and the shape, exit 1', async () => {
    writeFileSync(path.join(dir, 'sid.yaml'), `artifacts:\n  - { name: sid, firmware: ${SID}, kernel: vmlinuz, modes: [tpm] }\nmatrix:\n  modes: [tpm]\n  tpm: { shapes: [{ name: q7, qemuVersion: "7.2", memory: 1G }] }\n`);
    const r = await cli(['golden', path.join(dir, 'sid.yaml')]);
    expect(r.code).toBe(1);
    expect(cleanError(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/^error: \S*sid\.yaml: artifact sid, matrix\.tpm\.shapes\[0\] \(q7\): /);
  });

  it('a missing fw_cfg dump names its key; --mode tpm without a manifest is a usage error', async () => {
    writeFileSync(path.join(dir, 'nofw.yaml'), manifest(`      - { name: q10, qemuVersion: "10.0.13", memory: 1G, fwCfg: ${path.join(dir, 'missing.tar')} }\n`));
    const r = await cli(['golden', path.join(dir, 'nofw.yaml')]);
    expect(r.code).toBe(1);
    expect(cleanError(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/matrix\.tpm\.shapes\[0\]\.fwCfg/);
    const u = await cli(['golden', '--ovmf', CODE, '--mode', 'tpm']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--mode: tpm entries need launch shapes/);
  });
});

// Real boots (../shared/oracles/measured-boot: Debian OVMF under QEMU with swtpm): a golden
// manifest of a case's inputs gives the PCRs its firmware's own log replays to, and the exports
// carry those values.
const MB = path.resolve(ROOT, '../shared/oracles/measured-boot');
const HAVE_SHARED = existsSync(path.join(MB, 'index.jsonl')) && !process.env.PRELAUNCH_NO_SHARED;
interface Case { id: string; firmware_code: string; firmware_vars: string; kernel: string; initrd: string; fwcfg: string; eventlog: string; cmdline: string; memory_mib: number; smp: number; qemu_version: string }
const CASES: Case[] = HAVE_SHARED ? readFileSync(path.join(MB, 'index.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Case) : [];

describe.skipIf(!HAVE_SHARED)('golden tpm against real logs (../shared)', () => {
  it('one manifest, two generations × two QEMU versions: PCR1-9 of both banks equal the logs; Trustee and Keylime carry the logged values', async () => {
    const { replayTpmLog } = await import('../../src/measured-boot/replay.js');
    const picked = ['bookworm-q7-quiet', 'bookworm-q10-args-pad', 'trixie-q10-plain-2g-2cpu'].map((id) => CASES.find((c) => c.id === id)!).filter(Boolean);
    expect(picked.length).toBe(3);
    const at = (p: string): string => path.join(MB, p);
    const artifacts = picked.map((c) => `  - { name: ${c.id}, firmware: ${at(c.firmware_code)}, vars: ${at(c.firmware_vars)}, kernel: ${at(c.kernel)}, initrd: ${at(c.initrd)}, cmdline: ${JSON.stringify(c.cmdline)}, modes: [tpm] }`);
    // one shape per case (the fw_cfg dump is that launch's); each artifact is measured in every shape, and only its own is checked
    const shapes = picked.map((c) => `      - { name: ${c.id}, qemuVersion: "${c.qemu_version}", memory: ${c.memory_mib * 1024 * 1024}, smp: ${c.smp}, fwCfg: ${at(c.fwcfg)} }`);
    const dir = mkdtempSync(path.join(tmpdir(), 'prelaunch-golden-tpm-real-'));
    writeFileSync(path.join(dir, 'm.yaml'), `artifacts:\n${artifacts.join('\n')}\nmatrix:\n  modes: [tpm]\n  tpm:\n    shapes:\n${shapes.join('\n')}\n`);
    const r = await cli(['golden', path.join(dir, 'm.yaml'), '-o', path.join(dir, 'doc.json')]);
    expect(r.code, r.stderr).toBe(0);
    const d = parseGoldenDocument(readFileSync(path.join(dir, 'doc.json'), 'utf8'), 'doc.json');
    for (const c of picked) {
      const e = d.entries.find((x) => x.artifact === c.id && x.tpm?.shape === c.id)!;
      const log = replayTpmLog(read(at(c.eventlog)));
      for (const bank of ['sha256', 'sha384'] as const) {
        for (let pcr = 1; pcr <= 9; pcr++) expect(`${c.id} ${bank} PCR${pcr} ${e.tpm!.pcrs[bank][String(pcr)] ?? '-'}`).toBe(`${c.id} ${bank} PCR${pcr} ${log.pcrs[bank]![String(pcr)] ?? '-'}`);
        expect(e.tpm!.pcrs[bank]['0']).toBeNull();
      }
      const own = selectEntries(d.entries, `artifact=${c.id},shape=${c.id}`);
      const s = trusteeSample(own);
      for (const [name, [v]] of Object.entries(s)) expect(v).toBe(log.pcrs.sha256![name.slice('tpm_pcr'.length)]);
      const kernelEvent = log.events.find((x) => x.pcr === 4 && x.typeName === 'EV_EFI_BOOT_SERVICES_APPLICATION');
      if (kernelEvent) expect(keylimeRefstate({ ...d, entries: own }).kernels[0]!.kernel_authcode_sha256).toBe(`0x${kernelEvent.digests.sha256}`);
    }
  }, 120_000);
});

// edk2 2026.08 without SMM (Debian sid's OVMF_CODE_4M.fd): PCR0 is predicted (rule
// peifv-as-built), so the golden entry carries it and Keylime's scrtm_and_bios is written; the
// expected values are the capture's own log (test/vectors/measured-boot/sid-q11-quiet).
describe('golden tpm, edk2 2026.08 exports (own capture sid-q11-quiet)', () => {
  it('PCR0 of both banks equals the log; Keylime scrtm_and_bios carries the log\'s CRTM and firmware-blob digests; Trustee lists tpm_pcr0', async () => {
    const { replayTpmLog } = await import('../../src/measured-boot/replay.js');
    const cap = path.join(ROOT, 'test/vectors/measured-boot/sid-q11-quiet');
    const prov = JSON.parse(readFileSync(path.join(cap, 'provenance.json'), 'utf8')) as { cmdline: string; initrd_size: number };
    const dir = mkdtempSync(path.join(tmpdir(), 'prelaunch-golden-tpm-sid-'));
    writeFileSync(path.join(dir, 'initrd'), new Uint8Array(prov.initrd_size)); // stand-ins: PCR0 depends on neither
    writeFileSync(path.join(dir, 'vmlinuz'), kernel);
    writeFileSync(path.join(dir, 'm.yaml'), `artifacts:\n  - { name: sid, firmware: ${path.join(ROOT, 'firmware-samples/debian-sid/OVMF_CODE_4M.fd')}, vars: ${VARS}, kernel: ${path.join(dir, 'vmlinuz')}, initrd: ${path.join(dir, 'initrd')}, cmdline: ${JSON.stringify(prov.cmdline)}, modes: [tpm] }\nmatrix:\n  modes: [tpm]\n  tpm:\n    shapes:\n      - { name: q11, qemuVersion: "11.1.3", memory: 1G, smp: 1, fwCfg: ${path.join(cap, 'fwcfg.tar')} }\n`);
    const r = await cli(['golden', path.join(dir, 'm.yaml'), '-o', path.join(dir, 'doc.json')]);
    expect(r.code, r.stderr).toBe(0);
    const d = parseGoldenDocument(readFileSync(path.join(dir, 'doc.json'), 'utf8'), 'doc.json');
    const log = replayTpmLog(read(path.join(cap, 'eventlog.bin')));
    const e = d.entries[0]!.tpm!;
    expect([e.pcrs.sha256['0'], e.pcrs.sha384['0']]).toEqual([log.pcrs.sha256!['0'], log.pcrs.sha384!['0']]);
    const pcr0 = log.events.filter((x) => x.pcr === 0);
    const digest = (t: string) => pcr0.filter((x) => x.typeName === t).map((x) => ({ sha256: `0x${x.digests.sha256}` }));
    expect(keylimeRefstate(d).scrtm_and_bios).toEqual([{ scrtm: digest('EV_S_CRTM_VERSION')[0], platform_firmware: digest('EV_EFI_PLATFORM_FIRMWARE_BLOB') }]);
    expect(digest('EV_EFI_PLATFORM_FIRMWARE_BLOB')).toHaveLength(2);
    expect(trusteeSample(d.entries).tpm_pcr0).toEqual([log.pcrs.sha256!['0']]);
  }, 120_000);
});
