import { describe, expect, it } from 'vitest';
import { toBase64 } from '../../src/bytes/hex.js';
import {
  decodeIdAuth, decodeIdBlock, decodeSnpPublicKey, decodeSnpSignature, encodeIdBlock, encodeSnpPublicKey, encodeSnpSignature,
} from '../../src/formats/snp/id-block.js';
import { decodePolicy, encodePolicy, policyFromSpec, policyProblems, renderPolicy } from '../../src/formats/snp/policy.js';
import { libvirtLaunchSecurity, qemuSnippet } from '../../src/report/launch-config.js';
import { ParseError, OptionError } from '../../src/errors.js';

describe('ID block layout', () => {
  it('encodes fields at the ABI offsets and decodes them back', () => {
    const ld = Uint8Array.from({ length: 48 }, (_, i) => i);
    const b = { ld, familyId: new Uint8Array(16).fill(0xf1), imageId: new Uint8Array(16).fill(0x1d), version: 1, guestSvn: 0x01020304, policy: 0x8000_0000_0003_0000n };
    const bytes = encodeIdBlock(b);
    expect(bytes.length).toBe(96);
    expect(bytes[0x30]).toBe(0xf1);
    expect(bytes[0x40]).toBe(0x1d);
    expect(Buffer.from(bytes).readUInt32LE(0x50)).toBe(1);
    expect(Buffer.from(bytes).readUInt32LE(0x54)).toBe(0x01020304);
    expect(Buffer.from(bytes).readBigUInt64LE(0x58)).toBe(0x8000_0000_0003_0000n);
    const d = decodeIdBlock(bytes);
    expect(d.policy).toBe(b.policy);
    expect(d.guestSvn).toBe(b.guestSvn);
    expect(Array.from(d.ld)).toEqual(Array.from(ld));
    expect(() => decodeIdBlock(bytes.subarray(0, 95))).toThrow(ParseError);
  });

  it('public keys and signatures: little-endian, 72-byte components', () => {
    const k = { curve: 2, qx: 0x0102n, qy: (1n << 383n) + 5n };
    const kb = encodeSnpPublicKey(k);
    expect(kb.length).toBe(0x404);
    expect(Array.from(kb.subarray(0, 6))).toEqual([2, 0, 0, 0, 0x02, 0x01]);
    expect(kb[0x4c]).toBe(5);
    expect(kb[0x4c + 47]).toBe(0x80);
    expect(decodeSnpPublicKey(kb)).toEqual(k);
    const s = { r: 7n, s: 0xabcdn };
    const sb = encodeSnpSignature(s);
    expect(sb.length).toBe(0x200);
    expect(sb[0]).toBe(7);
    expect(sb[0x48]).toBe(0xcd);
    expect(sb[0x49]).toBe(0xab);
    expect(decodeSnpSignature(sb)).toEqual(s);
    expect(() => decodeIdAuth(new Uint8Array(4095))).toThrow(/4096/);
  });
});

describe('guest policy', () => {
  it('decodes 0x30000 as SMT allowed', () => {
    const p = decodePolicy(0x30000n);
    expect(p.smt).toBe(true);
    expect(p.debug).toBe(false);
    expect(p.abiMajor).toBe(0);
    expect(encodePolicy(p)).toBe(0x30000n);
  });
  it('round-trips every field', () => {
    const all = { abiMajor: 1, abiMinor: 55, smt: true, migrateMa: true, debug: true, singleSocket: true, cxlAllow: true, memAes256Xts: true, raplDis: true, ciphertextHiding: true, pageSwapDisable: true };
    const v = encodePolicy(all);
    expect(v).toBe(0x3ff0137n);
    expect(decodePolicy(v)).toEqual(all);
  });
  it('validates reserved bits', () => {
    expect(policyProblems(0x10000n)).toEqual(['reserved bit 17 must be 1']);
    expect(policyProblems(0x4030000n)[0]).toMatch(/26-63/);
    expect(() => decodePolicy(0x1_0003_0000n)).toThrow(OptionError);
  });
  it('reads numbers and field lists', () => {
    expect(policyFromSpec('0x30000')).toBe(0x30000n);
    expect(policyFromSpec('196608')).toBe(0x30000n);
    expect(policyFromSpec('smt,single-socket,abi=1.55')).toBe(0x130137n);
    expect(policyFromSpec('SMT,DEBUG')).toBe(0xb0000n);
    expect(() => policyFromSpec('smt,nope')).toThrow(/unknown policy field/);
    expect(() => policyFromSpec('0x10000')).toThrow(/bit 17/);
    expect(renderPolicy(0x30000n)).toMatch(/SMT \(bit 16\)\s+yes/);
  });
});

describe('launch snippets', () => {
  const cfg = { policy: 0x30000n, idBlock: new Uint8Array(96), idAuth: new Uint8Array(4096).fill(1), authorKeyEnabled: true, hostData: new Uint8Array(32).fill(2), cbitpos: 51, reducedPhysBits: 1, kernelHashes: false };
  it('QEMU -object sev-snp-guest', () => {
    const s = qemuSnippet(cfg);
    expect(s).toBe(`-object sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,id-block=${toBase64(cfg.idBlock)},id-auth=${toBase64(cfg.idAuth)},author-key-enabled=on,host-data=${toBase64(cfg.hostData)}`);
  });
  it('libvirt launchSecurity', () => {
    const x = libvirtLaunchSecurity({ ...cfg, authorKeyEnabled: false, hostData: null });
    expect(x.split('\n')[0]).toBe(`<launchSecurity type='sev-snp' authorKey='no'>`);
    expect(x).toContain('<policy>0x00030000</policy>');
    expect(x).toContain(`<idAuth>${toBase64(cfg.idAuth)}</idAuth>`);
    expect(x).not.toContain('hostData');
  });
});
