/**
 * Every public entry point that takes bytes (every entry of package.json "exports") gives the same result for a plain
 * `Uint8Array`, a Node `Buffer` (a Uint8Array subclass whose `slice()` is a view, usually at
 * a non-zero offset of Node's shared pool) and subarrays at odd offsets of larger buffers with
 * garbage around them, and never writes to its input (issue 12, item 1: `measureSnp` on a
 * Buffer gave a wrong digest and byte-swapped the footer GUIDs in the caller's buffer).
 *
 * Every runtime export of every entry is classified below: either a case here (the export
 * takes bytes, directly, in an options object, or in a model an entry point built from bytes)
 * or a reason it takes none. A new export that is in neither list fails the last test.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../support/all-exports.js';
import { ENTRY_MODULES } from '../support/entries.js';
import { loadPrivateKey } from '../../src/cli/keys.js';
import { cpusOf } from '../../src/golden/matrix.js';
import { ATTESTATION_REPORT_SIZE } from '../../src/formats/snp/attestation-report.js';
import type { IgvmFile, SnpIdBlock } from '../../src/formats/igvm/model.js';
import { syntheticBzImage } from '../tdx/synthetic-kernel.js';
import { PROJECT } from '../support/cli.js';

const {
  nodeBackend, bytesSource, asSource, parseOvmf, parseIgvm, measureSnp, vcpuTypeSig, encodeVmsa, resetVmsa,
  predictRtmrs, encodeCcel, parseCcel, buildIdBlock, signIdAuth, p384PublicKey, signP384, signatureToDer, snpPublicKeyBytes, measureIgvm,
} = api;

type Bytes = Record<string, Uint8Array>;
interface Case {
  /** the canonical input bytes, by name (each is varied on its own and all together) */
  inputs: () => Bytes;
  run: (b: Bytes) => unknown;
  /** vary all inputs at once only (for cases that take ~0.5 s a run) */
  slow: boolean;
}
/** A case whose run() sees exactly the inputs it declared. */
const c = <K extends string>(inputs: () => Record<K, Uint8Array>, run: (b: Record<K, Uint8Array>) => unknown, opts: { slow?: boolean } = {}): Case => ({ inputs, run: run as Case['run'], slow: opts.slow === true });

// ---- inputs (loaded once, lazily) ---------------------------------------------------------

const once = <T>(f: () => T): (() => T) => {
  let v: { value: T } | null = null;
  return () => (v ??= { value: f() }).value;
};
const file = (rel: string) => once(() => new Uint8Array(fs.readFileSync(path.join(PROJECT, rel))));
const shake = (seed: string, n: number): Uint8Array => new Uint8Array(createHash('shake256', { outputLength: n }).update(seed).digest());

const OVMF = file('firmware-samples/debian/OVMF.fd');
const CODE_4M = file('firmware-samples/debian/OVMF_CODE_4M.fd');
/** a TDVF with TdTcg2Dxe (RTMR prediction refuses OVMF.fd, which has none), read as edk2 2025.02 */
const SID_TDVF = file('firmware-samples/debian-sid/OVMF.inteltdx.ms.fd');
const AMDSEV = file('firmware-samples/synthetic/amdsev.fd');
const SVSM = file('firmware-samples/synthetic/svsm.bin');
const TDVF = file('firmware-samples/tdx/synthetic-plain.bin');
const IGVM = file('firmware-samples/igvm/builder/qemu-snp-bldr.igvm');
const IGVM_SIGNED = file('firmware-samples/igvm/builder/qemu-snp-bldr.signed.igvm');
const IGVM_TDP = file('firmware-samples/igvm/builder/qemu-snp-tdp-native.igvm');
const IGVM_VSM = file('firmware-samples/igvm/builder/hv-snp-tdp-vsm.igvm');
const ELF = file('firmware-samples/igvm-inputs/kernel.elf');
const BLDR = file('firmware-samples/igvm-inputs/bldr.bin');
const STAGE1 = file('firmware-samples/igvm-inputs/stage1.bin');
const KERNEL = once(() => syntheticBzImage());
const INITRD = once(() => shake('initrd', 4097));
const ID_KEY = once(() => loadPrivateKey(path.join(PROJECT, 'test/vectors/keys/id_key_a.pem'), '--id-key').d);
const AUTHOR_KEY = once(() => loadPrivateKey(path.join(PROJECT, 'test/vectors/keys/author_key_a.pem'), '--author-key').d);
const LD = once(() => shake('launch digest', 48));
const FAMILY = once(() => shake('family', 16));
const IMAGE = once(() => shake('image', 16));
const ID_BLOCK = once(() => buildIdBlock({ measurement: LD(), familyId: FAMILY(), imageId: IMAGE(), guestSvn: 1 }));
const ID_AUTH = once(() => signIdAuth({ idBlock: ID_BLOCK(), idKey: ID_KEY(), authorKey: AUTHOR_KEY() }));
const ACPI = once(() => ({ tableLoader: shake('acpi/loader', 4096), rsdp: shake('acpi/rsdp', 20), tables: shake('acpi/tables', 0x2000) }));
const GiB = 1024 ** 3;
/** the prediction, with a stand-in digest for the one event it does not predict (SMBIOS): a complete event list for the log functions */
const PREDICTED = once(() => {
  const p = predictRtmrs(parseOvmf(bytesSource(SID_TDVF())), { edk2Version: '2025.02', qemuVersion: '10.1.0', memory: 2 * GiB, acpi: ACPI(), directBoot: { kernel: KERNEL(), initrd: INITRD(), append: 'quiet' } });
  return { ...p, events: p.events.map((e) => ({ ...e, digest: e.digest ?? new Uint8Array(48).fill(0x5a) })) };
});
const CCEL = once(() => encodeCcel(PREDICTED().events.map((e) => ({ mrIndex: e.rtmr + 1, eventType: e.eventType, sha384: e.digest!, data: e.data }))));
const REPORT = once(() => {
  const raw = new Uint8Array(ATTESTATION_REPORT_SIZE);
  const v = new DataView(raw.buffer);
  v.setUint32(0, 3, true);
  v.setBigUint64(8, 0x30000n, true);
  raw.set(LD(), 0x90);
  raw[0x188] = 25; raw[0x189] = 1; raw[0x18a] = 1;
  return raw;
});
const CORIM_IGVM = once(() => api.embedIgvmCorim(parseIgvm(IGVM_TDP())).bytes);
const CORIM_SIGNED = once(() => api.embedIgvmCorim(parseIgvm(IGVM_TDP()), { signKey: ID_KEY(), signer: 'byte-inputs' }).bytes);
/** the document and signature of CORIM_SIGNED's SNP platform */
const corimPair = (f: Uint8Array): { doc: Uint8Array; sig: Uint8Array } => {
  const p = parseIgvm(f);
  const x = api.igvmCorimFor(p.file, 'sev-snp');
  const read = (d: api.IgvmData): Uint8Array => (d.kind === 'file' ? d.source.read(d.offset, d.length).slice() : d.bytes);
  return { doc: read(x.document!.data), sig: read(x.signature!.data) };
};
/** the synthetic SEV-SNP evidence of test/verify (an extended report: report + certificate table; certificates) */
const SNP_FILE = (f: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(PROJECT, 'test/verify/synthetic', f)));
const SNP_EXT = once(() => SNP_FILE('report-v3-milan-ext.bin'));
const igvmIdBlock = (f: IgvmFile): SnpIdBlock => f.directives.records.filter((d): d is SnpIdBlock => d.kind === 'snp-id-block').pop()!;
const snp = { vcpus: 4, vcpuSig: vcpuTypeSig('EPYC-v4') };

