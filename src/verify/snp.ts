/**
 * Verifying an SEV-SNP attestation report offline (AMD SEV-SNP ABI specification; AMD 57230
 * "VCEK Certificate and KDS Interface Specification"):
 *
 * 1. the report's signature: ECDSA P-384 with SHA-384 over bytes 0x000–0x29F, with the VCEK
 *    or VLEK the report's KEY_INFO.SIGNING_KEY names (the certificate given must be that one);
 * 2. the chain VCEK → ASK → ARK, or VLEK → ASVK → ARK (RSA-PSS with SHA-384), anchored in the
 *    ARK prelaunch ships for the product (src/verify/amd-certificates.ts): an ARK that is
 *    supplied must be byte-identical to it, and every certificate must be of the product the
 *    report comes from (a Genoa VCEK under a Milan ASK fails). A missing ASK/ASVK or ARK is
 *    taken from the shipped set. Validity dates are checked only at a given time (`at`): AMD's
 *    VCEKs are issued for the TCB, not for a period a verifier can check without a clock it
 *    trusts, and the corpus reports are older than some of their VCEKs' validity;
 * 3. the VCEK's extensions against the report: hwID (1.3.6.1.4.1.3704.1.4) equals CHIP_ID
 *    (Turin: its first 8 bytes; not checked when the chip ID is masked, nor for a VLEK, which has
 *    none); the TCB SPLs (…3704.1.3.1 boot loader, .2 TEE, .3 SNP, .8 microcode, .9 FMC on
 *    Turin) equal REPORTED_TCB, the TCB the key was derived for;
 * 4. what the caller asks for: guest policy bits, a minimum REPORTED_TCB, golden values.
 *
 * Every check is recorded (src/verify/result.ts); a certificate that cannot be read, or whose
 * key is of the wrong kind, is an error (thrown) rather than a failed check.
 */
import { equalBytes, toHex } from '../bytes/hex.js';
import { OptionError, PrelaunchError } from '../errors.js';
import {
  ATTESTATION_REPORT_SIGNED_SIZE, SNP_PRODUCTS, decodeTcb, parseAttestationReport, reportFieldsOf,
  type AttestationReport, type SnpProduct, type TcbParts,
} from '../formats/snp/attestation-report.js';
import { parseCertTable } from '../formats/snp/cert-table.js';
import { SNP_POLICY_FLAGS, type SnpPolicyFlag } from '../formats/snp/policy.js';
import { checkReport, type CheckResult } from '../golden/check.js';
import type { GoldenDocument } from '../golden/engine.js';
import { AMD_CERTIFICATES } from './amd-certificates.js';
import { verdict, type VerificationBase, type VerificationCheck } from './result.js';
import {
  CertificateError, commonName, extensionInteger, extensionString, parseCertificate, parseCertificates, sameCertificate,
  verifyEcdsa, verifyIssuedBy, type X509Certificate,
} from './x509.js';

/** What a certificate is in an SNP chain. */
export type SnpCertRole = 'vcek' | 'vlek' | 'ask' | 'asvk' | 'ark';

export interface SnpCertificate {
  readonly role: SnpCertRole;
  /** the product its CN (ASK, ASVK, ARK) or product-name extension (VCEK, VLEK) names; null when none */
  readonly product: SnpProduct | null;
  readonly cert: X509Certificate;
  /** `shipped` for prelaunch's own copy, else where it came from (file name, `certificate table`) */
  readonly origin: 'given' | 'table' | 'shipped';
}

/** A certificate file's bytes (PEM, possibly several certificates, or one DER). */
export interface CertificateInput {
  readonly bytes: Uint8Array;
  /** its name for messages */
  readonly source: string;
}

/** Guest policy bits the caller requires: `true` set, `false` clear. */
export type SnpPolicyExpectations = Partial<Record<'debug' | 'migrateMa' | 'smt' | 'singleSocket', boolean>>;

export interface SnpVerifyOptions {
  /** certificate files; roles are told by the subject CN (SEV-VCEK, SEV-VLEK, SEV-Milan, SEV-VLEK-Milan, ARK-Milan, …) */
  readonly certificates?: readonly CertificateInput[];
  /** check every certificate's validity period at this time (default: not checked) */
  readonly at?: Date;
  /** guest policy bits that must hold */
  readonly policy?: SnpPolicyExpectations;
  /** the least REPORTED_TCB components accepted */
  readonly minTcb?: Partial<TcbParts>;
  /** golden values the report must be an entry of */
  readonly golden?: GoldenDocument;
  /** the evidence's name for messages */
  readonly source?: string;
  /**
   * Replace prelaunch's shipped AMD certificates for a product (DER): a private test PKI (the
   * synthetic chains of test/verify), or a newer ARK before prelaunch ships it. Not a CLI flag.
   */
  readonly anchors?: Partial<Record<SnpProduct, AnchorCertificates>>;
}

