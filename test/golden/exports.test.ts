import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decode, Tag } from 'cbor2';
import type { GoldenDocument } from '../../src/golden/engine.js';
import { OVMF, ROOT, cli, cleanError } from '../support/golden.js';

const spec = JSON.parse(readFileSync(path.join(ROOT, 'test/vectors/consumers.json'), 'utf8'));
const tmp = mkdtempSync(path.join(tmpdir(), 'prelaunch-export-'));
const KEYS = path.join(ROOT, 'test/vectors/keys');
const HOST = 'ab'.repeat(32);

// one document with ID blocks, policy and host data, reused by every export test
const docFile = path.join(tmp, 'doc.json');
const gen = await cli(['golden', '--ovmf', OVMF, '--vcpus', '1-3', '--vcpu-type', 'EPYC-v4,EPYC-Milan', '--policy', '0x30000', '--host-data', HOST,
  '--id-key', path.join(KEYS, 'id_key_a.pem'), '--author-key', path.join(KEYS, 'author_key_a.pem'), '--family-id', '00112233445566778899aabbccddeeff', '-o', docFile]);
const doc = JSON.parse(readFileSync(docFile, 'utf8')) as GoldenDocument;
const measurements = [...new Set(doc.entries.map((e) => e.measurement))];

function le(b: Buffer): Buffer { return Buffer.from(b).reverse(); }

