/**
 * `prelaunch igvm inspect|measure|sign` through the built CLI bundle (dist/prelaunch.cjs):
 * exit codes, one `error:` line for every malformed file (../shared's samples/bad when
 * present, and truncations of a committed sample at every header boundary), --json fields,
 * --trace, --svg, and sign's refusals and round trip with measure.
 */
import { createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PrelaunchError } from '../../src/errors.js';
import { IgvmPlatformType } from '../../src/formats/igvm/defs.js';
import { directiveLocations, directiveTable } from '../../src/formats/igvm/directives.js';
import { parseIgvm } from '../../src/formats/igvm/parse.js';
import { serializeIgvm } from '../../src/formats/igvm/serialize.js';
import { expectCleanError, expectOk, pool, PROJECT, runCliInProcess } from '../support/cli.js';

const BUILDER = path.join(PROJECT, 'firmware-samples/igvm/builder');
const SYNTH = path.join(PROJECT, 'firmware-samples/igvm/synth');
const KEYS = path.join(PROJECT, 'test/vectors/keys/igvm');
const OTHER_KEYS = path.join(PROJECT, 'test/vectors/keys');
const SHARED = path.resolve(PROJECT, '../shared/oracles/igvm');
const HAVE_SHARED = fs.existsSync(path.join(SHARED, 'corpus.jsonl')) && !process.env.PRELAUNCH_NO_SHARED;
const BAD = path.join(SHARED, 'samples/bad');

const SAMPLE = path.join(BUILDER, 'qemu-snp-bldr.igvm');
const SIGNED = path.join(BUILDER, 'qemu-snp-bldr.signed.igvm');
const SIGNED_NOAUTHOR = path.join(BUILDER, 'qemu-snp-bldr.signed-noauthor.igvm');
const DIGEST = 'C5B40954AF5788D5F54202560E05873218A5932F6211FCCFDF44998807505B2CD0090B42CCB8CC06D3BFB2353F8ACFC3';
const ID_KEY = path.join(KEYS, 'id_key.pem');
const AUTHOR_KEY = path.join(KEYS, 'author_key.pem');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-igvm-cli-'));
afterAll(async () => fs.rmSync(tmp, { recursive: true, force: true }));
const t = (name: string): string => path.join(tmp, name);
const bytesEqual = (a: string, b: string): boolean => Buffer.compare(fs.readFileSync(a), fs.readFileSync(b)) === 0;

