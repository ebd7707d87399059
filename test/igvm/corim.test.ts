/**
 * IGVM CoRIM headers (IGVM_VHT_CORIM_DOCUMENT 0x104 / IGVM_VHT_CORIM_SIGNATURE 0x105, igvm HEAD
 * e6c3ff1 feature "corim"): parse, validation rules (the crate's MultipleCorimDocuments,
 * MultipleCorimSignatures, MissingCorimDocument, ReservedNotZero, InvalidDataSize and
 * prelaunch's InvalidCorimDocument/InvalidCorimSignature), byte-identical round trips, the
 * CBOR well-formedness walk, the launch-measurement profile, COSE signing, fuzzing, and the
 * `igvm corim` CLI (in-process).
 */
import { createPrivateKey, createSign } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { Tag, decode, encode } from 'cbor2';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32 } from '../../src/bytes/crc32.js';
import { PrelaunchError } from '../../src/errors.js';
import { CborMalformed, cborItemEnd, corimDocumentProblem, corimSignatureProblem } from '../../src/formats/igvm/corim.js';
import { IgvmFormatError } from '../../src/formats/igvm/errors.js';
import { FIXED_HEADER_CHECKSUM_OFFSET } from '../../src/formats/igvm/fixed-header.js';
import type { IgvmFile, IgvmInitializationHeader } from '../../src/formats/igvm/model.js';
import { parseIgvm } from '../../src/formats/igvm/parse.js';
import { reserializeIgvm, serializeIgvm } from '../../src/formats/igvm/serialize.js';
import { TAG_ID_NAMESPACE, buildLaunchMeasurementCorim, corimLaunchDigest, describeCorim, uuidV5 } from '../../src/igvm-corim/profile.js';
import { decodeCoseSign1 } from '../../src/igvm-corim/cose.js';
import { measureIgvm } from '../../src/measure/igvm.js';
import { embedIgvmCorim, prepareIgvmCorimSignature, verifyCorimSignature } from '../../src/sign/igvm-corim.js';
import { p384PublicKey } from '../../src/sign/ecdsa-p384.js';
import { toHex } from '../../src/bytes/hex.js';
import { expectCleanError, expectOk, PROJECT, runCliInProcess } from '../support/cli.js';
import { fuzzParams } from '../support/fuzz.js';

const BUILDER = path.join(PROJECT, 'firmware-samples/igvm/builder');
/** SEV_SNP (mask 0x1), TDX (0x4) and NATIVE platforms, an igvmbuilder output */
const THREE = path.join(BUILDER, 'qemu-snp-tdp-native.igvm');
const SNP_ONLY = path.join(BUILDER, 'qemu-snp-bldr.igvm');
const KEY_PEM = path.join(PROJECT, 'test/vectors/keys/igvm/id_key.pem');
/** the same key's scalar (the d of the PEM above), read through node:crypto */
const KEY_D = (() => {
  const jwk = createPrivateKey(fs.readFileSync(KEY_PEM)).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.d!, 'base64url'));
})();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-igvm-corim-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const t = (name: string): string => path.join(tmp, name);

const three = (): Uint8Array => new Uint8Array(fs.readFileSync(THREE));
const embedded = (o: Parameters<typeof embedIgvmCorim>[1] = {}): Uint8Array => embedIgvmCorim(parseIgvm(three()), o).bytes;

/** The rule `fn` fails with. */
function ruleOf(fn: () => unknown): { rule: string; code: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(IgvmFormatError);
    const x = e as IgvmFormatError;
    return { rule: x.rule, code: x.code, message: x.message };
  }
  throw new Error('expected an IgvmFormatError');
}

/** Change the file's bytes with `fn` and recompute the header checksum. */
function patched(bytes: Uint8Array, fn: (view: DataView, b: Uint8Array) => void): Uint8Array {
  const b = bytes.slice();
  const v = new DataView(b.buffer);
  fn(v, b);
  const vho = v.getUint32(8, true);
  const vhs = v.getUint32(12, true);
  const fixed = b.slice(0, vho);
  fixed.fill(0, FIXED_HEADER_CHECKSUM_OFFSET, FIXED_HEADER_CHECKSUM_OFFSET + 4);
  v.setUint32(FIXED_HEADER_CHECKSUM_OFFSET, crc32(b.subarray(vho, vho + vhs), crc32(fixed)), true);
  return b;
}

