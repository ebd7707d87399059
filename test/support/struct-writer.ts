/** A little-endian writer at literal offsets, for building synthetic fixtures in tests (the library writes through its layouts, src/bytes/layout.ts). */
export class StructWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(off: number, v: number): this { this.view.setUint8(off, v); return this; }
  u16(off: number, v: number): this { this.view.setUint16(off, v, true); return this; }
  u32(off: number, v: number): this { this.view.setUint32(off, v >>> 0, true); return this; }
  /** 64-bit value: a bigint, or a number below 2^53 */
  u64(off: number, v: bigint | number): this {
    this.view.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }
  put(off: number, data: Uint8Array): this { this.bytes.set(data, off); return this; }
}

/** Write a number below 2^53 as a little-endian u64 into `view` without allocating a BigInt. */
export function setU64(view: DataView, off: number, n: number): void {
  view.setUint32(off, n >>> 0, true);
  view.setUint32(off + 4, Math.floor(n / 0x1_0000_0000) >>> 0, true);
}
