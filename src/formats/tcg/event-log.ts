/**
 * The TCG2 crypto-agile event log (TCG PC Client Platform Firmware Profile, rev 1.05, §10):
 * what `/sys/kernel/security/tpm0/binary_bios_measurements` holds and what edk2's Tcg2Dxe
 * returns from GetEventLog(EFI_TCG2_EVENT_LOG_FORMAT_TCG_2). All integers little-endian.
 *
 * First record — TCG_PCR_EVENT (the SHA-1 format), carrying TCG_EfiSpecIDEvent:
 *
 *   0x00   4  PCRIndex          0
 *   0x04   4  EventType         3 (EV_NO_ACTION)
 *   0x08  20  Digest            zero
 *   0x1c   4  EventSize
 *   0x20   …  TCG_EfiSpecIDEvent:
 *              0x00 16  Signature "Spec ID Event03\0"
 *              0x10  4  platformClass (0 client, 1 server)
 *              0x14  1  specVersionMinor  0x15 1 specVersionMajor (2)  0x16 1 specErrata
 *              0x17  1  uintnSize (2 = UINT64)
 *              0x18  4  numberOfAlgorithms
 *              0x1c  …  numberOfAlgorithms × TCG_EfiSpecIdEventAlgorithmSize { u16 algorithmId, u16 digestSize }
 *              then  1  vendorInfoSize, and vendorInfoSize bytes
 *
 * Then TCG_PCR_EVENT2 records to the end of the log:
 *
 *   0x00   4  PCRIndex
 *   0x04   4  EventType
 *   0x08   4  TPML_DIGEST_VALUES.count
 *   0x0c   …  count × TPMT_HA { u16 hashAlg, digest (size from the Spec ID event) }
 *   then   4  EventSize, and EventSize bytes of event data
 *
 * The same layout with "PCR index" meaning a CC measurement register is the TDX CCEL
 * (src/formats/tdx/ccel.ts, which stops at a zero-filled record: the ACPI log area is padded).
 * EV_NO_ACTION records extend nothing (§10.4.5). Every size read from the log is checked
 * against the bytes that remain before anything is read or allocated.
 */
import { plainBytes } from '../../bytes/source.js';
import { bytes, defineLayout, latin1, u16, u32, u8 } from '../../bytes/layout.js';
import { ParseError } from '../../errors.js';

/** TPM_ALG_ID values of the digest algorithms a PC-client log may carry (TPM 2.0 Part 2, §6.3). */
export const TPM_ALG = { sha1: 0x0004, sha256: 0x000b, sha384: 0x000c, sha512: 0x000d, sm3_256: 0x0012 } as const;
export type TcgBankName = keyof typeof TPM_ALG;
const ALG_NAMES: Record<number, TcgBankName> = Object.fromEntries(Object.entries(TPM_ALG).map(([k, v]) => [v, k as TcgBankName]));
const ALG_SIZES: Record<TcgBankName, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64, sm3_256: 32 };

export function tpmAlgName(id: number): string {
  return ALG_NAMES[id] ?? `alg 0x${id.toString(16).padStart(4, '0')}`;
}

export const EV_NO_ACTION = 3;
export const SPEC_ID_SIGNATURE = 'Spec ID Event03\0';

