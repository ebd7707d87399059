/**
 * Verification of an Intel TDX quote, offline: the quote's own signatures, the PCK chain to the
 * Intel SGX Root CA shipped with prelaunch (./intel-root.ts), and — when the user gives DCAP
 * collateral — the collateral's signatures and CRLs and the TCB status by Intel's QVL logic
 * (./tcb-status.ts). Without collateral the TCB status is a `skipped` check that says so.
 *
 * The order follows Intel QVL QuoteVerifier::verify (Src/AttestationLibrary/src/Verifiers/
 * QuoteVerifier.cpp), but every check runs and is reported (QVL stops at the first failure):
 * `signatureValid` is the quote signature, the QE report signature and the QE report data
 * binding together; `chainValid` is PCK → PCK CA → Intel SGX Root CA.
 *
 * Evaluated against @phala/dcap-qvl (docs/verify.md "Why not a library"): its TCB matching
 * differs from QVL's on TDX modules rated through tdxModuleIdentities, it stops at the first
 * failure (no separate chain and signature verdicts) and it cannot verify without collateral.
 */
import { equalBytes, toHex } from '../../bytes/hex.js';
import { defaultBackend } from '../../hash/index.js';
import { parseTdxQuote, type TdxQuote } from '../../formats/tdx/quote.js';
import { verdict, type VerificationBase, type VerificationCheck } from '../result.js';
import { isRevoked, verifyCrlIssuedBy, type Crl } from '../crl.js';
import { parseCertificate, parseCertificates, sameCertificate, verifyEcdsa, verifyEcdsaRaw, verifyIssuedBy, type X509Certificate } from '../x509.js';
import type { TdxCollateral } from './collateral.js';
import { INTEL_SGX_ROOT_CA_PEM } from './intel-root.js';
import { parsePckExtension, type PckExtension } from './pck-extension.js';
import { evaluateTcb, type TcbStatus } from './tcb-status.js';
import { matchTdxGolden, type TdxGoldenInput } from './golden.js';
import { checkCcel } from './ccel.js';

export interface TdxVerifyOptions {
  /** the quote's name for messages */
  readonly source?: string;
  /** DCAP collateral (./collateral.ts parseTdxCollateral): enables the TCB status */
  readonly collateral?: TdxCollateral;
  /** the time at which certificates, CRLs and collateral must be valid (without it: certificate validity is not checked; collateral needs it) */
  readonly at?: Date;
  /** golden values to match the TD's registers against */
  readonly golden?: TdxGoldenInput;
  /** a CCEL event log (its bytes and name) to replay against the quote's RTMRs */
  readonly ccel?: { readonly bytes: Uint8Array; readonly name: string };
  /**
   * TESTS ONLY: the root certificate to trust instead of the Intel SGX Root CA (the synthetic
   * chains of test/verify are issued by a test root). Never set by the CLI.
   */
  readonly trustAnchor?: X509Certificate;
}

export interface TdxVerification extends VerificationBase {
  readonly kind: 'tdx-quote';
  readonly version: 4 | 5;
  /** 2: TDX 1.0 TD report; 3: TDX 1.5 */
  readonly bodyType: 2 | 3;
  readonly teeTcbSvn: string;
  readonly mrSeam: string;
  readonly mrSignerSeam: string;
  readonly seamAttributes: string;
  readonly tdAttributes: string;
  /** TD attribute DEBUG (bit 0): a debuggable TD's memory is readable by the host */
  readonly tdAttributesDebug: boolean;
  readonly xfam: string;
  readonly mrtd: string;
  readonly mrConfigId: string;
  readonly mrOwner: string;
  readonly mrOwnerConfig: string;
  readonly rtmrs: readonly [string, string, string, string];
  readonly reportData: string;
  readonly teeTcbSvn2?: string;
  readonly mrServiceTd?: string;
  readonly qeVendorId: string;
  readonly qeSvn: number;
  readonly pceSvn: number;
  /** from the PCK certificate's SGX extension, when it could be read */
  readonly fmspc?: string;
  readonly pceId?: string;
  readonly pckTcb?: { readonly pceSvn: number; readonly cpuSvn: string; readonly sgxTcbComponents: readonly number[] };
  /** with collateral: Intel QVL's TCB status */
  readonly tcbStatus?: TcbStatus;
  readonly advisoryIds?: readonly string[];
  /** the golden entry matched, when --golden was given */
  readonly golden?: { readonly matched: boolean; readonly entry?: string };
}