/** Byte offset of the n-th header of `type` (its IGVM_VHS_VARIABLE_HEADER). */
function headerAt(bytes: Uint8Array, type: number, n = 0): number {
  const p = parseIgvm(bytes);
  const locs = p.layout.initializations.filter((l) => l.type === type);
  return locs[n]!.offset;
}

const DOC = 0x104;
const SIG = 0x105;

describe('UUIDv5 and the profile tag-id', () => {
  // provenance: Python's uuid.uuid5 (CPython Lib/uuid.py), run here: uuid5(NAMESPACE_DNS, …);
  // the second is RFC 9562 appendix A.4's example
  it('matches Python uuid.uuid5 and RFC 9562 A.4', () => {
    const dns = new Uint8Array(Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex'));
    expect(uuidV5(dns, 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(uuidV5(dns, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });
  it('tag-ids of the registered platforms (Python uuid.uuid5 with the crate\'s TAG_ID_NAMESPACE)', () => {
    expect(uuidV5(TAG_ID_NAMESPACE, 'AMD/SEV-SNP')).toBe('77e8061e-4634-5e53-a848-d1d09e996843');
    expect(uuidV5(TAG_ID_NAMESPACE, 'Intel/TDX')).toBe('e0510081-7b78-5b2a-97a6-d73d890e07b6');
    expect(uuidV5(TAG_ID_NAMESPACE, 'Microsoft/VBS')).toBe('2e29068e-e0fa-59e6-b0ff-3bfe09132e13');
  });
});

describe('CBOR well-formedness (RFC 8949)', () => {
  const wf = (hex: string): number => cborItemEnd(new Uint8Array(Buffer.from(hex, 'hex')), 0);
  const bad = (hex: string): CborMalformed => {
    try {
      wf(hex);
    } catch (e) {
      expect(e).toBeInstanceOf(CborMalformed);
      return e as CborMalformed;
    }
    throw new Error(`${hex} was accepted`);
  };
  it('accepts appendix A examples', () => {
    // RFC 8949 appendix A: 1000000000000, -1, h'01020304', [1, [2, 3], [4, 5]], {_ "a": 1, "b": [_ 2, 3]}, 0("2013-03-21T20:04:00Z"), simple(255), 1.1
    for (const hex of ['1b000000e8d4a51000', '20', '4401020304', '8301820203820405', 'bf61610161629f0203ffff', 'c074323031332d30332d32315432303a30343a30305a', 'f8ff', 'fb3ff199999999999a', '5f42010243030405ff']) {
      expect(wf(hex)).toBe(hex.length / 2);
    }
  });
  it('refuses appendix F examples, truncations flagged', () => {
    // RFC 8949 appendix F.1: end of input in a head, definite length strings with short data, …
    for (const hex of ['18', '19 01', '1a 0102 03', '41', '61', '5affffffff00', '8201', 'a20102', 'd8', '9f0102', '5f41']) {
      expect(bad(hex.replace(/ /g, '')).truncated, hex).toBe(true);
    }
    // reserved additional information, break outside, indefinite major 0, chunk of another type, two-byte simple < 32
    for (const hex of ['1c', 'ff', '1f', '5f00ff', '5f5f4100ffff', 'f800', 'df00', 'bf01ff']) {
      expect(bad(hex).truncated, hex).toBe(false);
    }
  });
  it('bounds nesting', () => {
    expect(bad('81'.repeat(100) + '01').message).toMatch(/nested more than 64/);
  });
});

describe('the CoRIM document and COSE_Sign1 checks', () => {
  const doc = buildLaunchMeasurementCorim(2, new Uint8Array(48).fill(7), 1n);
  it('a built document passes; a truncated one is flagged truncated', () => {
    expect(corimDocumentProblem(doc)).toBeNull();
    for (const cut of [1, 10, doc.length - 1]) expect(corimDocumentProblem(doc.subarray(0, cut))).toMatchObject({ truncated: true });
  });
  it('refuses other tags, trailing bytes and empty data', () => {
    expect(corimDocumentProblem(encode(new Tag(500, new Map())))?.problem).toMatch(/not a tagged-unsigned-corim-map/);
    expect(corimDocumentProblem(encode(new Tag(501, [1])))?.problem).toMatch(/not a map/);
    expect(corimDocumentProblem(new Uint8Array([...doc, 0]))?.problem).toMatch(/1 bytes follow/);
    expect(corimDocumentProblem(new Uint8Array(0))?.problem).toMatch(/empty/);
  });
  it('a signature must be a tagged COSE_Sign1 with a nil payload', () => {
    const prot = encode(new Map([[1, -35]]));
    const sig = new Uint8Array(96);
    expect(corimSignatureProblem(encode(new Tag(18, [prot, new Map(), null, sig])))).toBeNull();
    expect(corimSignatureProblem(encode(new Tag(18, [prot, new Map(), doc, sig])))?.problem).toMatch(/must be nil/);
    expect(corimSignatureProblem(encode([prot, new Map(), null, sig]))?.problem).toMatch(/not a COSE_Sign1/);
    expect(corimSignatureProblem(encode(new Tag(18, [prot, new Map(), null])))?.problem).toMatch(/not an array of 4/);
    expect(corimSignatureProblem(encode(new Tag(18, [new Uint8Array([0x01]), new Map(), null, sig])))?.problem).toMatch(/protected header is not a map/);
    expect(corimSignatureProblem(encode(new Tag(18, [prot, [], null, sig])))?.problem).toMatch(/unprotected field/);
  });
});

describe('embedding (igvm crate IgvmSerializer::add_corim)', () => {
  const bytes = embedded();
  const parsed = parseIgvm(bytes);
  it('one document per SEV-SNP/TDX platform, with the file\'s digest, appended to the initialization headers', () => {
    const docs = parsed.file.initializations.filter((h) => h.kind === 'corim-document');
    expect(docs.map((d) => d.compatibilityMask)).toEqual([0x1, 0x4]);
    expect(parsed.file.initializations.at(-1)?.kind).toBe('corim-document');
    const orig = parseIgvm(three());
    for (const [d, platform] of [[docs[0]!, 'sev-snp'], [docs[1]!, 'tdx']] as const) {
      if (d.kind !== 'corim-document' || d.data.kind !== 'file') throw new Error('not a document');
      const s = describeCorim(d.data.source.read(d.data.offset, d.data.length).slice());
      expect(s.launchMeasurementProfile).toBe(true);
      expect(corimLaunchDigest(s)?.digest).toBe(toHex(measureIgvm(orig, { platform }).digest));
    }
  });
  it('does not change the digests; the document data comes first in the file-data section', () => {
    expect(measureIgvm(parsed).digest).toEqual(measureIgvm(parseIgvm(three())).digest);
    expect(measureIgvm(parsed, { platform: 'tdx' }).digest).toEqual(measureIgvm(parseIgvm(three()), { platform: 'tdx' }).digest);
    const d = parsed.file.initializations.find((h) => h.kind === 'corim-document')!;
    expect(d.kind === 'corim-document' && d.data.kind === 'file' && d.data.offset).toBe(parsed.info.fileDataOffset);
  });
  it('round-trips byte for byte (serialize and reserialize), signed too', () => {
    expect(Buffer.compare(serializeIgvm(parsed.file), bytes)).toBe(0);
    expect(Buffer.compare(reserializeIgvm(parsed), bytes)).toBe(0);
    const signed = embedded({ signKey: KEY_D, signer: 'test' });
    const p2 = parseIgvm(signed);
    expect(Buffer.compare(serializeIgvm(p2.file), signed)).toBe(0);
    expect(p2.file.initializations.map((h) => h.kind).slice(-4)).toEqual(['corim-document', 'corim-signature', 'corim-document', 'corim-signature']);
  });
  it('embedding is deterministic (RFC 6979 signatures), and the signature verifies', () => {
    const a = embedded({ signKey: KEY_D });
    expect(Buffer.compare(a, embedded({ signKey: KEY_D }))).toBe(0);
    const p = parseIgvm(a);
    const [doc, sig] = p.file.initializations.filter((h) => h.kind === 'corim-document' || h.kind === 'corim-signature') as Array<Extract<IgvmInitializationHeader, { kind: 'corim-document' }>>;
    const read = (h: typeof doc): Uint8Array => (h!.data.kind === 'file' ? h!.data.source.read(h!.data.offset, h!.data.length).slice() : new Uint8Array());
    const pub = p384PublicKey(KEY_D);
    expect(verifyCorimSignature(decodeCoseSign1(read(sig)), read(doc), pub)).toBe(true);
    const tampered = read(doc);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 1;
    expect(verifyCorimSignature(decodeCoseSign1(read(sig)), tampered, pub)).toBe(false);
  });
  it('an existing document is refused unless replace; replacing gives the same bytes', () => {
    const e = (() => {
      try {
        embedIgvmCorim(parseIgvm(bytes));
      } catch (x) {
        return x as PrelaunchError;
      }
      throw new Error('accepted');
    })();
    expect(e.code).toBe('ERR_FIRMWARE_UNSUPPORTED');
    const r = embedIgvmCorim(parseIgvm(bytes), { replace: true });
    expect(r.replaced).toBe(2);
    expect(Buffer.compare(r.bytes, bytes)).toBe(0);
  });
  it('the prepare/assemble Sig_structure is what the local key signs', () => {
    const p = parseIgvm(bytes);
    const s = prepareIgvmCorimSignature(p, 'tdx', 'test');
    expect(s.compatibilityMask).toBe(0x4);
    // RFC 9052 §4.4: ["Signature1", protected, external_aad h'', payload]
    const [ctx, prot, aad, payload] = decode(s.toBeSigned) as [string, Uint8Array, Uint8Array, Uint8Array];
    expect([ctx, toHex(prot), aad.length, toHex(payload)]).toEqual(['Signature1', toHex(s.protectedHeader), 0, toHex(s.document)]);
    expect(decode(s.protectedHeader)).toEqual(new Map<number, unknown>([[1, -35], [3, 'application/rim+cbor'], [8, encode(new Map([[0, new Map([[0, 'test']])]]))]]));
  });
});

describe('validation rules (each with its crate rule name)', () => {
  const bytes = embedded();
  const signed = embedded({ signKey: KEY_D });
  it('MultipleCorimDocuments: two documents for one mask bit', () => {
    const b = patched(bytes, (v) => v.setUint32(headerAt(bytes, DOC, 1) + 8, 0x5, true));
    expect(ruleOf(() => parseIgvm(b))).toMatchObject({ rule: 'MultipleCorimDocuments', code: 'ERR_MALFORMED' });
  });
  it('MultipleCorimSignatures: two signatures for one mask bit', () => {
    const b = patched(signed, (v) => v.setUint32(headerAt(signed, SIG, 1) + 8, 0x1, true));
    expect(ruleOf(() => parseIgvm(b)).rule).toBe('MultipleCorimSignatures');
  });
  it('MissingCorimDocument: a signature whose mask bit has no document before it', () => {
    // the SNP document moved to mask 0x2: the SNP signature (mask 0x1) has none
    const b = patched(signed, (v) => v.setUint32(headerAt(signed, DOC, 0) + 8, 0x2, true));
    expect(ruleOf(() => parseIgvm(b))).toMatchObject({ rule: 'MissingCorimDocument' });
    // a signature before its document
    const model = parseIgvm(signed).file;
    const inits = model.initializations.slice();
    const i = inits.findIndex((h) => h.kind === 'corim-document');
    [inits[i], inits[i + 1]] = [inits[i + 1]!, inits[i]!];
    expect(ruleOf(() => serializeIgvm({ ...model, initializations: inits })).rule).toBe('MissingCorimDocument');
  });
  it('ReservedNotZero, InvalidDataSize (past the end, before the data section), file_offset 0', () => {
    const at = headerAt(bytes, DOC) + 8;
    expect(ruleOf(() => parseIgvm(patched(bytes, (v) => v.setUint32(at + 12, 1, true)))).rule).toBe('ReservedNotZero');
    expect(ruleOf(() => parseIgvm(patched(bytes, (v) => v.setUint32(at + 8, bytes.length, true))))).toMatchObject({ rule: 'InvalidDataSize', code: 'ERR_TRUNCATED' });
    expect(ruleOf(() => parseIgvm(patched(bytes, (v) => v.setUint32(at + 4, 8, true)))).rule).toBe('InvalidDataSize');
    expect(ruleOf(() => parseIgvm(patched(bytes, (v) => v.setUint32(at + 4, 0, true)))).rule).toBe('InvalidCorimDocument');
  });
  it('InvalidCorimDocument: truncated CBOR (ERR_TRUNCATED), not CBOR', () => {
    const at = headerAt(bytes, DOC) + 8;
    const r = ruleOf(() => parseIgvm(patched(bytes, (v) => v.setUint32(at + 8, v.getUint32(at + 8, true) - 1, true))));
    expect(r).toMatchObject({ rule: 'InvalidCorimDocument', code: 'ERR_TRUNCATED' });
    expect(r.message).toMatch(/IGVM_VHT_CORIM_DOCUMENT \(0x104\) header #\d+ at offset 0x[0-9a-f]+: the CoRIM document is not well-formed CBOR/);
    const off = parseIgvm(bytes).info.fileDataOffset;
    expect(ruleOf(() => parseIgvm(patched(bytes, (_v, b) => void (b[off] = 0xff)))).rule).toBe('InvalidCorimDocument');
  });
  it('InvalidCorimSignature, and the serializer refuses what the parser refuses', () => {
    const model = parseIgvm(bytes).file;
    const withSig = (sig: Uint8Array): IgvmFile => ({ ...model, initializations: [...model.initializations, { kind: 'corim-signature', compatibilityMask: 1, data: { kind: 'bytes', bytes: sig } }] });
    expect(ruleOf(() => serializeIgvm(withSig(encode(new Tag(18, [new Uint8Array(0), new Map(), new Uint8Array(1), new Uint8Array(96)]))))).rule).toBe('InvalidCorimSignature');
    expect(ruleOf(() => serializeIgvm(withSig(new Uint8Array([0xd2, 0x84])))).rule).toBe('InvalidCorimSignature');
    const ok = serializeIgvm(withSig(encode(new Tag(18, [new Uint8Array(0), new Map(), null, new Uint8Array(96)]))));
    expect(parseIgvm(ok).file.initializations.at(-1)?.kind).toBe('corim-signature');
  });
  it('a header with the CoRIM type but the wrong length', () => {
    const at = headerAt(bytes, DOC);
    expect(ruleOf(() => parseIgvm(patched(bytes, (v) => v.setUint32(at + 4, 24, true)))).rule).toBe('InvalidVariableHeaderType');
  });
});

describe('fuzzing (bounded)', () => {
  it('the CBOR walk and both checks never throw anything but CborMalformed / a problem', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      try {
        expect(cborItemEnd(b, 0)).toBeLessThanOrEqual(b.length);
      } catch (e) {
        expect(e).toBeInstanceOf(CborMalformed);
      }
      corimDocumentProblem(b);
      corimSignatureProblem(b);
    }), fuzzParams({ numRuns: 2000 }));
  });
  it('any CBOR value in a tag-501 map is a document; the file round-trips byte for byte', () => {
    const model = parseIgvm(new Uint8Array(fs.readFileSync(SNP_ONLY))).file;
    fc.assert(fc.property(fc.anything({ maxDepth: 3, withMap: false, withSet: false, withDate: false, withTypedArray: false, withSparseArray: false, withNullPrototype: false, withBigInt: true }), fc.integer({ min: 1, max: 0xffffffff }), (v, mask) => {
      const doc = encode(new Tag(501, new Map([[0, v]])));
      expect(corimDocumentProblem(doc)).toBeNull();
      const out = serializeIgvm({ ...model, initializations: [...model.initializations, { kind: 'corim-document', compatibilityMask: mask >>> 0, data: { kind: 'bytes', bytes: doc } }] });
      const p = parseIgvm(out);
      expect(Buffer.compare(serializeIgvm(p.file), out)).toBe(0);
    }), fuzzParams({ numRuns: 60 }));
  });
  it('mutating a CoRIM header or its data gives a model or an IgvmFormatError, never anything else', () => {
    const signed = embedded({ signKey: KEY_D });
    const p = parseIgvm(signed);
    const start = p.layout.initializations.find((l) => l.type === DOC)!.offset;
    const dataStart = p.info.fileDataOffset;
    fc.assert(fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 255 }), (inHeader, pos, val) => {
      const at = inHeader ? start + (pos % 64) : dataStart + (pos % 900);
      const b = patched(signed, (_v, x) => void (x[at] = val));
      try {
        const q = parseIgvm(b);
        expect(Buffer.compare(reserializeIgvm(q), b)).toBe(0);
      } catch (e) {
        expect(e).toBeInstanceOf(IgvmFormatError);
      }
    }), fuzzParams({ numRuns: 300 }));
  });
});

