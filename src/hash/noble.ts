import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { WrappedHasher, type HashAlgorithm, type HashBackend, type Hasher } from './backend.js';

const IMPL = { sha256, sha384 } as const;

interface NobleHash {
  update(data: Uint8Array): NobleHash;
  digest(): Uint8Array;
  clone(): NobleHash;
}

/** @noble/hashes: pure JS, portable (browsers), independent of OpenSSL. */
export const nobleBackend: HashBackend = {
  name: 'noble',
  create(algorithm: HashAlgorithm): Hasher {
    return new WrappedHasher(IMPL[algorithm].create() as unknown as NobleHash, (h) => h.clone());
  },
  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
    return IMPL[algorithm](data);
  },
  hashInto(algorithm: HashAlgorithm, data: Uint8Array, out: Uint8Array, offset: number): void {
    out.set(IMPL[algorithm](data), offset);
  },
};
