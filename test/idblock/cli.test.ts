/**
 * The id-block / policy commands, the program run in-process (support/cli.ts).
 */
import { createHash, createPublicKey, sign as nodeSign } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import { runCliInProcess, type CliResult } from '../support/cli.js';
import { KEYS, REFERENCE, keyObject, nodeVerify } from './helpers.js';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'idblock-cli-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCliInProcess(args, { cwd: TMP, env: { ...process.env, ...env } });
}
const key = (f: string): string => path.join(KEYS, f);
const c0 = REFERENCE.cases[0]!;
const M = c0.measurementBase64;
const MHEX = Buffer.from(M, 'base64').toString('hex');

function expectCleanError(r: CliResult, pattern: RegExp, code: number, errorCode: ErrorCode): void {
  expect(r.code).toBe(code);
  expect(r.errorCode, r.stderr).toBe(errorCode);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines.length).toBe(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
}

describe('prelaunch id-block', () => {
  it('prints snp-create-id-block\'s three lines', async () => {
    const r = await run(['id-block', '--measurement', M, '--idkey', key(c0.idKey), '--authorkey', key(c0.authorKey)]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^id-block=${c0.idBlockBase64.replace(/[+/]/g, '\\$&')},id-auth=[A-Za-z0-9+/=]{5464}$`));
    expect(lines[1]).toBe(`id_key_hash: ${c0.idKeyDigestBase64}`);
    expect(lines[2]).toBe(`author_key: ${c0.authorKeyDigestBase64}`);
  });

  it('--json, hex measurement, --id-key spelling: same ID block, identical output twice', async () => {
    const args = ['id-block', '--measurement', MHEX, '--id-key', key(c0.idKey), '--author-key', key(c0.authorKey), '--json'];
    const a = await run(args);
    const b = await run(args);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const j = JSON.parse(a.stdout);
    expect(j.idBlock).toBe(c0.idBlockBase64);
    expect(j.idKeyDigest).toBe(Buffer.from(c0.idKeyDigestBase64, 'base64').toString('hex'));
    expect(j.measurement).toBe(MHEX);
    expect(j.policy).toBe('0x30000');
    const auth = Buffer.from(j.idAuth, 'base64');
    const masked = Buffer.from(auth);
    masked.fill(0, 0x40, 0x240);
    masked.fill(0, 0x680, 0x880);
    expect(createHash('sha256').update(masked).digest('hex')).toBe(c0.idAuthMaskedSha256);
    expect(nodeVerify(auth.subarray(0x40, 0x240), Buffer.from(j.idBlock, 'base64'), auth.subarray(0x240, 0x644))).toBe(true);
  });

  it('reads PKCS#8 and encrypted keys (passphrase from file or env, never argv)', async () => {
    const pw = path.join(TMP, 'pw');
    fs.writeFileSync(pw, 'snp-oracle\n');
    const base = ['id-block', '--measurement', M, '--author-key', key(c0.authorKey), '--json'];
    const plain = JSON.parse((await run([...base, '--id-key', key('id_key_a.pem')])).stdout);
    const pkcs8 = JSON.parse((await run([...base, '--id-key', key('id_key_a.pkcs8.pem')])).stdout);
    const enc = JSON.parse((await run([...base, '--id-key', key('id_key_a.encrypted.pem'), '--passphrase-file', pw])).stdout);
    const env = JSON.parse((await run([...base, '--id-key', key('id_key_a.encrypted.pem'), '--passphrase-env', 'IDB_PW'], { IDB_PW: 'snp-oracle' })).stdout);
    expect(pkcs8.idAuth).toBe(plain.idAuth);
    expect(enc.idAuth).toBe(plain.idAuth);
    expect(env.idAuth).toBe(plain.idAuth);
    // DER (PKCS#8 and SEC1)
    const der8 = path.join(TMP, 'k8.der');
    const der1 = path.join(TMP, 'k1.der');
    fs.writeFileSync(der8, keyObject('id_key_a.pem').export({ format: 'der', type: 'pkcs8' }));
    fs.writeFileSync(der1, keyObject('id_key_a.pem').export({ format: 'der', type: 'sec1' }));
    expect(JSON.parse((await run([...base, '--id-key', der8])).stdout).idAuth).toBe(plain.idAuth);
    expect(JSON.parse((await run([...base, '--id-key', der1])).stdout).idAuth).toBe(plain.idAuth);
  });

  it('without an author key: author-key-enabled=off in the QEMU snippet', async () => {
    const r = await run(['id-block', '--measurement', M, '--id-key', key('id_key_a.pem'), '--emit', 'qemu', '--kernel-hashes', 'off', '--host-data', '00'.repeat(32)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^-object sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,id-block=[^,]+,id-auth=[^,]+,author-key-enabled=off,host-data=A{43}=\n$/);
    const x = await run(['id-block', '--measurement', M, '--id-key', key('id_key_a.pem'), '--author-key', key('author_key_a.pem'), '--emit', 'libvirt', '--kernel-hashes', 'off', '--policy', 'smt,single-socket']);
    expect(x.stdout).toMatch(/^<launchSecurity type='sev-snp' authorKey='yes'>/);
    expect(x.stdout).toContain('<policy>0x00130000</policy>');
  });

  it('--from-measure reads prelaunch measure output (JSON or digest line)', async () => {
    const doc = path.join(TMP, 'measure.json');
    fs.writeFileSync(doc, JSON.stringify({ measurement: MHEX, mode: 'snp' }));
    const line = path.join(TMP, 'measure.txt');
    fs.writeFileSync(line, `${M}\n`);
    for (const f of [doc, line]) {
      const r = await run(['id-block', '--from-measure', f, '--id-key', key('id_key_a.pem'), '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).idBlock).toBe(c0.idBlockBase64);
    }
    fs.writeFileSync(doc, JSON.stringify({ measurement: MHEX.slice(0, 64), mode: 'seves' }));
    expectCleanError(await run(['id-block', '--from-measure', doc, '--id-key', key('id_key_a.pem')]), /SEV-SNP only/, 1, 'ERR_MALFORMED');
  });

  const bad: [string, string[], RegExp, ErrorCode][] = [
    ['64-byte measurement (the reference truncates)', ['--measurement', Buffer.alloc(64).toString('base64'), '--id-key', key('id_key_a.pem')], /48 bytes/, 'ERR_MALFORMED'],
    ['hex measurement of 47 bytes', ['--measurement', 'ab'.repeat(47), '--id-key', key('id_key_a.pem')], /48 bytes/, 'ERR_MALFORMED'],
    ['short family id', ['--measurement', M, '--id-key', key('id_key_a.pem'), '--family-id', '0011'], /--family-id/, 'ERR_MALFORMED'],
    ['long image id', ['--measurement', M, '--id-key', key('id_key_a.pem'), '--image-id', '00'.repeat(17)], /--image-id/, 'ERR_MALFORMED'],
    ['P-256 key', ['--measurement', M, '--id-key', key('p256_key.pem')], /P-256/, 'ERR_KEY'],
    ['Ed25519 author key', ['--measurement', M, '--id-key', key('id_key_a.pem'), '--author-key', key('ed25519_key.pem')], /not an EC key/, 'ERR_KEY'],
    ['encrypted key without passphrase', ['--measurement', M, '--id-key', key('id_key_a.encrypted.pem')], /encrypted/, 'ERR_KEY'],
    ['missing key file', ['--measurement', M, '--id-key', path.join(TMP, 'nope.pem')], /no such file/, 'ERR_IO'],
    ['not a key', ['--measurement', M, '--id-key', path.join(KEYS, 'README.md')], /not a readable private key/, 'ERR_KEY'],
    ['bad policy', ['--measurement', M, '--id-key', key('id_key_a.pem'), '--policy', '0x10000'], /bit 17/, 'ERR_INVALID_OPTION'],
  ];
  for (const [name, args, pattern, errorCode] of bad) {
    it(`rejects: ${name}`, async () => {
      const out = path.join(TMP, `out-${name.replace(/\W+/g, '_')}.bin`);
      const r = await run(['id-block', ...args, '--id-auth-out', out]);
      expectCleanError(r, pattern, errorCode === 'ERR_INVALID_OPTION' ? 2 : 1, errorCode);
      expect(fs.existsSync(out)).toBe(false);
      // never any key material in the message
      const d = Buffer.from(keyObject('id_key_a.pem').export({ format: 'jwk' }).d!, 'base64url');
      expect(r.stderr).not.toContain(d.toString('hex'));
      expect(r.stderr).not.toContain('-----BEGIN');
    });
  }

  it('prepare → openssl-style DER signatures → assemble → verify', async () => {
    const dir = fs.mkdtempSync(path.join(TMP, 'ext-'));
    const p = await run(['id-block', 'prepare', '--measurement', M, '--id-key', key('id_key_a.pem'), '--out-dir', dir, '--json']);
    expect(p.code).toBe(0);
    const blk = fs.readFileSync(path.join(dir, 'id-block.bin'));
    const idk = fs.readFileSync(path.join(dir, 'id-key.bin'));
    expect(blk.length).toBe(96);
    expect(idk.length).toBe(1028);
    const pub = (f: string): string => {
      const out = path.join(dir, f.replace('.pem', '.pub.pem'));
      fs.writeFileSync(out, createPublicKey(keyObject(f)).export({ format: 'pem', type: 'spki' }));
      return out;
    };
    fs.writeFileSync(path.join(dir, 'b.sig'), nodeSign('sha384', blk, keyObject('id_key_a.pem')));
    fs.writeFileSync(path.join(dir, 'k.sig'), nodeSign('sha384', idk, keyObject('author_key_a.pem')));
    const a = await run(['id-block', 'assemble', '--id-block', path.join(dir, 'id-block.bin'), '--id-pubkey', pub('id_key_a.pem'),
      '--id-block-sig', path.join(dir, 'b.sig'), '--author-pubkey', pub('author_key_a.pem'), '--id-key-sig', path.join(dir, 'k.sig'),
      '--json', '--id-auth-out', path.join(dir, 'auth.bin')]);
    expect(a.code).toBe(0);
    const j = JSON.parse(a.stdout);
    expect(j.idBlock).toBe(c0.idBlockBase64);
    expect(j.authorKeyDigest).toBe(Buffer.from(c0.authorKeyDigestBase64, 'base64').toString('hex'));
    const v = await run(['id-block', 'verify', '--id-block', j.idBlock, '--id-auth', path.join(dir, 'auth.bin'), '--measurement', M, '--id-key-digest', j.idKeyDigest]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/ID block signature: ok/);
    expect(v.stdout).toMatch(/ID key signature: {3}ok/);
    // a signature by the wrong key: refused, nothing written
    const out = path.join(dir, 'auth2.bin');
    const w = await run(['id-block', 'assemble', '--id-block', path.join(dir, 'id-block.bin'), '--id-pubkey', pub('id_key_a.pem'),
      '--id-block-sig', path.join(dir, 'k.sig'), '--id-auth-out', out]);
    expectCleanError(w, /does not verify/, 1, 'ERR_SIGNATURE');
    expect(fs.existsSync(out)).toBe(false);
    // verify against another measurement fails
    const m = await run(['id-block', 'verify', '--id-block', j.idBlock, '--id-auth', path.join(dir, 'auth.bin'), '--measurement', '00'.repeat(48)]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/^error: .*differs from the expected measurement/);
  });
});

describe('prelaunch policy', () => {
  it('decode 0x30000', async () => {
    const r = await run(['policy', 'decode', '0x30000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^policy: 0x30000\n/);
    expect(r.stdout).toMatch(/SMT \(bit 16\)\s+yes/);
    expect(r.stdout).toMatch(/DEBUG \(bit 19\)\s+no/);
  });
  it('encode fields', async () => {
    expect((await run(['policy', 'encode', 'smt', 'debug', 'abi=1.51'])).stdout).toBe('0xb0133\n');
  });
  it('rejects reserved bits', async () => {
    expectCleanError(await run(['policy', 'decode', '0x4030000']), /26-63/, 2, 'ERR_INVALID_OPTION');
  });
});
