/**
 * Random-access byte inputs. The library never opens files itself: callers hand it a
 * {@link ByteSource} (the CLI's reads a file in large windows; {@link bytesSource} wraps
 * bytes already in memory), so firmware, kernels and initrds are streamed, not read whole.
 */
export interface ByteSource {
  /** a name for messages (a file path, or "<memory>") */
  readonly name: string;
  readonly size: number;
  /**
   * `length` bytes at `offset`. The returned view is only valid until the next call
   * (file sources reuse a window buffer): copy what you keep.
   */
  read(offset: number, length: number): Uint8Array;
}

/**
 * `bytes` as a plain `Uint8Array` view of the same memory (no copy). Node's `Buffer` is a
 * Uint8Array subclass whose `slice()` returns a view instead of a copy, so code that copies
 * with `slice()` and then writes to (or reads `.buffer` of) the copy would alias the caller's
 * memory. Every public entry point that takes bytes passes them through this first.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A copy of `bytes[start, end)` in fresh memory (offset 0 of its own ArrayBuffer), whatever the input's class. */
export function copyBytes(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  return plainBytes(bytes).slice(start, end);
}

export function bytesSource(input: Uint8Array, name = '<memory>'): ByteSource {
  const bytes = plainBytes(input);
  return {
    name,
    size: bytes.length,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > bytes.length) throw new RangeError(`read past the end of ${name}`);
      return bytes.subarray(offset, offset + length);
    },
  };
}

export function asSource(input: ByteSource | Uint8Array, name?: string): ByteSource {
  return input instanceof Uint8Array ? bytesSource(input, name) : input;
}

/** Calls `fn` on consecutive chunks of `source[offset, offset+length)`. */
export function forEachChunk(source: ByteSource, offset: number, length: number, chunk: number, fn: (bytes: Uint8Array) => void): void {
  for (let pos = 0; pos < length; pos += chunk) fn(source.read(offset + pos, Math.min(chunk, length - pos)));
}
