/**
 * Property-based fuzzing of every parser and entry point of src/index.ts that takes bytes or
 * documents (issue 12): random and mutated inputs must give a result or a PrelaunchError with
 * a code — never another exception, never a hang, never an allocation driven by an unchecked
 * size. `npm test` runs a short fixed-seed budget; `npm run fuzz` (scripts/fuzz.mjs) a long one
 * with a fresh seed, a 512 MB heap (a memory bomb shows as a crash) and a hang watchdog.
 * See docs/fuzzing.md.
 */
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'vitest';
import fc from 'fast-check';
import {
  PrelaunchError, bytesSource, parseOvmf, inspectOvmf, measureSnp, measureSevEs, measureSev, computeMrtd, predictRtmrs, parseIgvm, validateIgvm,
  measureIgvm, inspectIgvm, reserializeIgvm, IGVM_MEASURE_PLATFORMS, parseCcel, replayCcel, encodeCcel, reportFromBinary, reportFromJson, decodeIdBlock,
  decodeIdAuth, decodeSnpPublicKey, decodeSnpSignature, decodeIgvmSnpSignature, decodeIgvmSnpPublicKey, decodePolicy, policyFromSpec, parseManifestText,
  validateManifest, checkReport, parseKernelElf, qemuPatchSetupHeader, authenticodeRanges, authenticodeDigest, decodeVmsa, parseDetachedSignature, diffTraces,
  buildIgvm, cpuSig, nodeBackend, mrtdOfImage, type ErrorCode, encodeTcgLog, parseTcgLog, replayTpmLog, TPM_ALG,
} from '../support/all-exports.js';
import { parseVariableStore } from '../../src/formats/uefi/variable-store.js';
import { parseSignatureLists } from '../../src/formats/uefi/signature-list.js';
import { walkFirmware } from '../../src/formats/uefi/firmware-volume.js';
import { loaderAllocations } from '../../src/formats/qemu/table-loader.js';
import { readTar } from '../../src/formats/tar.js';
import { parseGoldenDocument } from '../../src/golden/document.js';
import { SCHEMAS } from '../../src/schema/index.js';
import { schemaProblem } from '../../src/schema/validate.js';
import { sniffFileKind } from '../../src/formats/file-kind.js';
import { parseAttestationReport } from '../../src/formats/snp/attestation-report.js';
import { parseCertTable } from '../../src/formats/snp/cert-table.js';
import { parseCertificates } from '../../src/verify/x509.js';
import { classifyAmdCertificate } from '../../src/verify/snp.js';
import { detectEvidence } from '../../src/verify/index.js';
import { syntheticBzImage } from '../tdx/synthetic-kernel.js';
import { sidWithoutPk } from '../tdx/fixtures.js';
import { identifyEdk2Firmware, type Edk2Firmware } from '../../src/measured-boot/edk2-firmware.js';
import { measureEdk2Events, planEdk2Boot } from '../../src/measured-boot/edk2-events.js';
import { fuzzParams } from '../support/fuzz.js';
import { SAMPLE_DOC, SAMPLE_TDX_DOC, SAMPLE_TPM_DOC } from '../support/samples.js';
import { keylimeRefstate } from '../../src/export/keylime.js';
import { trusteeSample } from '../../src/export/trustee.js';
import { goTdxGuestConfig } from '../../src/export/go-tdx-guest.js';
import { snpCorim, tdxCorim } from '../../src/export/corim.js';
import { parseQemuMemorySize } from '../../src/formats/qemu/memory-size.js';
import { fixIgvm, hostile, mutated, type FuzzInput } from './mutate.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FS = path.join(ROOT, 'firmware-samples');
const SHARED = path.join(ROOT, '../shared/oracles');
const LONG = Number(process.env.PRELAUNCH_FUZZ_RUNS ?? 1) > 1;
/** a case slower than this is a hang (the issue's hangs never finish; real cases take milliseconds) */
const CASE_MS = Number(process.env.PRELAUNCH_FUZZ_CASE_MS ?? 10_000);
/** the long runner's watchdog reads the case in progress from here (scripts/fuzz.mjs) */
const CURRENT = process.env.PRELAUNCH_FUZZ_CURRENT;
const CODES: readonly ErrorCode[] = ['ERR_TRUNCATED', 'ERR_MALFORMED', 'ERR_FIRMWARE_UNSUPPORTED', 'ERR_INVALID_OPTION', 'ERR_IO', 'ERR_KEY', 'ERR_SIGNATURE'];

