import { nodeBuiltin } from '../runtime.js';
import { DIGEST_SIZE, WrappedHasher, type HashAlgorithm, type HashBackend, type Hasher } from './backend.js';

// node:crypto and node:buffer are looked up at run time (src/runtime.ts), never imported
// statically, so that this module bundles for browsers; there `nodeCrypto` is undefined and
// `nodeBackend` throws when used (hash/index.ts then picks noble as the default).
interface NodeHash {
  update(data: Uint8Array): NodeHash;
  digest(): Uint8Array;
  copy(): NodeHash;
}
type OneShot = {
  (algorithm: string, data: Uint8Array, outputEncoding: 'buffer'): Uint8Array;
  (algorithm: string, data: Uint8Array, outputEncoding: 'latin1'): string;
};
interface NodeCrypto {
  createHash(algorithm: string): NodeHash;
  hash?: OneShot;
}
type Latin1Write = (this: Uint8Array, s: string, offset: number, length: number) => number;

const nodeCrypto = nodeBuiltin<NodeCrypto>('node:crypto');
/** node:crypto is available in this runtime (Node >= 20.16, or another runtime with `process.getBuiltinModule`). */
export const NODE_CRYPTO_AVAILABLE = nodeCrypto !== undefined;

function unavailable(): never {
  throw new Error('the "node" hash backend needs node:crypto (Node >= 20.16: process.getBuiltinModule); use the "noble" backend here');
}
const crypto: NodeCrypto = nodeCrypto ?? { createHash: unavailable };

// crypto.hash() (Node ≥ 20.12) skips the Hash object: ~10% faster per 4 KiB page and ~30%
// faster per 112-byte PAGE_INFO than createHash().update().digest() (measured on this
// machine; see docs/performance.md). Fall back to createHash on older runtimes.
const oneShot = crypto.hash;

// hashInto: the digest comes back as a latin1 string (one char per byte, allocated on V8's
// heap) and is written into the caller's buffer by Buffer's latin1Write. A 'buffer' result
// is a new ArrayBuffer per call, and with two hashes per SNP page those cost more in
// allocation and GC than the strings (~30 ms on 16,000 hashes, docs/performance.md).
// latin1 is lossless for bytes 0-255 in both directions.
const latin1Write = (nodeBuiltin<{ Buffer: { prototype: { latin1Write?: Latin1Write } } }>('node:buffer')?.Buffer.prototype)?.latin1Write;

/** OpenSSL via node:crypto: ~10x faster than pure JS for SHA-384 of 4 KiB pages. Throws when used where node:crypto is not available. */
export const nodeBackend: HashBackend = {
  name: 'node',
  create(algorithm: HashAlgorithm): Hasher {
    return new WrappedHasher(crypto.createHash(algorithm), (h) => h.copy());
  },
  hash: oneShot
    ? (algorithm: HashAlgorithm, data: Uint8Array): Uint8Array => oneShot(algorithm, data, 'buffer')
    : (algorithm: HashAlgorithm, data: Uint8Array): Uint8Array => crypto.createHash(algorithm).update(data).digest(),
  hashInto: oneShot && typeof latin1Write === 'function'
    ? (algorithm: HashAlgorithm, data: Uint8Array, out: Uint8Array, offset: number): void => {
      const size = DIGEST_SIZE[algorithm];
      if (offset < 0 || offset + size > out.length) throw new RangeError(`hashInto: ${size} bytes at ${offset} do not fit in ${out.length}`);
      latin1Write.call(out, oneShot(algorithm, data, 'latin1'), offset, size);
    }
    : (algorithm: HashAlgorithm, data: Uint8Array, out: Uint8Array, offset: number): void => {
      out.set(crypto.createHash(algorithm).update(data).digest(), offset);
    },
};