/** A product's trust anchor (ARK) and the intermediates used when none is supplied, DER. */
export interface AnchorCertificates {
  readonly ark: Uint8Array;
  readonly ask?: Uint8Array;
  readonly asvk?: Uint8Array;
}

export interface SnpCertificateSummary {
  readonly role: SnpCertRole;
  readonly product: SnpProduct | null;
  readonly subject: string;
  readonly origin: 'given' | 'table' | 'shipped';
  readonly source: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface SnpVerificationResult extends VerificationBase {
  readonly kind: 'snp-report';
  /** MEASUREMENT, hex */
  readonly measurement: string;
  /** CHIP_ID, hex (64 bytes) */
  readonly chipId: string;
  /** REPORTED_TCB in the product's layout */
  readonly reportedTcb: TcbParts;
  /** the processor generation the report and chain are of (null when nothing names it) */
  readonly product: SnpProduct | null;
  readonly report: AttestationReport;
  readonly certificates: readonly SnpCertificateSummary[];
  /** entries of the certificate table that were not used (GUIDs not assigned to VCEK/VLEK/ASK/ARK) */
  readonly ignoredTableEntries: readonly string[];
  /** the golden-value match, when a document was given */
  readonly golden?: CheckResult;
}

/** OIDs of AMD's VCEK/VLEK extensions (AMD 57230, "VCEK Certificate Extensions"). */
export const AMD_OID = {
  structVersion: '1.3.6.1.4.1.3704.1.1',
  productName: '1.3.6.1.4.1.3704.1.2',
  blSpl: '1.3.6.1.4.1.3704.1.3.1',
  teeSpl: '1.3.6.1.4.1.3704.1.3.2',
  snpSpl: '1.3.6.1.4.1.3704.1.3.3',
  ucodeSpl: '1.3.6.1.4.1.3704.1.3.8',
  fmcSpl: '1.3.6.1.4.1.3704.1.3.9',
  hwid: '1.3.6.1.4.1.3704.1.4',
  cspId: '1.3.6.1.4.1.3704.1.5',
} as const;

const ROLE_NAME: Readonly<Record<SnpCertRole, string>> = { vcek: 'VCEK', vlek: 'VLEK', ask: 'ASK', asvk: 'ASVK', ark: 'ARK' };

function productFromName(name: string | null): SnpProduct | null {
  if (!name) return null;
  return SNP_PRODUCTS.find((p) => name === p || name.startsWith(`${p}-`)) ?? null;
}

/**
 * The role and product of an AMD certificate, from its subject CN (KDS names them SEV-VCEK,
 * SEV-VLEK, SEV-<product> for the ASK, SEV-VLEK-<product> for the ASVK, ARK-<product>).
 * Another CN is a CertificateError naming it.
 */
export function classifyAmdCertificate(cert: X509Certificate, origin: SnpCertificate['origin'] = 'given'): SnpCertificate {
  const cn = commonName(cert);
  let role: SnpCertRole | null = null;
  let product: SnpProduct | null = null;
  if (cn === 'SEV-VCEK' || cn === 'SEV-VLEK') {
    role = cn === 'SEV-VCEK' ? 'vcek' : 'vlek';
    product = productFromName(extensionString(cert, AMD_OID.productName));
  } else if (cn?.startsWith('SEV-VLEK-')) {
    role = 'asvk';
    product = productFromName(cn.slice('SEV-VLEK-'.length));
  } else if (cn?.startsWith('SEV-')) {
    role = 'ask';
    product = productFromName(cn.slice('SEV-'.length));
  } else if (cn?.startsWith('ARK-')) {
    role = 'ark';
    product = productFromName(cn.slice('ARK-'.length));
  }
  if (!role || (role !== 'vcek' && role !== 'vlek' && !product)) {
    throw new CertificateError(`${cert.source}: not an AMD SEV-SNP certificate (subject CN ${cn === null ? 'absent' : JSON.stringify(cn)}; expected SEV-VCEK, SEV-VLEK, SEV-<product>, SEV-VLEK-<product> or ARK-<product>)`, { source: cert.source });
  }
  // the key type each role has (57230: VCEK/VLEK ECDSA P-384; ASK/ASVK/ARK RSA 4096)
  const k = cert.publicKey;
  if ((role === 'vcek' || role === 'vlek') && (k.kind !== 'ec' || k.curve !== 'P-384')) {
    throw new PrelaunchError('ERR_KEY', `${cert.source}: the ${ROLE_NAME[role]} certificate's key is ${k.kind === 'ec' ? `EC ${k.curve ?? 'on an unknown curve'}` : k.kind === 'rsa' ? 'RSA' : `of algorithm ${k.algorithm}`}, not ECDSA P-384`, { source: cert.source });
  }
  if ((role === 'ask' || role === 'asvk' || role === 'ark') && k.kind !== 'rsa') {
    throw new PrelaunchError('ERR_KEY', `${cert.source}: the ${ROLE_NAME[role]} certificate's key is ${k.kind === 'ec' ? `EC ${k.curve ?? ''}`.trim() : `of algorithm ${k.algorithm}`}, not RSA`, { source: cert.source });
  }
  return { role, product, cert, origin };
}

/** The DER of `anchors`' certificate for `product`/`role`, else of prelaunch's own copy, and a name for messages. */
function anchorDer(product: SnpProduct, role: 'ark' | 'ask' | 'asvk', anchors: SnpVerifyOptions['anchors']): { der: Uint8Array; name: string } {
  const a = anchors?.[product];
  if (a) {
    const der = a[role];
    if (der) return { der, name: `the ${ROLE_NAME[role]} anchor given for ${product}` };
    if (role === 'ark') throw new OptionError('anchors', `no ARK for ${product}`);
  }
  return { der: shippedDer(product, role), name: `prelaunch's ${AMD_CERTIFICATES[product][role].cn}` };
}

/** `anchors`' certificate for `product`/`role`, else prelaunch's own copy (parsed). */
function anchorCertificate(product: SnpProduct, role: 'ark' | 'ask' | 'asvk', anchors: SnpVerifyOptions['anchors']): X509Certificate {
  if (!anchors?.[product]?.[role]) return shippedCertificate(product, role);
  const { der, name } = anchorDer(product, role, anchors);
  return parseCertificate(der, name);
}

const shippedDerCache = new Map<string, Uint8Array>();
function shippedDer(product: SnpProduct, role: 'ark' | 'ask' | 'asvk'): Uint8Array {
  const key = `${product}/${role}`;
  let der = shippedDerCache.get(key);
  if (!der) {
    const bin = atob(AMD_CERTIFICATES[product][role].der);
    der = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) der[i] = bin.charCodeAt(i);
    shippedDerCache.set(key, der);
  }
  return der;
}

