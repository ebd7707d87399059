/**
 * What an IGVM CoRIM header's data must be (IGVM_VHT_CORIM_DOCUMENT 0x104 /
 * IGVM_VHT_CORIM_SIGNATURE 0x105, igvm HEAD e6c3ff1 with feature "corim"; the layout,
 * IGVM_VHS_CORIM_DATA, is in ./headers.ts).
 *
 * The crate reads the bytes and checks nothing in them (igvm/src/lib.rs
 * `IgvmInitializationHeader::validate`: "TODO: validate CoRIM document has the minimum fields
 * required", "TODO: validate CoRIM signature has the right fields"). Its own doc comments
 * (igvm_defs/src/lib.rs `IgvmVariableHeaderType::IGVM_VHT_CORIM_DOCUMENT` / `_SIGNATURE`)
 * say what they are, and prelaunch checks that much, as rules of its own
 * (InvalidCorimDocument / InvalidCorimSignature):
 * - the document is one well-formed CBOR data item, a `tagged-unsigned-corim-map` (tag 501
 *   around a map, draft-ietf-rats-corim §4.1), filling the data exactly;
 * - the signature is one well-formed COSE_Sign1 (tag 18 around [protected bstr, unprotected
 *   map, payload, signature bstr], RFC 9052 §4.2) whose payload is nil: the document is the
 *   detached payload ("A COSE_Sign1 structure for a detached CoRIM CBOR payload").
 * This is a well-formedness walk (RFC 8949 §3, appendix C) over the bytes, without building
 * values: it allocates nothing per item, reads no byte outside the data and bounds nesting.
 */

/** RFC 8949 major types */
const UINT = 0, NINT = 1, BSTR = 2, TSTR = 3, ARRAY = 4, MAP = 5, TAG = 6, SIMPLE = 7;
/** deeper nesting is refused (a CoRIM is ~8 levels deep) */
export const CBOR_MAX_DEPTH = 64;
/** CBOR tags of the IGVM CoRIM headers' data */
export const CBOR_TAG_UNSIGNED_CORIM = 501;
export const CBOR_TAG_COSE_SIGN1 = 18;

export class CborMalformed extends Error {
  constructor(readonly offset: number, problem: string, readonly truncated: boolean) {
    super(`${problem} at byte ${offset}`);
  }
}

interface Head {
  major: number;
  /** additional information (0-31) */
  info: number;
  /** the argument (length, count, tag number, value); -1 for indefinite length */
  arg: number;
  /** where the item's content starts */
  next: number;
}

function readHead(b: Uint8Array, at: number): Head {
  if (at >= b.length) throw new CborMalformed(at, 'the CBOR data ends where an item should start', true);
  const ib = b[at]!;
  const major = ib >> 5;
  const info = ib & 31;
  let next = at + 1;
  if (info < 24) return { major, info, arg: info, next };
  if (info > 27) {
    if (info === 31 && major >= BSTR && major !== TAG) return { major, info, arg: -1, next };
    if (info === 31 && major === SIMPLE) return { major, info, arg: -1, next };
    throw new CborMalformed(at, `initial byte 0x${ib.toString(16)} is reserved or not allowed`, false);
  }
  const n = 1 << (info - 24);
  if (b.length - next < n) throw new CborMalformed(at, `the CBOR data ends inside a ${n}-byte argument`, true);
  let arg = 0;
  for (let k = 0; k < n; k++) arg = arg * 256 + b[next + k]!;
  next += n;
  if (major === SIMPLE && info === 24 && arg < 32) throw new CborMalformed(at, `simple value ${arg} in two bytes is not well-formed`, false);
  return { major, info, arg, next };
}

/**
 * Where the CBOR data item at `at` ends; a CborMalformed when it is not well-formed.
 * Lengths beyond the data (including 8-byte ones past 2^53) are errors before anything is read.
 */
export function cborItemEnd(b: Uint8Array, at: number, depth = 0): number {
  if (depth > CBOR_MAX_DEPTH) throw new CborMalformed(at, `items nested more than ${CBOR_MAX_DEPTH} deep`, false);
  const h = readHead(b, at);
  if (h.major === SIMPLE && h.arg === -1) throw new CborMalformed(at, 'a "break" outside an indefinite-length item', false);
  switch (h.major) {
    case UINT:
    case NINT:
    case SIMPLE:
      return h.next;
    case BSTR:
    case TSTR: {
      if (h.arg === -1) {
        // indefinite: definite chunks of the same major type, then break
        let p = h.next;
        for (;;) {
          if (p >= b.length) throw new CborMalformed(p, 'the CBOR data ends inside an indefinite-length string', true);
          if (b[p] === 0xff) return p + 1;
          const c = readHead(b, p);
          if (c.major !== h.major || c.arg === -1) throw new CborMalformed(p, 'an indefinite-length string chunk of another type', false);
          if (c.arg > b.length - c.next) throw new CborMalformed(p, `a ${c.arg}-byte string chunk runs past the end of the data`, true);
          p = c.next + c.arg;
        }
      }
      if (h.arg > b.length - h.next) throw new CborMalformed(at, `a ${h.arg}-byte string runs past the end of the data`, true);
      return h.next + h.arg;
    }
    case ARRAY:
    case MAP: {
      const per = h.major === MAP ? 2 : 1;
      let p = h.next;
      if (h.arg === -1) {
        for (let k = 0; ; k++) {
          if (p >= b.length) throw new CborMalformed(p, 'the CBOR data ends inside an indefinite-length container', true);
          if (b[p] === 0xff) {
            if (k % per !== 0) throw new CborMalformed(p, 'a map with a key and no value', false);
            return p + 1;
          }
          p = cborItemEnd(b, p, depth + 1);
        }
      }
      // every item takes at least a byte: a count beyond the data is truncated before any loop
      if (h.arg > (b.length - p) / per) throw new CborMalformed(at, `a container of ${h.arg} ${h.major === MAP ? 'pairs' : 'items'} runs past the end of the data`, true);
      for (let k = 0; k < h.arg * per; k++) p = cborItemEnd(b, p, depth + 1);
      return p;
    }
    default: // TAG
      return cborItemEnd(b, h.next, depth + 1);
  }
}