const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
const dirSamples = (dir: string, re: RegExp): Record<string, Uint8Array> =>
  Object.fromEntries(readdirSync(path.join(FS, dir)).filter((f) => re.test(f)).map((f) => [`${dir}/${f}`, read(path.join(FS, dir, f))]));

const OVMF: Record<string, Uint8Array> = {
  ...dirSamples('synthetic', /\.(fd|bin)$/),
  ...(LONG ? { 'debian/OVMF.fd': read(path.join(FS, 'debian/OVMF.fd')) } : {}),
};
const TDVF: Record<string, Uint8Array> = { ...dirSamples('tdx', /\.bin$/), ...(LONG ? { 'debian/OVMF.fd': read(path.join(FS, 'debian/OVMF.fd')) } : {}) };
const IGVM: Record<string, Uint8Array> = { ...dirSamples('igvm/synth', /\.igvm$/), ...(LONG ? dirSamples('igvm/builder', /\.igvm$/) : { 'igvm/builder/qemu-snp-tdp-native.igvm': read(path.join(FS, 'igvm/builder/qemu-snp-tdp-native.igvm')) }) };
const ELF = { 'igvm-inputs/kernel.elf': read(path.join(FS, 'igvm-inputs/kernel.elf')) };
const BZIMAGE = { bzImage: syntheticBzImage() };
const CCEL: Record<string, Uint8Array> = {
  ccel: encodeCcel([
    { mrIndex: 1, eventType: 0x80000001, sha384: new Uint8Array(48).fill(1), data: new TextEncoder().encode('event data') },
    { mrIndex: 2, eventType: 4, sha384: new Uint8Array(48).fill(2), data: new Uint8Array(4) },
  ]),
  ...(existsSync(path.join(SHARED, 'tdx/samples/dstack-ccel.bin')) ? { 'dstack-ccel': read(path.join(SHARED, 'tdx/samples/dstack-ccel.bin')) } : {}),
};
const TPM_LOG: Record<string, Uint8Array> = {
  tcg2: encodeTcgLog([{ algorithmId: TPM_ALG.sha256, digestSize: 32 }, { algorithmId: TPM_ALG.sha384, digestSize: 48 }], [
    { pcrIndex: 7, eventType: 0x80000001, data: new TextEncoder().encode('SecureBoot'), digests: [{ algorithmId: TPM_ALG.sha256, digest: new Uint8Array(32).fill(1) }, { algorithmId: TPM_ALG.sha384, digest: new Uint8Array(48).fill(1) }] },
    { pcrIndex: 0, eventType: 3, data: new Uint8Array(4), digests: [{ algorithmId: TPM_ALG.sha256, digest: new Uint8Array(32) }, { algorithmId: TPM_ALG.sha384, digest: new Uint8Array(48) }] },
  ]),
};
// the NV volume of the Debian OVMF.fd (0x20000 bytes: the varstore and its fault-tolerant-write area)
/** Debian sid's IntelTdx TDVF (secure boot off), identified once: the RTMR plan's inputs are fuzzed, not the LZMA walk */
let sidTdvf: { img: ReturnType<typeof parseOvmf>; fw: Edk2Firmware; cfv: Uint8Array } | null = null;
const SID_TDVF = (): NonNullable<typeof sidTdvf> => {
  if (!sidTdvf) {
    const b = sidWithoutPk();
    sidTdvf = { img: parseOvmf(bytesSource(b)), fw: identifyEdk2Firmware(b, { target: 'tdx' }), cfv: b.slice(0, 0x84000) };
  }
  return sidTdvf;
};
const VARS: Record<string, Uint8Array> = { 'debian/OVMF.fd vars': read(path.join(FS, 'debian/OVMF.fd')).slice(0, 0x20000) };
const REPORT = (() => {
  const r = new Uint8Array(0x4a0);
  const v = new DataView(r.buffer);
  v.setUint32(0, 3, true);
  v.setBigUint64(8, 0x30000n, true);
  v.setUint32(0x34, 1, true);
  r[0x188] = 0x19;
  return { report: r };
})();
// an extended SNP report (report + certificate table) and certificates: the synthetic set of test/verify
const SYNTH_SNP = path.join(ROOT, 'test/verify/synthetic');
const EXT_REPORT = { 'report-v3-milan-ext.bin': read(path.join(SYNTH_SNP, 'report-v3-milan-ext.bin')), 'report-v5-turin.bin': read(path.join(SYNTH_SNP, 'report-v5-turin.bin')) };
const CERTS = { 'vcek_milan.der': read(path.join(SYNTH_SNP, 'vcek_milan.der')), 'milan_ask.pem': read(path.join(SYNTH_SNP, 'milan_ask.pem')) };
const AMDSEV = read(path.join(FS, 'synthetic/amdsev.fd'));
const SIG = cpuSig(0x19, 1, 1);
const enc = new TextEncoder();
const dec = new TextDecoder();
const TDX_MANIFEST_YAML = `artifacts:
  - { name: td, firmware: OVMF.fd, kernel: bzImage, cmdlineHex: "6162", modes: [tdx], qemuKernelPatch: false }
  - { name: ig, kind: igvm, firmware: x.igvm }
matrix:
  modes: [tdx, snp]
  vcpus: 1
  vcpuTypes: [EPYC]
  tdx:
    pageOrders: [single, two]
    shapes: [{ name: 2g, memory: 2G, acpiDir: acpi }, { name: b, memory: 4294967296 }]
    tdAttributes: ["0x10000000"]
    xfam: "0x61ee7,0xe7"
    mrConfigId: ["${'00'.repeat(48)}"]
`;

