import { createHash } from 'node:crypto';
import type { HashAlgorithm, HashBackend, Hasher } from './backend.js';

/** OpenSSL via node:crypto: ~10x faster than pure JS for SHA-384 of 4 KiB pages. */
export const nodeBackend: HashBackend = {
  name: 'node',
  create(algorithm: HashAlgorithm): Hasher {
    return createHash(algorithm) as unknown as Hasher;
  },
  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
    return createHash(algorithm).update(data).digest();
  },
};
