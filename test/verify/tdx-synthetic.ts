/**
 * Synthetic Intel-like TDX evidence made with test keys, so that `npm test` exercises the whole
 * TDX verifier without ../shared: a test root CA → a "PCK Platform CA" → a PCK certificate that
 * carries the SGX extension (OID 1.2.840.113741.1.13.1: PPID, TCB components, PCESVN, CPUSVN,
 * PCE-ID, FMSPC, SGX type), v4 (TDX 1.0) and v5 (TDX 1.5) quotes signed with a test attestation
 * key whose QE report is signed with the PCK key, and DCAP collateral (TCB info, QE identity,
 * CRLs) signed by a test "TCB Signing" certificate. Every key is generated per run (WebCrypto
 * P-256); the verifier is handed the test root through its test-only `trustAnchor` option —
 * never the real Intel root, which the CLI uses and which therefore refuses this evidence.
 *
 * Byte layouts come from the library's own declarations (src/formats/tdx/*): what these tests
 * check is the verifier's logic (signatures, bindings, chains, TCB rules), with expected values
 * from Intel QVL's rules as documented in src/verify/tdx/tcb-status.ts — not from the model
 * under test. The real-hardware vectors are in ../shared (test/verify/tdx.test.ts).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createHash, webcrypto } from 'node:crypto';
import { CERTIFICATION_DATA_HEADER } from '../../src/formats/tdx/certification-data.js';
import { ECDSA_SIGNATURE_DATA, QUOTE_SIGNATURE_DATA_LENGTH } from '../../src/formats/tdx/ecdsa-signature-data.js';
import { QE_REPORT } from '../../src/formats/tdx/qe-report.js';
import { QE_REPORT_CERTIFICATION_DATA } from '../../src/formats/tdx/qe-report-certification-data.js';
import { QUOTE_BODY_DESCRIPTOR } from '../../src/formats/tdx/quote-body-descriptor.js';
import { TDX_QUOTE_HEADER } from '../../src/formats/tdx/quote-header.js';
import { TD_QUOTE_BODY_V4, TD_QUOTE_BODY_V5 } from '../../src/formats/tdx/td-quote-body.js';
import { parseCertificate, type X509Certificate } from '../../src/verify/x509.js';

type CryptoKey = webcrypto.CryptoKey;
const subtle = webcrypto.subtle;
const SGX = '1.2.840.113741.1.13.1';
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

export interface KeyPair { readonly privateKey: CryptoKey; readonly publicKey: CryptoKey }
export async function p256(): Promise<KeyPair> {
  return (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as KeyPair;
}
async function rawPoint(k: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle.exportKey('raw', k)); // 04 ‖ X ‖ Y
}
async function sign(k: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, k, data)); // r ‖ s
}

function name(target: pkijs.RelativeDistinguishedNames, cn: string): void {
  target.typesAndValues.push(new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) }));
  target.typesAndValues.push(new pkijs.AttributeTypeAndValue({ type: '2.5.4.10', value: new asn1js.Utf8String({ value: 'Test Corporation' }) }));
}

const pair = (oid: string, value: asn1js.AsnType): asn1js.Sequence => new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), value as asn1js.BaseBlock] });
const octets = (b: Uint8Array): asn1js.OctetString => new asn1js.OctetString({ valueHex: new Uint8Array(b).buffer });

export interface SgxTcb {
  readonly components: readonly number[];
  readonly pceSvn: number;
  readonly fmspc: string;
  readonly pceId: string;
}

/** The SGX extension's DER, as Intel's PCK certificates carry it. */
export function sgxExtension(t: SgxTcb): Uint8Array {
  const tcb = new asn1js.Sequence({
    value: [
      ...t.components.map((v, i) => pair(`${SGX}.2.${i + 1}`, new asn1js.Integer({ value: v }))),
      pair(`${SGX}.2.17`, new asn1js.Integer({ value: t.pceSvn })),
      pair(`${SGX}.2.18`, octets(new Uint8Array(t.components))),
    ],
  });
  const seq = new asn1js.Sequence({
    value: [
      pair(`${SGX}.1`, octets(fill(16, 0xaa))),
      pair(`${SGX}.2`, tcb),
      pair(`${SGX}.3`, octets(Buffer.from(t.pceId, 'hex'))),
      pair(`${SGX}.4`, octets(Buffer.from(t.fmspc, 'hex'))),
      pair(`${SGX}.5`, new asn1js.Enumerated({ value: 0 })),
    ],
  });
  return new Uint8Array(seq.toBER(false));
}

