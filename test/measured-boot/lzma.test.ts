/** The LZMA decoder of edk2 compressed sections: a known stream, and malformed ones → error codes. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lzmaDecompress } from '../../src/formats/uefi/lzma.js';

// Made for this test with CPython's lzma module (liblzma), FORMAT_ALONE, default preset, from
// 'prelaunch measured boot: ' × 20 ‖ bytes 0..255 ‖ 300 zeros ‖ (7i mod 256) for i < 500; the
// header's unknown size (all ones) replaced by the real size, 1556, as edk2's compressor writes it.
const STREAM = Buffer.from(
  '5d00008000140600000000000000381c88ce68b01fc5034dce1608d2d7f4bbf83adc2efc4ed397d3f2dd961b6460060919b0e7edcc7d8b16bbb641f79d48839ee63da2d8113855be450585d7fa33556d5e47ba92b16b66abf89c238cd36ac5c3b339297145d556733cd33f14912f6a578259e095b1e456e36402fc04681aed0f69887f697b0fc4243c95d968b086b92b81b6ca2cab577ffdc0234c338c4266c2a4ea1cb0a5a1591e34530cd6e1c2d1ad83b5cf1ecc4d8e0f0b352a5684450b0fa76b6535071e8ae471d0fb8124e47f6a357af0df9f9531ddd6016a1ba1aae7eff8474e99aae2fcb8682bff5fe1c756fdab30cb50a20e25473318a43101919b25da892e42a1036fd3d4273e0be0303cecf647c750103304f23bfe5aa8410eda7cd1ddafa96b95c3dca569d5591bd87b2d16dfdc091323d716c4ceef861fdd128ea87b3519c8ae9454728047389ca6b50208e11f817462dc3ed61454310ee0af4ddc54e1c75932fb450c9a59b82b2e8c1b8a860a5969ff56c73651ce905429850d1ff2b0bc2df5c62eb5cb8f77ced00e7e7084b7ac66053c210dccca29e5f23402070be9f94f23877e07902bf1a205f62f08407b07ced7e8016b3acb614d9aebd6075e41d7c47025908d4f8bb1d612daf4ad60840a28ca8e9edd0c8d711fde3374135bfffffcc91f40',
  'hex',
);
const SHA256 = '10852598e0bb58dfed181ce30f30a72fa3d4e6817b5f424730a427a773c6b057';

describe('LZMA decoder', () => {
  it('decodes a known stream', () => {
    const out = lzmaDecompress(new Uint8Array(STREAM), { maxOutput: 1 << 20 });
    expect(out.length).toBe(1556);
    expect(createHash('sha256').update(out).digest('hex')).toBe(SHA256);
  });
  it('refuses a declared size above the cap before allocating', () => {
    expect(() => lzmaDecompress(new Uint8Array(STREAM), { maxOutput: 1000, source: 'fw.fd', base: 0x94 })).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED', offset: 0x99 }));
  });
  it('refuses an unknown size and a bad properties byte', () => {
    const unknown = new Uint8Array(STREAM);
    unknown.fill(0xff, 5, 13);
    expect(() => lzmaDecompress(unknown, { maxOutput: 1 << 20 })).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED' }));
    const props = new Uint8Array(STREAM);
    props[0] = 225;
    expect(() => lzmaDecompress(props, { maxOutput: 1 << 20 })).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED' }));
  });
  it('every truncation fails with a ParseError, never reads past its input', () => {
    for (let n = 0; n < STREAM.length - 8; n += 7) {
      expect(() => lzmaDecompress(new Uint8Array(STREAM.subarray(0, n)), { maxOutput: 1 << 20 })).toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_(TRUNCATED|MALFORMED)$/) }));
    }
  });
  it('a declared size larger than the stream fails (no zero-filled tail is returned)', () => {
    const longer = new Uint8Array(STREAM);
    longer[5] = 0x20; // 1556 → 0x620 + … larger
    longer[6] = 0x07;
    expect(() => lzmaDecompress(longer, { maxOutput: 1 << 20 })).toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_(TRUNCATED|MALFORMED)$/) }));
  });
  // The FVMAIN_COMPACT LZMA section of the committed Debian images (the GUIDed section's data at
  // 0xa8), decoded by CPython 3.11's lzma module (liblzma 5.4, FORMAT_ALONE): size and SHA-256
  // of its output, recorded 2026-12-02. The real streams exercise every path of the decoder
  // (matches, repeated matches, long runs, the direct-bits distances) at full size.
  it.each([
    ['debian/OVMF_CODE_4M.fd (edk2 2022.11)', 1511391, 13500560, '9b26042c7c6623ae470c552c66b3d2956bcf4f9ce3f4adaa66087eae71bd7a71'],
    ['debian-sid/OVMF_CODE_4M.fd (edk2 2026.08)', 1773526, 16056464, '40274d72a5a3f1fdcc04d73475ddf227baa4dcdaa8553962b1749db5d5c1e45f'],
  ] as const)('decodes the compressed volume of %s as liblzma does', (name, length, size, sha256) => {
    const image = readFileSync(join(import.meta.dirname, '../../firmware-samples', name.split(' ')[0]!));
    const out = lzmaDecompress(new Uint8Array(image.subarray(0xa8, 0xa8 + length)), { maxOutput: 64 << 20 });
    expect(out.length).toBe(size);
    expect(createHash('sha256').update(out).digest('hex')).toBe(sha256);
  });
});
