/**
 * IGVM signing (src/sign/igvm.ts): byte-identical to igvmmeasure `sign` (the committed
 * *.signed*.igvm samples are its outputs, made with test/vectors/keys/igvm/), deterministic,
 * ID-block replacement, refusals, and the ID-block check `igvm measure` runs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes/hex.js';
import { loadPrivateKey } from '../../src/cli/keys.js';
import { PrelaunchError } from '../../src/errors.js';
import { IgvmPlatformType } from '../../src/formats/igvm/defs.js';
import { directiveTable } from '../../src/formats/igvm/directives.js';
import type { IgvmFile, SnpIdBlock } from '../../src/formats/igvm/model.js';
import { parseIgvm } from '../../src/formats/igvm/parse.js';
import { serializeIgvm } from '../../src/formats/igvm/serialize.js';
import { decodeIgvmSnpPublicKey, decodeIgvmSnpSignature, encodeIgvmSnpPublicKey, encodeIgvmSnpSignature } from '../../src/formats/igvm/snp-id-block.js';
import { measureIgvm } from '../../src/measure/igvm.js';
import { verifyIdAuth } from '../../src/sign/id-block.js';
import { checkIgvmIdBlock, signIgvm } from '../../src/sign/igvm.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILDER = path.join(ROOT, 'firmware-samples/igvm/builder');
const SYNTH = path.join(ROOT, 'firmware-samples/igvm/synth');
const KEYS = path.join(ROOT, 'test/vectors/keys/igvm');
const SHARED = path.resolve(ROOT, '../shared/oracles/igvm');
const HAVE_SHARED = fs.existsSync(path.join(SHARED, 'corpus.jsonl')) && !process.env.PRELAUNCH_NO_SHARED;

const load = (p: string): Uint8Array => new Uint8Array(fs.readFileSync(p));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
const ID = loadPrivateKey(path.join(KEYS, 'id_key.pem'), '--id-key').d;
const AUTHOR = loadPrivateKey(path.join(KEYS, 'author_key.pem'), '--author-key').d;
const lastIdBlock = (f: IgvmFile): SnpIdBlock => f.directives.records.filter((d): d is SnpIdBlock => d.kind === 'snp-id-block').pop()!;

describe('igvm sign: byte-identical to igvmmeasure', () => {
  const unsigned = load(path.join(BUILDER, 'qemu-snp-bldr.igvm'));
  it('id key + author key = qemu-snp-bldr.signed.igvm (sha256 2dfba29c…)', () => {
    const s = signIgvm(parseIgvm(unsigned), { idKey: ID, authorKey: AUTHOR });
    expect(sha256(s.bytes)).toBe('2dfba29cbc4fe6d4e1af2b7a97d743198999b946dc944e635604b8a90d7f3707');
    expect(same(s.bytes, load(path.join(BUILDER, 'qemu-snp-bldr.signed.igvm')))).toBe(true);
    expect(toHex(s.digest).toUpperCase()).toBe('C5B40954AF5788D5F54202560E05873218A5932F6211FCCFDF44998807505B2CD0090B42CCB8CC06D3BFB2353F8ACFC3');
    expect(s.policy).toBe(0x30000n);
    expect(s.compatibilityMask).toBe(1);
    expect(s.idAuth.authorKeyEnabled).toBe(true);
  });
  it('id key only = qemu-snp-bldr.signed-noauthor.igvm (sha256 456f54ac…)', () => {
    const s = signIgvm(parseIgvm(unsigned), { idKey: ID });
    expect(sha256(s.bytes)).toBe('456f54ac851355605c5a9a74114175f59dfc1e938f714313b33415827d4ce959');
    const h = lastIdBlock(parseIgvm(s.bytes).file);
    expect(h.authorKeyEnabled).toBe(0);
    expect(h.authorKeyAlgorithm).toBe(1); // igvmmeasure writes 1 without an author key
    expect(h.authorPublicKey.every((b) => b === 0)).toBe(true);
    expect(h.authorKeySignature.every((b) => b === 0)).toBe(true);
  });
  it.skipIf(!HAVE_SHARED)('qemu-snp-native-ovmf.igvm = its .signed.igvm (1.6 MB, OVMF inside; ../shared)', () => {
    const s = signIgvm(parseIgvm(load(path.join(SHARED, 'samples/builder/qemu-snp-native-ovmf.igvm'))), { idKey: ID, authorKey: AUTHOR });
    expect(sha256(s.bytes)).toBe('c7c6a5479e9a7ecbab043129f3fa7052392a2190d28154cb4814f970480b200a');
  });
  it('is deterministic (RFC 6979) and the signed file measures to the digest it carries', () => {
    const a = signIgvm(parseIgvm(unsigned), { idKey: ID, authorKey: AUTHOR }).bytes;
    const b = signIgvm(parseIgvm(unsigned), { idKey: ID, authorKey: AUTHOR }).bytes;
    expect(same(a, b)).toBe(true);
    const m = measureIgvm(parseIgvm(a));
    expect(m.idBlock?.matches).toBe(true);
    expect(toHex(m.digest)).toBe(toHex(lastIdBlock(parseIgvm(a).file).ld));
  });
  it('the ID block and ID auth it carries verify as AMD structures (verifyIdAuth)', () => {
    const s = signIgvm(parseIgvm(unsigned), { idKey: ID, authorKey: AUTHOR, familyId: new Uint8Array(16).fill(0xa5), imageId: new Uint8Array(16).fill(0x5a), guestSvn: 7 });
    const v = verifyIdAuth({ idBlock: s.idAuth.idBlock, idAuth: s.idAuth.idAuth, measurement: s.digest });
    expect(v.problems).toEqual([]);
    expect(v.idBlock.guestSvn).toBe(7);
    const h = lastIdBlock(parseIgvm(s.bytes).file);
    expect(toHex(h.familyId)).toBe('a5'.repeat(16));
    expect(toHex(h.imageId)).toBe('5a'.repeat(16));
    expect(h.guestSvn).toBe(7);
    expect(h.version).toBe(1);
    // the IGVM structures carry the same signature and key as ID auth
    expect(decodeIgvmSnpSignature(h.idKeySignature)).toEqual(s.idAuth.idBlockSignature);
    const k = decodeIgvmSnpPublicKey(h.idPublicKey);
    expect(k).toEqual({ curve: 2, reserved: 0, qx: s.idAuth.idPublicKey.x, qy: s.idAuth.idPublicKey.y });
    expect(checkIgvmIdBlock(parseIgvm(s.bytes).file, h, s.digest, 1).ok).toBe(true);
  });
});

describe('igvm sign: inputs', () => {
  it('a v2 input is written as format version 1 with the same digest', () => {
    const input = parseIgvm(load(path.join(SYNTH, 'synth-snp-native-v2.igvm')));
    expect(input.file.formatVersion).toBe(2);
    const s = signIgvm(input, { idKey: ID });
    const out = parseIgvm(s.bytes);
    expect(out.file.formatVersion).toBe(1);
    expect(s.inputFormatVersion).toBe(2);
    expect(toHex(measureIgvm(out).digest)).toBe(toHex(measureIgvm(input).digest));
    expect(measureIgvm(out).idBlock?.matches).toBe(true);
  });
  it('--native-zero signs the native-zero digest', () => {
    const p = parseIgvm(load(path.join(BUILDER, 'qemu-snp-bldr.igvm')));
    const s = signIgvm(p, { idKey: ID, nativeZero: true });
    expect(toHex(s.digest)).toBe(toHex(measureIgvm(p, { nativeZero: true }).digest));
    expect(toHex(s.digest)).not.toBe(toHex(measureIgvm(p).digest));
  });
  it('an existing SNP ID block is refused, or replaced: re-signing igvmmeasure output = signing the original', () => {
    const noauthor = parseIgvm(load(path.join(BUILDER, 'qemu-snp-bldr.signed-noauthor.igvm')));
    expect(() => signIgvm(noauthor, { idKey: ID, authorKey: AUTHOR })).toThrow(/already has an SNP ID block/);
    const s = signIgvm(noauthor, { idKey: ID, authorKey: AUTHOR, existingIdBlock: 'replace' });
    expect(s.replaced).toBe(1);
    expect(same(s.bytes, load(path.join(BUILDER, 'qemu-snp-bldr.signed.igvm')))).toBe(true);
    expect(parseIgvm(s.bytes).file.directives.records.filter((d) => d.kind === 'snp-id-block')).toHaveLength(1);
  });
  it('refuses a file without a guest policy (as igvmmeasure) or a failing --check-kvm', () => {
    expect(() => signIgvm(parseIgvm(load(path.join(SYNTH, 'synth-snp-no-policy.igvm'))), { idKey: ID })).toThrow(/does not contain a guest policy/);
    expect(() => signIgvm(parseIgvm(load(path.join(BUILDER, 'hv-snp-nofw.igvm'))), { idKey: ID, checkKvm: true })).toThrow(PrelaunchError);
  });
  it('refuses a file without an SEV-SNP platform', () => {
    const file: IgvmFile = {
      formatVersion: 1, architecture: 0, pageSize: 4096,
      platforms: [{ kind: 'supported-platform', compatibilityMask: 1, highestVtl: 0, platformType: IgvmPlatformType.NATIVE, platformVersion: 1, sharedGpaBoundary: 0n }],
      initializations: [],
      directives: directiveTable([{ kind: 'page-data', gpa: 0x1000, compatibilityMask: 1, flags: 0, dataType: 0, data: { kind: 'bytes', bytes: new Uint8Array(4096).fill(1) } }]),
    };
    expect(() => signIgvm(parseIgvm(serializeIgvm(file)), { idKey: ID })).toThrow(/not compatible with the specified platform/);
  });
});

describe('checkIgvmIdBlock (what igvm measure adds to igvmmeasure\'s digest check)', () => {
  const signed = parseIgvm(load(path.join(BUILDER, 'qemu-snp-bldr.signed.igvm')));
  const digest = measureIgvm(signed).digest;
  const h = lastIdBlock(signed.file);
  it('accepts igvmmeasure\'s signature', () => {
    const c = checkIgvmIdBlock(signed.file, h, digest, 1);
    expect(c).toMatchObject({ ok: true, digestMatches: true, idBlockSignatureValid: true, idKeySignatureValid: true, policy: 0x30000n });
  });
  it('rejects a changed ld, family id, guest policy, signature or author signature', () => {
    const ld = h.ld.slice(); ld[0]! ^= 1;
    expect(checkIgvmIdBlock(signed.file, { ...h, ld }, digest, 1)).toMatchObject({ ok: false, digestMatches: false });
    expect(checkIgvmIdBlock(signed.file, { ...h, familyId: new Uint8Array(16).fill(1) }, digest, 1)).toMatchObject({ ok: false, idBlockSignatureValid: false });
    const otherPolicy: IgvmFile = { ...signed.file, initializations: signed.file.initializations.map((i) => (i.kind === 'guest-policy' ? { ...i, policy: 0x30000n | (1n << 19n) } : i)) };
    expect(checkIgvmIdBlock(otherPolicy, h, digest, 1)).toMatchObject({ ok: false, idBlockSignatureValid: false });
    const sig = decodeIgvmSnpSignature(h.idKeySignature);
    expect(checkIgvmIdBlock(signed.file, { ...h, idKeySignature: encodeIgvmSnpSignature({ r: sig.r, s: sig.s ^ 2n }) }, digest, 1).idBlockSignatureValid).toBe(false);
    const asig = decodeIgvmSnpSignature(h.authorKeySignature);
    expect(checkIgvmIdBlock(signed.file, { ...h, authorKeySignature: encodeIgvmSnpSignature({ r: asig.r ^ 4n, s: asig.s }) }, digest, 1)).toMatchObject({ ok: false, idKeySignatureValid: false });
    const k = decodeIgvmSnpPublicKey(h.idPublicKey);
    expect(checkIgvmIdBlock(signed.file, { ...h, idPublicKey: encodeIgvmSnpPublicKey({ curve: 3, qx: k.qx, qy: k.qy }) }, digest, 1).ok).toBe(false);
  });
});