const SHA256 = (b: Uint8Array): Uint8Array => defaultBackend.hash('sha256', b);
let intelRoot: X509Certificate | null = null;
/** The Intel SGX Root CA shipped with prelaunch. */
export function intelSgxRootCa(): X509Certificate {
  intelRoot ??= parseCertificate(new TextEncoder().encode(INTEL_SGX_ROOT_CA_PEM), 'Intel SGX Root CA (shipped with prelaunch)');
  return intelRoot;
}

const iso = (d: Date): string => d.toISOString().replace('.000Z', 'Z');
const cn = (c: X509Certificate): string => /CN=([^,]+)/.exec(c.subject)?.[1] ?? c.subject;

/** Parse and verify a TDX quote (ParseError for a quote that cannot be read; every verdict as a check). */
export async function verifyTdxQuote(bytes: Uint8Array, options: TdxVerifyOptions = {}): Promise<TdxVerification> {
  const quote = parseTdxQuote(bytes, options.source);
  return verifyParsedTdxQuote(bytes, quote, options);
}

async function verifyParsedTdxQuote(bytes: Uint8Array, quote: TdxQuote, options: TdxVerifyOptions): Promise<TdxVerification> {
  const checks: VerificationCheck[] = [];
  const add = (id: string, ok: boolean | 'skipped', detail: string): boolean => {
    checks.push({ id, status: ok === 'skipped' ? 'skipped' : ok ? 'pass' : 'fail', detail });
    return ok === true;
  };
  // collateral is always evaluated at a time; the CLI requires --at with --collateral
  const at = options.at ?? new Date();
  const root = options.trustAnchor ?? intelSgxRootCa();

  // the quote signature [4.1.2.4.16]: ECDSA P-256 / SHA-256 over header + body with the attestation key
  const attKey = new Uint8Array(65);
  attKey[0] = 0x04;
  attKey.set(quote.attestationKey, 1);
  let quoteSigOk = false;
  try {
    quoteSigOk = await verifyEcdsaRaw('P-256', attKey, 'SHA-256', quote.signature, bytes.subarray(0, quote.signedLength), 'the attestation key');
    add('quote-signature', quoteSigOk, quoteSigOk ? `quote signature over bytes 0..0x${quote.signedLength.toString(16)} verifies with the attestation key` : 'the quote signature does not verify with the attestation key (header or TD report altered, or a foreign signature)');
  } catch {
    add('quote-signature', false, 'the attestation key in the quote is not a P-256 point');
  }

  // the PCK chain as the quote carries it
  let pck: X509Certificate | null = null;
  let ca: X509Certificate | null = null;
  let embeddedRoot: X509Certificate | null = null;
  let chainOk = false;
  try {
    const certs = parseCertificates(quote.pckChainPem, `${options.source ?? 'quote'} PCK chain`);
    pck = certs[0] ?? null;
    ca = certs[1] ?? null;
    embeddedRoot = certs[2] ?? null;
    if (certs.length > 3) throw new Error(`${certs.length} certificates, expected PCK, PCK CA and root`);
  } catch (e) {
    add('chain:pck', false, `the quote's PCK certificate chain cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  }

  // the QE report signature [4.1.2.4.12] with the PCK key
  let qeSigOk = false;
  if (pck) {
    try {
      qeSigOk = await verifyEcdsa(pck, 'SHA-256', quote.qeReportSignature, quote.qeReportBytes);
      add('qe-report-signature', qeSigOk, qeSigOk ? `QE report signature verifies with the PCK certificate's key (${cn(pck)})` : "the QE report signature does not verify with the PCK certificate's key (QE report altered, or the PCK chain is another platform's)");
    } catch (e) {
      add('qe-report-signature', false, `the PCK certificate's key cannot verify: ${e instanceof Error ? e.message : String(e)}`);
    }
  } else add('qe-report-signature', false, 'no PCK certificate to verify the QE report signature with');

  // the QE report data binding [4.1.2.4.13]: SHA-256(attestation key ‖ QE auth data) ‖ 32 zero bytes.
  // Intel QVL compares the first 32 bytes; the QE writes the other 32 as zero (checked too).
  const expect = new Uint8Array(64);
  const cat = new Uint8Array(quote.attestationKey.length + quote.qeAuthData.length);
  cat.set(quote.attestationKey);
  cat.set(quote.qeAuthData, quote.attestationKey.length);
  expect.set(SHA256(cat));
  const bindOk = equalBytes(expect, quote.qeReport.reportData);
  add('qe-report-data', bindOk, bindOk ? 'QE report data = SHA-256(attestation key ‖ QE auth data) ‖ 0…0: the QE vouches for this attestation key' : `QE report data ${toHex(quote.qeReport.reportData).slice(0, 64)}… is not SHA-256(attestation key ‖ QE auth data) ‖ 0…0 (the attestation key or QE auth data was replaced)`);

  // the chain: PCK → PCK CA → the trusted root
  if (pck && ca) {
    const pckByCa = await verifyIssuedBy(pck, ca);
    add('chain:pck-by-ca', pckByCa, pckByCa ? `${cn(pck)} is signed by ${cn(ca)}` : `${cn(pck)} is not signed by ${cn(ca)}`);
    const caByRoot = await verifyIssuedBy(ca, root);
    add('chain:ca-by-root', caByRoot, caByRoot ? `${cn(ca)} is signed by ${cn(root)}${options.trustAnchor ? ' (a test trust anchor)' : ' (shipped with prelaunch)'}` : `${cn(ca)} is not signed by ${cn(root)}${options.trustAnchor ? ' (the test trust anchor)' : ', the Intel SGX Root CA shipped with prelaunch'}`);
    let rootOk = true;
    if (embeddedRoot) {
      // byte equality with the anchor is the check (the shipped root's own signature is a test: test/verify/tdx.test.ts)
      rootOk = sameCertificate(embeddedRoot, root);
      add('chain:root', rootOk, rootOk ? `the quote's root certificate is the ${options.trustAnchor ? 'test trust anchor' : 'Intel SGX Root CA'}` : `the quote's root certificate (${cn(embeddedRoot)}) is not the ${options.trustAnchor ? 'test trust anchor' : 'Intel SGX Root CA shipped with prelaunch'}`);
    }
    chainOk = pckByCa && caByRoot && rootOk;
  } else if (pck) add('chain:pck-by-ca', false, 'the quote carries no PCK CA certificate');

  // validity windows, only at a time the user gives (as for SNP reports: a verifier without a
  // trusted clock, or checking old evidence, has no "now" to check against)
  const chain = [pck, ca, embeddedRoot].filter((c): c is X509Certificate => c !== null);
  if (chain.length && options.at) {
    const bad = chain.find((c) => at < c.notBefore || at > c.notAfter);
    add('chain:validity', !bad, bad ? `${cn(bad)} is valid ${iso(bad.notBefore)} .. ${iso(bad.notAfter)}, not at ${iso(at)}` : `every certificate is valid at ${iso(at)}`);
  } else if (chain.length) add('chain:validity', 'skipped', 'certificate validity not checked: no --at TIME');

  // the PCK certificate's SGX extension [4.1.2.4.4]
  let ext: PckExtension | undefined;
  if (pck) {
    if (!/SGX PCK Certificate/.test(cn(pck))) add('pck-certificate', false, `the leaf certificate's CN is "${cn(pck)}", not an Intel SGX PCK Certificate`);
    try {
      ext = parsePckExtension(pck);
      add('pck-extension', true, `PCK certificate for FMSPC ${ext.fmspc}, PCE-ID ${ext.pceId}, SGX TCB ${ext.sgxTcbComponents.join('.')}, PCESVN ${ext.pceSvn}`);
    } catch (e) {
      add('pck-extension', false, e instanceof Error ? e.message : String(e));
    }
  }

  let tcbStatus: TcbStatus | undefined;
  let advisoryIds: readonly string[] | undefined;
  const c = options.collateral;
  if (!c) {
    add('tcb-status', 'skipped', 'TCB status not evaluated: no --collateral given (TCB info and QE identity are needed to rate the platform and TDX module)');
  } else {
    const collOk = await verifyCollateral(c, root, at, add);
    const crlOk = await checkCrls(c, root, pck, ca, at, add);
    if (!ext || !collOk) {
      add('tcb-status', 'skipped', `TCB status not evaluated: ${!ext ? "the PCK certificate's SGX extension could not be read" : 'the collateral did not verify'}`);
    } else if (crlOk === 'revoked') {
      tcbStatus = 'Revoked';
      add('tcb-status', false, 'TCB status Revoked: the PCK certificate is on the PCK CRL');
    } else {
      const t = evaluateTcb(quote, ext, c.tcbInfo, c.qeIdentity);
      if (t.mismatch) add('tcb-status', false, `TCB status not determined (${t.mismatch}): ${t.detail}`);
      else {
        tcbStatus = t.status!;
        advisoryIds = t.advisoryIds;
        // the status is reported, not judged: which statuses a policy accepts is the policy's (docs/verify.md); Revoked always fails
        add('tcb-status', tcbStatus !== 'Revoked', `TCB status ${tcbStatus} at ${iso(at)} (${t.detail})${t.advisoryIds.length ? `; advisories ${t.advisoryIds.join(', ')}` : ''}`);
      }
    }
  }

  const r = quote.report;
  const rtmrs = [toHex(r.rtmr0), toHex(r.rtmr1), toHex(r.rtmr2), toHex(r.rtmr3)] as const;
  let golden: TdxVerification['golden'];
  const regs = { mrtd: toHex(r.mrTd), rtmrs, xfam: toHex(r.xfam), tdAttributes: toHex(r.tdAttributes), mrConfigId: toHex(r.mrConfigId) };
  if (options.golden) golden = matchTdxGolden(options.golden, regs, add);
  if (options.ccel) checkCcel(options.ccel, regs, options.golden, add);

  const signatureValid = quoteSigOk && qeSigOk && bindOk;
  return {
    kind: 'tdx-quote',
    signatureValid,
    chainValid: chainOk,
    checks,
    ...verdict(checks),
    version: quote.version,
    bodyType: quote.bodyType,
    teeTcbSvn: toHex(r.teeTcbSvn),
    mrSeam: toHex(r.mrSeam),
    mrSignerSeam: toHex(r.mrSignerSeam),
    seamAttributes: toHex(r.seamAttributes),
    tdAttributes: toHex(r.tdAttributes),
    tdAttributesDebug: (r.tdAttributes[0]! & 1) === 1,
    xfam: toHex(r.xfam),
    mrtd: toHex(r.mrTd),
    mrConfigId: toHex(r.mrConfigId),
    mrOwner: toHex(r.mrOwner),
    mrOwnerConfig: toHex(r.mrOwnerConfig),
    rtmrs,
    reportData: toHex(r.reportData),
    ...(r.teeTcbSvn2 ? { teeTcbSvn2: toHex(r.teeTcbSvn2) } : {}),
    ...(r.mrServiceTd ? { mrServiceTd: toHex(r.mrServiceTd) } : {}),
    qeVendorId: quote.qeVendorId,
    qeSvn: quote.qeSvn,
    pceSvn: quote.pceSvn,
    ...(ext ? { fmspc: ext.fmspc, pceId: ext.pceId, pckTcb: { pceSvn: ext.pceSvn, cpuSvn: ext.cpuSvn, sgxTcbComponents: ext.sgxTcbComponents } } : {}),
    ...(tcbStatus ? { tcbStatus } : {}),
    ...(advisoryIds ? { advisoryIds } : {}),
    ...(golden ? { golden } : {}),
  };
}

type Add = (id: string, ok: boolean | 'skipped', detail: string) => boolean;

/** A signing chain of collateral (leaf first) up to the trusted root; the leaf's signature over `data`. */
async function verifySigned(what: string, data: Uint8Array, signature: Uint8Array, chain: readonly X509Certificate[], root: X509Certificate, at: Date, add: Add): Promise<boolean> {
  const leaf = chain[0]!;
  const issuer = chain.length > 2 ? chain[1]! : root;
  let ok = (await verifyIssuedBy(leaf, issuer)) && (chain.length <= 2 || (await verifyIssuedBy(issuer, root)));
  const last = chain[chain.length - 1]!;
  if (!sameCertificate(last, root)) ok = false;
  if (!add(`collateral:${what}-chain`, ok, ok ? `${what} is signed by ${cn(leaf)}, issued by ${cn(root)}` : `${what}: the signing chain (${chain.map(cn).join(' → ')}) does not lead to the trusted root`)) return false;
  const bad = chain.find((c) => at < c.notBefore || at > c.notAfter);
  if (!add(`collateral:${what}-chain-validity`, !bad, bad ? `${what}: ${cn(bad)} is not valid at ${iso(at)}` : `${what} signing certificates valid at ${iso(at)}`)) return false;
  const sigOk = await verifyEcdsa(leaf, 'SHA-256', signature, data).catch(() => false);
  return add(`collateral:${what}-signature`, sigOk, sigOk ? `${what} signature verifies with ${cn(leaf)}` : `${what} signature does not verify with ${cn(leaf)} (the collateral was altered)`);
}

async function verifyCollateral(c: TdxCollateral, root: X509Certificate, at: Date, add: Add): Promise<boolean> {
  const t = await verifySigned('tcb-info', c.tcbInfoBytes, c.tcbInfoSignature, c.tcbInfoChain, root, at, add);
  const q = await verifySigned('qe-identity', c.qeIdentityBytes, c.qeIdentitySignature, c.qeIdentityChain, root, at, add);
  const inWindow = (what: string, from: Date, to: Date): boolean =>
    add(`collateral:${what}-validity`, at >= from && at <= to, at >= from && at <= to ? `${what} issued ${iso(from)}, next update ${iso(to)}: current at ${iso(at)}` : `${what} is valid ${iso(from)} .. ${iso(to)}, not at ${iso(at)} (give --at, or newer collateral)`);
  const tw = inWindow('tcb-info', c.tcbInfo.issueDate, c.tcbInfo.nextUpdate);
  const qw = inWindow('qe-identity', c.qeIdentity.issueDate, c.qeIdentity.nextUpdate);
  return t && q && tw && qw;
}

function crlCurrent(crl: Crl, at: Date): boolean {
  return at >= crl.thisUpdate && (crl.nextUpdate === undefined || at <= crl.nextUpdate);
}

/** The root CA CRL and the PCK CRL [4.1.2.4.6, 4.1.2.4.7]: 'revoked' when the PCK certificate is listed. */
async function checkCrls(c: TdxCollateral, root: X509Certificate, pck: X509Certificate | null, ca: X509Certificate | null, at: Date, add: Add): Promise<boolean | 'revoked'> {
  const rootCrl = c.rootCaCrl;
  const rootSig = await verifyCrlIssuedBy(rootCrl, root);
  let ok = add('crl:root-signature', rootSig, rootSig ? `the root CA CRL is signed by ${cn(root)}` : `the root CA CRL is not signed by ${cn(root)}`);
  ok = add('crl:root-validity', crlCurrent(rootCrl, at), `the root CA CRL covers ${iso(rootCrl.thisUpdate)} .. ${rootCrl.nextUpdate ? iso(rootCrl.nextUpdate) : '(no next update)'}${crlCurrent(rootCrl, at) ? '' : `, not ${iso(at)}`}`) && ok;
  const intermediates = [ca, c.tcbInfoChain[0], c.qeIdentityChain[0], c.pckCrlChain[0]].filter((x): x is X509Certificate => !!x && !sameCertificate(x, root));
  const revokedCa = intermediates.find((x) => isRevoked(rootCrl, x));
  ok = add('crl:root-revocations', !revokedCa, revokedCa ? `${cn(revokedCa)} (serial ${revokedCa.serialNumber}) is revoked by the root CA CRL` : 'no CA or signing certificate in use is on the root CA CRL') && ok;

  const pckCrl = c.pckCrl;
  if (!pck || !ca) return add('crl:pck', false, 'no PCK chain to check against the PCK CRL') && ok;
  // [4.1.2.4.6] the PCK CRL's issuer is the PCK certificate's issuer, and it is signed by that CA
  const issuerOk = pckCrl.issuer === pck.issuer;
  const sigOk = issuerOk && (await verifyCrlIssuedBy(pckCrl, ca));
  ok = add('crl:pck-signature', sigOk, sigOk ? `the PCK CRL is signed by ${cn(ca)}` : issuerOk ? `the PCK CRL is not signed by ${cn(ca)}` : `the PCK CRL is issued by ${pckCrl.issuer}, not the PCK certificate's issuer ${pck.issuer}`) && ok;
  ok = add('crl:pck-validity', crlCurrent(pckCrl, at), `the PCK CRL covers ${iso(pckCrl.thisUpdate)} .. ${pckCrl.nextUpdate ? iso(pckCrl.nextUpdate) : '(no next update)'}${crlCurrent(pckCrl, at) ? '' : `, not ${iso(at)}`}`) && ok;
  // [4.1.2.4.7]
  if (sigOk && isRevoked(pckCrl, pck)) {
    add('crl:pck-revocation', false, `the PCK certificate (serial ${pck.serialNumber}) is revoked by the PCK CRL`);
    return 'revoked';
  }
  add('crl:pck-revocation', true, 'the PCK certificate is not on the PCK CRL');
  return ok;
}
