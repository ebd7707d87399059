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
 * `x` is a Uint8Array of any class (a Node `Buffer` included) and from any realm (an iframe, a
 * worker's transfer, a Node `vm` context), where `instanceof Uint8Array` says false.
 */
export function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array || (ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === '[object Uint8Array]');
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

/**
 * What every public entry point that takes an input accepts: bytes (any `Uint8Array`, a Node
 * `Buffer` or a subarray included; never written to) or a {@link ByteSource}.
 */
export type ByteInput = Uint8Array | ByteSource;

/** `input` as a ByteSource (bytes are wrapped without a copy; `name` is used for them only). */
export function asSource(input: ByteInput, name?: string): ByteSource {
  return isBytes(input) ? bytesSource(input, name) : input;
}

/**
 * `input` whole, as a plain Uint8Array: bytes as a view (no copy, see {@link plainBytes}), a
 * ByteSource read once and copied (its reads are only valid until the next). For inputs a
 * parser needs in memory at once (event logs, reports, ELF files), not firmware-sized streams.
 */
export function inputBytes(input: ByteInput): Uint8Array {
  return isBytes(input) ? plainBytes(input) : copyBytes(input.read(0, input.size));
}

/** Calls `fn` on consecutive chunks of `source[offset, offset+length)`. */
export function forEachChunk(source: ByteSource, offset: number, length: number, chunk: number, fn: (bytes: Uint8Array) => void): void {
  for (let pos = 0; pos < length; pos += chunk) fn(source.read(offset + pos, Math.min(chunk, length - pos)));
}

/**
 * `size` bytes: `head`, then zeros — memory a VMM maps fresh (zero-filled) and partly writes,
 * e.g. QEMU's TD HOB, or an IGVM page whose data is shorter than the page. Nothing of `size` is
 * allocated up front, and `head` is read only when a read reaches it: each read returns a new
 * buffer of its own length.
 */
export function zeroPaddedSource(head: Uint8Array | ByteSource, size: number, name: string): ByteSource {
  const h = isBytes(head) ? bytesSource(head, name) : head;
  if (h.size > size) throw new RangeError(`${name}: ${h.size} bytes do not fit in ${size}`);
  return {
    name,
    size,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > size) throw new RangeError(`read past the end of ${name}`);
      const out = new Uint8Array(length);
      if (offset < h.size) out.set(h.read(offset, Math.min(h.size, offset + length) - offset));
      return out;
    },
  };
}
