/** SHA-256 of the direct-boot components as QEMU computes them for the SEV hashes table. */
import { asSource, forEachChunk, type ByteInput, type ByteSource } from '../bytes/source.js';
import { cmdlineWithNul, type KernelCmdline } from '../formats/linux/cmdline.js';
import type { HashBackend } from '../hash/backend.js';
import { defaultBackend } from '../hash/index.js';
import type { KernelHashes } from '../formats/snp/kernel-hashes.js';
import { STREAM_CHUNK } from './sev-engine.js';

export function sha256Source(src: ByteSource | null, backend: HashBackend): Uint8Array {
  const h = backend.create('sha256');
  if (src) forEachChunk(src, 0, src.size, STREAM_CHUNK, (b) => h.update(b));
  return h.digest();
}

/**
 * The three digests of the SEV kernel-hashes table. The command line is hashed as QEMU does:
 * its bytes (a string as UTF-8) and the terminating NUL (no command line: just the NUL).
 */
export function computeKernelHashes(kernelInput: ByteInput, initrdInput: ByteInput | null, append: KernelCmdline | null | undefined, backend: HashBackend = defaultBackend): KernelHashes {
  const kernel = asSource(kernelInput, 'kernel');
  const initrd = initrdInput === null ? null : asSource(initrdInput, 'initrd');
  const cmdline = backend.hash('sha256', cmdlineWithNul(append));
  return {
    kernel: sha256Source(kernel, backend),
    initrd: sha256Source(initrd, backend),
    cmdline,
  };
}
