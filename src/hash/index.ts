import type { HashBackend, HashBackendName } from './backend.js';
import { nodeBackend } from './node.js';

export type { HashAlgorithm, HashBackend, HashBackendName, Hasher } from './backend.js';
export { HASH_BACKENDS } from './backend.js';
export { nodeBackend } from './node.js';

/** The default backend in Node. */
export const defaultBackend: HashBackend = nodeBackend;

/** Load a backend by name; noble is imported only when asked for. */
export async function loadHashBackend(name: HashBackendName): Promise<HashBackend> {
  if (name === 'node') return nodeBackend;
  if (name === 'noble') return (await import('./noble.js')).nobleBackend;
  throw new RangeError(`unknown hash backend ${String(name)}`);
}
