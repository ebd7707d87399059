import { createHash, sign as nodeSign } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64, toHex } from '../../src/bytes/hex.js';
import { ID_AUTH, decodeIdAuth } from '../../src/formats/snp/id-block.js';
import { parseDetachedSignature, p384PublicKey, signP384, verifyP384 } from '../../src/sign/ecdsa-p384.js';
import { assembleIdAuth, buildIdBlock, idAuthSigningInputs, signIdAuth, verifyIdAuth } from '../../src/sign/id-block.js';
import { HAVE_SHARED, REFERENCE, SHARED, keyObject, nodeVerify, privateScalar } from './helpers.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const masked = (idAuth: Uint8Array): Uint8Array => {
  const m = idAuth.slice();
  m.fill(0, 0x40, 0x240);
  m.fill(0, 0x680, 0x880);
  return m;
};

describe('ID block and ID auth against sev-snp-measure outputs', () => {
  for (const c of REFERENCE.cases) {
    it(c.id, () => {
      const idBlock = buildIdBlock({ measurement: fromBase64(c.measurementBase64)! });
      expect(toBase64(idBlock)).toBe(c.idBlockBase64);
      const r = signIdAuth({ idBlock, idKey: privateScalar(c.idKey), authorKey: privateScalar(c.authorKey) });
      expect(toBase64(r.idKeyDigest)).toBe(c.idKeyDigestBase64);
      expect(toBase64(r.authorKeyDigest!)).toBe(c.authorKeyDigestBase64);
      expect(r.idAuth.length).toBe(4096);
      expect(sha256(masked(r.idAuth))).toBe(c.idAuthMaskedSha256);
      expect(sha256(r.idAuth.subarray(0x240, 0x644))).toBe(c.idKeyBlobSha256);
      expect(sha256(r.idAuth.subarray(0x880, 0xc84))).toBe(c.authorKeyBlobSha256);
      // both signatures verify under node:crypto (OpenSSL) plain ECDSA P-384/SHA-384
      expect(nodeVerify(r.idAuth.subarray(0x40, 0x240), idBlock, r.idAuth.subarray(0x240, 0x644))).toBe(true);
      expect(nodeVerify(r.idAuth.subarray(0x680, 0x880), r.idAuth.subarray(0x240, 0x644), r.idAuth.subarray(0x880, 0xc84))).toBe(true);
      expect(verifyIdAuth({ idBlock, idAuth: r.idAuth, measurement: fromBase64(c.measurementBase64)! }).ok).toBe(true);
    });
  }
});

describe('signing', () => {
  const c = REFERENCE.cases[0]!;
  const idBlock = buildIdBlock({ measurement: fromBase64(c.measurementBase64)!, policy: 0x1f0000n, familyId: new Uint8Array(16).fill(0xaa), imageId: new Uint8Array(16).fill(0xbb), guestSvn: 7 });
  const idKey = privateScalar('id_key_a.pem');
  const authorKey = privateScalar('author_key_a.pem');

  it('is deterministic: signing twice gives byte-identical ID auth', () => {
    const a = signIdAuth({ idBlock, idKey, authorKey });
    const b = signIdAuth({ idBlock, idKey, authorKey });
    expect(toHex(a.idAuth)).toBe(toHex(b.idAuth));
  });

  it('matches node:crypto key derivation and verifies with OpenSSL', () => {
    const jwk = keyObject('id_key_a.pem').export({ format: 'jwk' });
    const pub = p384PublicKey(idKey);
    expect(pub.x.toString(16).padStart(96, '0')).toBe(Buffer.from(jwk.x!, 'base64url').toString('hex'));
    expect(pub.y.toString(16).padStart(96, '0')).toBe(Buffer.from(jwk.y!, 'base64url').toString('hex'));
    const r = signIdAuth({ idBlock, idKey, authorKey });
    expect(nodeVerify(r.idAuth.subarray(0x40, 0x240), idBlock, r.idAuth.subarray(0x240, 0x644))).toBe(true);
  });

  it('writes zero ID_KEY_SIG and AUTHOR_KEY without an author key', () => {
    const r = signIdAuth({ idBlock, idKey });
    expect(r.authorKeyEnabled).toBe(false);
    expect(r.authorKeyDigest).toBeNull();
    const auth = decodeIdAuth(r.idAuth);
    expect(auth.idKeyAlgo).toBe(1);
    expect(auth.authKeyAlgo).toBe(1);
    expect(auth.idKeySig.every((b) => b === 0)).toBe(true);
    expect(auth.authorKey.every((b) => b === 0)).toBe(true);
    const v = verifyIdAuth({ idBlock, idAuth: r.idAuth });
    expect(v.ok).toBe(true);
    expect(v.authorKeyEnabled).toBe(false);
    expect(v.idKeySignatureValid).toBeNull();
  });

  it('verify reports tampering, wrong measurement and wrong digests', () => {
    const r = signIdAuth({ idBlock, idKey, authorKey });
    const badBlock = idBlock.slice();
    badBlock[0x54] = badBlock[0x54]! ^ 1; // guest SVN
    expect(verifyIdAuth({ idBlock: badBlock, idAuth: r.idAuth }).idBlockSignatureValid).toBe(false);
    const badAuth = r.idAuth.slice();
    badAuth[ID_AUTH.idKeySig + 3] = badAuth[ID_AUTH.idKeySig + 3]! ^ 0x80;
    const v = verifyIdAuth({ idBlock, idAuth: badAuth });
    expect(v.ok).toBe(false);
    expect(v.idBlockSignatureValid).toBe(true);
    expect(v.idKeySignatureValid).toBe(false);
    const w = verifyIdAuth({ idBlock, idAuth: r.idAuth, measurement: new Uint8Array(48), idKeyDigest: new Uint8Array(48) });
    expect(w.measurementMatches).toBe(false);
    expect(w.idKeyDigestMatches).toBe(false);
    expect(w.problems.length).toBe(2);
  });

  it('rejects wrong lengths', () => {
    expect(() => buildIdBlock({ measurement: new Uint8Array(47) })).toThrow(/48 bytes/);
    expect(() => buildIdBlock({ measurement: new Uint8Array(48), familyId: new Uint8Array(15) })).toThrow(/16 bytes/);
    expect(() => buildIdBlock({ measurement: new Uint8Array(48), policy: 0x10000n })).toThrow(/bit 17/);
    expect(buildIdBlock({ measurement: new Uint8Array(48), policy: 0x10000n, strictPolicy: false }).length).toBe(96);
    expect(() => signIdAuth({ idBlock: new Uint8Array(95), idKey })).toThrow(/96 bytes/);
    expect(() => signP384(new Uint8Array(48), idBlock)).toThrow(/not a valid P-384 private key/);
  });
});