// ---- the cases ------------------------------------------------------------------------------

const CASES: Record<string, Case> = {
  bytesSource: c(
    () => ({ b: OVMF().subarray(0, 4099) }),
    // a caller copying a read with slice() must get a copy, not a view into the input
    ({ b }) => { const s = bytesSource(b); s.read(1, 16).slice().fill(0xee); return s.read(0, s.size); },
  ),
  asSource: c(
    () => ({ b: OVMF().subarray(0, 4099) }),
    ({ b }) => { const s = asSource(b); s.read(1, 16).slice().fill(0xee); return s.read(0, s.size); },
  ),
  toHex: c(
    () => ({ b: FAMILY() }),
    ({ b }) => api.toHex(b),
  ),
  toBase64: c(
    () => ({ b: FAMILY() }),
    ({ b }) => api.toBase64(b),
  ),
  guidFromBytes: c(
    () => ({ b: OVMF().subarray(OVMF().length - 0x30, OVMF().length - 0x10) }),
    ({ b }) => [api.guidFromBytes(b), api.guidFromBytes(b, 3), api.guidFromBytes(b)],
  ),
  parseOvmf: c(
    () => ({ fw: OVMF() }),
    ({ fw }) => [parseOvmf(bytesSource(fw)), parseOvmf(fw)],
  ),
  directBootSupport: c(
    () => ({ fw: AMDSEV() }),
    ({ fw }) => api.directBootSupport(parseOvmf(bytesSource(fw))),
  ),
  launchProblems: c(
    () => ({ fw: CODE_4M() }),
    ({ fw }) => api.launchProblems(parseOvmf(bytesSource(fw)), 'snp'),
  ),
  requireLaunchable: c(
    () => ({ fw: OVMF() }),
    ({ fw }) => api.requireLaunchable(parseOvmf(bytesSource(fw)), 'snp'),
  ),
  snpSectionProblems: c(
    () => ({ fw: AMDSEV() }),
    ({ fw }) => api.snpSectionProblems(parseOvmf(bytesSource(fw))),
  ),
  snpSectionWarnings: c(
    () => ({ fw: AMDSEV() }),
    ({ fw }) => api.snpSectionWarnings(parseOvmf(bytesSource(fw))),
  ),
  inspectOvmf: c(
    () => ({ fw: OVMF() }),
    ({ fw }) => [api.inspectOvmf(bytesSource(fw), '00'), api.inspectOvmf(fw, '00')],
  ),
  renderOvmfInspection: c(
    () => ({ fw: OVMF() }),
    ({ fw }) => api.renderOvmfInspection(api.inspectOvmf(bytesSource(fw), '00')),
  ),
  decodeVmsa: c(
    () => ({ page: encodeVmsa(resetVmsa('QEMU', 0xfffffff0, vcpuTypeSig('EPYC-v4'), 1n)) }),
    ({ page }) => api.decodeVmsa(page),
  ),
  SnpLaunchDigest: c(
    () => ({ initial: LD(), contents: FAMILY().subarray(0, 16), page: OVMF().subarray(0, 4096) }),
    ({ initial, page }) => {
      const d = new api.SnpLaunchDigest(nodeBackend, initial);
      d.update(0x1000, api.SnpPageType.NORMAL, LD());
      d.updatePage(0x2000, api.SnpPageType.NORMAL, page);
      return d.digest();
    },
  ),
  encodeKernelHashesTable: c(
    () => ({ cmdline: shake('c', 32), initrd: shake('i', 32), kernel: shake('k', 32) }),
    (h) => api.encodeKernelHashesTable({ cmdline: h.cmdline, initrd: h.initrd, kernel: h.kernel }),
  ),
  computeKernelHashes: c(
    () => ({ kernel: KERNEL(), initrd: INITRD() }),
    ({ kernel, initrd }) => api.computeKernelHashes(asSource(kernel), asSource(initrd), 'console=ttyS0', nodeBackend),
  ),
  measure: c(
    () => ({ ovmf: AMDSEV(), kernel: KERNEL(), initrd: INITRD() }),
    ({ ovmf, kernel, initrd }) => api.measure({ mode: 'snp', ovmf: ovmf, ...snp, directBoot: { kernel: kernel, initrd: initrd, append: 'quiet' } }),
  ),
  measureSnp: c(
    // the README example; called twice on the same bytes
    () => ({ ovmf: OVMF() }),
    ({ ovmf }) => [measureSnp({ ovmf: ovmf, ...snp }), measureSnp({ ovmf: ovmf, ...snp })],
  ),
  measureSev: c(
    () => ({ ovmf: AMDSEV(), kernel: KERNEL() }),
    ({ ovmf, kernel }) => api.measureSev({ ovmf: ovmf, directBoot: { kernel: kernel, initrd: null, append: null } }),
  ),
  measureSevEs: c(
    () => ({ ovmf: OVMF() }),
    ({ ovmf }) => api.measureSevEs({ ovmf: ovmf, ...snp }),
  ),
  snpOvmfHash: c(
    () => ({ ovmf: OVMF() }),
    ({ ovmf }) => api.snpOvmfHash(ovmf),
  ),
  planMeasurement: c(
    () => ({ ovmf: CODE_4M(), svsm: SVSM() }),
    ({ ovmf, svsm }) => {
      const { plan } = api.planMeasurement({ mode: 'snp:svsm', ovmf: ovmf, svsm: svsm, varsSize: 540672, vcpus: 1, vcpuSig: vcpuTypeSig('EPYC-v4') });
      return api.runSnpPlan(plan as api.SnpPlan, nodeBackend);
    },
  ),
  planSnp: c(
    () => ({ fw: AMDSEV(), kernel: shake('k', 32), initrd: shake('i', 32), cmdline: shake('c', 32), ovmfHash: api.snpOvmfHash(AMDSEV()) }),
    (b) => {
      const img = parseOvmf(bytesSource(b.fw));
      const o = { ...snp, vmm: 'QEMU' as const, guestFeatures: 1n, kernelHashes: { kernel: b.kernel, initrd: b.initrd, cmdline: b.cmdline } };
      return [api.runSnpPlan(api.planSnp(img, o), nodeBackend), api.runSnpPlan(api.planSnp(img, { ...o, ovmfHash: b.ovmfHash }), nodeBackend)];
    },
  ),
  runSnpPlan: c(
    () => ({ fw: OVMF() }),
    ({ fw }) => api.runSnpPlan(api.planSnpOvmfHash(parseOvmf(bytesSource(fw))), nodeBackend),
  ),
  planSnpOvmfHash: c(
    () => ({ fw: OVMF() }),
    ({ fw }) => api.runSnpPlan(api.planSnpOvmfHash(parseOvmf(bytesSource(fw))), nodeBackend),
  ),
  planSnpSvsm: c(
    () => ({ ovmf: CODE_4M(), svsm: SVSM() }),
    ({ ovmf, svsm }) => api.runSnpPlan(api.planSnpSvsm(parseOvmf(bytesSource(ovmf)), parseOvmf(bytesSource(svsm)), { vcpus: 1, vcpuSig: vcpuTypeSig('EPYC-v4'), varsSize: 540672 } as never), nodeBackend),
  ),
  planSev: c(
    () => ({ fw: OVMF() }),
    ({ fw }) => api.runSevPlan(api.planSev(parseOvmf(bytesSource(fw)), null), nodeBackend),
  ),
  runSevPlan: c(
    () => ({ fw: OVMF() }),
    ({ fw }) => api.runSevPlan(api.planSev(parseOvmf(bytesSource(fw)), null), nodeBackend),
  ),
  planSevEs: c(
    () => ({ fw: OVMF() }),
    ({ fw }) => api.runSevPlan(api.planSevEs(parseOvmf(bytesSource(fw)), { ...snp, vmm: 'QEMU' }), nodeBackend),
  ),
  referenceLine: c(
    () => ({ digest: LD() }),
    ({ digest }) => api.referenceLine({ mode: 'snp', algorithm: 'sha384', digest: digest } as api.Measurement, 'hex', true),
  ),
  measureReportJson: c(
    () => ({ ovmf: OVMF() }),
    ({ ovmf }) => api.measureReportJson(measureSnp({ ovmf: ovmf, ...snp }), {
        tool: 't', hashBackend: 'node', vmmType: 'QEMU', vcpus: 4, vcpuType: 'EPYC-v4', vcpuSig: snp.vcpuSig, guestFeatures: 1n, firmware: { path: 'OVMF.fd', size: ovmf.length, sha256: '00' },
      } as never),
  ),
  encodeIdBlock: c(
    () => ({ ld: LD(), familyId: FAMILY(), imageId: IMAGE() }),
    ({ ld, familyId, imageId }) => api.encodeIdBlock({ ld: ld, familyId: familyId, imageId: imageId, version: 1, guestSvn: 2, policy: 0x30000n }),
  ),
  decodeIdBlock: c(
    () => ({ b: ID_BLOCK() }),
    ({ b }) => api.decodeIdBlock(b),
  ),
  encodeIdAuth: c(
    () => ({ idAuth: ID_AUTH().idAuth }),
    ({ idAuth }) => { const a = api.decodeIdAuth(idAuth); return api.encodeIdAuth(a); },
  ),
  decodeIdAuth: c(
    () => ({ b: ID_AUTH().idAuth }),
    ({ b }) => api.decodeIdAuth(b),
  ),
  decodeSnpPublicKey: c(
    () => ({ b: ID_AUTH().idAuth.subarray(0x40, 0x40 + api.SNP_PUBLIC_KEY_SIZE) }),
    ({ b }) => api.decodeSnpPublicKey(b),
  ),
  decodeSnpSignature: c(
    () => ({ b: ID_AUTH().idAuth.subarray(0, api.SNP_SIGNATURE_SIZE) }),
    ({ b }) => api.decodeSnpSignature(b),
  ),
  p384PublicKey: c(
    () => ({ d: ID_KEY() }),
    ({ d }) => p384PublicKey(d),
  ),
  p384PointFromSec1: c(
    () => {
      const p = p384PublicKey(ID_KEY());
      const hex = (n: bigint): string => n.toString(16).padStart(96, '0');
      return { sec1: new Uint8Array(Buffer.from(`04${hex(p.x)}${hex(p.y)}`, 'hex')) };
    },
    ({ sec1 }) => api.p384PointFromSec1(sec1),
  ),
  signP384: c(
    () => ({ d: ID_KEY(), m: ID_BLOCK() }),
    ({ d, m }) => signP384(d, m),
  ),
  verifyP384: c(
    () => ({ m: ID_BLOCK() }),
    ({ m }) => api.verifyP384(p384PublicKey(ID_KEY()), m, signP384(ID_KEY(), ID_BLOCK()), 'noble'),
  ),
  parseDetachedSignature: c(
    () => ({ der: signatureToDer(signP384(ID_KEY(), ID_BLOCK())) }),
    ({ der }) => api.parseDetachedSignature(der),
  ),
  buildIdBlock: c(
    () => ({ measurement: LD(), familyId: FAMILY(), imageId: IMAGE() }),
    ({ measurement, familyId, imageId }) => buildIdBlock({ measurement: measurement, familyId: familyId, imageId: imageId, guestSvn: 1 }),
  ),
  signIdAuth: c(
    () => ({ idBlock: ID_BLOCK(), idKey: ID_KEY(), authorKey: AUTHOR_KEY() }),
    ({ idBlock, idKey, authorKey }) => signIdAuth({ idBlock: idBlock, idKey: idKey, authorKey: authorKey }),
  ),
  createIdAuthSigner: c(
    () => ({ idBlock: ID_BLOCK(), idKey: ID_KEY(), authorKey: AUTHOR_KEY() }),
    ({ idBlock, idKey, authorKey }) => api.createIdAuthSigner({ idKey: idKey, authorKey: authorKey })(idBlock),
  ),
  assembleIdAuth: c(
    () => ({ idBlock: ID_BLOCK() }),
    ({ idBlock }) => api.assembleIdAuth({ idBlock: idBlock, idPublicKey: p384PublicKey(ID_KEY()), idBlockSignature: signP384(ID_KEY(), ID_BLOCK()) }),
  ),
  verifyIdAuth: c(
    () => ({ idBlock: ID_BLOCK(), idAuth: ID_AUTH().idAuth, measurement: LD(), idKeyDigest: ID_AUTH().idKeyDigest }),
    ({ idBlock, idAuth, measurement, idKeyDigest }) => api.verifyIdAuth({ idBlock: idBlock, idAuth: idAuth, measurement: measurement, idKeyDigest: idKeyDigest }),
  ),
  idAuthSigningInputs: c(
    () => ({ idBlock: ID_BLOCK() }),
    ({ idBlock }) => api.idAuthSigningInputs({ idBlock: idBlock, idPublicKey: p384PublicKey(ID_KEY()) }),
  ),
  keyDigest: c(
    () => ({ pub: snpPublicKeyBytes(p384PublicKey(ID_KEY())) }),
    ({ pub }) => api.keyDigest(pub),
  ),
  qemuSnippet: c(
    () => ({ idBlock: ID_BLOCK(), idAuth: ID_AUTH().idAuth, hostData: shake('host', 32) }),
    ({ idBlock, idAuth, hostData }) => api.qemuSnippet({ policy: 0x30000n, idBlock: idBlock, idAuth: idAuth, authorKeyEnabled: true, kernelHashes: false, hostData: hostData }),
  ),
  qemuSnpGuestObject: c(
    () => ({ idBlock: ID_BLOCK(), idAuth: ID_AUTH().idAuth, hostData: shake('host', 32) }),
    ({ idBlock, idAuth, hostData }) => api.qemuSnpGuestObject({ policy: 0x30000n, idBlock: idBlock, idAuth: idAuth, authorKeyEnabled: true, kernelHashes: false, hostData: hostData }),
  ),
  libvirtLaunchSecurity: c(
    () => ({ idBlock: ID_BLOCK(), idAuth: ID_AUTH().idAuth, hostData: shake('host', 32) }),
    ({ idBlock, idAuth, hostData }) => api.libvirtLaunchSecurity({ policy: 0x30000n, idBlock: idBlock, idAuth: idAuth, authorKeyEnabled: true, kernelHashes: false, hostData: hostData }),
  ),
  libvirtSnippet: c(
    () => ({ idBlock: ID_BLOCK(), idAuth: ID_AUTH().idAuth, hostData: shake('host', 32) }),
    ({ idBlock, idAuth, hostData }) => api.libvirtSnippet({ policy: 0x30000n, idBlock: idBlock, idAuth: idAuth, authorKeyEnabled: true, kernelHashes: true, hostData: hostData, vcpus: 4, cpuModel: 'EPYC-v4' }),
  ),
  launchSnippet: c(
    () => ({ idBlock: ID_BLOCK(), idAuth: ID_AUTH().idAuth, hostData: shake('host', 32) }),
    ({ idBlock, idAuth, hostData }) => api.launchSnippet({ policy: 0x30000n, idBlock: idBlock, idAuth: idAuth, authorKeyEnabled: false, kernelHashes: true, hostData: hostData }, 'qemu'),
  ),
  cmdlineBytes: c(
    () => ({ cmd: new Uint8Array([...'console=ttyS0 caf'].map((ch) => ch.charCodeAt(0)).concat([0xe9])) }),
    ({ cmd }) => api.cmdlineBytes(cmd),
  ),
  directBootLoadOptions: c(
    () => ({ cmd: new Uint8Array([...'root=/dev/vda caf'].map((ch) => ch.charCodeAt(0)).concat([0xe9])) }),
    ({ cmd }) => api.directBootLoadOptions(cmd, true),
  ),
  validateTdvfSections: c(
    () => ({ fw: TDVF() }),
    ({ fw }) => { const img = parseOvmf(bytesSource(fw)); return api.validateTdvfSections(img.tdxMetadata!, fw.length); },
  ),
  qemuTdvfProblems: c(
    () => ({ fw: TDVF() }),
    ({ fw }) => api.qemuTdvfProblems(api.requireTdxMetadata(parseOvmf(bytesSource(fw)))),
  ),
  tdvfMrtdWarnings: c(
    () => ({ fw: TDVF() }),
    ({ fw }) => api.tdvfMrtdWarnings(api.requireTdxMetadata(parseOvmf(bytesSource(fw)))),
  ),
  checkTdvfGuestRam: c(
    () => ({ fw: TDVF() }),
    ({ fw }) => api.checkTdvfGuestRam(api.requireTdxMetadata(parseOvmf(bytesSource(fw))), 2 * GiB),
  ),
  requireTdxMetadata: c(
    () => ({ fw: TDVF() }),
    ({ fw }) => api.requireTdxMetadata(parseOvmf(bytesSource(fw))),
  ),
  planTdxMrtd: c(
    () => ({ fw: TDVF() }),
    ({ fw }) => api.runTdxMrtdPlan(api.planTdxMrtd(parseOvmf(bytesSource(fw)), 'two'), nodeBackend),
  ),
  runTdxMrtdPlan: c(
    () => ({ fw: TDVF() }),
    ({ fw }) => api.runTdxMrtdPlan(api.planTdxMrtd(parseOvmf(bytesSource(fw)), 'single'), nodeBackend),
  ),
  tdxPlanStreamBytes: c(
    () => ({ fw: TDVF() }),
    ({ fw }) => api.tdxPlanStreamBytes(api.planTdxMrtd(parseOvmf(bytesSource(fw)), 'single')),
  ),
  computeMrtd: c(
    () => ({ fw: TDVF() }),
    ({ fw }) => [api.computeMrtd(fw), api.computeMrtd(fw)],
  ),
  mrtdOfImage: c(
    () => ({ fw: TDVF() }),
    ({ fw }) => api.mrtdOfImage(parseOvmf(bytesSource(fw))),
  ),
  buildTdHob: c(
    () => ({ fw: OVMF() }),
    ({ fw }) => api.buildTdHob(api.requireTdxMetadata(parseOvmf(bytesSource(fw))), 2 * GiB),
  ),
  tdRamEntries: c(
    () => ({ fw: OVMF() }),
    ({ fw }) => api.tdRamEntries(api.requireTdxMetadata(parseOvmf(bytesSource(fw))), 2 * GiB),
  ),
  parseTcgLog: c(
    () => ({ log: CCEL() }),
    ({ log }) => api.parseTcgLog(log),
  ),
  replayTpmLog: c(
    () => ({ log: CCEL() }),
    ({ log }) => api.replayTpmLog(log),
  ),
  diffTpmEvents: c(
    () => ({ log: CCEL() }),
    ({ log }) => api.diffTpmEvents([{ pcr: 1, type: 'EV_SEPARATOR', description: 'x', digests: { sha384: '00' } }], api.replayTpmLog(log), 'sha384'),
  ),
  encodeTcgLog: c(
    () => ({ d: PREDICTED().events[0]!.digest!, data: PREDICTED().events[0]!.data }),
    ({ d, data }) => api.encodeTcgLog([{ algorithmId: api.TPM_ALG.sha384, digestSize: 48 }], [{ pcrIndex: 1, eventType: 4, data, digests: [{ algorithmId: api.TPM_ALG.sha384, digest: d }] }]),
  ),
  identifyEdk2Firmware: c(
    () => ({ fw: OVMF() }),
    ({ fw }) => api.identifyEdk2Firmware(fw),
    { slow: true },
  ),
  edk2FactsKey: c(
    () => ({ fw: OVMF() }),
    ({ fw }) => api.edk2FactsKey(fw),
  ),
  predictTpmPcrs: c(
    () => ({ fw: OVMF(), kernel: KERNEL(), initrd: INITRD() }),
    ({ fw, kernel, initrd }) => api.predictTpmPcrs({ firmware: fw, kernel, initrd, append: 'quiet', qemuVersion: '7.2.22', memory: 2 * GiB }),
    { slow: true },
  ),
  parseCcel: c(
    () => ({ log: CCEL() }),
    ({ log }) => parseCcel(log),
  ),
  encodeCcel: c(
    () => ({ sha384: PREDICTED().events[0]!.digest!, data: PREDICTED().events[0]!.data }),
    ({ sha384, data }) => encodeCcel([{ mrIndex: 1, eventType: PREDICTED().events[0]!.eventType, sha384: sha384, data: data }]),
  ),
  eventSha384: c(
    () => ({ log: CCEL() }),
    ({ log }) => parseCcel(log).events.map((e) => api.eventSha384(e)),
  ),
  describeEventData: c(
    () => Object.fromEntries(PREDICTED().events.map((e, i) => [`event${i}`, e.data])),
    (b) => PREDICTED().events.map((e, i) => api.describeEventData(e.eventType, b[`event${i}`]!)),
  ),
  qemuPatchSetupHeader: c(
    () => ({ head: KERNEL().subarray(0, 0x1000) }),
    ({ head }) => [api.qemuPatchSetupHeader(head, KERNEL().length, 'console=ttyS0', 4097, 2 * GiB), api.qemuPatchSetupHeader(head, KERNEL().length, '', null, 2 * GiB)],
  ),
  authenticodeRanges: c(
    () => ({ pe: KERNEL() }),
    ({ pe }) => [api.authenticodeRanges(bytesSource(pe)), api.authenticodeRanges(pe)],
  ),
  authenticodeDigest: c(
    () => ({ pe: KERNEL() }),
    ({ pe }) => [api.authenticodeDigest(bytesSource(pe), nodeBackend), api.authenticodeDigest(pe)],
  ),
  predictRtmrs: c(
    () => ({ fw: SID_TDVF(), kernel: KERNEL(), initrd: INITRD(), ...ACPI() }),
    (b) => predictRtmrs(parseOvmf(bytesSource(b.fw)), {
        edk2Version: '2025.02', qemuVersion: '10.1.0', memory: 2 * GiB, acpi: { tableLoader: b.tableLoader, rsdp: b.rsdp, tables: b.tables }, directBoot: { kernel: b.kernel, initrd: b.initrd, append: 'quiet' },
      }),
    { slow: true },
  ),
  replayCcel: c(
    () => ({ log: CCEL() }),
    ({ log }) => api.replayCcel(log),
  ),
  diffRtmrs: c(
    () => ({ log: CCEL() }),
    ({ log }) => api.diffRtmrs(PREDICTED().events.map((e) => ({ rtmr: e.rtmr, digest: api.toHex(e.digest!), type: String(e.eventType), description: e.description })), api.replayCcel(log)),
  ),
  replayJson: c(
    () => ({ log: CCEL() }),
    ({ log }) => api.replayJson(api.replayCcel(log), 'ccel.bin'),
  ),
  renderReplay: c(
    () => ({ log: CCEL() }),
    ({ log }) => api.renderReplay(api.replayCcel(log), 'ccel.bin'),
  ),
  extendRtmr: c(
    () => ({ rtmr: LD(), digest: shake('d', 48) }),
    ({ rtmr, digest }) => api.extendRtmr(nodeBackend, rtmr, digest),
  ),
  rtmrsOf: c(
    () => Object.fromEntries(PREDICTED().events.map((e, i) => [`digest${i}`, e.digest!])),
    (b) => api.rtmrsOf(PREDICTED().events.map((e, i) => ({ ...e, digest: b[`digest${i}`]! }))),
  ),
  tdxReportJson: c(
    () => ({ mrtd: LD(), mrconfigid: shake('c', 48), mrowner: shake('o', 48) }),
    (b) => api.tdxReportJson({
        tool: 't', firmware: { path: 'f', size: 1, sha256: '00' }, orders: ['single'], orderSource: 'test', mrtd: { single: b.mrtd },
        policy: { mrconfigid: b.mrconfigid, mrowner: b.mrowner }, memory: null, rtmr: null, warnings: [],
      }),
  ),
  renderTdxReport: c(
    () => ({ mrtd: LD(), mrconfigid: shake('c', 48), mrowner: shake('o', 48) }),
    (b) => api.renderTdxReport({
        tool: 't', firmware: { path: 'f', size: 1, sha256: '00' }, orders: ['single'], orderSource: 'test', mrtd: { single: b.mrtd },
        policy: { mrconfigid: b.mrconfigid, mrowner: b.mrowner }, memory: null, rtmr: null, warnings: [],
      }),
  ),
  generateGolden: c(
    () => ({ fw: AMDSEV(), kernel: KERNEL(), tdvf: OVMF(), loader: new Uint8Array(64).fill(1), rsdp: new Uint8Array(20).fill(2), tables: new Uint8Array(96).fill(3), ig: IGVM_TDP() }),
    ({ fw, kernel, tdvf, loader, rsdp, tables, ig }) => [
      api.generateGolden({
        tool: 't',
        artifacts: [
          { name: 'a', kind: 'ovmf', firmware: bytesSource(fw), firmwarePath: 'a.fd', kernel: bytesSource(kernel), kernelPath: 'k', initrd: null, cmdline: 'quiet' },
          { name: 'b', kind: 'ovmf', firmware: fw, firmwarePath: 'b.fd', kernel: kernel, kernelPath: 'k', initrd: null, cmdline: 'quiet' },
        ],
        matrix: { modes: ['snp', 'sev'], vcpus: [1, 2], cpus: cpusOf(['EPYC-v4'], []), vmmTypes: ['QEMU'], vmsaProfiles: null, guestFeatures: [1n], policies: null },
      }),
      // tdx shapes with ACPI blobs, and an IGVM artifact
      api.generateGolden({
        tool: 't',
        artifacts: [
          { name: 'td', kind: 'ovmf', firmware: tdvf, firmwarePath: 'OVMF.fd', kernel, kernelPath: 'k', initrd: null, cmdline: 'quiet' },
          { name: 'i', kind: 'igvm', firmware: ig, firmwarePath: 'i.igvm' },
        ],
        matrix: { modes: ['tdx'], vcpus: [], cpus: [], vmmTypes: ['QEMU'], vmsaProfiles: null, guestFeatures: [1n], policies: null, tdx: { pageOrders: ['single'], shapes: [{ name: 's', memory: 2 ** 31, acpiDir: 'acpi', fwCfg: null }], tdAttributes: null, xfam: null, mrConfigId: null } },
        tdxAcpi: new Map([['s', { tableLoader: loader, rsdp, tables }]]),
      }),
    ],
  ),
  reportFromBinary: c(
    () => ({ b: REPORT() }),
    ({ b }) => api.reportFromBinary(b),
  ),
  checkReport: c(
    () => ({ b: REPORT(), fw: OVMF() }),
    ({ b, fw }) => api.checkReport(api.generateGolden({
          tool: 't', artifacts: [{ name: 'a', kind: 'ovmf', firmware: bytesSource(fw), firmwarePath: 'a.fd' }],
          matrix: { modes: ['snp'], vcpus: [1], cpus: cpusOf(['EPYC-v4'], []), vmmTypes: ['QEMU'], vmsaProfiles: null, guestFeatures: [1n], policies: null },
        }), api.reportFromBinary(b)),
  ),
  parseAttestationReport: c(
    () => ({ r: SNP_EXT() }),
    ({ r }) => api.parseAttestationReport(r, 'r'),
  ),
  parseCertTable: c(
    () => ({ t: SNP_EXT().slice(0x4a0) }),
    ({ t }) => api.parseCertTable(t, 't'),
  ),
  detectEvidence: c(
    () => ({ r: SNP_EXT() }),
    ({ r }) => api.detectEvidence(r),
  ),
  parseCertificates: c(
    () => ({ pem: SNP_FILE('milan_ask.pem'), der: SNP_FILE('vcek_milan.der') }),
    ({ pem, der }) => [...api.parseCertificates(pem, 'p'), ...api.parseCertificates(der, 'd')].map((x) => ({ der: x.der, subject: x.subject, key: x.publicKey, notAfter: x.notAfter.toISOString(), hwid: x.extension('1.3.6.1.4.1.3704.1.4') ?? null })),
  ),
  parseTdxCollateral: c(
    () => ({ j: SNP_FILE('tdx-collateral.json') }),
    ({ j }) => {
      const x = api.parseTdxCollateral(j, 'c');
      return { tcbInfo: x.tcbInfo, signed: x.tcbInfoBytes, sig: x.tcbInfoSignature, qe: x.qeIdentity, chain: x.tcbInfoChain.map((k) => k.der), crl: [...x.pckCrl.revoked], root: x.rootCaCrl.der };
    },
  ),
  parseCrl: c(
    () => ({ d: Buffer.from((JSON.parse(new TextDecoder().decode(SNP_FILE('tdx-collateral.json'))) as { pck_crl: string }).pck_crl, 'hex') }),
    ({ d }) => {
      const x = api.parseCrl(d, 'crl');
      return { issuer: x.issuer, thisUpdate: x.thisUpdate.toISOString(), revoked: [...x.revoked], der: x.der };
    },
  ),
  parseCertificate: c(
    () => ({ der: SNP_FILE('vcek_milan.der') }),
    ({ der }) => api.parseCertificate(der, 'd').der,
  ),
  parseIgvm: c(
    () => ({ f: IGVM() }),
    ({ f }) => [parseIgvm(f), parseIgvm(bytesSource(f))],
  ),
  serializeIgvm: c(
    () => ({ f: IGVM() }),
    ({ f }) => api.serializeIgvm(parseIgvm(f).file),
  ),
  reserializeIgvm: c(
    () => ({ f: IGVM_SIGNED() }),
    ({ f }) => api.reserializeIgvm(parseIgvm(f)),
  ),
  validateIgvm: c(
    () => ({ f: IGVM() }),
    ({ f }) => api.validateIgvm(parseIgvm(f).file),
  ),
  igvmHeaderLayout: c(
    () => ({ f: IGVM() }),
    ({ f }) => api.igvmHeaderLayout(parseIgvm(f).file),
  ),
  planIgvmMeasurement: c(
    () => ({ f: IGVM() }),
    ({ f }) => api.planIgvmMeasurement(parseIgvm(f).file),
  ),
  planIgvmTdx: c(
    () => ({ f: IGVM_TDP() }),
    ({ f }) => [api.runTdxMrtdPlan(api.planIgvmTdx(parseIgvm(f).file).plan, nodeBackend), measureIgvm(f, { platform: 'tdx' })],
  ),
  planIgvmVbs: c(
    () => ({ f: IGVM_VSM() }),
    ({ f }) => [api.planIgvmVbs(parseIgvm(f).file).plan.ops.length, measureIgvm(f, { platform: 'vbs' }).digest],
  ),
  measureIgvm: c(
    () => ({ f: IGVM_SIGNED() }),
    ({ f }) => [measureIgvm(f), measureIgvm(parseIgvm(f)), measureIgvm(bytesSource(f), { nativeZero: true })],
  ),
  signIgvm: c(
    () => ({ f: IGVM(), idKey: ID_KEY(), authorKey: AUTHOR_KEY(), familyId: FAMILY(), imageId: IMAGE() }),
    (b) => api.signIgvm(parseIgvm(b.f), { idKey: b.idKey, authorKey: b.authorKey, familyId: b.familyId, imageId: b.imageId }),
  ),
  checkIgvmIdBlock: c(
    () => ({ f: IGVM_SIGNED(), digest: measureIgvm(IGVM_SIGNED()).digest }),
    ({ f, digest }) => { const file = parseIgvm(f).file; return api.checkIgvmIdBlock(file, igvmIdBlock(file), digest, 1); },
  ),
  inspectIgvm: c(
    () => ({ f: IGVM_SIGNED() }),
    ({ f }) => api.inspectIgvm(parseIgvm(f)),
  ),
  renderIgvmInspection: c(
    () => ({ f: IGVM_SIGNED() }),
    ({ f }) => api.renderIgvmInspection(api.inspectIgvm(parseIgvm(f))),
  ),
  renderIgvmSvg: c(
    () => ({ f: IGVM() }),
    ({ f }) => api.renderIgvmSvg(api.inspectIgvm(parseIgvm(f))),
  ),
  buildIgvm: c(
    () => ({ kernel: ELF(), bldr: BLDR(), tdxStage1: STAGE1(), firmware: OVMF() }),
    (b) => [
      api.serializeIgvm(api.buildIgvm({ kernel: b.kernel, hypervisor: 'qemu', sort: true, policy: 0x30000n, snp: true, tdp: true, native: true, tdxStage1: b.tdxStage1, bldr: b.bldr }).file),
      api.serializeIgvm(api.buildIgvm({ kernel: b.kernel, hypervisor: 'qemu', sort: true, policy: 0x30000n, snp: true, native: true, bldr: b.bldr, firmware: bytesSource(b.firmware) }).file),
    ],
  ),
  parseKernelElf: c(
    () => ({ elf: ELF() }),
    ({ elf }) => api.parseKernelElf(elf),
  ),
  decodeIgvmSnpSignature: c(
    () => ({ b: igvmIdBlock(parseIgvm(IGVM_SIGNED()).file).idKeySignature }),
    ({ b }) => api.decodeIgvmSnpSignature(b),
  ),
  parseQemuCommandLine: c(
    () => ({ cmdline: file('test/stack/inputs/amdsev-launch-qemu.sh')() }),
    ({ cmdline }) => {
      const d = api.parseQemuCommandLine(cmdline, 'amdsev-launch-qemu.sh');
      return { ...d, policy: String(d.policy), append: d.append ? Array.from(d.append) : null };
    },
  ),
  embedIgvmCorim: c(
    () => ({ f: IGVM_TDP(), key: ID_KEY() }),
    ({ f, key }) => api.embedIgvmCorim(parseIgvm(f), { signKey: key, svn: 3n }),
  ),
  igvmCorimFor: c(
    () => ({ f: CORIM_SIGNED() }),
    ({ f }) => corimPair(f),
  ),
  prepareIgvmCorimSignature: c(
    () => ({ f: CORIM_IGVM() }),
    ({ f }) => api.prepareIgvmCorimSignature(parseIgvm(f), 'tdx', 'signer'),
  ),
  assembleIgvmCorimSignature: c(
    () => ({ f: CORIM_IGVM(), key: ID_KEY() }),
    ({ f, key }) => {
      const p = parseIgvm(f);
      const sig = api.signP384(key, api.prepareIgvmCorimSignature(p, 'tdx').toBeSigned);
      return api.assembleIgvmCorimSignature(p, 'tdx', { signature: sig, publicKey: api.p384PublicKey(key) });
    },
  ),
  verifyCorimSignature: c(
    () => ({ ...corimPair(CORIM_SIGNED()), key: ID_KEY() }),
    ({ doc, sig, key }) => api.verifyCorimSignature(api.decodeCoseSign1(sig), doc, api.p384PublicKey(key)),
  ),
  verifyIgvmCorim: c(
    () => ({ f: CORIM_SIGNED(), key: ID_KEY() }),
    ({ f, key }) => api.verifyIgvmCorim(parseIgvm(f), api.p384PublicKey(key)),
  ),
  decodeCoseSign1: c(
    () => ({ sig: corimPair(CORIM_SIGNED()).sig }),
    ({ sig }) => api.decodeCoseSign1(sig),
  ),
  encodeCoseSign1: c(
    () => ({ prot: api.corimProtectedHeader('x'), sig: shake('cose sig', 96) }),
    ({ prot, sig }) => api.encodeCoseSign1(prot, sig),
  ),
  coseSigStructure: c(
    () => ({ prot: api.corimProtectedHeader(), doc: corimPair(CORIM_SIGNED()).doc }),
    ({ prot, doc }) => api.coseSigStructure(prot, doc),
  ),
  buildLaunchMeasurementCorim: c(
    () => ({ ld: LD() }),
    ({ ld }) => [api.buildLaunchMeasurementCorim(api.IgvmPlatformType.SEV_SNP, ld, 1n), api.buildLaunchMeasurementCorim(api.IgvmPlatformType.TDX, ld, 2n ** 60n)],
  ),
  describeCorim: c(
    () => ({ doc: corimPair(CORIM_SIGNED()).doc }),
    ({ doc }) => api.describeCorim(doc),
  ),
  corimLaunchDigest: c(
    () => ({ doc: corimPair(CORIM_SIGNED()).doc }),
    ({ doc }) => api.corimLaunchDigest(api.describeCorim(doc)),
  ),
  diffIgvm: c(
    () => ({ a: IGVM(), b: IGVM_SIGNED() }),
    ({ a, b }) => api.diffIgvm(parseIgvm(a), parseIgvm(b)),
  ),
  renderIgvmDiff: c(
    () => ({ a: IGVM_TDP(), b: CORIM_IGVM() }),
    ({ a, b }) => api.renderIgvmDiff(api.diffIgvm(parseIgvm(a), parseIgvm(b)), { tool: 't', a: 'a', b: 'b' }, true),
  ),
  decodeIgvmSnpPublicKey: c(
    () => ({ b: igvmIdBlock(parseIgvm(IGVM_SIGNED()).file).idPublicKey }),
    ({ b }) => api.decodeIgvmSnpPublicKey(b),
  ),
};

