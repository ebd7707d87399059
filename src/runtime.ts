/**
 * Node built-in modules for library code that must stay portable (no static `node:` import):
 * `process.getBuiltinModule` (Node >= 20.16), or undefined on runtimes without it, where the
 * caller falls back to portable code (src/bytes/crc32.ts: zlib's CRC-32; src/sign/ecdsa-p384.ts:
 * OpenSSL's ECDSA verification).
 */
export function nodeBuiltin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(id) as T | undefined;
}