/** TCG_PCR_EVENT: the first record, in the SHA-1 format */
export const TCG_PCR_EVENT = defineLayout('TCG_PCR_EVENT', { pcrIndex: u32, eventType: u32, digest: bytes(20), eventSize: u32 }, {
  check: (v) => (v.eventType === EV_NO_ACTION ? null : `first event has type ${v.eventType}, expected EV_NO_ACTION (3) with the Spec ID event (not a crypto-agile TCG2 log)`),
});
/** TCG_EfiSpecIDEvent up to numberOfAlgorithms (the algorithm table and vendor info follow) */
export const TCG_SPEC_ID_EVENT = defineLayout('TCG_EfiSpecIDEvent', { signature: latin1(16), platformClass: u32, minor: u8, major: u8, errata: u8, uintnSize: u8, algorithms: u32 }, {
  check: (v) => (v.signature !== SPEC_ID_SIGNATURE ? `signature ${JSON.stringify(v.signature)} is not "Spec ID Event03" (not a crypto-agile TCG2 log)` : v.algorithms === 0 ? 'declares no digest algorithms' : null),
});
export const TCG_ALGORITHM_SIZE = defineLayout('TCG_EfiSpecIdEventAlgorithmSize', { algorithmId: u16, digestSize: u16 });
/** the byte after the algorithm list */
export const TCG_VENDOR_INFO_SIZE = defineLayout('TCG_EfiSpecIDEvent vendorInfoSize', { vendorInfoSize: u8 });
/** TCG_PCR_EVENT2 up to the digest count (TPMT_HA digests, EventSize and the data follow) */
export const TCG_PCR_EVENT2_HEADER = defineLayout('TCG_PCR_EVENT2', { pcrIndex: u32, eventType: u32, digestCount: u32 });
/** TPMT_HA: the algorithm, then its digest (of the size the Spec ID event gives it) */
export const TPMT_HA_ALGORITHM = defineLayout('TPMT_HA', { hashAlg: u16 });
/** after the digests: the event data's size, then the data */
export const TCG_EVENT_SIZE = defineLayout('TCG_PCR_EVENT2 EventSize', { eventSize: u32 });

const PCR_INDEX = TCG_PCR_EVENT2_HEADER.field('pcrIndex');
const EVENT_TYPE = TCG_PCR_EVENT2_HEADER.field('eventType');
const HASH_ALG = TPMT_HA_ALGORITHM.field('hashAlg');
const EVENT_SIZE = TCG_EVENT_SIZE.field('eventSize');

export interface TcgAlgorithm { algorithmId: number; digestSize: number }

export interface TcgEvent {
  /** record number, the Spec ID header being 0 */
  index: number;
  /** byte offset of the record in the log */
  offset: number;
  pcrIndex: number;
  eventType: number;
  /** the record's digests, in log order */
  digests: Array<{ algorithmId: number; digest: Uint8Array }>;
  data: Uint8Array;
}

export interface TcgLog {
  specId: { platformClass: number; major: number; minor: number; errata: number; uintnSize: number; algorithms: TcgAlgorithm[]; vendorInfo: Uint8Array };
  /** the PCR index field of the first (Spec ID) record: 0 in the spec */
  headerPcrIndex: number;
  events: TcgEvent[];
  /** bytes up to the end of the last record */
  length: number;
}

/** Parse a TCG2 crypto-agile log. Throws {@link ParseError} (ERR_TRUNCATED / ERR_MALFORMED) naming the record and its offset. */
export interface TcgLogParseOptions {
  /**
   * The log fills a fixed area whose unused rest is padding (a CCEL area): events end at a
   * record whose PCR index is 0xFFFFFFFF or whose index and type are both zero, or where fewer
   * than 8 bytes are left. Every event must then carry a digest.
   */
  paddedArea?: boolean;
}

