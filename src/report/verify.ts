/**
 * Output of `prelaunch verify`: the verdict, the evidence's fields and every check, as text or
 * as one JSON document. The JSON's top-level names are a contract (src/verify/result.ts):
 * `kind`, `signatureValid`, `chainValid`, `ok`, `reason`, then per kind — SNP `measurement`,
 * `chipId`, `reportedTcb` (`product`, `report`, `certificates`, `golden` beside them).
 */
import { toHex } from '../bytes/hex.js';
import { PLATFORM_INFO_BITS, decodeTcb, type AttestationReport, type SnpProduct } from '../formats/snp/attestation-report.js';
import { SNP_POLICY_FLAGS } from '../formats/snp/policy.js';
import type { VerificationResult } from '../verify/index.js';
import type { VerificationCheck } from '../verify/result.js';
import type { SnpVerificationResult } from '../verify/snp.js';
import type { TdxVerification } from '../verify/tdx/verify.js';
import { tdAttributeNames } from './tdx-report.js';
import { renderGoldenCheck } from './golden-check.js';

const hex64 = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;

function tcbJson(raw: bigint, product: SnpProduct | null): Record<string, unknown> {
  return { raw: hex64(raw), ...decodeTcb(raw, product ?? 'Milan') };
}

/** The report's fields as JSON (hex strings for bytes and 64-bit values). */
export function snpReportJson(r: AttestationReport, product: SnpProduct | null): Record<string, unknown> {
  return {
    version: r.version,
    guestSvn: r.guestSvn,
    policy: `0x${r.policy.toString(16)}`,
    familyId: toHex(r.familyId),
    imageId: toHex(r.imageId),
    vmpl: r.vmpl,
    signatureAlgo: r.signatureAlgo,
    currentTcb: tcbJson(r.currentTcb, product),
    platformInfo: `0x${r.platformInfo.toString(16)}`,
    authorKeyEn: r.authorKeyEn,
    maskChipKey: r.maskChipKey,
    signingKey: r.signingKey,
    reportData: toHex(r.reportData),
    measurement: toHex(r.measurement),
    hostData: toHex(r.hostData),
    idKeyDigest: toHex(r.idKeyDigest),
    authorKeyDigest: toHex(r.authorKeyDigest),
    reportId: toHex(r.reportId),
    reportIdMa: toHex(r.reportIdMa),
    reportedTcb: tcbJson(r.reportedTcb, product),
    ...(r.version >= 3 ? { cpuidFamId: r.cpuidFamId, cpuidModId: r.cpuidModId, cpuidStep: r.cpuidStep } : {}),
    chipId: toHex(r.chipId),
    committedTcb: tcbJson(r.committedTcb, product),
    currentVersion: `${r.currentMajor}.${r.currentMinor}.${r.currentBuild}`,
    committedVersion: `${r.committedMajor}.${r.committedMinor}.${r.committedBuild}`,
    launchTcb: tcbJson(r.launchTcb, product),
    ...(r.version >= 5 ? { launchMitVector: hex64(r.launchMitVector), currentMitVector: hex64(r.currentMitVector) } : {}),
  };
}

/** The contract's first fields, for both kinds (src/verify/result.ts). */
function verdictJson(v: VerificationResult): Record<string, unknown> {
  return { kind: v.kind, signatureValid: v.signatureValid, chainValid: v.chainValid, ok: v.ok, ...(v.reason ? { reason: v.reason } : {}) };
}

function snpJson(v: SnpVerificationResult): Record<string, unknown> {
  return {
    ...verdictJson(v),
    measurement: v.measurement,
    chipId: v.chipId,
    reportedTcb: v.reportedTcb,
    product: v.product,
    report: snpReportJson(v.report, v.product),
    certificates: v.certificates,
    ...(v.ignoredTableEntries.length ? { ignoredTableEntries: v.ignoredTableEntries } : {}),
    checks: v.checks,
    ...(v.golden
      ? { golden: { matched: v.golden.matched, candidates: v.golden.candidates.map((c) => ({ index: c.index, entry: c.entry, differences: c.comparisons.filter((x) => !x.equal) })) } }
      : {}),
  };
}

/** The result as one JSON document. */
export function verificationJson(v: VerificationResult): Record<string, unknown> {
  if (v.kind === 'snp-report') return snpJson(v);
  return tdxJson(v);
}