const TPM_MANIFEST_YAML = `artifacts:
  - { name: vm, firmware: OVMF_CODE_4M.fd, vars: OVMF_VARS_4M.fd, kernel: vmlinuz, initrd: initrd.img, cmdline: "console=ttyS0", modes: [tpm] }
matrix:
  modes: [tpm]
  tpm:
    shapes: [{ name: q10, qemuVersion: "10.0.13", memory: 2G, smp: 2, fwCfg: fwcfg.tar }, { name: q7, qemuVersion: "7.2", memory: 1073741824 }]
`;

const MANIFEST_YAML = `version: 1
artifacts:
  - name: a
    firmware: OVMF.fd
    kernel: vmlinuz
    cmdline: console=ttyS0
matrix:
  modes: [snp, seves]
  vcpus: [1, "2-4"]
  vcpuTypes: [EPYC-v4, EPYC-Milan]
  guestFeatures: ["0x1"]
  policies: ["0x30000"]
idBlock:
  idKey: id.pem
  familyId: "00112233445566778899aabbccddeeff"
`;

/** One case: a result, or a PrelaunchError with a known code, within the time budget. */
function clean(target: string, desc: string, fn: () => unknown): void {
  if (CURRENT) writeFileSync(CURRENT, `${target}: ${desc}\n`);
  const t0 = performance.now();
  try {
    fn();
  } catch (e) {
    if (!(e instanceof PrelaunchError) || !CODES.includes(e.code)) {
      throw new Error(`${target} on ${desc}: ${e instanceof PrelaunchError ? `unknown code ${e.code}` : `not a PrelaunchError: ${(e as Error)?.stack ?? String(e)}`}`, { cause: e });
    }
  }
  const ms = performance.now() - t0;
  if (ms > CASE_MS) throw new Error(`${target} on ${desc}: took ${Math.round(ms)} ms (a hang: the budget is ${CASE_MS} ms)`);
}

/** Each step of a target on its own: one step's refusal must not hide the next step's crash. */
const each = (...fns: Array<() => unknown>): (() => void) => () => {
  for (const f of fns) {
    try {
      f();
    } catch (e) {
      if (!(e instanceof PrelaunchError)) throw e;
    }
  }
};

interface Target<T> {
  name: string;
  runs: number;
  input: fc.Arbitrary<T>;
  desc: (x: T) => string;
  run: (x: T) => void;
}
const bytesTarget = (name: string, runs: number, input: fc.Arbitrary<FuzzInput>, run: (b: Uint8Array) => void): Target<FuzzInput> => ({ name, runs, input, desc: (x) => x.desc, run: (x) => run(x.bytes) });
const textOf = (samples: Record<string, string>): fc.Arbitrary<FuzzInput> => mutated(Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, enc.encode(v)])));