export function parseTcgLog(input: Uint8Array, name?: string, opts: TcgLogParseOptions = {}): TcgLog {
  const log = plainBytes(input);
  const ctx = name !== undefined ? { source: name } : {};
  const view = new DataView(log.buffer, log.byteOffset, log.byteLength);
  const need = (what: string, at: number, n: number): void => {
    if (at + n > log.length) throw new ParseError('ERR_TRUNCATED', what, at, `needs ${n} bytes, only ${Math.max(0, log.length - at)} left in the ${log.length}-byte log`, name);
  };
  const head = TCG_PCR_EVENT.decode(log, 0, ctx);
  const specAt = TCG_PCR_EVENT.size;
  need('TCG_EfiSpecIDEvent', specAt, head.eventSize);
  const specEnd = specAt + head.eventSize;
  const specBytes = log.subarray(0, specEnd);
  const spec = TCG_SPEC_ID_EVENT.decode(specBytes, specAt, ctx);
  if (spec.algorithms > (head.eventSize - TCG_SPEC_ID_EVENT.size) / TCG_ALGORITHM_SIZE.size) {
    throw new ParseError('ERR_MALFORMED', 'TCG_EfiSpecIDEvent', specAt, `numberOfAlgorithms ${spec.algorithms} does not fit in the event's ${head.eventSize} bytes`, name);
  }
  const algorithms: TcgAlgorithm[] = [];
  let p = specAt + TCG_SPEC_ID_EVENT.size;
  for (let i = 0; i < spec.algorithms; i++) {
    const a = TCG_ALGORITHM_SIZE.decode(specBytes, p, ctx);
    if (a.digestSize === 0) throw new ParseError('ERR_MALFORMED', 'TCG_EfiSpecIdEventAlgorithmSize', p, `algorithm 0x${a.algorithmId.toString(16)} has digest size 0`, name);
    const known = ALG_NAMES[a.algorithmId];
    if (known && ALG_SIZES[known] !== a.digestSize) throw new ParseError('ERR_MALFORMED', 'TCG_EfiSpecIdEventAlgorithmSize', p, `${known} digests are ${ALG_SIZES[known]} bytes, the log says ${a.digestSize}`, name);
    if (algorithms.some((x) => x.algorithmId === a.algorithmId)) throw new ParseError('ERR_MALFORMED', 'TCG_EfiSpecIdEventAlgorithmSize', p, `algorithm 0x${a.algorithmId.toString(16)} declared twice`, name);
    algorithms.push(a);
    p += TCG_ALGORITHM_SIZE.size;
  }
  if (p + 1 > specEnd) throw new ParseError('ERR_MALFORMED', 'TCG_EfiSpecIDEvent', specAt, `no room for vendorInfoSize in the event's ${head.eventSize} bytes`, name);
  const vendorSize = log[p]!;
  if (p + 1 + vendorSize > specEnd) throw new ParseError('ERR_MALFORMED', 'TCG_EfiSpecIDEvent', specAt, `vendor info (${vendorSize} bytes) runs past the event size ${head.eventSize}`, name);
  const vendorInfo = log.slice(p + 1, p + 1 + vendorSize);
  const sizes = new Map(algorithms.map((a) => [a.algorithmId, a.digestSize]));

  const events: TcgEvent[] = [];
  let at = specEnd;
  while (opts.paddedArea ? at + 8 <= log.length : at < log.length) {
    if (opts.paddedArea) {
      const pcrIndex = PCR_INDEX.read(view, at);
      if (pcrIndex === 0xffff_ffff || (pcrIndex === 0 && EVENT_TYPE.read(view, at) === 0)) break;
    }
    const what = `TCG_PCR_EVENT2 #${events.length + 1}`;
    need(what, at, TCG_PCR_EVENT2_HEADER.size);
    const h = TCG_PCR_EVENT2_HEADER.decode(log, at, ctx);
    if (h.digestCount > algorithms.length || (opts.paddedArea && h.digestCount === 0)) {
      throw new ParseError('ERR_MALFORMED', what, at, `digest count ${h.digestCount}, but the log declares ${algorithms.length} algorithm(s)`, name);
    }
    let q = at + TCG_PCR_EVENT2_HEADER.size;
    const digests: TcgEvent['digests'] = [];
    for (let d = 0; d < h.digestCount; d++) {
      need(what, q, 2);
      const alg = HASH_ALG.read(view, q);
      const size = sizes.get(alg);
      if (size === undefined) throw new ParseError('ERR_MALFORMED', what, q, `digest algorithm 0x${alg.toString(16)} is not declared in the Spec ID event`, name);
      if (digests.some((x) => x.algorithmId === alg)) throw new ParseError('ERR_MALFORMED', what, q, `two ${tpmAlgName(alg)} digests`, name);
      need(what, q + 2, size);
      digests.push({ algorithmId: alg, digest: log.slice(q + 2, q + 2 + size) });
      q += 2 + size;
    }
    need(what, q, 4);
    const size = EVENT_SIZE.read(view, q);
    need(`${what} event data`, q + 4, size);
    events.push({ index: events.length + 1, offset: at, pcrIndex: h.pcrIndex, eventType: h.eventType, digests, data: log.slice(q + 4, q + 4 + size) });
    at = q + 4 + size;
  }
  return {
    specId: { platformClass: spec.platformClass, major: spec.major, minor: spec.minor, errata: spec.errata, uintnSize: spec.uintnSize, algorithms, vendorInfo },
    headerPcrIndex: head.pcrIndex,
    events,
    length: at,
  };
}