describe('golden ID blocks', () => {
  it('every entry carries an ID block for its measurement, signed verifiably, reproducibly', async () => {
    expect(gen.code).toBe(0);
    for (const e of doc.entries) {
      const ib = e.idBlock as Record<string, string>;
      const block = Buffer.from(ib.idBlock!, 'base64');
      const auth = Buffer.from(ib.idAuth!, 'base64');
      expect(block.subarray(0, 48).toString('hex')).toBe(e.measurement);
      expect(block.subarray(0x30, 0x40).toString('hex')).toBe('00112233445566778899aabbccddeeff');
      const key = auth.subarray(0x240, 0x644);
      const jwk = { kty: 'EC', crv: 'P-384', x: le(key.subarray(4, 52)).toString('base64url'), y: le(key.subarray(76, 124)).toString('base64url') };
      const sig = Buffer.concat([le(auth.subarray(0x40, 0x70)), le(auth.subarray(0x88, 0xb8))]);
      expect(nodeVerify('sha384', block, { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    }
    const again = path.join(tmp, 'again.json');
    await cli(['golden', '--ovmf', OVMF, '--vcpus', '1-3', '--vcpu-type', 'EPYC-v4,EPYC-Milan', '--policy', '0x30000', '--host-data', HOST,
      '--id-key', path.join(KEYS, 'id_key_a.pem'), '--author-key', path.join(KEYS, 'author_key_a.pem'), '--family-id', '00112233445566778899aabbccddeeff', '-o', again]);
    expect(readFileSync(again)).toEqual(readFileSync(docFile));
  });

  it('ID-block fields without a key are a usage error', async () => {
    const r = await cli(['golden', '--ovmf', OVMF, '--vcpus', '1', '--vcpu-type', 'EPYC', '--family-id', '00']);
    expect(r.code).toBe(2);
    expect(cleanError(r.stderr)).toBe(true);
  });
});

describe('exports match the consumers\' documented formats', () => {
  it('trustee: an RVPS "sample" registration message', async () => {
    const r = await cli(['export', '--to', 'trustee', docFile]);
    expect(r.code).toBe(0);
    const msg = JSON.parse(r.stdout);
    expect(Object.keys(msg)).toEqual(spec.trustee.messageKeys);
    expect(msg.version).toBe(spec.trustee.version);
    expect(msg.type).toBe(spec.trustee.type);
    const sample = JSON.parse(Buffer.from(msg.payload, 'base64').toString('utf8'));
    for (const v of Object.values(sample)) expect(Array.isArray(v) && (v as unknown[]).every((x) => typeof x === 'string')).toBe(true);
    expect(sample[spec.trustee.measurementName].sort()).toEqual([...measurements].sort());
    expect(sample.snp_host_data).toEqual([HOST]);
    expect(sample.snp_id_key_digest).toHaveLength(1);
    const named = JSON.parse(Buffer.from(JSON.parse((await cli(['export', '--to', 'trustee', docFile, '--name', 'rvps:///snp/measurement:v1'])).stdout).payload, 'base64').toString());
    expect(named['rvps:///snp/measurement:v1']).toHaveLength(measurements.length);
  });

  it('in-toto: a Statement v1 over the release artifacts with the document as predicate', async () => {
    const st = JSON.parse((await cli(['export', '--to', 'in-toto', docFile])).stdout);
    expect(Object.keys(st)).toEqual(spec.inToto.keys);
    expect(st._type).toBe(spec.inToto.type);
    expect(st.subject).toEqual([{ name: doc.artifacts[0]!.firmware.path, digest: { sha256: doc.artifacts[0]!.firmware.sha256 } }]);
    expect(Object.keys(st.subject[0])).toEqual(spec.inToto.subjectKeys);
    expect(st.predicate.entries).toHaveLength(doc.entries.length);
  });

  it('snpguest: 0x-hex verify flags, one line per distinct expectation', async () => {
    const out = (await cli(['export', '--to', 'snpguest', docFile])).stdout.trim().split('\n').filter((l) => !l.startsWith('#'));
    expect(out).toHaveLength(measurements.length);
    for (const line of out) {
      const flags = line.split(' ').filter((x) => x.startsWith('--'));
      expect(flags.every((f) => spec.snpguest.flags.includes(f))).toBe(true);
      expect(line).toMatch(/^--measurement 0x[0-9a-f]{96} --host-data 0x[0-9a-f]{64} --id-key-digest 0x[0-9a-f]{96} --author-key-digest 0x[0-9a-f]{96}$/);
    }
  });

  it('go-sev-guest: a check.Config text proto for one measurement', async () => {
    const e = doc.entries.find((x) => x.vcpus === 2 && x.vcpuType === 'EPYC-Milan')!;
    const r = await cli(['export', '--to', 'go-sev-guest', docFile, '--select', 'vcpus=2,vcpuType=EPYC-Milan']);
    expect(r.code).toBe(0);
    const body = r.stdout.split('\n').filter((l) => !l.startsWith('#'));
    expect(body[0]).toBe(`${spec.goSevGuest.block} {`);
    const fields = Object.fromEntries(body.slice(1, -2).map((l) => { const m = /^ {2}(\w+): (.*)$/.exec(l)!; return [m[1], m[2]]; }));
    for (const [name, value] of Object.entries(fields)) {
      if (name in spec.goSevGuest.bytesFields) {
        const bytes = Buffer.from(JSON.parse((value as string).replace(/\\x/g, '\\u00')), 'latin1');
        expect(bytes.length, name).toBe(spec.goSevGuest.bytesFields[name]);
      } else if (spec.goSevGuest.uintFields.includes(name)) expect(value).toMatch(/^\d+$/);
      else expect(spec.goSevGuest.boolFields).toContain(name);
    }
    expect(Buffer.from(JSON.parse(fields.measurement!.replace(/\\x/g, '\\u00')), 'latin1').toString('hex')).toBe(e.measurement);
    const many = await cli(['export', '--to', 'go-sev-guest', docFile]);
    expect(many.code).toBe(2);
    expect(many.stderr).toMatch(/one measurement; the selection has \d+/);
  });

  it('corim: an unsigned CoRIM with a CoMID of SNP reference triples', async () => {
    const out = path.join(tmp, 'rv.cbor');
    expect((await cli(['export', '--to', 'corim', docFile, '-o', out])).code).toBe(0);
    const bytes = readFileSync(out);
    expect((await cli(['export', '--to', 'corim', docFile, '-o', path.join(tmp, 'rv2.cbor')])).code).toBe(0);
    expect(readFileSync(path.join(tmp, 'rv2.cbor'))).toEqual(bytes);
    const top = decode(bytes) as Tag;
    expect(Number(top.tag)).toBe(spec.corim.unsignedCorimTag);
    const corim = top.contents as Map<number, unknown>;
    // tag 32 (URI): cbor2 decodes it to a URL
    expect(String((corim.get(3) as URL).href)).toBe(spec.corim.profile);
    const [comidTag] = corim.get(1) as Tag[];
    expect(Number(comidTag!.tag)).toBe(spec.corim.comidTag);
    const comid = decode(comidTag!.contents as Uint8Array) as Map<number, unknown>;
    const triples = (comid.get(4) as Map<number, unknown>).get(0) as unknown[][];
    expect(triples).toHaveLength(measurements.length);
    const seen: string[] = [];
    for (const [env, ms] of triples as [Map<number, Map<number, unknown>>, Map<number, unknown>[]][]) {
      const classId = env.get(0)!.get(0) as Tag;
      expect(Number(classId.tag)).toBe(spec.corim.oidTag);
      expect(Buffer.from(classId.contents as Uint8Array).toString('hex')).toBe(spec.corim.classOidBytes);
      const byKey = new Map(ms.map((m) => [Number(m.get(0)), m.get(1) as Map<number, unknown>]));
      const [[alg, digest]] = byKey.get(spec.corim.mkeys.MEASUREMENT)!.get(2) as [[number, Uint8Array], ...[number, Uint8Array][]];
      expect(alg).toBe(spec.corim.sha384AlgId);
      seen.push(Buffer.from(digest!).toString('hex'));
      const policy = byKey.get(spec.corim.mkeys.POLICY)!.get(4) as Tag;
      expect(Number(policy.tag)).toBe(spec.corim.taggedBytesTag);
      expect(Buffer.from(policy.contents as Uint8Array).readBigUInt64LE()).toBe(0x30000n);
      expect(Buffer.from((byKey.get(spec.corim.mkeys.HOST_DATA)!.get(4) as Tag).contents as Uint8Array).toString('hex')).toBe(HOST);
      expect(byKey.has(spec.corim.mkeys.ID_KEY_DIGEST) && byKey.has(spec.corim.mkeys.AUTHOR_KEY_DIGEST)).toBe(true);
    }
    expect(seen.sort()).toEqual([...measurements].sort());
  });

  it('qemu and libvirt: launch snippets with the documented properties', async () => {
    const q = (await cli(['export', '--to', 'qemu', docFile, '--select', 'vcpus=1,vcpuType=EPYC-v4'])).stdout.trim().split('\n');
    expect(q[1]).toMatch(new RegExp(`^-smp 1 -cpu EPYC-v4 -object ${spec.qemu.object},id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,id-block=[A-Za-z0-9+/=]{128},id-auth=[A-Za-z0-9+/=]+,author-key-enabled=on,host-data=[A-Za-z0-9+/=]{44}$`));
    const l = (await cli(['export', '--to', 'libvirt', docFile, '--select', 'vcpus=1,vcpuType=EPYC-v4'])).stdout;
    expect(l).toMatch(new RegExp(`<${spec.libvirt.element} type='sev-snp' authorKey='yes'>`));
    for (const el of ['policy', 'idBlock', 'idAuth', 'hostData']) expect(l).toMatch(new RegExp(`<${el}>[^<]+</${el}>`));
  });

  it('bad input: unknown selector keys and non-documents are clean errors', async () => {
    let r = await cli(['export', '--to', 'trustee', docFile, '--select', 'cpu=4']);
    expect(r.code).toBe(2);
    expect(cleanError(r.stderr)).toBe(true);
    r = await cli(['export', '--to', 'trustee', path.join(ROOT, 'package.json')]);
    expect(r.code).toBe(1);
    expect(cleanError(r.stderr)).toBe(true);
    r = await cli(['export', '--to', 'xml', docFile]);
    expect(r.code).toBe(2);
  });
});