describe('igvm corim (CLI, in-process)', () => {
  it('embeds, prints the digests; inspect --json decodes the CoRIM', async () => {
    const out = expectOk(await runCliInProcess(['igvm', 'corim', THREE, '-o', t('e.igvm'), '--svn', '7']));
    expect(out).toMatch(/sev-snp +mask 0x1 +digest c5b40954af5788d5/);
    expect(out).toMatch(/tdx +mask 0x4/);
    const j = JSON.parse(expectOk(await runCliInProcess(['igvm', 'inspect', t('e.igvm'), '--json']))) as { initializations: Array<{ type: string; fields: Record<string, unknown> }> };
    const docs = j.initializations.filter((x) => x.type.startsWith('IGVM_VHT_CORIM_DOCUMENT'));
    expect(docs.map((d) => [d.fields.model, d.fields.svn, d.fields.launchMeasurementProfile])).toEqual([['SEV-SNP', '7', true], ['TDX', '7', true]]);
    expect(docs[0]!.fields.digest).toBe('c5b40954af5788d5f54202560e05873218a5932f6211fccfdf44998807505b2cd0090b42ccb8cc06d3bfb2353f8acfc3');
    expect(expectOk(await runCliInProcess(['igvm', 'measure', t('e.igvm')])).trim()).toBe('C5B40954AF5788D5F54202560E05873218A5932F6211FCCFDF44998807505B2CD0090B42CCB8CC06D3BFB2353F8ACFC3');
  });
  it('--sign-key gives the same file as prepare → external signature → assemble for a one-platform file', async () => {
    expectOk(await runCliInProcess(['igvm', 'corim', SNP_ONLY, '-o', t('l.igvm'), '--sign-key', KEY_PEM, '--signer', 'me']));
    expectOk(await runCliInProcess(['igvm', 'corim', SNP_ONLY, '-o', t('u.igvm')]));
    fs.mkdirSync(t('d'));
    expect(expectOk(await runCliInProcess(['igvm', 'corim', 'prepare', t('u.igvm'), '--platform', 'sev-snp', '--out-dir', t('d'), '--signer', 'me']))).toMatch(/corim-sev-snp\.tbs/);
    // the external signer: OpenSSL through node:crypto (DER ECDSA; its nonce is random, so the bytes differ from RFC 6979's)
    const der = createSign('sha384').update(fs.readFileSync(t('d/corim-sev-snp.tbs'))).sign(fs.readFileSync(KEY_PEM));
    fs.writeFileSync(t('d/sig.der'), der);
    expect(expectOk(await runCliInProcess(['igvm', 'corim', 'assemble', t('u.igvm'), '--platform', 'sev-snp', '--signature', t('d/sig.der'), '--pubkey', KEY_PEM, '--signer', 'me', '-o', t('a.igvm')]))).toMatch(/verified/);
    const a = parseIgvm(new Uint8Array(fs.readFileSync(t('a.igvm'))));
    const l = parseIgvm(new Uint8Array(fs.readFileSync(t('l.igvm'))));
    expect(a.file.initializations.map((h) => h.kind)).toEqual(l.file.initializations.map((h) => h.kind));
    expect(fs.statSync(t('a.igvm')).size).toBe(fs.statSync(t('l.igvm')).size);
    // a signature over other bytes (no --signer: another protected header) is refused, nothing written
    expectCleanError(await runCliInProcess(['igvm', 'corim', 'assemble', t('u.igvm'), '--platform', 'sev-snp', '--signature', t('d/sig.der'), '--pubkey', KEY_PEM, '-o', t('bad.igvm')]), 1, 'ERR_SIGNATURE');
    expect(fs.existsSync(t('bad.igvm'))).toBe(false);
    // already signed
    expectCleanError(await runCliInProcess(['igvm', 'corim', 'assemble', t('a.igvm'), '--platform', 'sev-snp', '--signature', t('d/sig.der'), '--pubkey', KEY_PEM, '--signer', 'me', '-o', t('again.igvm')]), 1, 'ERR_FIRMWARE_UNSUPPORTED');
  });
  it('refusals: existing CoRIM (exit 1), --replace, unknown/absent platform, missing --output, output = input', async () => {
    expectCleanError(await runCliInProcess(['igvm', 'corim', t('e.igvm'), '-o', t('e2.igvm')]), 1, 'ERR_FIRMWARE_UNSUPPORTED');
    const out = await runCliInProcess(['igvm', 'corim', t('e.igvm'), '-o', t('e3.igvm'), '--replace', '--svn', '7']);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/^note: replaced 2 CoRIM headers/);
    expect(Buffer.compare(fs.readFileSync(t('e3.igvm')), fs.readFileSync(t('e.igvm')))).toBe(0);
    expectCleanError(await runCliInProcess(['igvm', 'corim', THREE, '-o', t('v.igvm'), '--platform', 'vbs']), 2, 'ERR_INVALID_OPTION');
    expectCleanError(await runCliInProcess(['igvm', 'corim', SNP_ONLY, '-o', t('v.igvm'), '--platform', 'tdx']), 2, 'ERR_INVALID_OPTION');
    expectCleanError(await runCliInProcess(['igvm', 'corim', THREE]), 2, 'ERR_INVALID_OPTION');
    expectCleanError(await runCliInProcess(['igvm', 'corim', THREE, '-o', THREE]), 2, 'ERR_INVALID_OPTION');
    expectCleanError(await runCliInProcess(['igvm', 'corim', THREE, '-o', t('s.igvm'), '--svn', '-1']), 2, 'ERR_INVALID_OPTION');
    expectCleanError(await runCliInProcess(['igvm', 'corim', 'prepare', THREE, '--platform', 'tdx', '--out-dir', tmp]), 2, 'ERR_INVALID_OPTION');
  });
  it('a file with a malformed CoRIM: one error line naming the header and the rule', async () => {
    const bytes = embedded();
    const at = headerAt(bytes, DOC) + 8;
    fs.writeFileSync(t('trunc.igvm'), patched(bytes, (v) => v.setUint32(at + 8, v.getUint32(at + 8, true) - 3, true)));
    const line = expectCleanError(await runCliInProcess(['igvm', 'inspect', t('trunc.igvm')]), 1, 'ERR_TRUNCATED');
    expect(line).toMatch(/IGVM_VHT_CORIM_DOCUMENT \(0x104\) header #4 .*\(rule: InvalidCorimDocument\)/);
  });
});