export interface TcgWriteEvent {
  pcrIndex: number;
  eventType: number;
  /** one digest per algorithm of the log, in the log's algorithm order */
  digests: ReadonlyArray<{ algorithmId: number; digest: Uint8Array }>;
  data: Uint8Array;
}

/**
 * Encode a TCG2 crypto-agile log: the Spec ID event (platform class client, spec 2.0 errata 0,
 * UINT64, no vendor info — as edk2's Tcg2Dxe writes it) declaring `algorithms`, then the events.
 */
export function encodeTcgLog(algorithms: readonly TcgAlgorithm[], events: readonly TcgWriteEvent[]): Uint8Array {
  if (algorithms.length === 0) throw new RangeError('a TCG2 log declares at least one algorithm');
  const specSize = TCG_SPEC_ID_EVENT.size + algorithms.length * TCG_ALGORITHM_SIZE.size + 1;
  let total = TCG_PCR_EVENT.size + specSize;
  const perEvent = TCG_PCR_EVENT2_HEADER.size + algorithms.reduce((n, a) => n + 2 + a.digestSize, 0) + 4;
  for (const e of events) total += perEvent + e.data.length;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  TCG_PCR_EVENT.encodeInto({ pcrIndex: 0, eventType: EV_NO_ACTION, digest: new Uint8Array(20), eventSize: specSize }, out, 0);
  let p = TCG_PCR_EVENT.size;
  // platform class client, spec 2.0 errata 0, UINT64 (as edk2's Tcg2Dxe writes it)
  TCG_SPEC_ID_EVENT.encodeInto({ signature: SPEC_ID_SIGNATURE, platformClass: 0, minor: 0, major: 2, errata: 0, uintnSize: 2, algorithms: algorithms.length }, out, p);
  p += TCG_SPEC_ID_EVENT.size;
  for (const a of algorithms) {
    TCG_ALGORITHM_SIZE.encodeInto(a, out, p);
    p += TCG_ALGORITHM_SIZE.size;
  }
  out[p++] = 0; // vendorInfoSize
  for (const e of events) {
    TCG_PCR_EVENT2_HEADER.encodeInto({ pcrIndex: e.pcrIndex >>> 0, eventType: e.eventType >>> 0, digestCount: algorithms.length }, out, p);
    p += TCG_PCR_EVENT2_HEADER.size;
    for (const a of algorithms) {
      const d = e.digests.find((x) => x.algorithmId === a.algorithmId);
      if (!d || d.digest.length !== a.digestSize) throw new RangeError(`event for PCR ${e.pcrIndex} lacks a ${a.digestSize}-byte ${tpmAlgName(a.algorithmId)} digest`);
      v.setUint16(p, a.algorithmId, true);
      out.set(d.digest, p + 2);
      p += 2 + a.digestSize;
    }
    v.setUint32(p, e.data.length, true);
    out.set(e.data, p + 4);
    p += 4 + e.data.length;
  }
  return out;
}
