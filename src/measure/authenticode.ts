/** PE/COFF Authenticode digest as edk2 measures an EFI image (ranges: ../formats/pe/authenticode-ranges.ts). */
import { asSource, forEachChunk, type ByteInput, type ByteSource } from '../bytes/source.js';
import type { HashAlgorithm, HashBackend } from '../hash/backend.js';
import { defaultBackend } from '../hash/index.js';
import { authenticodeRanges } from '../formats/pe/authenticode-ranges.js';

const CHUNK = 1024 * 1024;

export function authenticodeDigest(input: ByteInput, backend: HashBackend = defaultBackend, algorithm: HashAlgorithm = 'sha384'): Uint8Array {
  const image = asSource(input, 'image');
  const h = backend.create(algorithm);
  for (const r of authenticodeRanges(image)) forEachChunk(image, r.offset, r.length, CHUNK, (b) => h.update(b));
  return h.digest();
}

/** `base` with its first `head.length` bytes replaced (e.g. a kernel with QEMU's setup-header patch). */
export function overlaySource(base: ByteSource, head: Uint8Array): ByteSource {
  let scratch = new Uint8Array(0);
  return {
    name: base.name,
    size: base.size,
    read(offset, length) {
      if (offset >= head.length) return base.read(offset, length);
      if (offset + length <= head.length) return head.subarray(offset, offset + length);
      if (scratch.length < length) scratch = new Uint8Array(length);
      const out = scratch.subarray(0, length);
      out.set(base.read(offset, length));
      out.set(head.subarray(offset), 0);
      return out;
    },
  };
}