describe('igvm measure and a CoRIM', () => {
  it('a CoRIM that endorses the digest: no word; a stale one (the file changed after it was made): a warning, exit 0', async () => {
    const ok = await runCliInProcess(['igvm', 'measure', t('e.igvm'), '--platform', 'tdx']);
    expect(ok.stderr).toBe('');
    const bytes = new Uint8Array(fs.readFileSync(t('e.igvm')));
    // a CoRIM built for another digest, put in place of the SNP one
    const p = parseIgvm(bytes);
    const other = buildLaunchMeasurementCorim(2, new Uint8Array(48).fill(1), 0n);
    const inits = p.file.initializations.map((h) => (h.kind === 'corim-document' && h.compatibilityMask === 1 ? { ...h, data: { kind: 'bytes' as const, bytes: other } } : h));
    fs.writeFileSync(t('stale.igvm'), serializeIgvm({ ...p.file, initializations: inits }));
    const r = await runCliInProcess(['igvm', 'measure', t('stale.igvm')]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('C5B40954AF5788D5F54202560E05873218A5932F6211FCCFDF44998807505B2CD0090B42CCB8CC06D3BFB2353F8ACFC3');
    expect(r.stderr).toBe(`warning: the file's CoRIM for mask 0x1 endorses ${'01'.repeat(48)}, not this digest (c5b40954af5788d5f54202560e05873218a5932f6211fccfdf44998807505b2cd0090b42ccb8cc06d3bfb2353f8acfc3)\n`);
    expect((await runCliInProcess(['igvm', 'measure', t('stale.igvm'), '--platform', 'tdx'])).stderr).toBe('');
  });
});

describe('igvm corim verify', () => {
  it('a file signed with --sign-key verifies with that key; another key, a stale CoRIM or no signature fail (ERR_SIGNATURE)', async () => {
    expectOk(await runCliInProcess(['igvm', 'corim', THREE, '-o', t('v.igvm'), '--sign-key', KEY_PEM]));
    expect(expectOk(await runCliInProcess(['igvm', 'corim', 'verify', t('v.igvm'), '--pubkey', KEY_PEM]))).toMatch(/^sev-snp +mask 0x1 +ok: .*\ntdx +mask 0x4 +ok: /);
    const j = JSON.parse(expectOk(await runCliInProcess(['igvm', 'corim', 'verify', t('v.igvm'), '--pubkey', KEY_PEM, '--platform', 'tdx', '--json']))) as { ok: boolean; platforms: Array<Record<string, unknown>> };
    expect(j.ok).toBe(true);
    expect(j.platforms).toEqual([{ platform: 'tdx', compatibilityMask: '0x4', digest: '899fb9505d826457ec4428ca087b4124ce3b7c0f6796314db78e0bcd385e45fa405136aa19fbea0a166a04a339714b0b', endorsed: '899fb9505d826457ec4428ca087b4124ce3b7c0f6796314db78e0bcd385e45fa405136aa19fbea0a166a04a339714b0b', signature: 'valid', problems: [] }]);
    const other = path.join(PROJECT, 'test/vectors/keys/igvm/author_key.pem');
    const r = await runCliInProcess(['igvm', 'corim', 'verify', t('v.igvm'), '--pubkey', other]);
    expect(r.code).toBe(1);
    expect(r.errorCode).toBe('ERR_SIGNATURE');
    expect(r.stdout).toMatch(/FAILED: the signature does not verify/);
    const unsigned = await runCliInProcess(['igvm', 'corim', 'verify', t('e.igvm'), '--pubkey', KEY_PEM]);
    expect(unsigned.stdout).toMatch(/FAILED: no CoRIM signature/);
    const stale = await runCliInProcess(['igvm', 'corim', 'verify', t('stale.igvm'), '--pubkey', KEY_PEM, '--platform', 'sev-snp']);
    expect(stale.stdout).toMatch(/FAILED: the CoRIM endorses 0101.*, not the file's digest; no CoRIM signature/);
    expect(stale.stderr).toMatch(/^error: .*stale\.igvm: the CoRIM of sev-snp does not verify/);
  });
});

describe('VBS (VSM_ISOLATION) in the profile', () => {
  const HV = path.join(BUILDER, 'hv-snp-tdp-vsm.igvm');
  it('an igvmbuilder hyper-v file: a CoRIM per SEV-SNP, TDX and VBS platform, VBS with its SHA-256 digest (alg 1, mkey MEASUREMENT)', () => {
    const p = parseIgvm(new Uint8Array(fs.readFileSync(HV)));
    const r = embedIgvmCorim(p);
    expect(r.documents.map((d) => [d.platform, d.compatibilityMask])).toEqual([['sev-snp', 0x1], ['tdx', 0x4], ['vbs', 0x10]]);
    const vbs = r.documents[2]!;
    expect(toHex(vbs.digest)).toBe(toHex(measureIgvm(p, { platform: 'vbs' }).digest));
    const s = describeCorim(vbs.document);
    expect(s.launchMeasurementProfile).toBe(true);
    expect(s.id).toBe('Microsoft/VBS/launch-measurement');
    expect(s.tags[0]!.referenceValues).toEqual([{ vendor: 'Microsoft', model: 'VBS', mkey: 'MEASUREMENT', digests: [{ alg: 1, value: toHex(vbs.digest) }] }]);
    expect(s.tags[0]!.tagId).toBe('2e29068e-e0fa-59e6-b0ff-3bfe09132e13');
    const out = parseIgvm(r.bytes);
    expect(Buffer.compare(serializeIgvm(out.file), r.bytes)).toBe(0);
    expect(measureIgvm(out, { platform: 'vbs' }).digest).toEqual(vbs.digest);
  });
});

describe('igvm corim where the igvm crate would do otherwise (reference run of microsoft/igvm e6c3ff1, docs/igvm.md)', () => {
  it('refuses an SEV-SNP platform without GUEST_POLICY, as the crate\'s serializer does (MissingGuestPolicy)', () => {
    const parsed = parseIgvm(three());
    const file: IgvmFile = { ...parsed.file, initializations: parsed.file.initializations.filter((h) => h.kind !== 'guest-policy') };
    const bare = parseIgvm(serializeIgvm(file));
    let err: unknown;
    try {
      embedIgvmCorim(bare, { platforms: ['sev-snp'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PrelaunchError);
    expect((err as PrelaunchError).code).toBe('ERR_FIRMWARE_UNSUPPORTED');
    expect((err as PrelaunchError).message).toMatch(/no GUEST_POLICY .*MissingGuestPolicy/);
    // the TDX platform needs no policy
    expect(embedIgvmCorim(bare, { platforms: ['tdx'] }).documents).toHaveLength(1);
  });

  it('warns (stderr) when the crate\'s own SNP measurer gives another digest than the one endorsed', async () => {
    // a multi-page parameter insert: the crate measures one UNMEASURED page per 4 KiB, igvmmeasure one
    const parsed = parseIgvm(three());
    expect(embedIgvmCorim(parsed, { platforms: ['sev-snp'] }).warnings).toEqual([]);
    const area = { kind: 'parameter-area', numberOfBytes: 0x2000, parameterAreaIndex: 77, initialData: null } as const;
    const insert = { kind: 'parameter-insert', gpa: 0x7f000000, compatibilityMask: 1, parameterAreaIndex: 77 } as const;
    const { directiveList, directiveTable } = await import('../../src/formats/igvm/directives.js');
    const grown = serializeIgvm({ ...parsed.file, directives: directiveTable([...directiveList(parsed.file.directives), area, insert]) });
    const input = t('multi-page-insert.igvm');
    fs.writeFileSync(input, grown);
    const r = await runCliInProcess(['igvm', 'corim', input, '--platform', 'sev-snp', '-o', t('multi-page-insert.corim.igvm')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: the SEV-SNP CoRIM endorses igvmmeasure's digest .*\(a parameter insert of more than one page\)\n$/);
    expect(fs.existsSync(t('multi-page-insert.corim.igvm'))).toBe(true);
  });
});
