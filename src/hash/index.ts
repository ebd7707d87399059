/**
 * Hash backend selection. The default is `node` (OpenSSL through node:crypto) where the
 * runtime has node:crypto, found at run time (src/runtime.ts: no static `node:` import, so
 * this bundles for browsers), and `noble` (@noble/hashes, pure JS) everywhere else.
 */
import type { HashBackend, HashBackendName } from './backend.js';
import { NODE_CRYPTO_AVAILABLE, nodeBackend } from './node.js';
import { nobleBackend } from './noble.js';

export type { HashAlgorithm, HashBackend, HashBackendName, Hasher } from './backend.js';
export { HASH_BACKENDS } from './backend.js';
export { nodeBackend } from './node.js';
export { nobleBackend } from './noble.js';

/** `node` where node:crypto is available (Node), else `noble` (browsers, other runtimes). */
export const defaultBackend: HashBackend = NODE_CRYPTO_AVAILABLE ? nodeBackend : nobleBackend;

/** The backend named `name`; `node` throws where node:crypto is not available. */
export function hashBackend(name: HashBackendName): HashBackend {
  if (name === 'node') {
    if (!NODE_CRYPTO_AVAILABLE) throw new RangeError('the "node" hash backend needs node:crypto (Node >= 20.16: process.getBuiltinModule); use "noble" here');
    return nodeBackend;
  }
  if (name === 'noble') return nobleBackend;
  throw new RangeError(`unknown hash backend ${String(name)}`);
}

/** {@link hashBackend}, as a promise (kept for callers written when noble was loaded on demand). */
export async function loadHashBackend(name: HashBackendName): Promise<HashBackend> {
  return hashBackend(name);
}