/** Exports that take no bytes, with the reason. */
const NO_BYTES: Record<string, string> = {
  checkEdk2FirmwareFacts: 'a parsed JSON value (a cache entry)', memoryFactsCache: 'another cache, or none',
  corimProtectedHeader: 'a signer name (text)',
  verifyEvidence: 'asynchronous (WebCrypto): Buffer and odd-offset inputs in test/verify/snp-verify.test.ts', verifySnpReport: 'asynchronous (WebCrypto): as verifyEvidence',
  verifyTdxQuote: 'asynchronous (WebCrypto): Buffer and odd-offset inputs in test/verify/tdx.test.ts', CollateralError: 'error class',
  parsePckExtension: 'a parsed certificate', tdxGoldenEntries: 'a parsed JSON document', intelSgxRootCa: 'no input (the shipped root)',
  CertificateError: 'error class', UnknownReportVersionError: 'error class', classifyAmdCertificate: 'a parsed certificate', shippedCertificate: 'a product and role name',
  decodeTcb: 'a bigint', productOfCpuid: 'numbers', verdict: 'checks', renderVerification: 'a verification result', verificationJson: 'a verification result', snpReportJson: 'a parsed report',
  PrelaunchError: 'error class', ParseError: 'error class', FirmwareError: 'error class', OptionError: 'error class', IgvmFormatError: 'error class', IgvmBuildError: 'error class',
  directiveTable: 'builds an IGVM directive table from model headers', directiveList: 'reads a directive table', directiveLocations: 'reads a directive table', directiveCount: 'reads a directive table', directiveSegments: 'reads a directive table',
  fromHex: 'text in', fromBase64: 'text in', guidToBytes: 'text in', loadHashBackend: 'a backend name', hashBackend: 'a backend name',
  parseGoldenDocument: 'JSON text', validateGoldenDocument: 'a parsed golden document', selectEntries: 'golden entries (strings)', trusteeMessage: 'golden entries (strings)',
  trusteeSample: 'golden entries (strings)', goSevGuestConfig: 'golden entries (strings)', snpguestFlags: 'golden entries (strings)', inTotoStatement: 'a golden document (strings)',
  snpCorim: 'a golden document (strings)', defaultCorimId: 'a golden document (strings)', launchSnippets: 'golden entries (strings)', entryLaunchConfig: 'a golden entry (strings)',
  firmwareLoadProblem: 'a size and a mode', encodeVmsa: 'register values (numbers and bigints)', resetVmsa: 'numbers', svsmVmsa: 'numbers', cpuSig: 'numbers', vcpuTypeSig: 'a model name',
  diffTraces: 'trace text', encodeSnpPublicKey: 'bigint coordinates', encodeSnpSignature: 'bigint r, s', encodeIgvmSnpSignature: 'bigint r, s', encodeIgvmSnpPublicKey: 'bigint coordinates',
  encodePolicy: 'policy fields', decodePolicy: 'a bigint', policyProblems: 'a bigint', validatePolicy: 'a bigint', policyFromSpec: 'text', renderPolicy: 'a bigint', formatPolicy: 'a bigint',
  signatureToDer: 'bigint r, s', snpPublicKeyBytes: 'a bigint point', pageOrderForQemuVersion: 'a version string', q35MemorySplit: 'a number',
  eventTypeName: 'a number', mapPcrToMrIndex: 'a number', identifyTdvf: 'a parsed OvmfImage (its bytes are covered by the predictRtmrs cases)', renderRtmrDiff: 'diffRtmrs\'s result (text and hex strings)',
  trusteeTdxSample: 'golden entries (strings)', trusteeTpmSample: 'golden entries (strings)', trusteeTpmName: 'a number', trusteeTpmClaim: 'a number', keylimeRefstate: 'a golden document (strings)', pythonReEscape: 'text', goTdxGuestConfig: 'golden entries (strings)', tdxCorim: 'a golden document (strings)',
  artifactModes: 'a matrix and an artifact kind', countArtifactEntries: 'a matrix and an artifact kind',
  serializeGolden: 'a golden document (strings)', countEntries: 'a matrix', compareEntries: 'golden entries (strings)', parseManifestText: 'manifest text',
  validateManifest: 'a parsed manifest', parseVcpuList: 'text or numbers', reportFromJson: 'a JSON object (hex/base64 strings)', vmsaProfileFor: 'names',
  resolveStack: 'versions and a parsed stack file', stackJson: 'a stack', deriveSev: 'a stack', deriveTdx: 'a stack', ruleJson: 'a rule hit', resolveLaunch: 'a launch description and a stack',
  parseLibvirtDomain: 'XML text', parseFirmwareDescriptor: 'JSON text', selectFirmware: 'parsed descriptors', probeHost: 'reader functions (text)',
};

