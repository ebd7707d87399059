/**
 * Hashing backends. `node` (OpenSSL through node:crypto) is the default in Node; `noble`
 * (@noble/hashes, pure JS) runs anywhere and serves as an independent cross-check.
 */
export interface Hasher {
  update(data: Uint8Array): Hasher;
  /** The digest; the hasher may not be used afterwards. */
  digest(): Uint8Array;
  /** An independent copy of the running state (to fork a common prefix). */
  clone(): Hasher;
}

export type HashAlgorithm = 'sha256' | 'sha384';
export type HashBackendName = 'node' | 'noble';
export const HASH_BACKENDS: readonly HashBackendName[] = ['node', 'noble'];

export interface HashBackend {
  readonly name: HashBackendName;
  create(algorithm: HashAlgorithm): Hasher;
  /** One-shot digest. */
  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array;
  /**
   * One-shot digest written into `out` at `offset` (`out` may be `data` itself: the digest is
   * computed before anything is written). The SNP page loop uses this so that it allocates
   * no digest buffers (docs/performance.md).
   */
  hashInto(algorithm: HashAlgorithm, data: Uint8Array, out: Uint8Array, offset: number): void;
}

export const DIGEST_SIZE: Readonly<Record<HashAlgorithm, number>> = { sha256: 32, sha384: 48 };

/** Adapts a library's running hash (update / digest / a way to copy it) to {@link Hasher}. */
export class WrappedHasher<H extends { update(data: Uint8Array): unknown; digest(): Uint8Array }> implements Hasher {
  constructor(
    private readonly h: H,
    private readonly copy: (h: H) => H,
  ) {}
  update(data: Uint8Array): Hasher {
    this.h.update(data);
    return this;
  }
  digest(): Uint8Array {
    return this.h.digest();
  }
  clone(): Hasher {
    return new WrappedHasher(this.copy(this.h), this.copy);
  }
}