let shippedCache: Map<string, X509Certificate> | null = null;

/** prelaunch's own copy of `product`'s ARK, ASK or ASVK. */
export function shippedCertificate(product: SnpProduct, role: 'ark' | 'ask' | 'asvk'): X509Certificate {
  shippedCache ??= new Map();
  const key = `${product}/${role}`;
  let c = shippedCache.get(key);
  if (!c) {
    c = parseCertificate(shippedDer(product, role), `prelaunch's ${AMD_CERTIFICATES[product][role].cn}`);
    shippedCache.set(key, c);
  }
  return c;
}

/** The certificates of the inputs and the certificate table, one per role (conflicts are errors). */
function collectCertificates(inputs: readonly CertificateInput[], table: readonly SnpCertificate[]): Map<SnpCertRole, SnpCertificate> {
  const byRole = new Map<SnpCertRole, SnpCertificate>();
  for (const input of inputs) {
    for (const cert of parseCertificates(input.bytes, input.source)) {
      const c = classifyAmdCertificate(cert, 'given');
      const prev = byRole.get(c.role);
      if (prev && !sameCertificate(prev.cert, c.cert)) {
        throw new OptionError('--cert', `two different ${ROLE_NAME[c.role]} certificates given (${prev.cert.source}, ${c.cert.source}): give one`);
      }
      byRole.set(c.role, c);
    }
  }
  // the evidence's own table fills the roles not given
  for (const c of table) if (!byRole.has(c.role)) byRole.set(c.role, c);
  return byRole;
}

const POLICY_KEYS: readonly ('debug' | 'migrateMa' | 'smt' | 'singleSocket')[] = ['debug', 'migrateMa', 'smt', 'singleSocket'];
const TCB_KEYS: readonly (keyof TcbParts)[] = ['fmc', 'bootloader', 'tee', 'snp', 'microcode'];