/** TDX: the contract fields first (mrtd, rtmrs, xfam, tdAttributes, tcbStatus), then the quote's other fields. */
function tdxJson(v: TdxVerification): Record<string, unknown> {
  return {
    ...verdictJson(v),
    mrtd: v.mrtd,
    rtmrs: v.rtmrs,
    xfam: v.xfam,
    tdAttributes: v.tdAttributes,
    tdAttributesDebug: v.tdAttributesDebug,
    mrConfigId: v.mrConfigId,
    ...(v.tcbStatus ? { tcbStatus: v.tcbStatus, advisoryIds: v.advisoryIds ?? [] } : {}),
    quote: {
      version: v.version,
      bodyType: v.bodyType,
      teeTcbSvn: v.teeTcbSvn,
      mrSeam: v.mrSeam,
      mrSignerSeam: v.mrSignerSeam,
      seamAttributes: v.seamAttributes,
      mrOwner: v.mrOwner,
      mrOwnerConfig: v.mrOwnerConfig,
      reportData: v.reportData,
      ...(v.teeTcbSvn2 !== undefined ? { teeTcbSvn2: v.teeTcbSvn2, mrServiceTd: v.mrServiceTd } : {}),
      qeVendorId: v.qeVendorId,
      qeSvn: v.qeSvn,
      pceSvn: v.pceSvn,
    },
    ...(v.fmspc ? { fmspc: v.fmspc, pceId: v.pceId, pckTcb: v.pckTcb } : {}),
    ...(v.golden ? { golden: v.golden } : {}),
    checks: v.checks,
  };
}

/** The TD attribute names of the quote's 8 bytes (little-endian), as `prelaunch tdx` names them. */
function quoteTdAttributeNames(hexLe: string): string[] {
  const bytes = hexLe.match(/../g)!.map((x) => BigInt(parseInt(x, 16)));
  return tdAttributeNames(bytes.reduce((v, b, i) => v | (b << BigInt(8 * i)), 0n));
}