let serialCounter = 0x1000;
export async function makeCert(o: { subject: string; issuer: string; key: CryptoKey; signer: CryptoKey; ca: boolean; extension?: Uint8Array; notBefore?: Date; notAfter?: Date; serial?: number }): Promise<{ der: Uint8Array; pem: string; serial: number }> {
  const c = new pkijs.Certificate();
  c.version = 2;
  const serial = o.serial ?? serialCounter++;
  c.serialNumber = new asn1js.Integer({ value: serial });
  name(c.issuer, o.issuer);
  name(c.subject, o.subject);
  c.notBefore.value = o.notBefore ?? new Date('2020-01-01T00:00:00Z');
  c.notAfter.value = o.notAfter ?? new Date('2049-12-31T00:00:00Z');
  c.extensions = [new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: new pkijs.BasicConstraints({ cA: o.ca }).toSchema().toBER(false) })];
  if (o.extension) c.extensions.push(new pkijs.Extension({ extnID: SGX, critical: false, extnValue: o.extension.slice().buffer }));
  await c.subjectPublicKeyInfo.importKey(o.key, pkijs.getCrypto(true));
  await c.sign(o.signer, 'SHA-256', pkijs.getCrypto(true));
  const der = new Uint8Array(c.toSchema(true).toBER(false));
  return { der, pem: pem('CERTIFICATE', der), serial };
}

export async function makeCrl(o: { issuer: string; signer: CryptoKey; revoked?: readonly number[]; thisUpdate?: Date; nextUpdate?: Date }): Promise<Uint8Array> {
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  name(crl.issuer, o.issuer);
  crl.thisUpdate = new pkijs.Time({ type: 0, value: o.thisUpdate ?? new Date('2024-01-01T00:00:00Z') });
  crl.nextUpdate = new pkijs.Time({ type: 0, value: o.nextUpdate ?? new Date('2049-01-01T00:00:00Z') });
  if (o.revoked?.length) {
    crl.revokedCertificates = o.revoked.map((s) => new pkijs.RevokedCertificate({ userCertificate: new asn1js.Integer({ value: s }), revocationDate: new pkijs.Time({ type: 0, value: new Date('2024-06-01T00:00:00Z') }) }));
  }
  await crl.sign(o.signer, 'SHA-256', pkijs.getCrypto(true));
  return new Uint8Array(crl.toSchema(true).toBER(false));
}

export function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

export interface Pki {
  readonly rootKey: KeyPair;
  readonly caKey: KeyPair;
  readonly pckKey: KeyPair;
  readonly tcbKey: KeyPair;
  readonly root: { der: Uint8Array; pem: string; serial: number };
  readonly ca: { der: Uint8Array; pem: string; serial: number };
  readonly pck: { der: Uint8Array; pem: string; serial: number };
  readonly tcbSigning: { der: Uint8Array; pem: string; serial: number };
  /** the test root as the verifier's trustAnchor */
  readonly anchor: X509Certificate;
  readonly tcb: SgxTcb;
}

export const ROOT_CN = 'Test SGX Root CA';
export const CA_CN = 'Test SGX PCK Platform CA';
export const PCK_CN = 'Intel SGX PCK Certificate (test)';
export const DEFAULT_TCB: SgxTcb = { components: [3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0], pceSvn: 11, fmspc: 'b0c06f000000', pceId: '0000' };

