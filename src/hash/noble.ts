import { sha256, sha384 } from '@noble/hashes/sha2.js';
import type { HashAlgorithm, HashBackend, Hasher } from './backend.js';

const IMPL = { sha256, sha384 } as const;

/** @noble/hashes: pure JS, portable (browsers), independent of OpenSSL. */
interface NobleHash {
  update(data: Uint8Array): NobleHash;
  digest(): Uint8Array;
  clone(): NobleHash;
}

class NobleHasher implements Hasher {
  constructor(private readonly h: NobleHash) {}
  update(data: Uint8Array): Hasher {
    this.h.update(data);
    return this;
  }
  digest(): Uint8Array {
    return this.h.digest();
  }
  clone(): Hasher {
    return new NobleHasher(this.h.clone());
  }
}

export const nobleBackend: HashBackend = {
  name: 'noble',
  create(algorithm: HashAlgorithm): Hasher {
    return new NobleHasher(IMPL[algorithm].create() as unknown as NobleHash);
  },
  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
    return IMPL[algorithm](data);
  },
};
