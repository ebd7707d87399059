/** SHA-256 of the direct-boot components as QEMU computes them for the SEV hashes table. */
import { forEachChunk, type ByteSource } from '../bytes/source.js';
import { utf8 } from '../bytes/hex.js';
import type { HashBackend } from '../hash/backend.js';
import type { KernelHashes } from '../formats/snp/kernel-hashes.js';
import { STREAM_CHUNK } from './sev-engine.js';

export function sha256Source(src: ByteSource | null, backend: HashBackend): Uint8Array {
  const h = backend.create('sha256');
  if (src) forEachChunk(src, 0, src.size, STREAM_CHUNK, (b) => h.update(b));
  return h.digest();
}

/**
 * The command line is hashed as UTF-8 with its terminating NUL (no command line: just the NUL).
 * Bytes are taken as they are (QEMU hashes the raw -append bytes: stack rule H7).
 */
export function cmdlineBytes(append: string | Uint8Array | null | undefined): Uint8Array {
  const text = typeof append === 'string' || append == null ? utf8(append ?? '') : append;
  const out = new Uint8Array(text.length + 1);
  out.set(text);
  return out;
}

export function computeKernelHashes(kernel: ByteSource, initrd: ByteSource | null, append: string | Uint8Array | null | undefined, backend: HashBackend): KernelHashes {
  return {
    kernel: sha256Source(kernel, backend),
    initrd: sha256Source(initrd, backend),
    cmdline: backend.hash('sha256', cmdlineBytes(append)),
  };
}