export async function makePki(tcb: SgxTcb = DEFAULT_TCB, pckValidity?: { notBefore: Date; notAfter: Date }): Promise<Pki> {
  const [rootKey, caKey, pckKey, tcbKey] = await Promise.all([p256(), p256(), p256(), p256()]);
  const root = await makeCert({ subject: ROOT_CN, issuer: ROOT_CN, key: rootKey.publicKey, signer: rootKey.privateKey, ca: true });
  const ca = await makeCert({ subject: CA_CN, issuer: ROOT_CN, key: caKey.publicKey, signer: rootKey.privateKey, ca: true });
  const pck = await makeCert({ subject: PCK_CN, issuer: CA_CN, key: pckKey.publicKey, signer: caKey.privateKey, ca: false, extension: sgxExtension(tcb), ...(pckValidity ?? {}) });
  const tcbSigning = await makeCert({ subject: 'Test SGX TCB Signing', issuer: ROOT_CN, key: tcbKey.publicKey, signer: rootKey.privateKey, ca: false });
  return { rootKey, caKey, pckKey, tcbKey, root, ca, pck, tcbSigning, anchor: parseCertificate(root.der, 'test root'), tcb };
}

export interface QuoteOptions {
  readonly version?: 4 | 5;
  /** v5 body type (2 or 3) */
  readonly bodyType?: 2 | 3;
  readonly teeTcbSvn?: Uint8Array;
  readonly teeTcbSvn2?: Uint8Array;
  readonly mrSignerSeam?: Uint8Array;
  readonly tdAttributes?: Uint8Array;
  readonly qeIsvSvn?: number;
  readonly qeAuthData?: Uint8Array;
  /** replace the PCK chain PEM text the quote carries */
  readonly chainPem?: string;
  readonly rtmrs?: readonly Uint8Array[];
  readonly mrtd?: Uint8Array;
}

export const MRTD = fill(48, 0x11);
export const RTMRS = [fill(48, 0x20), fill(48, 0x21), fill(48, 0x22), fill(48, 0x23)];
export const XFAM = Uint8Array.from([0xe7, 0x02, 0x06, 0, 0, 0, 0, 0]);
export const QE_MRSIGNER = fill(32, 0xdc);

