/**
 * The CCEL event log (the log area the ACPI "CCEL" table points to): a TCG PC Client
 * crypto-agile event log whose "PCR index" field holds the CC measurement-register index
 * (0 MRTD, 1..4 = RTMR0..3; UEFI 2.10 §38.4.1). All fields little-endian.
 *
 * First record — TCG_PCR_EVENT (legacy SHA-1 format) carrying TCG_EfiSpecIDEvent:
 *
 *   0x00   4  PCRIndex        (0 in the spec; dstack's real log has 1 — not checked)
 *   0x04   4  EventType       3 (EV_NO_ACTION)
 *   0x08  20  Digest          zero
 *   0x1c   4  EventSize
 *   0x20   …  TCG_EfiSpecIDEvent:
 *              0x00 16  Signature "Spec ID Event03\0"
 *              0x10  4  platformClass
 *              0x14  1  specVersionMinor, 0x15 1 specVersionMajor (2), 0x16 1 specErrata
 *              0x17  1  uintnSize (2 = UINT64)
 *              0x18  4  numberOfAlgorithms
 *              0x1c  …  numberOfAlgorithms × { u16 algorithmId, u16 digestSize }
 *              then  1  vendorInfoSize, and vendorInfoSize bytes
 *
 * Then TCG_PCR_EVENT2 records until a record whose PCRIndex is 0xFFFFFFFF, or whose index and
 * type are both zero (the unused rest of the area is zero), or the end of the input:
 *
 *   0x00   4  PCRIndex (MR index)
 *   0x04   4  EventType
 *   0x08   4  digest count
 *   0x0c   …  count × { u16 algorithmId, digest (size from the Spec ID event) }
 *   then   4  EventSize, and EventSize bytes of event data
 *
 * TDX logs carry one digest, SHA-384 (algorithm 0x000C, 48 bytes).
 */
import { inputBytes, type ByteInput } from '../../bytes/source.js';
import {
  encodeTcgLog, TCG_ALGORITHM_SIZE, TCG_EVENT_SIZE, TCG_PCR_EVENT, TCG_PCR_EVENT2_HEADER, TCG_SPEC_ID_EVENT, TCG_VENDOR_INFO_SIZE, TPMT_HA_ALGORITHM,
} from '../tcg/event-log.js';
import { ParseError } from '../../errors.js';

export const TPM_ALG_SHA384 = 0x000c;
export const EV_NO_ACTION = 3;

// the layouts are declared once, in ../tcg/event-log.ts (the CCEL is a TCG2 crypto-agile log)
export { TCG_PCR_EVENT, TCG_SPEC_ID_EVENT, TCG_ALGORITHM_SIZE, TCG_VENDOR_INFO_SIZE, TCG_PCR_EVENT2_HEADER, TPMT_HA_ALGORITHM, TCG_EVENT_SIZE };

const MR_INDEX = TCG_PCR_EVENT2_HEADER.field('pcrIndex');
const EVENT_TYPE = TCG_PCR_EVENT2_HEADER.field('eventType');
const HASH_ALG = TPMT_HA_ALGORITHM.field('hashAlg');
const EVENT_SIZE = TCG_EVENT_SIZE.field('eventSize');
const VENDOR_INFO_SIZE = TCG_VENDOR_INFO_SIZE.field('vendorInfoSize');

export interface CcelEvent {
  /** position in the log, the Spec ID header being 0 */
  index: number;
  /** byte offset of the record in the log */
  offset: number;
  /** CC measurement register index: 1..4 = RTMR0..3 */
  mrIndex: number;
  eventType: number;
  /** digests by TCG algorithm id */
  digests: Array<{ algorithmId: number; digest: Uint8Array }>;
  data: Uint8Array;
}

export interface CcelLog {
  specId: { platformClass: number; version: string; uintnSize: number; algorithms: Array<{ algorithmId: number; digestSize: number }>; headerMrIndex: number };
  events: CcelEvent[];
  /** bytes up to the end of the last record */
  length: number;
}

