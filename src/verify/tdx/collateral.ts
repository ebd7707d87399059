/**
 * DCAP collateral for a TDX quote, as one JSON document (the QuoteCollateralV3 fields that PCCS
 * and Intel's `tdx_att_get_quote_verification_collateral` return, in the snake_case JSON that
 * dcap-qvl and go-tdx-guest tooling write):
 *
 *   tcb_info                  the TCB info JSON text, exactly as signed (a string)
 *   tcb_info_signature        hex, r ‖ s (ECDSA P-256 over the bytes of tcb_info)
 *                             — or tcb_info as Intel PCS returns it, {"tcbInfo": {…}, "signature": "…"}
 *                             (the form of Intel's sgx_ql_qve_collateral_t), with no tcb_info_signature
 *   tcb_info_issuer_chain     PEM: Intel SGX TCB Signing → Intel SGX Root CA
 *   qe_identity               the QE identity JSON text, as signed
 *   qe_identity_signature     hex, r ‖ s (or qe_identity as {"enclaveIdentity": {…}, "signature": "…"})
 *   qe_identity_issuer_chain  PEM
 *   pck_crl                   the PCK CRL (hex of DER, or PEM)
 *   pck_crl_issuer_chain      PEM: PCK Platform/Processor CA → Intel SGX Root CA
 *   root_ca_crl               the Intel SGX Root CA CRL (hex of DER, or PEM)
 *
 * This file reads and type-checks the document; ./quote.ts verifies it and ./tcb-status.ts
 * evaluates it. Every problem is a CollateralError (ERR_MALFORMED) naming the field.
 */
import { fromHex, utf8 } from '../../bytes/hex.js';
import { PrelaunchError } from '../../errors.js';
import { parseCrl, type Crl } from '../crl.js';
import { parseCertificates, type X509Certificate } from '../x509.js';

export class CollateralError extends PrelaunchError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('ERR_MALFORMED', message, data);
  }
}

export type TcbLevelStatus = 'UpToDate' | 'SWHardeningNeeded' | 'ConfigurationNeeded' | 'ConfigurationAndSWHardeningNeeded' | 'OutOfDate' | 'OutOfDateConfigurationNeeded' | 'Revoked';
const LEVEL_STATUSES: readonly string[] = ['UpToDate', 'SWHardeningNeeded', 'ConfigurationNeeded', 'ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded', 'Revoked'];
/** Intel QVL TcbStatus.h VALID_MODULE_TCB_STATUSES */
const MODULE_STATUSES: readonly string[] = ['UpToDate', 'OutOfDate', 'Revoked'];

export interface TcbLevel {
  readonly sgxComponents: readonly number[];
  readonly pceSvn: number;
  readonly tdxComponents: readonly number[];
  readonly tcbDate: string;
  readonly status: TcbLevelStatus;
  readonly advisoryIds: readonly string[];
}
export interface TdxModuleTcbLevel {
  readonly isvSvn: number;
  readonly status: 'UpToDate' | 'OutOfDate' | 'Revoked';
  readonly advisoryIds: readonly string[];
}
export interface TdxModuleIdentity {
  readonly id: string;
  /** hex */
  readonly mrSigner: string;
  readonly attributes: string;
  readonly attributesMask: string;
  readonly tcbLevels: readonly TdxModuleTcbLevel[];
}
export interface TcbInfo {
  readonly id: string;
  readonly version: number;
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  /** lower-case hex */
  readonly fmspc: string;
  readonly pceId: string;
  readonly tcbEvaluationDataNumber?: number;
  readonly tdxModule?: { readonly mrSigner: string; readonly attributes: string; readonly attributesMask: string };
  readonly tdxModuleIdentities?: readonly TdxModuleIdentity[];
  readonly tcbLevels: readonly TcbLevel[];
}
export interface QeIdentityLevel {
  readonly isvSvn: number;
  readonly status: string;
  readonly advisoryIds: readonly string[];
}
export interface QeIdentity {
  readonly id: string;
  readonly version: number;
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly miscSelect: string;
  readonly miscSelectMask: string;
  readonly attributes: string;
  readonly attributesMask: string;
  readonly mrSigner: string;
  readonly isvProdId: number;
  readonly tcbLevels: readonly QeIdentityLevel[];
}

export interface TdxCollateral {
  readonly source: string;
  readonly tcbInfo: TcbInfo;
  /** the signed bytes of tcb_info */
  readonly tcbInfoBytes: Uint8Array;
  readonly tcbInfoSignature: Uint8Array;
  readonly tcbInfoChain: readonly X509Certificate[];
  readonly qeIdentity: QeIdentity;
  readonly qeIdentityBytes: Uint8Array;
  readonly qeIdentitySignature: Uint8Array;
  readonly qeIdentityChain: readonly X509Certificate[];
  readonly pckCrl: Crl;
  readonly pckCrlChain: readonly X509Certificate[];
  readonly rootCaCrl: Crl;
}