function tcbText(t: TcbParts): string {
  return TCB_KEYS.filter((k) => t[k] !== undefined).map((k) => `${k}=${t[k]}`).join(',');
}

/**
 * Verify an SEV-SNP attestation report: `evidence` is the report's 0x4A0 bytes, optionally
 * followed by the certificate table of an extended report (src/formats/snp/cert-table.ts).
 * Structural problems (a truncated or unknown report, an unreadable certificate, a key of the
 * wrong type, no VCEK/VLEK) are thrown; everything that can be checked is returned as checks.
 */
export async function verifySnpReport(evidence: Uint8Array, options: SnpVerifyOptions = {}): Promise<SnpVerificationResult> {
  const source = options.source ?? 'report';
  const report = parseAttestationReport(evidence, source);
  const checks: VerificationCheck[] = [];
  const add = (id: string, ok: boolean | null, detail: string): void => void checks.push({ id, status: ok === null ? 'skipped' : ok ? 'pass' : 'fail', detail });

  // certificates: given, then the report's certificate table
  const ignoredTableEntries: string[] = [];
  const table: SnpCertificate[] = [];
  if (evidence.length > 0x4a0) {
    for (const e of parseCertTable(evidence.subarray(0x4a0), source, 0x4a0)) {
      if (!e.role) {
        ignoredTableEntries.push(e.guid);
        continue;
      }
      const what = `${source} (certificate table, ${e.role.toUpperCase()})`;
      for (const cert of parseCertificates(e.data, what)) table.push(classifyAmdCertificate(cert, 'table'));
    }
  }
  const certs = collectCertificates(options.certificates ?? [], table);
  const leafRole: 'vcek' | 'vlek' = certs.has('vcek') ? 'vcek' : 'vlek';
  const leaf = certs.get(leafRole);
  if (!leaf) {
    throw new OptionError('--cert', `no VCEK or VLEK certificate for ${source}: give it with --cert FILE or --certs DIR (AMD KDS serves it for the chip ID and reported TCB; a VLEK from the cloud provider)`);
  }
  if (certs.has('vcek') && certs.has('vlek')) {
    throw new OptionError('--cert', `both a VCEK (${certs.get('vcek')!.cert.source}) and a VLEK (${certs.get('vlek')!.cert.source}) given: give the one that signed the report (its KEY_INFO names ${report.signingKey.toUpperCase()})`);
  }
  const midRole: 'ask' | 'asvk' = leafRole === 'vcek' ? 'ask' : 'asvk';
  const otherMid = certs.get(midRole === 'ask' ? 'asvk' : 'ask');
  if (otherMid) {
    throw new OptionError('--cert', `${otherMid.cert.source} is an ${ROLE_NAME[otherMid.role]}, which does not issue ${ROLE_NAME[leafRole]}s: give the ${ROLE_NAME[midRole]} (or none: prelaunch has AMD's)`);
  }

  // the product: the report's CPUID (signed), else the leaf's product name
  const product = report.cpuidProduct ?? leaf.product;
  const tcb = decodeTcb(report.reportedTcb, product ?? 'Milan');

  // 1. the report's signature
  let sigOk = false;
  if (report.signatureAlgo !== 1) {
    add('report-signature', false, `SIGNATURE_ALGO is ${report.signatureAlgo}, not 1 (ECDSA P-384 with SHA-384)`);
  } else {
    sigOk = await verifyEcdsa(leaf.cert, 'SHA-384', report.signatureP1363, evidence.subarray(0, ATTESTATION_REPORT_SIGNED_SIZE));
    add('report-signature', sigOk, sigOk
      ? `report signed by the ${ROLE_NAME[leafRole]} (${leaf.cert.source}): ECDSA P-384/SHA-384 over bytes 0x000-0x29F`
      : `the report's signature does not verify with the ${ROLE_NAME[leafRole]} ${leaf.cert.source} (the report was altered, or signed by another key)`);
  }
  const keyMatches = report.signingKey === leafRole;
  add('signing-key', keyMatches, keyMatches
    ? `KEY_INFO.SIGNING_KEY names the ${ROLE_NAME[leafRole]}, the certificate given`
    : `the report's KEY_INFO.SIGNING_KEY names ${report.signingKey === 'vcek' || report.signingKey === 'vlek' ? `the ${report.signingKey.toUpperCase()}` : `no usable key (${report.signingKey})`}, but a ${ROLE_NAME[leafRole]} certificate was given`);

  // 2. the chain, anchored in the shipped ARK of the chain's product
  const givenArk = certs.get('ark');
  const givenMid = certs.get(midRole);
  const chainProduct = givenArk?.product ?? givenMid?.product ?? product;
  const chainChecks: boolean[] = [];
  const chain = (id: string, ok: boolean, detail: string): void => {
    chainChecks.push(ok);
    add(id, ok, detail);
  };
  const used: SnpCertificate[] = [leaf];
  if (!chainProduct) {
    chain('chain:product', false, `no certificate or report field names the product (Milan, Genoa, Turin): give the ${ROLE_NAME[midRole]} and ARK`);
  } else {
    // the given ARK, when it is the anchor byte for byte (then the anchor is not parsed again)
    const anchor = anchorDer(chainProduct, 'ark', options.anchors);
    const ark = givenArk && equalBytes(givenArk.cert.der, anchor.der) ? givenArk.cert : anchorCertificate(chainProduct, 'ark', options.anchors);
    if (givenArk) {
      const same = ark === givenArk.cert;
      chain('chain:ark', same, same
        ? `the ARK given (${givenArk.cert.source}) is AMD's ARK-${chainProduct}, as prelaunch ships it`
        : `the ARK given (${givenArk.cert.source}) is not AMD's ARK-${chainProduct} (it differs from the one prelaunch ships: src/verify/amd-certificates.ts)`);
    } else {
      chain('chain:ark', true, `ARK-${chainProduct}: prelaunch's own copy (none given)`);
    }
    const selfOk = await verifyIssuedBy(ark, ark);
    chain('chain:ark-self-signed', selfOk, selfOk ? `ARK-${chainProduct} is self-signed (RSA-PSS/SHA-384)` : `ARK-${chainProduct} does not verify its own signature`);
    const mid = givenMid ?? { role: midRole, product: chainProduct, cert: anchorCertificate(chainProduct, midRole, options.anchors), origin: 'shipped' as const };
    used.push(mid, givenArk ?? { role: 'ark', product: chainProduct, cert: ark, origin: 'shipped' });
    const midOk = await verifyIssuedBy(mid.cert, ark);
    chain(`chain:${midRole}-by-ark`, midOk, midOk
      ? `the ${ROLE_NAME[midRole]} (${mid.cert.source}) is signed by ARK-${chainProduct}`
      : `the ${ROLE_NAME[midRole]} (${mid.cert.source}, ${commonName(mid.cert) ?? 'no CN'}) is not signed by ARK-${chainProduct}`);
    const leafOk = await verifyIssuedBy(leaf.cert, mid.cert);
    chain(`chain:${leafRole}-by-${midRole}`, leafOk, leafOk
      ? `the ${ROLE_NAME[leafRole]} (${leaf.cert.source}) is signed by the ${ROLE_NAME[midRole]} ${commonName(mid.cert) ?? ''}`.trimEnd()
      : `the ${ROLE_NAME[leafRole]} (${leaf.cert.source}${leaf.product ? `, product ${leaf.product}` : ''}) is not signed by the ${ROLE_NAME[midRole]} ${commonName(mid.cert) ?? ''}`.trimEnd());
    const named = [['the report\'s CPUID', report.cpuidProduct], [`the ${ROLE_NAME[leafRole]}'s product name`, leaf.product]] as const;
    const other = named.find(([, p]) => p !== null && p !== chainProduct);
    chain('chain:product', !other, other
      ? `${other[0]} names ${other[1]}, but the chain is ${chainProduct}'s`
      : `report and certificates are of ${chainProduct}`);
  }
  if (options.at) {
    const at = options.at;
    const bad = used.find((c) => at < c.cert.notBefore || at > c.cert.notAfter);
    chain('chain:validity', !bad, bad
      ? `the ${ROLE_NAME[bad.role]} (${bad.cert.source}) is not valid at ${at.toISOString()} (valid ${bad.cert.notBefore.toISOString()} to ${bad.cert.notAfter.toISOString()})`
      : `every certificate is valid at ${at.toISOString()}`);
  } else {
    add('chain:validity', null, 'validity periods not checked (give --at TIME to check them)');
  }
  const chainValid = chainChecks.every(Boolean);

  // 3. the leaf's extensions against the report
  const chipId = toHex(report.chipId);
  if (leafRole === 'vlek') {
    add('vcek-hwid', null, 'a VLEK carries no hwID (it is not tied to a chip)');
  } else if (report.chipId.every((x) => x === 0)) {
    add('vcek-hwid', null, 'CHIP_ID is masked (zero) in the report: the VCEK\'s hwID is not compared');
  } else {
    const hwid = leaf.cert.extension(AMD_OID.hwid);
    const want = product === 'Turin' ? report.chipId.subarray(0, 8) : report.chipId;
    const ok = hwid !== undefined && toHex(hwid) === toHex(want) && (product !== 'Turin' || report.chipId.subarray(8).every((x) => x === 0));
    add('vcek-hwid', ok, hwid === undefined
      ? `the VCEK (${leaf.cert.source}) has no hwID extension`
      : ok ? `the VCEK's hwID equals the report's CHIP_ID` : `the VCEK's hwID ${toHex(hwid)} is not the report's CHIP_ID ${chipId} (the VCEK is another chip's)`);
  }
  const spl: [keyof TcbParts, string][] = [['bootloader', AMD_OID.blSpl], ['tee', AMD_OID.teeSpl], ['snp', AMD_OID.snpSpl], ['microcode', AMD_OID.ucodeSpl]];
  if (product === 'Turin') spl.unshift(['fmc', AMD_OID.fmcSpl]);
  const certTcb: Partial<Record<keyof TcbParts, number | null>> = {};
  for (const [k, oid] of spl) {
    const v = extensionInteger(leaf.cert, oid);
    certTcb[k] = v === null ? null : Number(v);
  }
  const tcbDiff = spl.filter(([k]) => certTcb[k] !== tcb[k]);
  add('vcek-tcb', tcbDiff.length === 0, tcbDiff.length === 0
    ? `the ${ROLE_NAME[leafRole]}'s TCB equals the report's REPORTED_TCB (${tcbText(tcb)})`
    : `the ${ROLE_NAME[leafRole]}'s TCB differs from the report's REPORTED_TCB: ${tcbDiff.map(([k]) => `${k} ${certTcb[k] ?? '(absent)'} in the certificate, ${tcb[k]} in the report`).join('; ')}`);

  // 4. what the caller asked for
  for (const key of POLICY_KEYS) {
    const want = options.policy?.[key];
    if (want === undefined) continue;
    const flag = SNP_POLICY_FLAGS.find((f) => f.key === (key as SnpPolicyFlag))!;
    const set = ((report.policy >> BigInt(flag.bit)) & 1n) === 1n;
    add(`policy:${flag.cliName}`, set === want, `POLICY.${flag.abiName} (${flag.meaning}) is ${set ? 'set' : 'clear'}${set === want ? '' : `, required ${want ? 'set' : 'clear'}`}`);
  }
  if (options.minTcb) {
    const min = options.minTcb;
    const low = TCB_KEYS.filter((k) => min[k] !== undefined && (tcb[k] === undefined || tcb[k]! < min[k]!));
    add('tcb:minimum', low.length === 0, low.length === 0
      ? `REPORTED_TCB ${tcbText(tcb)} is at least ${tcbText(min as TcbParts)}`
      : `REPORTED_TCB is below the minimum: ${low.map((k) => `${k} ${tcb[k] ?? '(none on this product)'} < ${min[k]}`).join(', ')}`);
  }
  let golden: CheckResult | undefined;
  if (options.golden) {
    golden = checkReport(options.golden, reportFieldsOf(report));
    const m = golden.candidates.filter((c) => c.comparisons.some((x) => x.field === 'measurement' && x.equal));
    add('golden', golden.matched, golden.matched
      ? `the report matches golden entr${m.length === 1 ? 'y' : 'ies'} ${m.filter((c) => c.comparisons.every((x) => x.equal)).map((c) => `#${c.index}`).join(', ')}`
      : m.length
        ? `the measurement is in the golden document but ${[...new Set(m.flatMap((c) => c.comparisons.filter((x) => !x.equal).map((x) => x.field)))].join(', ')} differ`
        : `no golden entry has measurement ${toHex(report.measurement)}`);
  }

  const v = verdict(checks);
  return {
    kind: 'snp-report',
    signatureValid: sigOk,
    chainValid,
    checks,
    ...v,
    measurement: toHex(report.measurement),
    chipId,
    reportedTcb: tcb,
    product,
    report,
    certificates: used.map((c) => ({
      role: c.role, product: c.product, subject: c.cert.subject, origin: c.origin, source: c.cert.source,
      notBefore: c.cert.notBefore.toISOString(), notAfter: c.cert.notAfter.toISOString(),
    })),
    ignoredTableEntries,
    ...(golden ? { golden } : {}),
  };
}