export function parseCcel(input: ByteInput, name?: string): CcelLog {
  const log = inputBytes(input); // a plain Uint8Array, so that slice() below copies (a Buffer's is a view)
  const ctx = name !== undefined ? { source: name } : {};
  const view = new DataView(log.buffer, log.byteOffset, log.byteLength);
  const need = (what: string, at: number, n: number): void => {
    if (at + n > log.length) throw new ParseError('ERR_TRUNCATED', what, at, `needs ${n} bytes, only ${Math.max(0, log.length - at)} left in the ${log.length}-byte log`, name);
  };
  const head = TCG_PCR_EVENT.decode(log, 0, ctx);
  const specAt = TCG_PCR_EVENT.size;
  need('TCG_EfiSpecIDEvent', specAt, head.eventSize);
  const spec = TCG_SPEC_ID_EVENT.decode(log.subarray(0, specAt + head.eventSize), specAt, ctx);
  const algorithms: Array<{ algorithmId: number; digestSize: number }> = [];
  let p = specAt + TCG_SPEC_ID_EVENT.size;
  for (let i = 0; i < spec.algorithms; i++) {
    algorithms.push(TCG_ALGORITHM_SIZE.decode(log.subarray(0, specAt + head.eventSize), p, ctx));
    p += TCG_ALGORITHM_SIZE.size;
  }
  need('TCG_EfiSpecIDEvent vendorInfoSize', p, 1);
  const vendorInfoSize = VENDOR_INFO_SIZE.read(view, p);
  if (p + 1 + vendorInfoSize > specAt + head.eventSize) throw new ParseError('ERR_MALFORMED', 'TCG_EfiSpecIDEvent', specAt, `vendor info (${vendorInfoSize} bytes) runs past the event size ${head.eventSize}`, name);
  const sizes = new Map(algorithms.map((a) => [a.algorithmId, a.digestSize]));

  const events: CcelEvent[] = [];
  let at = specAt + head.eventSize;
  while (at + 8 <= log.length) {
    const mrIndex = MR_INDEX.read(view, at);
    const type = EVENT_TYPE.read(view, at);
    if (mrIndex === 0xffff_ffff || (mrIndex === 0 && type === 0)) break;
    const h = TCG_PCR_EVENT2_HEADER.decode(log, at, ctx);
    const what = `TCG_PCR_EVENT2 #${events.length + 1}`;
    if (h.digestCount === 0 || h.digestCount > algorithms.length) {
      throw new ParseError('ERR_MALFORMED', what, at, `digest count ${h.digestCount} (the log declares ${algorithms.length} algorithm(s))`, name);
    }
    let q = at + TCG_PCR_EVENT2_HEADER.size;
    const digests: CcelEvent['digests'] = [];
    for (let d = 0; d < h.digestCount; d++) {
      need(what, q, 2);
      const alg = HASH_ALG.read(view, q);
      const size = sizes.get(alg);
      if (size === undefined) throw new ParseError('ERR_MALFORMED', what, q, `digest algorithm 0x${alg.toString(16)} is not declared in the Spec ID event`, name);
      need(what, q + 2, size);
      digests.push({ algorithmId: alg, digest: log.slice(q + 2, q + 2 + size) });
      q += 2 + size;
    }
    need(what, q, 4);
    const size = EVENT_SIZE.read(view, q);
    need(what, q + 4, size);
    events.push({ index: events.length + 1, offset: at, mrIndex: h.pcrIndex, eventType: h.eventType, digests, data: log.slice(q + 4, q + 4 + size) });
    at = q + 4 + size;
  }
  return {
    specId: { platformClass: spec.platformClass, version: `${spec.major}.${spec.minor} errata ${spec.errata}`, uintnSize: spec.uintnSize, algorithms, headerMrIndex: head.pcrIndex },
    events,
    length: at,
  };
}

/** The SHA-384 digest of an event (TDX logs always carry one). */
export function eventSha384(e: CcelEvent, name?: string): Uint8Array {
  const d = e.digests.find((x) => x.algorithmId === TPM_ALG_SHA384);
  if (!d || d.digest.length !== 48) throw new ParseError('ERR_MALFORMED', `TCG_PCR_EVENT2 #${e.index}`, e.offset, 'has no 48-byte SHA-384 digest', name);
  return d.digest;
}

export interface CcelWriteEvent {
  mrIndex: number;
  eventType: number;
  sha384: Uint8Array;
  data: Uint8Array;
}

/**
 * Encode a CCEL log with one algorithm (SHA-384), as TDVF writes it. `areaSize` pads the log
 * with zeros to the size of the ACPI log area (TDVF reserves 64 KiB).
 */
export function encodeCcel(events: readonly CcelWriteEvent[], opts: { areaSize?: number; headerMrIndex?: number } = {}): Uint8Array {
  for (const e of events) if (e.sha384.length !== 48) throw new RangeError('a SHA-384 digest is 48 bytes');
  const log = encodeTcgLog([{ algorithmId: TPM_ALG_SHA384, digestSize: 48 }], events.map((e) => ({ pcrIndex: e.mrIndex, eventType: e.eventType, digests: [{ algorithmId: TPM_ALG_SHA384, digest: e.sha384 }], data: e.data })));
  const out = new Uint8Array(Math.max(log.length, opts.areaSize ?? 0));
  out.set(log);
  TCG_PCR_EVENT.field('pcrIndex').write(new DataView(out.buffer), 0, opts.headerMrIndex ?? 0);
  return out;
}