// ---- the harness ----------------------------------------------------------------------------

interface Variant {
  view: Uint8Array;
  /** the memory the test owns around the view (checked unchanged, garbage included) */
  owned: Uint8Array;
}
const GARBAGE_BEFORE = 7;
const VARIANTS: Record<string, (b: Uint8Array) => Variant> = {
  'a Node Buffer': (b) => { const v = Buffer.from(b); return { view: v, owned: v }; },
  'a Uint8Array subarray at an odd offset': (b) => {
    const big = new Uint8Array(b.length + GARBAGE_BEFORE + 5).fill(0xa5);
    big.set(b, GARBAGE_BEFORE);
    return { view: big.subarray(GARBAGE_BEFORE, GARBAGE_BEFORE + b.length), owned: big };
  },
  'a Buffer subarray at an odd offset': (b) => {
    const big = Buffer.alloc(b.length + GARBAGE_BEFORE + 5, 0x5a);
    big.set(b, GARBAGE_BEFORE);
    return { view: big.subarray(GARBAGE_BEFORE, GARBAGE_BEFORE + b.length), owned: big };
  },
};

const digestOf = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A comparable form of a result: bytes as hex (whatever their class), sources by content. */
function normalize(x: unknown, stack: object[] = []): unknown {
  if (x instanceof Uint8Array) return `bytes:${x.length}:${digestOf(x)}`;
  if (typeof x === 'bigint') return `bigint:${x}`;
  if (typeof x === 'function') return 'function';
  if (x === null || typeof x !== 'object') return x;
  if (stack.includes(x)) return 'cycle';
  const inner = [...stack, x];
  if (x instanceof Error) return { error: x.name, code: (x as { code?: string }).code, message: x.message };
  if (Array.isArray(x)) return x.map((v) => normalize(v, inner));
  if (x instanceof Map) return [...x].map((e) => normalize(e, inner));
  const o = x as Record<string, unknown>;
  if (typeof o.read === 'function' && typeof o.size === 'number') {
    const s = o as unknown as api.ByteSource;
    return { source: s.name, size: s.size, sha256: digestOf(s.read(0, s.size)) };
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, normalize(v, inner)]));
}

