/**
 * Builders for OVMF-like images in tests: a footer table with the given entries (in on-disk
 * order, ending where the footer entry starts, 50 bytes before the end) and SEV metadata.
 */
import { guidToBytes } from '../../src/bytes/guid.js';
import { StructWriter } from './struct-writer.js';
import { OVMF_TABLE_FOOTER_GUID, SEV_ES_RESET_BLOCK_GUID, SEV_METADATA_GUID } from '../../src/formats/ovmf/defs.js';

export interface Entry { guid: string; data: Uint8Array; size?: number }

export const u32s = (...v: number[]): Uint8Array => {
  const w = new StructWriter(v.length * 4);
  v.forEach((x, i) => w.u32(i * 4, x));
  return w.bytes;
};

export function buildImage(size: number, entries: Entry[], o: { total?: number } = {}): Uint8Array {
  const img = new Uint8Array(size);
  const footerAt = size - 50;
  const bodySize = entries.reduce((n, e) => n + e.data.length + 18, 0);
  let at = footerAt - bodySize;
  for (const e of entries) {
    img.set(e.data, at);
    at += e.data.length;
    new DataView(img.buffer).setUint16(at, e.size ?? e.data.length + 18, true);
    img.set(guidToBytes(e.guid), at + 2);
    at += 18;
  }
  new DataView(img.buffer).setUint16(footerAt, o.total ?? bodySize + 18, true);
  img.set(guidToBytes(OVMF_TABLE_FOOTER_GUID), footerAt + 2);
  return img;
}

/** An SEV metadata block: header "ASEV" + sections [gpa, size, type]. */
export function sevMetadata(sections: Array<[number, number, number]>, o: { signature?: string; version?: number; count?: number; length?: number } = {}): Uint8Array {
  const w = new StructWriter(16 + 12 * sections.length);
  w.put(0, new TextEncoder().encode(o.signature ?? 'ASEV')).u32(4, o.length ?? 16 + 12 * sections.length).u32(8, o.version ?? 1).u32(12, o.count ?? sections.length);
  sections.forEach(([gpa, size, type], i) => w.u32(16 + i * 12, gpa).u32(20 + i * 12, size).u32(24 + i * 12, type));
  return w.bytes;
}

/** An image of `size` bytes with an SEV-ES reset block (EIP 0x80b004) and SEV metadata at `metaAt`. */
export function imageWithMetadata(meta: Uint8Array, o: { size?: number; metaAt?: number; offsetFromEnd?: number } = {}): Uint8Array {
  const size = o.size ?? 0x4000;
  const metaAt = o.metaAt ?? 0x1000;
  const img = buildImage(size, [
    { guid: SEV_METADATA_GUID, data: u32s(o.offsetFromEnd ?? size - metaAt) },
    { guid: SEV_ES_RESET_BLOCK_GUID, data: u32s(0x80b004) },
  ]);
  img.set(meta, metaAt);
  return img;
}