/** `b` is exactly one well-formed CBOR item (a CborMalformed otherwise). */
export function checkCborItem(b: Uint8Array): void {
  const end = cborItemEnd(b, 0);
  if (end !== b.length) throw new CborMalformed(end, `${b.length - end} bytes follow the CBOR item`, false);
}

/** Why `b` (named `what`) is not exactly one well-formed CBOR item, or null. */
function cborItemProblem(b: Uint8Array, what: string): { problem: string; truncated: boolean } | null {
  if (b.length === 0) return { problem: `${what} is empty`, truncated: false };
  try {
    checkCborItem(b);
  } catch (e) {
    if (e instanceof CborMalformed) return { problem: `${what} is not well-formed CBOR: ${e.message}`, truncated: e.truncated };
    throw e;
  }
  return null;
}

/** Why `b` is not a CoRIM document as IGVM_VHT_CORIM_DOCUMENT carries it, or null. */
export function corimDocumentProblem(b: Uint8Array): { problem: string; truncated: boolean } | null {
  const malformed = cborItemProblem(b, 'the CoRIM document');
  if (malformed) return malformed;
  const tag = readHead(b, 0);
  if (tag.major !== TAG || tag.arg !== CBOR_TAG_UNSIGNED_CORIM) return { problem: `the CoRIM document is not a tagged-unsigned-corim-map (CBOR tag ${CBOR_TAG_UNSIGNED_CORIM}): it starts with ${describeHead(tag)}`, truncated: false };
  const inner = readHead(b, tag.next);
  if (inner.major !== MAP) return { problem: `the CoRIM document's tag ${CBOR_TAG_UNSIGNED_CORIM} holds ${describeHead(inner)}, not a map`, truncated: false };
  return null;
}

/** Why `b` is not a detached COSE_Sign1 as IGVM_VHT_CORIM_SIGNATURE carries it, or null. */
export function corimSignatureProblem(b: Uint8Array): { problem: string; truncated: boolean } | null {
  const malformed = cborItemProblem(b, 'the CoRIM signature');
  if (malformed) return malformed;
  const tag = readHead(b, 0);
  if (tag.major !== TAG || tag.arg !== CBOR_TAG_COSE_SIGN1) return { problem: `the CoRIM signature is not a COSE_Sign1 (CBOR tag ${CBOR_TAG_COSE_SIGN1}): it starts with ${describeHead(tag)}`, truncated: false };
  const arr = readHead(b, tag.next);
  if (arr.major !== ARRAY || arr.arg !== 4) return { problem: `the COSE_Sign1 holds ${describeHead(arr)}, not an array of 4`, truncated: false };
  let p = arr.next;
  const fields = [['protected', BSTR], ['unprotected', MAP], ['payload', SIMPLE], ['signature', BSTR]] as const;
  for (const [name, major] of fields) {
    const h = readHead(b, p);
    if (name === 'payload') {
      if (b[p] !== 0xf6) return { problem: `the COSE_Sign1 payload is ${describeHead(h)}: IGVM carries the CoRIM detached, so it must be nil`, truncated: false };
    } else if (h.major !== major || h.arg === -1) {
      return { problem: `the COSE_Sign1 ${name} field is ${describeHead(h)}, not a definite-length ${major === BSTR ? 'byte string' : 'map'}`, truncated: false };
    }
    if (name === 'protected' && h.arg > 0) {
      // bstr .cbor header_map (RFC 9052 §3): a map, or empty
      const body = b.subarray(h.next, h.next + h.arg);
      try {
        checkCborItem(body);
      } catch (e) {
        if (e instanceof CborMalformed) return { problem: `the COSE_Sign1 protected header is not well-formed CBOR: ${e.message}`, truncated: false };
        throw e;
      }
      if (readHead(body, 0).major !== MAP) return { problem: 'the COSE_Sign1 protected header is not a map', truncated: false };
    }
    p = cborItemEnd(b, p);
  }
  return null;
}

function describeHead(h: Head): string {
  const names = ['an unsigned integer', 'a negative integer', 'a byte string', 'a text string', 'an array', 'a map', 'a tag', 'a simple value'];
  if (h.major === TAG) return `tag ${h.arg}`;
  if ((h.major === ARRAY || h.major === MAP) && h.arg >= 0) return `${names[h.major]} of ${h.arg}`;
  if (h.major === SIMPLE) return h.info === 22 ? 'nil' : h.info === 20 || h.info === 21 ? String(h.info === 21) : names[h.major]!;
  return names[h.major]!;
}
