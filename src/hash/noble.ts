import { sha256, sha384 } from '@noble/hashes/sha2.js';
import type { HashAlgorithm, HashBackend, Hasher } from './backend.js';

const IMPL = { sha256, sha384 } as const;

/** @noble/hashes: pure JS, portable (browsers), independent of OpenSSL. */
export const nobleBackend: HashBackend = {
  name: 'noble',
  create(algorithm: HashAlgorithm): Hasher {
    return IMPL[algorithm].create() as unknown as Hasher;
  },
  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
    return IMPL[algorithm](data);
  },
};