type Json = Record<string, unknown>;

class Reader {
  constructor(
    readonly where: string,
    readonly o: Json,
  ) {}
  fail(field: string, what: string): never {
    throw new CollateralError(`${this.where}.${field}: ${what}`);
  }
  raw(field: string): unknown {
    return this.o[field];
  }
  str(field: string): string {
    const v = this.o[field];
    if (typeof v !== 'string') this.fail(field, v === undefined ? 'missing' : 'not a string');
    return v;
  }
  hex(field: string, bytes?: number): string {
    const v = this.str(field);
    const b = fromHex(v);
    if (!b || (bytes !== undefined && b.length !== bytes)) this.fail(field, `not ${bytes === undefined ? '' : `${bytes} bytes of `}hex`);
    return v.toLowerCase();
  }
  int(field: string): number {
    const v = this.o[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) this.fail(field, v === undefined ? 'missing' : 'not a non-negative integer');
    return v;
  }
  date(field: string): Date {
    const d = new Date(this.str(field));
    if (Number.isNaN(d.getTime())) this.fail(field, 'not an ISO date');
    return d;
  }
  obj(field: string): Reader {
    const v = this.o[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, v === undefined ? 'missing' : 'not an object');
    return new Reader(`${this.where}.${field}`, v as Json);
  }
  arr(field: string): Reader[] {
    const v = this.o[field];
    if (!Array.isArray(v)) this.fail(field, v === undefined ? 'missing' : 'not an array');
    return v.map((e, i) => {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) this.fail(`${field}[${i}]`, 'not an object');
      return new Reader(`${this.where}.${field}[${i}]`, e as Json);
    });
  }
  strings(field: string): string[] {
    const v = this.o[field];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) this.fail(field, 'not an array of strings');
    return v as string[];
  }
}

function svns(list: Reader[], where: Reader, field: string): number[] {
  if (list.length !== 16) where.fail(field, `has ${list.length} components, not 16`);
  return list.map((c) => c.int('svn'));
}

function levelStatus(r: Reader, field: string, allowed: readonly string[]): string {
  const s = r.str(field);
  // Intel QVL TcbStatus.h stringToTcbStatus: an unrecognised status is an error
  if (!allowed.includes(s)) r.fail(field, `unrecognised TCB status ${JSON.stringify(s)}`);
  return s;
}