function outcome(f: () => unknown): unknown {
  try {
    return { result: normalize(f()) };
  } catch (e) {
    return { threw: normalize(e) };
  }
}

describe('byte inputs: Uint8Array, Buffer and odd-offset subarrays give the same result and are never written', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(name, () => {
      const inputs = c.inputs();
      const plain = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, new Uint8Array(v)]));
      const expected = outcome(() => c.run(plain));
      expect(expected, `${name} on plain Uint8Arrays must succeed`).toHaveProperty('result');
      for (const [k, v] of Object.entries(plain)) expect(digestOf(v), `${name} wrote to its input ${k}`).toBe(digestOf(inputs[k]!));
      // each input varied on its own, then all together
      const keys = Object.keys(inputs);
      // a slow case (it decompresses a firmware volume: ~0.5 s a run) varies all its inputs at once
      const selections = keys.length > 1 && !c.slow ? [...keys.map((k) => [k]), keys] : [keys];
      for (const [variantName, make] of Object.entries(VARIANTS)) {
        for (const sel of selections) {
          const variants = Object.fromEntries(sel.map((k) => [k, make(inputs[k]!)]));
          const before = Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, digestOf(v.owned)]));
          const args = { ...plain, ...Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, v.view])) };
          const got = outcome(() => c.run(args));
          expect(got, `${name}: ${sel.join(', ')} as ${variantName}`).toEqual(expected);
          for (const [k, v] of Object.entries(variants)) expect(digestOf(v.owned), `${name} wrote to ${k} given as ${variantName}`).toBe(before[k]);
        }
      }
    });
  }

  it('every runtime export of every entry is classified (a case above, or a reason it takes no bytes)', () => {
    const functions = [...new Set(Object.values(ENTRY_MODULES).flatMap((m) => Object.entries(m).filter(([, v]) => typeof v === 'function').map(([k]) => k)))].sort();
    const unclassified = functions.filter((k) => !(k in CASES) && !(k in NO_BYTES));
    expect(unclassified, 'new exports: add a case to CASES (takes bytes) or a reason to NO_BYTES').toEqual([]);
    const stale = [...Object.keys(CASES), ...Object.keys(NO_BYTES)].filter((k) => !functions.includes(k));
    expect(stale, 'classified names that no entry exports any more').toEqual([]);
    expect(Object.keys(CASES).filter((k) => k in NO_BYTES)).toEqual([]);
  });
});