describe('external signing: prepare → detached signatures → assemble', () => {
  const c = REFERENCE.cases[0]!;
  const idBlock = buildIdBlock({ measurement: fromBase64(c.measurementBase64)! });
  const idPublicKey = p384PublicKey(privateScalar('id_key_a.pem'));
  const authorPublicKey = p384PublicKey(privateScalar('author_key_a.pem'));
  const inputs = idAuthSigningInputs({ idBlock, idPublicKey });

  it('the ID key structure to sign is the ID_KEY field of ID auth', () => {
    const local = signIdAuth({ idBlock, idKey: privateScalar('id_key_a.pem'), authorKey: privateScalar('author_key_a.pem') });
    expect(toHex(inputs.idKey)).toBe(toHex(local.idAuth.subarray(0x240, 0x644)));
    expect(toHex(inputs.idKeyDigest)).toBe(toHex(local.idKeyDigest));
  });

  it('assembles node:crypto (OpenSSL) DER signatures into a valid ID auth', () => {
    const blockSig = nodeSign('sha384', inputs.idBlock, keyObject('id_key_a.pem'));
    const keySig = nodeSign('sha384', inputs.idKey, keyObject('author_key_a.pem'));
    expect(blockSig[0]).toBe(0x30);
    const r = assembleIdAuth({
      idBlock, idPublicKey, idBlockSignature: parseDetachedSignature(blockSig),
      authorPublicKey, idKeySignature: parseDetachedSignature(keySig),
    });
    expect(sha256(masked(r.idAuth))).toBe(c.idAuthMaskedSha256);
    expect(toBase64(r.idKeyDigest)).toBe(c.idKeyDigestBase64);
    expect(verifyIdAuth({ idBlock, idAuth: r.idAuth }).ok).toBe(true);
  });

  it('accepts raw r||s (IEEE P1363) signatures', () => {
    const blockSig = nodeSign('sha384', inputs.idBlock, { key: keyObject('id_key_a.pem'), dsaEncoding: 'ieee-p1363' });
    expect(blockSig.length).toBe(96);
    const r = assembleIdAuth({ idBlock, idPublicKey, idBlockSignature: parseDetachedSignature(blockSig) });
    expect(r.authorKeyEnabled).toBe(false);
    expect(verifyIdAuth({ idBlock, idAuth: r.idAuth }).ok).toBe(true);
  });

  it('refuses a signature that does not verify', () => {
    const wrong = nodeSign('sha384', inputs.idBlock, keyObject('author_key_a.pem'));
    expect(() => assembleIdAuth({ idBlock, idPublicKey, idBlockSignature: parseDetachedSignature(wrong) })).toThrow(/does not verify/);
    const blockSig = parseDetachedSignature(nodeSign('sha384', inputs.idBlock, keyObject('id_key_a.pem')));
    const keySigOverBlock = parseDetachedSignature(nodeSign('sha384', inputs.idBlock, keyObject('author_key_a.pem')));
    expect(() => assembleIdAuth({ idBlock, idPublicKey, idBlockSignature: blockSig, authorPublicKey, idKeySignature: keySigOverBlock })).toThrow(/ID key signature does not verify/);
    expect(() => parseDetachedSignature(new Uint8Array(10))).toThrow(/expected DER/);
  });

  let openssl = false;
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    openssl = true;
  } catch { /* no openssl binary */ }
  it.skipIf(!openssl)('assembles signatures made by the openssl command line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idblock-openssl-'));
    try {
      fs.writeFileSync(path.join(dir, 'id-block.bin'), inputs.idBlock);
      fs.writeFileSync(path.join(dir, 'id-key.bin'), inputs.idKey);
      const keys = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../vectors/keys');
      execFileSync('openssl', ['dgst', '-sha384', '-sign', path.join(keys, 'id_key_a.pem'), '-out', path.join(dir, 'id-block.sig'), path.join(dir, 'id-block.bin')]);
      execFileSync('openssl', ['dgst', '-sha384', '-sign', path.join(keys, 'author_key_a.pem'), '-out', path.join(dir, 'id-key.sig'), path.join(dir, 'id-key.bin')]);
      const r = assembleIdAuth({
        idBlock, idPublicKey, authorPublicKey,
        idBlockSignature: parseDetachedSignature(fs.readFileSync(path.join(dir, 'id-block.sig'))),
        idKeySignature: parseDetachedSignature(fs.readFileSync(path.join(dir, 'id-key.sig'))),
      });
      expect(sha256(masked(r.idAuth))).toBe(c.idAuthMaskedSha256);
      expect(nodeVerify(r.idAuth.subarray(0x680, 0x880), r.idAuth.subarray(0x240, 0x644), r.idAuth.subarray(0x880, 0xc84))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// igvmmeasure (RustCrypto p384, RFC 6979, no low-S normalisation) signed this file; our
// deterministic signature of the same ID block with the same key must be the same bytes.
describe.skipIf(!HAVE_SHARED)('parity with igvmmeasure signatures (needs ../shared)', () => {
  function headers(file: string): { type: number; data: Buffer }[] {
    const d = fs.readFileSync(file);
    const vho = d.readUInt32LE(8);
    const vhs = d.readUInt32LE(12);
    const out: { type: number; data: Buffer }[] = [];
    for (let off = vho; off < vho + vhs;) {
      const type = d.readUInt32LE(off);
      const len = d.readUInt32LE(off + 4);
      out.push({ type, data: d.subarray(off + 8, off + 8 + len) });
      off = (off + 8 + len + 7) & ~7;
    }
    return out;
  }
  it('qemu-snp-bldr.signed.igvm', () => {
    const hs = headers(path.join(SHARED, 'oracles/igvm/samples/builder/qemu-snp-bldr.signed.igvm'));
    const policy = hs.find((h) => h.type === 0x101)!.data.readBigUInt64LE(0);
    const blk = hs.find((h) => h.type === 0x30b)!.data;
    const idBlock = buildIdBlock({
      measurement: blk.subarray(8, 56), familyId: blk.subarray(0x38, 0x48), imageId: blk.subarray(0x48, 0x58),
      guestSvn: blk.readUInt32LE(0x5c), policy,
    });
    const key = privateScalar(path.join(SHARED, 'oracles/igvm/inputs/keys/id_key.pem'));
    const sig = signP384(key, idBlock);
    const le = (b: Buffer): bigint => BigInt('0x' + Buffer.from(b).reverse().toString('hex'));
    expect(sig.r).toBe(le(blk.subarray(0x68, 0x68 + 72)));
    expect(sig.s).toBe(le(blk.subarray(0x68 + 72, 0x68 + 144)));
    expect(verifyP384(p384PublicKey(key), idBlock, sig)).toBe(true);
    // the author key's signature of the 1028-byte ID key structure
    const author = privateScalar(path.join(SHARED, 'oracles/igvm/inputs/keys/author_key.pem'));
    const r = signIdAuth({ idBlock, idKey: key, authorKey: author });
    expect(r.idKeySignature!.r).toBe(le(blk.subarray(0x190, 0x190 + 72)));
    expect(r.idKeySignature!.s).toBe(le(blk.subarray(0x190 + 72, 0x190 + 144)));
  });
});