/** A TDX quote signed with a fresh attestation key whose QE report the PCK key signs. */
export async function makeQuote(pki: Pki, o: QuoteOptions = {}): Promise<{ quote: Uint8Array; attKey: KeyPair }> {
  const version = o.version ?? 4;
  const bodyType = version === 4 ? 2 : (o.bodyType ?? 3);
  const header = TDX_QUOTE_HEADER.encode({ version, attestationKeyType: 2, teeType: 0x81, qeSvn: 0, pceSvn: 0, qeVendorId: Buffer.from('939a7233f79c4ca9940a0db3957f0607', 'hex'), userData: fill(20, 0) });
  const td10 = {
    teeTcbSvn: o.teeTcbSvn ?? Uint8Array.from([6, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    mrSeam: fill(48, 0x5b),
    mrSignerSeam: o.mrSignerSeam ?? fill(48, 0),
    seamAttributes: fill(8, 0),
    tdAttributes: o.tdAttributes ?? Uint8Array.from([0, 0, 0, 0x10, 0, 0, 0, 0]),
    xfam: XFAM,
    mrTd: o.mrtd ?? MRTD,
    mrConfigId: fill(48, 0),
    mrOwner: fill(48, 0),
    mrOwnerConfig: fill(48, 0),
    rtmr0: (o.rtmrs ?? RTMRS)[0]!, rtmr1: (o.rtmrs ?? RTMRS)[1]!, rtmr2: (o.rtmrs ?? RTMRS)[2]!, rtmr3: (o.rtmrs ?? RTMRS)[3]!,
    reportData: fill(64, 0x77),
  };
  const parts: Uint8Array[] = [header];
  if (version === 5) {
    const size = bodyType === 3 ? TD_QUOTE_BODY_V5.size : TD_QUOTE_BODY_V4.size;
    parts.push(QUOTE_BODY_DESCRIPTOR.encode({ bodyType, size }));
  }
  parts.push(bodyType === 3 ? TD_QUOTE_BODY_V5.encode({ tdx10: td10, teeTcbSvn2: o.teeTcbSvn2 ?? fill(16, 0), mrServiceTd: fill(48, 0) }) : TD_QUOTE_BODY_V4.encode(td10));
  const signed = Buffer.concat(parts);

  const attKey = await p256();
  const attRaw = (await rawPoint(attKey.publicKey)).subarray(1);
  const qeAuthData = o.qeAuthData ?? Uint8Array.from({ length: 32 }, (_, i) => i);
  const reportData = new Uint8Array(64);
  reportData.set(createHash('sha256').update(attRaw).update(qeAuthData).digest());
  const qeReport = QE_REPORT.encode({ cpuSvn: new Uint8Array(pki.tcb.components), miscSelect: 0, attributes: Uint8Array.from([0x11, ...fill(15, 0)]), mrEnclave: fill(32, 0xe1), mrSigner: QE_MRSIGNER, isvProdId: 2, isvSvn: o.qeIsvSvn ?? 6, reportData });
  const qeSig = await sign(pki.pckKey.privateKey, qeReport);
  const chain = utf8(o.chainPem ?? pki.pck.pem + pki.ca.pem + pki.root.pem);
  const inner = Buffer.concat([CERTIFICATION_DATA_HEADER.encode({ type: 5, size: chain.length }), chain]);
  const qrcd = Buffer.concat([QE_REPORT_CERTIFICATION_DATA.encode({ qeReport: QE_REPORT.decode(qeReport), qeReportSignature: qeSig, qeAuthDataSize: qeAuthData.length }), qeAuthData, inner]);
  const quoteSig = await sign(attKey.privateKey, signed);
  const sigData = Buffer.concat([ECDSA_SIGNATURE_DATA.encode({ signature: quoteSig, attestationKey: attRaw }), CERTIFICATION_DATA_HEADER.encode({ type: 6, size: qrcd.length }), qrcd]);
  const quote = new Uint8Array(Buffer.concat([signed, QUOTE_SIGNATURE_DATA_LENGTH.encode({ length: sigData.length }), sigData]));
  return { quote, attKey };
}

export interface CollateralOptions {
  readonly tcbLevels?: unknown[];
  readonly tdxModuleIdentities?: unknown[] | null;
  readonly qeTcbLevels?: unknown[];
  readonly revokedPck?: boolean;
  readonly issueDate?: string;
  readonly nextUpdate?: string;
  readonly fmspc?: string;
  /** alter the signed text after signing */
  readonly tamperTcbInfo?: boolean;
}

const comps = (svns: readonly number[]): Array<{ svn: number }> => svns.map((svn) => ({ svn }));
export function level(sgx: readonly number[], pcesvn: number, tdx: readonly number[], status: string, date = '2024-03-13T00:00:00Z', advisoryIDs?: string[]): unknown {
  return { tcb: { sgxtcbcomponents: comps(sgx), pcesvn, tdxtcbcomponents: comps(tdx) }, tcbDate: date, tcbStatus: status, ...(advisoryIDs ? { advisoryIDs } : {}) };
}
const z = (head: number[]): number[] => [...head, ...fill(16 - head.length, 0)];

export const DEFAULT_LEVELS = [
  level(z([3, 3, 2, 2, 4, 1, 0, 5]), 11, z([5, 0, 3]), 'UpToDate'),
  level(z([2, 2, 2, 2, 3, 1, 0, 3]), 11, z([3, 0, 2]), 'OutOfDate', '2023-08-09T00:00:00Z', ['INTEL-SA-00960']),
];
export const DEFAULT_MODULE_IDS = [{ id: 'TDX_01', mrsigner: '00'.repeat(48), attributes: '0000000000000000', attributesMask: 'FFFFFFFFFFFFFFFF', tcbLevels: [{ tcb: { isvsvn: 6 }, tcbDate: '2024-03-13T00:00:00Z', tcbStatus: 'UpToDate' }, { tcb: { isvsvn: 2 }, tcbDate: '2023-08-09T00:00:00Z', tcbStatus: 'OutOfDate', advisoryIDs: ['INTEL-SA-00837'] }] }];

/** DCAP collateral for `pki` (the JSON document's bytes), signed by the test TCB signing key. */
export async function makeCollateral(pki: Pki, o: CollateralOptions = {}): Promise<Uint8Array> {
  const tcbInfo = JSON.stringify({
    id: 'TDX', version: 3, issueDate: o.issueDate ?? '2025-06-01T00:00:00Z', nextUpdate: o.nextUpdate ?? '2025-07-01T00:00:00Z',
    fmspc: (o.fmspc ?? pki.tcb.fmspc).toUpperCase(), pceId: pki.tcb.pceId, tcbType: 0, tcbEvaluationDataNumber: 17,
    tdxModule: { mrsigner: '00'.repeat(48), attributes: '0000000000000000', attributesMask: 'FFFFFFFFFFFFFFFF' },
    ...(o.tdxModuleIdentities === null ? {} : { tdxModuleIdentities: o.tdxModuleIdentities ?? DEFAULT_MODULE_IDS }),
    tcbLevels: o.tcbLevels ?? DEFAULT_LEVELS,
  });
  const qeIdentity = JSON.stringify({
    id: 'TD_QE', version: 2, issueDate: o.issueDate ?? '2025-06-01T00:00:00Z', nextUpdate: o.nextUpdate ?? '2025-07-01T00:00:00Z', tcbEvaluationDataNumber: 17,
    miscselect: '00000000', miscselectMask: 'FFFFFFFF', attributes: '11000000000000000000000000000000', attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000',
    mrsigner: hex(QE_MRSIGNER).toUpperCase(), isvprodid: 2,
    tcbLevels: o.qeTcbLevels ?? [{ tcb: { isvsvn: 6 }, tcbDate: '2024-03-13T00:00:00Z', tcbStatus: 'UpToDate' }, { tcb: { isvsvn: 0 }, tcbDate: '2023-01-01T00:00:00Z', tcbStatus: 'OutOfDate', advisoryIDs: ['INTEL-SA-00615'] }],
  });
  const tcbSig = await sign(pki.tcbKey.privateKey, utf8(tcbInfo));
  const qeSig = await sign(pki.tcbKey.privateKey, utf8(qeIdentity));
  const pckCrl = await makeCrl({ issuer: CA_CN, signer: pki.caKey.privateKey, revoked: o.revokedPck ? [pki.pck.serial] : [] });
  const rootCrl = await makeCrl({ issuer: ROOT_CN, signer: pki.rootKey.privateKey });
  const doc = {
    pck_crl_issuer_chain: pki.ca.pem + pki.root.pem,
    root_ca_crl: hex(rootCrl),
    pck_crl: hex(pckCrl),
    tcb_info_issuer_chain: pki.tcbSigning.pem + pki.root.pem,
    tcb_info: o.tamperTcbInfo ? tcbInfo.replace('"UpToDate"', '"OutOfDate"') : tcbInfo,
    tcb_info_signature: hex(tcbSig),
    qe_identity_issuer_chain: pki.tcbSigning.pem + pki.root.pem,
    qe_identity: qeIdentity,
    qe_identity_signature: hex(qeSig),
  };
  return utf8(JSON.stringify(doc));
}

export const AT = new Date('2025-06-15T00:00:00Z');