/**
 * A ByteSource as a caller might write one over a file: read() returns a Node Buffer view at an
 * odd offset of one window that the next read() overwrites (the ByteSource contract allows it).
 */
function windowSource(bytes: Uint8Array, name = '<window>'): api.ByteSource {
  let window = Buffer.alloc(0);
  return {
    name,
    size: bytes.length,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > bytes.length) throw new RangeError(`read past the end of ${name}`);
      if (window.length < length + 3) window = Buffer.alloc(length + 3);
      window.fill(0xcc);
      window.set(bytes.subarray(offset, offset + length), 3);
      return window.subarray(3, 3 + length);
    },
  };
}

describe('ByteSource inputs whose read() returns reused Buffer windows give the same result', () => {
  const SOURCE_CASES: Record<string, (src: (b: Uint8Array) => api.ByteSource) => unknown> = {
    'parseOvmf + measureSnp': (src) => measureSnp({ ovmf: src(OVMF()), ...snp }),
    'measure (snp, direct boot)': (src) => api.measure({ mode: 'snp', ovmf: src(AMDSEV()), ...snp, directBoot: { kernel: src(KERNEL()), initrd: src(INITRD()), append: 'quiet' } }),
    'measureSev': (src) => api.measureSev({ ovmf: src(AMDSEV()), directBoot: { kernel: src(KERNEL()), initrd: null, append: null } }),
    'measure (snp:svsm)': (src) => api.measure({ mode: 'snp:svsm', ovmf: src(CODE_4M()), svsm: src(SVSM()), varsSize: 540672, vcpus: 2, vcpuSig: snp.vcpuSig }),
    'inspectOvmf': (src) => api.inspectOvmf(src(OVMF()), '00'),
    'computeMrtd': (src) => api.computeMrtd(src(TDVF())),
    'authenticodeDigest': (src) => api.authenticodeDigest(src(KERNEL()), nodeBackend),
    'predictRtmrs': (src) => predictRtmrs(parseOvmf(src(SID_TDVF())), { edk2Version: '2025.02', qemuVersion: '10.1.0', memory: 2 * GiB, acpi: ACPI(), directBoot: { kernel: src(KERNEL()), initrd: src(INITRD()), append: 'quiet' } }).events,
    'parseIgvm + measureIgvm + inspectIgvm': (src) => {
      const p = parseIgvm(src(IGVM_SIGNED()));
      return [measureIgvm(p).digest, api.inspectIgvm(p), api.reserializeIgvm(p)];
    },
    'parseCcel, replayCcel': (src) => [api.parseCcel(src(CCEL())), api.replayCcel(src(CCEL()))],
    'reportFromBinary': (src) => api.reportFromBinary(src(REPORT())),
    'parseKernelElf': (src) => api.parseKernelElf(src(ELF())),
    'computeKernelHashes': (src) => api.computeKernelHashes(src(KERNEL()), src(INITRD()), 'quiet'),
    'authenticodeRanges': (src) => api.authenticodeRanges(src(KERNEL())),
    'predictRtmrs (ACPI blobs)': (src) => predictRtmrs(parseOvmf(SID_TDVF()), { edk2Version: '2025.02', memory: 2 * GiB, acpi: { tableLoader: src(ACPI().tableLoader), rsdp: src(ACPI().rsdp), tables: src(ACPI().tables) } }).events,
    'generateGolden': (src) => api.generateGolden({
      tool: 't',
      artifacts: [{ name: 'a', kind: 'ovmf', firmware: src(AMDSEV()), firmwarePath: 'a.fd', kernel: src(KERNEL()), kernelPath: 'k', initrd: src(INITRD()), initrdPath: 'i', cmdline: 'quiet' }],
      matrix: { modes: ['snp', 'sev'], vcpus: [1], cpus: cpusOf(['EPYC-v4'], []), vmmTypes: ['QEMU'], vmsaProfiles: null, guestFeatures: [1n], policies: null },
    }),
    'buildIgvm (kernel, bldr, stage1 as sources)': (src) => api.serializeIgvm(api.buildIgvm({ kernel: src(ELF()), hypervisor: 'qemu', sort: true, policy: 0x30000n, snp: true, tdp: true, native: true, tdxStage1: src(STAGE1()), bldr: src(BLDR()) }).file),
    'buildIgvm (firmware)': (src) => api.serializeIgvm(api.buildIgvm({ kernel: ELF(), hypervisor: 'qemu', sort: true, policy: 0x30000n, snp: true, native: true, bldr: BLDR(), firmware: src(OVMF()) }).file),
  };
  for (const [name, run] of Object.entries(SOURCE_CASES)) {
    it(name, () => {
      const strip = (x: unknown): unknown => JSON.parse(JSON.stringify(normalize(x)).replaceAll('<window>', '<memory>'));
      const expected = strip(outcome(() => run((b) => bytesSource(b))));
      expect(expected).toHaveProperty('result');
      expect(strip(outcome(() => run((b) => windowSource(b))))).toEqual(expected);
    });
  }
});
