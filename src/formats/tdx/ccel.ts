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
  encodeTcgLog, parseTcgLog, TCG_ALGORITHM_SIZE, TCG_EVENT_SIZE, TCG_PCR_EVENT, TCG_PCR_EVENT2_HEADER, TCG_SPEC_ID_EVENT, TCG_VENDOR_INFO_SIZE, TPMT_HA_ALGORITHM,
} from '../tcg/event-log.js';
import { ParseError } from '../../errors.js';

export const TPM_ALG_SHA384 = 0x000c;
export const EV_NO_ACTION = 3;

// the layouts are declared once, in ../tcg/event-log.ts (the CCEL is a TCG2 crypto-agile log)
export { TCG_PCR_EVENT, TCG_SPEC_ID_EVENT, TCG_ALGORITHM_SIZE, TCG_VENDOR_INFO_SIZE, TCG_PCR_EVENT2_HEADER, TPMT_HA_ALGORITHM, TCG_EVENT_SIZE };


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
  // the CCEL is a TCG2 crypto-agile log in a padded area: one parser (../tcg/event-log.ts)
  const log = parseTcgLog(inputBytes(input), name, { paddedArea: true });
  const s = log.specId;
  return {
    specId: { platformClass: s.platformClass, version: `${s.major}.${s.minor} errata ${s.errata}`, uintnSize: s.uintnSize, algorithms: s.algorithms, headerMrIndex: log.headerPcrIndex },
    events: log.events.map((e) => ({ index: e.index, offset: e.offset, mrIndex: e.pcrIndex, eventType: e.eventType, digests: e.digests, data: e.data })),
    length: log.length,
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