describe('igvm measure (CLI)', () => {
  it('prints the digest, exit 0', async () => {
    expect(expectOk(await runCliInProcess(['igvm', 'measure', SAMPLE])).trim()).toBe(DIGEST);
  });
  it('--json fields', async () => {
    const j = JSON.parse(expectOk(await runCliInProcess(['igvm', 'measure', SIGNED, '--json']))) as Record<string, unknown>;
    expect(j).toMatchObject({ platform: 'sev-snp', compatibilityMask: '0x1', digest: DIGEST.toLowerCase(), formatVersion: 1, size: fs.statSync(SIGNED).size });
    expect(j.operations).toBeGreaterThan(0);
    expect(j.vmsaCount).toBe(1);
    expect(j.idBlock).toMatchObject({ ld: DIGEST.toLowerCase(), matches: true, signatureValid: true, idBlockSignatureValid: true, idKeySignatureValid: true });
  });
  it('--trace: the last line\'s digest is the printed digest', async () => {
    const out = expectOk(await runCliInProcess(['igvm', 'measure', SAMPLE, '--trace', t('trace.txt')])).trim();
    const lines = fs.readFileSync(t('trace.txt'), 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^# prelaunch trace v1 /);
    const last = /digest=([0-9a-f]{96})/.exec(lines[lines.length - 1]!);
    expect(last?.[1]?.toUpperCase()).toBe(out);
  });
  it('a wrong --platform value is a usage error (exit 2); a missing platform exit 1', async () => {
    expect((await runCliInProcess(['igvm', 'measure', SAMPLE, '--platform', 'cca'])).code).toBe(2);
    expect(expectCleanError(await runCliInProcess(['igvm', 'measure', SAMPLE, '--platform', 'sev']), 1, 'ERR_FIRMWARE_UNSUPPORTED')).toMatch(/not compatible with the specified platform/);
  });
  it('a missing file: one error line, exit 1', async () => {
    expectCleanError(await runCliInProcess(['igvm', 'measure', t('nope.igvm')]), 1, 'ERR_IO');
  });
  it('--platform tdx with a 2^44-byte parameter area: one error line naming the field and the limit, exit 1', async () => {
    const file = t('huge-area.igvm');
    fs.writeFileSync(file, serializeIgvm({
      formatVersion: 1, architecture: 0, pageSize: 4096,
      platforms: [{ kind: 'supported-platform', compatibilityMask: 1, highestVtl: 0, platformType: IgvmPlatformType.TDX, platformVersion: 1, sharedGpaBoundary: 0n }],
      initializations: [],
      directives: directiveTable([
        { kind: 'parameter-area', numberOfBytes: 2 ** 44, parameterAreaIndex: 0, initialData: null },
        { kind: 'parameter-insert', gpa: 0x1_0000_0000, compatibilityMask: 1, parameterAreaIndex: 0 },
        { kind: 'page-data', gpa: 0x10_0000, compatibilityMask: 1, flags: 0, dataType: 0, data: { kind: 'bytes', bytes: new Uint8Array(4096) } },
      ]),
    }));
    expect(expectCleanError(await runCliInProcess(['igvm', 'measure', file, '--platform', 'tdx']), 1, 'ERR_FIRMWARE_UNSUPPORTED')).toMatch(/number_of_bytes 0x100000000000 exceeds the 0x100000000 bytes/);
  });
});

describe('igvm inspect (CLI)', () => {
  it('text, --json fields and --svg', async () => {
    expect(expectOk(await runCliInProcess(['igvm', 'inspect', SIGNED]))).toMatch(/SEV_SNP/);
    const svg = t('map.svg');
    const j = JSON.parse(expectOk(await runCliInProcess(['igvm', 'inspect', SIGNED, '--json', '--svg', svg]))) as Record<string, unknown> & { snpIdBlocks: unknown[]; platforms: unknown[]; directives: unknown[] };
    expect(j).toMatchObject({ formatVersion: 1, architecture: 'X64', pageSize: 4096, size: fs.statSync(SIGNED).size });
    expect(j.platforms.length).toBeGreaterThan(0);
    expect(j.directives.length).toBe(47);
    expect(j.snpIdBlocks).toHaveLength(1);
    const text = fs.readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg') || text.startsWith('<?xml')).toBe(true);
    expect(text.trimEnd().endsWith('</svg>')).toBe(true);
  });
});

describe('malformed IGVM files: one error line each, exit 1', () => {
  const badFiles = HAVE_SHARED && fs.existsSync(BAD) ? fs.readdirSync(BAD).filter((f) => f.endsWith('.igvm')).sort() : [];
  it.skipIf(!badFiles.length)(`../shared samples/bad (${badFiles.length} files), measure and inspect`, async () => {
    const runs = badFiles.flatMap((f) => [['igvm', 'measure', path.join(BAD, f)], ['igvm', 'inspect', path.join(BAD, f)]]);
    const results = await pool(runs, 8, (args) => runCliInProcess(args));
    results.forEach((r, i) => expectCleanError(r, 1, 'ERR_MALFORMED') && expect(r.stderr, runs[i]!.join(' ')).toMatch(/^error: /));
  });

  // every header boundary of a committed sample: the fixed header, each variable header's
  // start and the end of the header section, plus a cut inside the first header
  const bytes = new Uint8Array(fs.readFileSync(SAMPLE));
  const parsed = parseIgvm(bytes);
  const loc = [...parsed.layout.platforms, ...parsed.layout.initializations, ...directiveLocations(parsed.file.directives, parsed.layout.firstDirective)];
  const cuts = [...new Set([0, 1, 16, 24, ...loc.map((l) => l.offset), ...loc.map((l) => l.offset + 4), parsed.info.fileDataOffset, bytes.length - 1])].sort((a, b) => a - b);
  it(`truncations at ${cuts.length} header boundaries (measure)`, async () => {
    for (const c of cuts) fs.writeFileSync(t(`cut-${c}.igvm`), bytes.subarray(0, c));
    const results = await pool(cuts, 8, (c) => runCliInProcess(['igvm', 'measure', t(`cut-${c}.igvm`)]));
    results.forEach((r) => expectCleanError(r, 1, 'ERR_MALFORMED'));
  });
  it('truncations with total_file_size patched to the cut length: the header walk itself rejects each (library, and CLI for some)', async () => {
    const some = cuts.filter((c) => c >= 24);
    const patched = some.map((c) => {
      const b = Buffer.from(bytes.subarray(0, c));
      b.writeUInt32LE(c, 16); // total_file_size
      return b;
    });
    patched.forEach((b, i) => expect(() => parseIgvm(new Uint8Array(b)), `cut at ${some[i]}`).toThrow(PrelaunchError));
    const picked = some.filter((_, i) => i % 10 === 0);
    for (const c of picked) fs.writeFileSync(t(`cutfix-${c}.igvm`), patched[some.indexOf(c)]!);
    const results = await pool(picked, 8, (c) => runCliInProcess(['igvm', 'inspect', t(`cutfix-${c}.igvm`)]));
    results.forEach((r) => expectCleanError(r, 1, 'ERR_MALFORMED'));
  });
});

describe('igvm sign (CLI)', () => {
  it('is byte-identical to igvmmeasure sign, with and without the author key', async () => {
    const out = t('s1.igvm');
    const stdout = expectOk(await runCliInProcess(['igvm', 'sign', SAMPLE, '--output', out, '--id-key', ID_KEY, '--author-key', AUTHOR_KEY]));
    expect(stdout.split('\n')[0]).toBe(DIGEST);
    expect(bytesEqual(out, SIGNED)).toBe(true);
    expectOk(await runCliInProcess(['igvm', 'sign', SAMPLE, '-o', t('s2.igvm'), '--id-key', ID_KEY]));
    expect(bytesEqual(t('s2.igvm'), SIGNED_NOAUTHOR)).toBe(true);
  });
  it('--json fields', async () => {
    const j = JSON.parse(expectOk(await runCliInProcess(['igvm', 'sign', SAMPLE, '-o', t('s3.igvm'), '--id-key', ID_KEY, '--author-key', AUTHOR_KEY, '--json',
      '--family-id', '00112233445566778899aabbccddeeff', '--image-id', 'ffeeddccbbaa99887766554433221100', '--guest-svn', '3'])));
    expect(j).toMatchObject({
      digest: DIGEST.toLowerCase(), policy: '0x30000', compatibilityMask: '0x1', formatVersion: 1, authorKeyEnabled: true, guestSvn: 3,
      familyId: '00112233445566778899aabbccddeeff', imageId: 'ffeeddccbbaa99887766554433221100', replacedIdBlocks: 0,
    });
    expect(j.idKeyDigest).toMatch(/^[0-9a-f]{96}$/);
    expect(j.authorKeyDigest).toMatch(/^[0-9a-f]{96}$/);
    // and measure accepts it (the fields are signed)
    expect(expectOk(await runCliInProcess(['igvm', 'measure', t('s3.igvm')])).trim()).toBe(DIGEST);
  });
  it('PKCS#8: refused like igvmmeasure refuses it (no output); accepted with --allow-pkcs8, same bytes', async () => {
    const pkcs8 = t('id_key.pkcs8.pem');
    fs.writeFileSync(pkcs8, createPrivateKey(fs.readFileSync(ID_KEY)).export({ format: 'pem', type: 'pkcs8' }));
    const out = t('p8.igvm');
    expect(expectCleanError(await runCliInProcess(['igvm', 'sign', SAMPLE, '-o', out, '--id-key', pkcs8]), 1, 'ERR_KEY')).toMatch(/PKCS#8.*--allow-pkcs8/);
    expect(fs.existsSync(out)).toBe(false);
    expect(expectCleanError(await runCliInProcess(['igvm', 'sign', SAMPLE, '-o', out, '--id-key', path.join(KEYS, 'id_key_pkcs8.pem')]), 1, 'ERR_KEY')).toMatch(/PKCS#8/);
    await runCliInProcess(['igvm', 'sign', SAMPLE, '-o', out, '--id-key', pkcs8, '--author-key', AUTHOR_KEY, '--allow-pkcs8']);
    expect(bytesEqual(out, SIGNED)).toBe(true);
  });
  it('encrypted keys with --passphrase-file / --passphrase-env (and --allow-pkcs8 for encrypted PKCS#8)', async () => {
    const enc = path.join(OTHER_KEYS, 'id_key_a.encrypted.pem');
    const pass = t('pass.txt');
    fs.writeFileSync(pass, 'snp-oracle\n');
    expectCleanError(await runCliInProcess(['igvm', 'sign', SAMPLE, '-o', t('e0.igvm'), '--id-key', enc, '--allow-pkcs8']), 1, 'ERR_KEY');
    expectOk(await runCliInProcess(['igvm', 'sign', SAMPLE, '-o', t('e1.igvm'), '--id-key', enc, '--allow-pkcs8', '--passphrase-file', pass]));
    process.env.PRELAUNCH_TEST_PASSPHRASE = 'snp-oracle';
    expectOk(await runCliInProcess(['igvm', 'sign', SAMPLE, '-o', t('e3.igvm'), '--id-key', enc, '--allow-pkcs8', '--passphrase-env', 'PRELAUNCH_TEST_PASSPHRASE']));
    delete process.env.PRELAUNCH_TEST_PASSPHRASE;
    expect(bytesEqual(t('e1.igvm'), t('e3.igvm'))).toBe(true);
    const r = await runCliInProcess(['igvm', 'sign', SAMPLE, '-o', t('e2.igvm'), '--id-key', path.join(OTHER_KEYS, 'id_key_a.pem')]);
    expectOk(r);
    expect(bytesEqual(t('e1.igvm'), t('e2.igvm'))).toBe(true);
    expect(fs.existsSync(t('e0.igvm'))).toBe(false);
  });
  it('refusals: one error line, right exit code, no output file', async () => {
    const out = t('never.igvm');
    const cases: Array<[string[], number, RegExp]> = [
      [['igvm', 'sign', SAMPLE, '-o', out], 2, /--id-key/],
      [['igvm', 'sign', SAMPLE, '--id-key', ID_KEY], 2, /--output/],
      [['igvm', 'sign', SAMPLE, '-o', out, '--id-key', path.join(OTHER_KEYS, 'p256_key.pem')], 1, /P-256/],
      [['igvm', 'sign', SAMPLE, '-o', out, '--id-key', path.join(OTHER_KEYS, 'ed25519_key.pem')], 1, /not an EC key/],
      [['igvm', 'sign', SAMPLE, '-o', out, '--id-key', t('missing.pem')], 1, /cannot read/],
      [['igvm', 'sign', SAMPLE, '-o', out, '--id-key', ID_KEY, '--author-key', path.join(OTHER_KEYS, 'p256_key.pem')], 1, /--author-key.*P-256/],
      [['igvm', 'sign', SAMPLE, '-o', out, '--id-key', ID_KEY, '--platform', 'sev-es'], 2, /only supported for SEV-SNP/],
      [['igvm', 'sign', SAMPLE, '-o', out, '--id-key', ID_KEY, '--family-id', '0011'], 1, /--family-id/],
      [['igvm', 'sign', SAMPLE, '-o', out, '--id-key', ID_KEY, '--guest-svn', '-1'], 2, /--guest-svn/],
      [['igvm', 'sign', path.join(SYNTH, 'synth-snp-no-policy.igvm'), '-o', out, '--id-key', ID_KEY], 1, /guest policy/],
      [['igvm', 'sign', path.join(SYNTH, 'synth-edge-no-file-data.igvm'), '-o', out, '--id-key', ID_KEY], 1, /InvalidFixedHeader/],
      [['igvm', 'sign', path.join(BUILDER, 'hv-snp-nofw.igvm'), '-o', out, '--id-key', ID_KEY, '--check-kvm'], 1, /KVM check failed/],
      [['igvm', 'sign', SIGNED_NOAUTHOR, '-o', out, '--id-key', ID_KEY], 1, /already has an SNP ID block.*--replace-idblock/],
      [['igvm', 'sign', path.join(tmp, 'nope.igvm'), '-o', out, '--id-key', ID_KEY], 1, /cannot open/],
    ];
    for (const [args, code, msg] of cases) {
      expect(expectCleanError(await runCliInProcess(args), code), args.join(' ')).toMatch(msg);
      expect(fs.existsSync(out), args.join(' ')).toBe(false);
    }
  });
  it.skipIf(!HAVE_SHARED)('a file without an SEV-SNP platform (../shared upstream VSM sample)', async () => {
    const out = t('never2.igvm');
    expect(expectCleanError(await runCliInProcess(['igvm', 'sign', path.join(SHARED, 'samples/upstream/upstream-test_data-vsm.igvm'), '-o', out, '--id-key', ID_KEY]), 1, 'ERR_FIRMWARE_UNSUPPORTED')).toMatch(/not compatible/);
    expect(fs.existsSync(out)).toBe(false);
  });
  it('the output may not be the input (however it is spelled); the input is left alone', async () => {
    const copy = t('in.igvm');
    fs.copyFileSync(SAMPLE, copy);
    fs.symlinkSync(copy, t('link.igvm'));
    for (const o of [copy, path.join(tmp, '.', 'in.igvm'), t('link.igvm')]) {
      expect(expectCleanError(await runCliInProcess(['igvm', 'sign', copy, '-o', o, '--id-key', ID_KEY]), 2, 'ERR_INVALID_OPTION')).toMatch(/is the input file/);
    }
    expect(bytesEqual(copy, SAMPLE)).toBe(true);
  });
  it('--replace-idblock replaces an existing block (note on stderr): re-signing igvmmeasure output = signing the original', async () => {
    const out = t('re.igvm');
    const r = await runCliInProcess(['igvm', 'sign', SIGNED_NOAUTHOR, '-o', out, '--id-key', ID_KEY, '--author-key', AUTHOR_KEY, '--replace-idblock']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^note: replaced the file's existing SNP ID block\n$/);
    expect(bytesEqual(out, SIGNED)).toBe(true);
  });
  it('a v2 file is signed as v1 and measures to the same digest', async () => {
    const input = path.join(SYNTH, 'synth-snp-native-v2.igvm');
    const want = expectOk(await runCliInProcess(['igvm', 'measure', input])).trim();
    const out = t('v2.igvm');
    expect(expectOk(await runCliInProcess(['igvm', 'sign', input, '-o', out, '--id-key', ID_KEY])).split('\n')[0]).toBe(want);
    expect(fs.readFileSync(out).readUInt32LE(4)).toBe(1);
    expect(expectOk(await runCliInProcess(['igvm', 'measure', out])).trim()).toBe(want);
  });
});

describe('measure of signed files: the ID block is checked', () => {
  const signedOut = t('round.igvm');
  const header = (): { at: number; buf: Buffer } => {
    const buf = fs.readFileSync(signedOut);
    const p = parseIgvm(new Uint8Array(buf));
    const at = directiveLocations(p.file.directives, p.layout.firstDirective).pop()!.offset + 8; // the ID block's content
    return { at, buf };
  };
  const patched = (name: string, fn: (b: Buffer, at: number) => void): string => {
    const { at, buf } = header();
    fn(buf, at);
    // the ID block lives in the variable headers: fix the CRC so only the ID block is wrong
    const file = path.join(tmp, name);
    fs.writeFileSync(file, fixCrc(buf));
    return file;
  };
  it('round trip: measure of the signed output prints the digest in its ID block, exit 0', async () => {
    const j = JSON.parse(expectOk(await runCliInProcess(['igvm', 'sign', SAMPLE, '-o', signedOut, '--id-key', ID_KEY, '--author-key', AUTHOR_KEY, '--json']))) as { digest: string };
    const m = JSON.parse(expectOk(await runCliInProcess(['igvm', 'measure', signedOut, '--json']))) as { digest: string; idBlock: { ld: string; matches: boolean } };
    expect(m.digest).toBe(j.digest);
    expect(m.idBlock.ld).toBe(j.digest);
    expect(m.idBlock.matches).toBe(true);
  });
  it('a tampered ld: the digest is printed, then an error, exit 1; --ignore-idblock exits 0', async () => {
    const f = patched('bad-ld.igvm', (b, at) => { b[at + 8]! ^= 0xff; });
    const r = await runCliInProcess(['igvm', 'measure', f]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe(DIGEST);
    expect(r.stderr).toMatch(/^error: the SNP ID block .* expects launch digest/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(expectOk(await runCliInProcess(['igvm', 'measure', f, '--ignore-idblock'])).trim()).toBe(DIGEST);
  });
  it('a tampered signature, family id or guest svn (ld intact): exit 1, unlike igvmmeasure', async () => {
    for (const [name, off] of [['bad-sig.igvm', 104 + 10], ['bad-family.igvm', 56], ['bad-svn.igvm', 92], ['bad-author-sig.igvm', 400 + 3]] as const) {
      const f = patched(name, (b, at) => { b[at + off]! ^= 0x01; });
      const r = await runCliInProcess(['igvm', 'measure', f]);
      expect(r.code, name).toBe(1);
      expect(r.stdout.trim()).toBe(DIGEST);
      expect(r.stderr, name).toMatch(/^error: the SNP ID block .* matches the digest but the launch would fail: .*does not verify/);
      expect((await runCliInProcess(['igvm', 'measure', f, '--ignore-idblock'])).code).toBe(0);
    }
  });
});

/** Recompute the IGVM checksum (CRC-32 of the fixed header with checksum 0 and the variable headers). */
function fixCrc(buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  const vhOffset = out.readUInt32LE(8);
  const vhSize = out.readUInt32LE(12);
  out.writeUInt32LE(0, 20);
  out.writeUInt32LE(crc32(out.subarray(0, vhOffset + vhSize)), 20);
  return out;
}
function crc32(b: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < b.length; i++) {
    c ^= b[i]!;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