function renderTdx(v: TdxVerification): string {
  const tcbCheck = v.checks.find((c) => c.id === 'tcb-status');
  // without a status, the check says why: no --collateral, collateral that did not verify, or a mismatch
  const tcb = v.tcbStatus ? `TCB status ${v.tcbStatus}` : (tcbCheck?.detail.replace(/ \(.*$/, '').replace(/^TCB status not evaluated: no --collateral given$/, 'TCB status not evaluated (no --collateral)') ?? 'TCB status not evaluated');
  let out = `${v.ok ? 'VALID' : 'NOT VALID'}: Intel TDX quote v${v.version} (TDX ${v.bodyType === 3 ? '1.5' : '1.0'} TD report)` +
    `; signature ${v.signatureValid ? 'valid' : 'NOT valid'}, chain to Intel's SGX Root CA ${v.chainValid ? 'valid' : 'NOT valid'}; ${tcb}\n`;
  if (v.reason) out += `reason: ${v.reason}\n`;
  const row = (k: string, val: string): string => `  ${k.padEnd(18)} ${val}\n`;
  out += row('MRTD', v.mrtd);
  v.rtmrs.forEach((r, i) => (out += row(`RTMR${i}`, r)));
  const names = quoteTdAttributeNames(v.tdAttributes);
  out += row('TD attributes', `${v.tdAttributes}${names.length ? ` (${names.join(', ')})` : ''}`);
  out += row('XFAM', v.xfam);
  out += row('MRCONFIGID', v.mrConfigId);
  out += row('MROWNER', v.mrOwner);
  out += row('MROWNERCONFIG', v.mrOwnerConfig);
  out += row('report data', v.reportData);
  out += row('TEE TCB SVN', v.teeTcbSvn);
  if (v.teeTcbSvn2 !== undefined) out += row('TEE TCB SVN2', v.teeTcbSvn2);
  out += row('MRSEAM', v.mrSeam);
  if (v.mrServiceTd !== undefined) out += row('MRSERVICETD', v.mrServiceTd);
  if (v.fmspc) out += row('platform', `FMSPC ${v.fmspc}, PCE-ID ${v.pceId}, PCK TCB ${v.pckTcb!.sgxTcbComponents.join('.')} PCESVN ${v.pckTcb!.pceSvn}`);
  if (v.advisoryIds?.length) out += row('advisories', v.advisoryIds.join(', '));
  out += 'checks:\n' + renderChecks(v.checks);
  if (v.golden) out += `golden values: ${v.golden.matched ? `matched ${v.golden.entry}` : v.golden.entry ? `nearest ${v.golden.entry} (see the failed golden: checks)` : 'no entry matches (see the failed golden:mrtd check)'}\n`;
  return out;
}

function renderChecks(checks: readonly VerificationCheck[]): string {
  const width = Math.max(...checks.map((c) => c.id.length));
  return checks.map((c) => `  ${c.status === 'pass' ? 'ok  ' : c.status === 'fail' ? 'FAIL' : 'skip'}  ${c.id.padEnd(width)}  ${c.detail}\n`).join('');
}

function renderSnp(v: SnpVerificationResult): string {
  const r = v.report;
  const tcb = (raw: bigint): string => {
    const t = decodeTcb(raw, v.product ?? 'Milan');
    return `${hex64(raw)} (${Object.entries(t).map(([k, x]) => `${k}=${x}`).join(' ')})`;
  };
  const flags = SNP_POLICY_FLAGS.filter((f) => ((r.policy >> BigInt(f.bit)) & 1n) === 1n).map((f) => f.cliName);
  const abi = `abi>=${Number((r.policy >> 8n) & 0xffn)}.${Number(r.policy & 0xffn)}`;
  const plat = PLATFORM_INFO_BITS.filter((b) => ((r.platformInfo >> BigInt(b.bit)) & 1n) === 1n).map((b) => b.name);
  const signer = r.signingKey === 'vcek' || r.signingKey === 'vlek' ? r.signingKey.toUpperCase() : r.signingKey;
  let out = `${v.ok ? 'VALID' : 'NOT VALID'}: SEV-SNP attestation report v${r.version}${v.product ? ` (${v.product})` : ''}, signed by the ${signer}` +
    `; signature ${v.signatureValid ? 'valid' : 'NOT valid'}, chain to AMD's ARK ${v.chainValid ? 'valid' : 'NOT valid'}\n`;
  if (v.reason) out += `reason: ${v.reason}\n`;
  const row = (k: string, val: string): string => `  ${k.padEnd(18)} ${val}\n`;
  out += row('measurement', v.measurement);
  out += row('host data', toHex(r.hostData));
  out += row('report data', toHex(r.reportData));
  out += row('policy', `0x${r.policy.toString(16)} (${[...flags, abi].join(', ')})`);
  out += row('guest SVN', String(r.guestSvn));
  out += row('VMPL', String(r.vmpl));
  if (r.idKeyDigest.some((x) => x !== 0)) out += row('ID key digest', toHex(r.idKeyDigest));
  if (r.authorKeyDigest.some((x) => x !== 0)) out += row('author key digest', toHex(r.authorKeyDigest));
  if (r.familyId.some((x) => x !== 0) || r.imageId.some((x) => x !== 0)) out += row('family/image ID', `${toHex(r.familyId)} / ${toHex(r.imageId)}`);
  out += row('chip ID', r.chipId.every((x) => x === 0) ? '(masked)' : v.chipId);
  out += row('reported TCB', tcb(r.reportedTcb));
  out += row('current TCB', tcb(r.currentTcb));
  out += row('committed TCB', tcb(r.committedTcb));
  out += row('launch TCB', tcb(r.launchTcb));
  out += row('firmware', `${r.currentMajor}.${r.currentMinor}.${r.currentBuild} (committed ${r.committedMajor}.${r.committedMinor}.${r.committedBuild})`);
  out += row('platform info', `0x${r.platformInfo.toString(16)}${plat.length ? ` (${plat.join(', ')})` : ''}`);
  if (r.version >= 3) out += row('CPUID', `family 0x${r.cpuidFamId.toString(16)} model 0x${r.cpuidModId.toString(16)} stepping 0x${r.cpuidStep.toString(16)}`);
  if (r.version >= 5) out += row('mitigations', `launch ${hex64(r.launchMitVector)}, current ${hex64(r.currentMitVector)}`);
  out += 'certificates:\n';
  for (const c of v.certificates) out += `  ${c.role.toUpperCase().padEnd(5)} ${c.origin === 'shipped' ? 'prelaunch\'s own copy' : c.source}${c.product ? ` (${c.product})` : ''}\n`;
  out += 'checks:\n' + renderChecks(v.checks);
  if (v.golden) out += 'golden values:\n' + renderGoldenCheck(v.golden, v.measurement, false).replace(/^(?=.)/gm, '  ');
  return out;
}

/** The result as text (`json`: as one JSON document). */
export function renderVerification(v: VerificationResult, json: boolean): string {
  if (json) return JSON.stringify(verificationJson(v), null, 2) + '\n';
  if (v.kind === 'snp-report') return renderSnp(v);
  return renderTdx(v);
}
