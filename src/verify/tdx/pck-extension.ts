/**
 * The Intel SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1; Intel "SGX PCK
 * Certificate and Certificate Revocation List Profile Specification", section "Intel SGX PCK
 * Certificate: Intel SGX Extensions"): the platform's FMSPC and PCE-ID, which pick the TCB info
 * collateral, and the TCB the certificate was issued for — 16 SGX TCB component SVNs (.2.1 …
 * .2.16), PCESVN (.2.17) and CPUSVN (.2.18) — which Intel QVL's TcbLevelCheck compares with the
 * TCB levels. Read through the DER tree of ../x509.ts (asn1js stays there).
 *
 *   SEQUENCE {
 *     SEQUENCE { OID .1  PPID        OCTET STRING (16) }
 *     SEQUENCE { OID .2  TCB         SEQUENCE { SEQUENCE { OID .2.n, INTEGER | OCTET STRING } … } }
 *     SEQUENCE { OID .3  PCE-ID      OCTET STRING (2) }
 *     SEQUENCE { OID .4  FMSPC       OCTET STRING (6) }
 *     SEQUENCE { OID .5  SGX type    ENUMERATED }       (then optional .6, .7 for multi-package)
 *   }
 */
import { toHex } from '../../bytes/hex.js';
import { CertificateError, decodeDer, type DerNode, type X509Certificate } from '../x509.js';

export const SGX_EXTENSION_OID = '1.2.840.113741.1.13.1';

export interface PckExtension {
  /** hex, 16 bytes */
  readonly ppid: string;
  /** the 16 SGX TCB component SVNs */
  readonly sgxTcbComponents: readonly number[];
  readonly pceSvn: number;
  /** hex, 16 bytes */
  readonly cpuSvn: string;
  /** hex, 2 bytes */
  readonly pceId: string;
  /** hex, 6 bytes */
  readonly fmspc: string;
  /** 0 standard, 1 scalable, 2 scalable with integrity */
  readonly sgxType?: number;
}

const SEQUENCE = 16;
const INTEGER = 2;
const OCTET_STRING = 4;
const ENUMERATED = 10;

function smallInt(n: DerNode, what: string): number {
  if (n.tagClass !== 0 || (n.tag !== INTEGER && n.tag !== ENUMERATED) || n.content.length === 0 || n.content.length > 4) throw new CertificateError(`${what} is not a small INTEGER`);
  if (n.content[0]! & 0x80) throw new CertificateError(`${what} is negative`);
  let v = 0;
  for (const b of n.content) v = v * 256 + b;
  return v;
}

function octets(n: DerNode, size: number, what: string): Uint8Array {
  if (n.tagClass !== 0 || n.tag !== OCTET_STRING || n.content.length !== size) throw new CertificateError(`${what} is not an OCTET STRING of ${size} bytes`);
  return n.content;
}

/** OID → value pairs of a SEQUENCE OF SEQUENCE { OID, value }. */
function pairs(n: DerNode, what: string): Map<string, DerNode> {
  if (n.tagClass !== 0 || n.tag !== SEQUENCE) throw new CertificateError(`${what} is not a SEQUENCE`);
  const out = new Map<string, DerNode>();
  for (const c of n.children) {
    if (c.tag !== SEQUENCE || c.children.length !== 2 || c.children[0]!.oid === undefined) throw new CertificateError(`${what}: an entry is not SEQUENCE { OID, value }`);
    out.set(c.children[0]!.oid, c.children[1]!);
  }
  return out;
}

/** The SGX extension of a PCK certificate (CertificateError when absent or malformed). */
export function parsePckExtension(cert: X509Certificate): PckExtension {
  const raw = cert.extension(SGX_EXTENSION_OID);
  if (!raw) throw new CertificateError(`${cert.source}: no SGX extension (${SGX_EXTENSION_OID}): not an Intel PCK certificate`, { source: cert.source });
  return parseSgxExtension(raw, `${cert.source}: the SGX extension (${SGX_EXTENSION_OID})`);
}

/** The SGX extension's value (the extnValue contents, DER); `what` names it in errors. */
export function parseSgxExtension(raw: Uint8Array, what: string): PckExtension {
  const top = pairs(decodeDer(raw, what), what);
  const need = (k: string): DerNode => {
    const v = top.get(`${SGX_EXTENSION_OID}.${k}`);
    if (!v) throw new CertificateError(`${what} has no ${SGX_EXTENSION_OID}.${k}`);
    return v;
  };
  const tcb = pairs(need('2'), `${what} TCB`);
  const comp = (i: number): DerNode => {
    const v = tcb.get(`${SGX_EXTENSION_OID}.2.${i}`);
    if (!v) throw new CertificateError(`${what} TCB has no ${SGX_EXTENSION_OID}.2.${i}`);
    return v;
  };
  const sgxTcbComponents = Array.from({ length: 16 }, (_, i) => smallInt(comp(i + 1), `${what} TCB component ${i + 1}`));
  const sgxTypeNode = top.get(`${SGX_EXTENSION_OID}.5`);
  return {
    ppid: toHex(octets(need('1'), 16, `${what} PPID`)),
    sgxTcbComponents,
    pceSvn: smallInt(comp(17), `${what} PCESVN`),
    cpuSvn: toHex(octets(comp(18), 16, `${what} CPUSVN`)),
    pceId: toHex(octets(need('3'), 2, `${what} PCE-ID`)),
    fmspc: toHex(octets(need('4'), 6, `${what} FMSPC`)),
    ...(sgxTypeNode ? { sgxType: smallInt(sgxTypeNode, `${what} SGX type`) } : {}),
  };
}