/** A Reader over `text`, which must be one JSON object. */
function objectReader(text: string, where: string): Reader {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new CollateralError(`${where}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new CollateralError(`${where}: not a JSON object`);
  return new Reader(where, o as Json);
}

function parseTcbInfo(text: string, where: string): TcbInfo {
  const r = objectReader(text, where);
  const version = r.int('version');
  const id = r.str('id');
  const tdx = id === 'TDX' && version >= 3;
  const tcbLevels = r.arr('tcbLevels').map((l): TcbLevel => {
    const t = l.obj('tcb');
    return {
      sgxComponents: svns(t.arr('sgxtcbcomponents'), t, 'sgxtcbcomponents'),
      pceSvn: t.int('pcesvn'),
      tdxComponents: tdx ? svns(t.arr('tdxtcbcomponents'), t, 'tdxtcbcomponents') : [],
      tcbDate: l.str('tcbDate'),
      status: levelStatus(l, 'tcbStatus', LEVEL_STATUSES) as TcbLevelStatus,
      advisoryIds: l.strings('advisoryIDs'),
    };
  });
  const moduleOf = (m: Reader) => ({ mrSigner: m.hex('mrsigner', 48), attributes: m.hex('attributes', 8), attributesMask: m.hex('attributesMask', 8) });
  const ids = r.raw('tdxModuleIdentities') === undefined ? undefined : r.arr('tdxModuleIdentities').map((m): TdxModuleIdentity => ({
    id: m.str('id'),
    ...moduleOf(m),
    tcbLevels: m.arr('tcbLevels').map((l) => ({ isvSvn: l.obj('tcb').int('isvsvn'), status: levelStatus(l, 'tcbStatus', MODULE_STATUSES) as TdxModuleTcbLevel['status'], advisoryIds: l.strings('advisoryIDs') })),
  }));
  return {
    id,
    version,
    issueDate: r.date('issueDate'),
    nextUpdate: r.date('nextUpdate'),
    fmspc: r.hex('fmspc', 6),
    pceId: r.hex('pceId', 2),
    ...(typeof r.raw('tcbEvaluationDataNumber') === 'number' ? { tcbEvaluationDataNumber: r.int('tcbEvaluationDataNumber') } : {}),
    ...(r.raw('tdxModule') !== undefined ? { tdxModule: moduleOf(r.obj('tdxModule')) } : {}),
    ...(ids ? { tdxModuleIdentities: ids } : {}),
    tcbLevels,
  };
}

function parseQeIdentity(text: string, where: string): QeIdentity {
  const r = objectReader(text, where);
  return {
    id: r.str('id'),
    version: r.int('version'),
    issueDate: r.date('issueDate'),
    nextUpdate: r.date('nextUpdate'),
    miscSelect: r.hex('miscselect', 4),
    miscSelectMask: r.hex('miscselectMask', 4),
    attributes: r.hex('attributes', 16),
    attributesMask: r.hex('attributesMask', 16),
    mrSigner: r.hex('mrsigner', 32),
    isvProdId: r.int('isvprodid'),
    tcbLevels: r.arr('tcbLevels').map((l) => ({ isvSvn: l.obj('tcb').int('isvsvn'), status: levelStatus(l, 'tcbStatus', LEVEL_STATUSES), advisoryIds: l.strings('advisoryIDs') })),
  };
}

/**
 * When `text` is a PCS envelope — a JSON object with one of `members` and a `signature` — the
 * member's value exactly as it is written in `text` (the bytes Intel signed) and the signature;
 * otherwise null. The raw text is found by scanning the JSON (strings and nesting) at depth 1.
 */
export function pcsEnvelope(text: string, members: readonly string[]): { member: string; raw: string; signature: string } | null {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  const rec = o as Record<string, unknown>;
  const member = members.find((m) => typeof rec[m] === 'object' && rec[m] !== null);
  if (member === undefined || typeof rec.signature !== 'string') return null;
  // scan: depth-1 keys, then the extent of the member's value
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      const start = i;
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      i++;
      if (depth === 1) {
        let j = i;
        while (/\s/.test(text[j] ?? '')) j++;
        if (text[j] === ':' && key === member) {
          j++;
          while (/\s/.test(text[j] ?? '')) j++;
          const from = j;
          let d = 0;
          for (; j < text.length; j++) {
            const c = text[j]!;
            if (c === '"') {
              j++;
              while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
            } else if (c === '{' || c === '[') d++;
            else if (c === '}' || c === ']') {
              d--;
              if (d === 0) return { member, raw: text.slice(from, j + 1), signature: rec.signature };
            }
          }
          return null;
        }
      }
      continue;
    }
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
    i++;
  }
  return null;
}

/** Read a collateral JSON document (the bytes of the file `source`). */
export function parseTdxCollateral(input: Uint8Array, source: string): TdxCollateral {
  let o: unknown;
  try {
    o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(input));
  } catch (e) {
    throw new CollateralError(`${source}: not a JSON document (${e instanceof Error ? e.message : String(e)})`, { source });
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new CollateralError(`${source}: not a JSON object`, { source });
  const r = new Reader(source, o as Json);
  const sig = (field: string): Uint8Array => fromHex(r.hex(field, 64))!;
  // the TCB info and QE identity issuer chains are the same text in Intel's collateral: read it once
  const seen = new Map<string, X509Certificate[]>();
  const chain = (field: string): X509Certificate[] => {
    const text = r.str(field);
    const certs = seen.get(text) ?? parseCertificates(utf8(text), `${source}.${field}`);
    seen.set(text, certs);
    if (certs.length < 2) r.fail(field, `${certs.length} certificate(s); the chain needs the signing certificate and the Intel SGX Root CA`);
    return certs;
  };
  // each signed document as the bare JSON with its signature beside it (tcb_info + tcb_info_signature),
  // or as Intel PCS returns it and Intel's sgx_ql_qve_collateral_t carries it: {"tcbInfo": {…}, "signature": "…"}
  const signed = (field: string, member: readonly string[]): { text: string; signature: Uint8Array } => {
    const text = r.str(field);
    const env = pcsEnvelope(text, member);
    if (env === null) return { text, signature: sig(`${field}_signature`) };
    const b = fromHex(env.signature);
    if (!b || b.length !== 64) return r.fail(field, `the signature of the ${JSON.stringify(env.member)} envelope is not 64 bytes of hex`);
    return { text: env.raw, signature: b };
  };
  const tcb = signed('tcb_info', ['tcbInfo']);
  const qe = signed('qe_identity', ['enclaveIdentity', 'qeIdentity']);
  const tcbInfoText = tcb.text;
  const qeIdentityText = qe.text;
  return {
    source,
    tcbInfo: parseTcbInfo(tcbInfoText, `${source}.tcb_info`),
    tcbInfoBytes: utf8(tcbInfoText),
    tcbInfoSignature: tcb.signature,
    tcbInfoChain: chain('tcb_info_issuer_chain'),
    qeIdentity: parseQeIdentity(qeIdentityText, `${source}.qe_identity`),
    qeIdentityBytes: utf8(qeIdentityText),
    qeIdentitySignature: qe.signature,
    qeIdentityChain: chain('qe_identity_issuer_chain'),
    pckCrl: parseCrl(r.str('pck_crl'), `${source}.pck_crl`),
    pckCrlChain: chain('pck_crl_issuer_chain'),
    rootCaCrl: parseCrl(r.str('root_ca_crl'), `${source}.root_ca_crl`),
  };
}