const TARGETS: Array<Target<any>> = [
  bytesTarget('parseOvmf, inspectOvmf', 60, hostile(OVMF), (b) => each(() => parseOvmf(bytesSource(b)), () => inspectOvmf(bytesSource(b), '00'))()),
  bytesTarget('measureSnp', 40, hostile(OVMF), (b) => measureSnp({ ovmf: b, vcpus: 2, vcpuSig: SIG })),
  bytesTarget('measureSevEs', 30, hostile(OVMF), (b) => measureSevEs({ ovmf: b, vcpus: 2, vcpuSig: SIG })),
  bytesTarget('measureSev', 20, hostile(OVMF), (b) => measureSev({ ovmf: b })),
  bytesTarget('measureSnp direct boot (mutated kernel)', 20, hostile(BZIMAGE), (b) => measureSnp({ ovmf: AMDSEV, vcpus: 1, vcpuSig: SIG, directBoot: { kernel: b, initrd: null, append: 'console=ttyS0' } })),
  bytesTarget('computeMrtd, mrtdOfImage (TDVF)', 40, hostile(TDVF), (b) => each(() => computeMrtd(b), () => mrtdOfImage(parseOvmf(bytesSource(b)), { orders: ['single', 'two'] }))()),
  bytesTarget('predictRtmrs (TDVF)', 20, hostile(TDVF), (b) => predictRtmrs(parseOvmf(bytesSource(b)), { memory: 2 << 30, directBoot: { kernel: BZIMAGE.bzImage, append: 'x' } })),
  bytesTarget('predictRtmrs (mutated kernel)', 20, hostile(BZIMAGE), (b) => predictRtmrs(parseOvmf(bytesSource(TDVF['tdx/synthetic-plain.bin']!)), { memory: 2 << 30, directBoot: { kernel: b, append: 'x' } })),
  bytesTarget('predictRtmrs (edk2 2026.08 TDVF, mutated kernel)', 20, hostile(BZIMAGE), (b) => predictRtmrs(SID_TDVF().img, { memory: 2 << 30, qemuVersion: '10.1.0', directBoot: { kernel: b, initrd: b.subarray(0, 64), append: 'x' } })),
  bytesTarget('planEdk2Boot target tdx (mutated CFV varstore; fw_cfg items from a mutated tar)', 20, hostile({ cfv: new Uint8Array(0x84000) }, 4096), (b) => {
    const sid = SID_TDVF();
    const cfv = sid.cfv.slice();
    cfv.set(b.subarray(0, Math.min(b.length, 0x4000)), 0x48);
    const run = (varstoreBytes: Uint8Array, fwCfg: Map<string, Uint8Array> | null): void => {
      const plan = planEdk2Boot({
        target: 'tdx', firmware: sid.fw, varstore: parseVariableStore(varstoreBytes), qemuVersion: '10.1.0', memory: 2 << 30,
        boot: { kernel: bytesSource(BZIMAGE.bzImage), initrd: null, append: 'x' }, fwCfg,
        tdvf: { tdHob: { measured: new Uint8Array(64), gpa: 0x809000, description: 'TD HOB' }, cfv: { data: bytesSource(cfv), memoryAddress: 0xffc00000, rawDataSize: cfv.length, description: 'CFV' } },
      });
      measureEdk2Events(plan.events, nodeBackend);
    };
    each(() => run(cfv, null), () => run(sid.cfv, new Map([['bootorder', b], ['etc/reserved-memory-end', b.subarray(0, 8)], ['etc/table-loader', b.subarray(0, 4096)]])))();
  }),
  bytesTarget('parseIgvm, validateIgvm, measureIgvm (every platform), inspectIgvm, reserializeIgvm', 60, hostile(IGVM, 4096, fixIgvm), (b) => {
    let parsed: ReturnType<typeof parseIgvm>;
    try {
      parsed = parseIgvm(b);
    } catch (e) {
      if (e instanceof PrelaunchError) return;
      throw e;
    }
    each(
      () => validateIgvm(parsed.file),
      ...IGVM_MEASURE_PLATFORMS.map((platform) => () => measureIgvm(parsed, { platform })),
      () => measureIgvm(parsed, { platform: 'sev-snp', nativeZero: true, checkKvm: true }),
      () => inspectIgvm(parsed),
      () => reserializeIgvm(parsed),
    )();
  }),
  bytesTarget('parseIgvm (allowUnknown)', 20, hostile(IGVM, 4096, fixIgvm), (b) => measureIgvm(parseIgvm(b, { allowUnknown: true }), { platform: 'tdx' })),
  bytesTarget('parseCcel, replayCcel', 40, hostile(CCEL), (b) => each(() => parseCcel(b), () => replayCcel(b, { hashBackend: nodeBackend }))()),
  bytesTarget('parseTcgLog, replayTpmLog', 40, hostile(TPM_LOG), (b) => each(() => parseTcgLog(b), () => replayTpmLog(b, { hashBackend: nodeBackend }))()),
  bytesTarget('parseVariableStore, walkFirmware, signature lists, table loader, tar', 20, hostile(VARS, 4096), (b) =>
    each(() => parseVariableStore(b), () => walkFirmware(b), () => parseSignatureLists(b.subarray(0, 4096), 'db'), () => loaderAllocations(b.subarray(0, 4096)), () => readTar(b))()),
  bytesTarget('reportFromBinary', 20, hostile(REPORT, 2048), (b) => reportFromBinary(b)),
  bytesTarget('parseKernelElf', 40, hostile(ELF), (b) => parseKernelElf(b)),
  bytesTarget('buildIgvm (mutated kernel ELF)', 10, mutated(ELF), (b) => buildIgvm({ hypervisor: 'qemu', kernel: b, snp: true, policy: 0x30000n })),
  bytesTarget('qemuPatchSetupHeader', 30, hostile(BZIMAGE), (b) => qemuPatchSetupHeader(b.subarray(0, 0x8000), b.length, 'console=ttyS0', 4096, 0x80000000)),
  bytesTarget('authenticodeRanges, authenticodeDigest', 40, hostile(BZIMAGE), (b) => each(() => authenticodeRanges(bytesSource(b)), () => authenticodeDigest(bytesSource(b), nodeBackend))()),
  bytesTarget('decodeIdBlock, decodeIdAuth, SNP key and signature decoders', 40, fc.oneof(hostile({ idBlock: new Uint8Array(96), idAuth: new Uint8Array(4096), key: new Uint8Array(0x403 + 1) })), (b) =>
    each(() => decodeIdBlock(b), () => decodeIdAuth(b), () => decodeSnpPublicKey(b), () => decodeSnpSignature(b), () => decodeIgvmSnpSignature(b), () => decodeIgvmSnpPublicKey(b), () => parseDetachedSignature(b))()),
  // a VMSA page is 4096 bytes by the API's contract (a RangeError otherwise): any 4096 bytes decode
  bytesTarget('decodeVmsa', 10, mutated({ vmsa: new Uint8Array(4096) }), (b) => decodeVmsa(b.length === 4096 ? b : new Uint8Array(4096))),
  bytesTarget('parseAttestationReport, parseCertTable, detectEvidence', 40, hostile(EXT_REPORT, 8192), (b) =>
    each(() => detectEvidence(b), () => parseAttestationReport(b, 'fuzz'), () => parseCertTable(b.subarray(Math.min(b.length, 0x4a0)), 'fuzz', 0x4a0))()),
  bytesTarget('parseCertificates, classifyAmdCertificate (PEM and DER)', 40, hostile(CERTS, 8192), (b) => {
    for (const c of parseCertificates(b, 'fuzz')) each(() => classifyAmdCertificate(c), () => c.extension('1.3.6.1.4.1.3704.1.4'))();
  }),
  bytesTarget('sniffFileKind', 30, hostile({ ...REPORT, ...CCEL }), (b) => sniffFileKind(bytesSource(b))),
  {
    name: 'decodePolicy, policyFromSpec', runs: 60,
    input: fc.tuple(fc.bigInt({ min: -1n, max: (1n << 66n) }), fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('0x', '0x30000', 'smt,debug', 'abi=1.55', '0xffffffffffffffffff', 'migrate-ma,,'))),
    desc: (x: [bigint, string]) => JSON.stringify([String(x[0]), x[1]]),
    run: ([n, s]: [bigint, string]) => each(() => decodePolicy(n), () => policyFromSpec(s))(),
  },
  {
    name: 'reportFromJson', runs: 60,
    input: fc.oneof(fc.jsonValue({ maxDepth: 3 }), textOf({ r: JSON.stringify({ report: { measurement: 'ab'.repeat(48), policy: '0x30000', cpuid_fam_id: 25, cpuid_mod_id: 1, cpuid_step: 1 } }) }).map((x) => { try { return JSON.parse(dec.decode(x.bytes)); } catch { return null; } })),
    desc: (x: unknown) => JSON.stringify(x)?.slice(0, 200) ?? 'undefined',
    run: (x: unknown) => reportFromJson(x),
  },
  bytesTarget('parseManifestText (mutated YAML and JSON)', 60, textOf({ yaml: MANIFEST_YAML, json: JSON.stringify({ artifacts: [{ name: 'a', firmware: 'f' }], matrix: { vcpus: '1-8', vcpuTypes: 'all' } }) }), (b) => parseManifestText(dec.decode(b), 'm.yaml')),
  bytesTarget('parseManifestText (mutated TDX and IGVM YAML)', 40, textOf({ yaml: TDX_MANIFEST_YAML }), (b) => parseManifestText(dec.decode(b), 'm.yaml')),
  bytesTarget('parseManifestText (mutated vTPM YAML: vars, matrix.tpm.shapes)', 40, textOf({ yaml: TPM_MANIFEST_YAML }), (b) => parseManifestText(dec.decode(b), 'm.yaml')),
  bytesTarget('parseGoldenDocument (tpm entries), Trustee and Keylime exports', 40, textOf({ doc: JSON.stringify(SAMPLE_TPM_DOC) }), (b) => {
    const doc = parseGoldenDocument(dec.decode(b), 'doc.json');
    each(() => trusteeSample(doc.entries), () => keylimeRefstate(doc), () => checkReport(doc, reportFromJson({ measurement: 'ab'.repeat(48) })))();
  }),
  bytesTarget('parseGoldenDocument (tdx and igvm entries), TDX exports', 40, textOf({ doc: JSON.stringify(SAMPLE_TDX_DOC) }), (b) => {
    const doc = parseGoldenDocument(dec.decode(b), 'doc.json');
    each(() => trusteeSample(doc.entries), () => goTdxGuestConfig(doc.entries), () => tdxCorim(doc, 'id'), () => snpCorim(doc, 'id'))();
  }),
  {
    name: 'parseQemuMemorySize', runs: 60,
    input: fc.oneof(fc.string({ maxLength: 24 }), fc.constantFrom('2G', '2048', '1.5G', '4096B', '4097B', '9007199254740993', '0', '1e3', ' 2 G ', '2GiB', '2gb', '99999999T')),
    desc: (x: string) => JSON.stringify(x),
    run: (x: string) => {
      try {
        const n = parseQemuMemorySize(x, 'memory');
        if (!Number.isSafeInteger(n) || n <= 0 || n % 4096 !== 0) throw new Error(`parseQemuMemorySize(${JSON.stringify(x)}) = ${n}`);
      } catch (e) {
        if (!(e instanceof PrelaunchError)) throw e;
      }
    },
  },
  { name: 'validateManifest (random JSON)', runs: 40, input: fc.jsonValue({ maxDepth: 4 }), desc: (x: unknown) => JSON.stringify(x)?.slice(0, 200) ?? '', run: (x: unknown) => validateManifest(x) },
  bytesTarget('parseGoldenDocument, checkReport', 40, textOf({ doc: JSON.stringify(SAMPLE_DOC) }), (b) => {
    const doc = parseGoldenDocument(dec.decode(b), 'doc.json');
    checkReport(doc, reportFromJson({ measurement: 'ab'.repeat(48), policy: '0x30000', cpuid_fam_id: 25, cpuid_mod_id: 1, cpuid_step: 1, id_key_digest: 'e'.repeat(96) }));
  }),
  {
    name: 'schema validators (random JSON against every schema)', runs: 40,
    input: fc.jsonValue({ maxDepth: 4 }), desc: (x: unknown) => JSON.stringify(x)?.slice(0, 200) ?? '',
    run: (x: unknown) => { for (const s of Object.values(SCHEMAS)) schemaProblem(s, x); },
  },
  { name: 'diffTraces', runs: 20, input: fc.tuple(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 })), desc: (x: unknown) => JSON.stringify(x), run: ([a, b]: [string, string]) => diffTraces(a, b) },
];

describe('fuzz: every parser and entry point gives a result or a PrelaunchError with a code', () => {
  it.each(TARGETS.map((t) => [t.name, t] as const))('%s', async (_, t) => {
    // async, yielding to the event loop after each case: a long run keeps vitest's worker RPC alive
    await fc.assert(fc.asyncProperty(t.input, async (x) => {
      clean(t.name, t.desc(x), () => t.run(x));
      await new Promise((r) => setImmediate(r));
    }), fuzzParams({ numRuns: t.runs }));
  });
});
