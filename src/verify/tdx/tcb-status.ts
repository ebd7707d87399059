/**
 * TCB status of a TDX quote from verified collateral, following Intel's Quote Verification
 * Library (intel/SGX-TDX-DCAP-QuoteVerificationLibrary @7e5b2a1, Src/AttestationLibrary/src/
 * Verifiers). Each step names the QVL function it follows; the spec section numbers in
 * brackets are the ones QVL's comments give. The signatures of the quote, the collateral and
 * the chains are checked before this (./quote.ts); this is the evaluation only.
 *
 * Where the JavaScript verifier @phala/dcap-qvl differs (docs/verify.md): it compares
 * TEE_TCB_SVN bytes 0–1 with the TCB level's TDX components even when byte 1 (the TDX module
 * major version) is non-zero; QVL then starts at byte 2 and rates the module through
 * `tdxModuleIdentities` (isTdxTcbHigherOrEqual, checkTdxModuleTcbStatus below) — on such quotes
 * the two disagree, and QVL is the reference.
 */
import { toHex } from '../../bytes/hex.js';
import type { QeReport } from '../../formats/tdx/qe-report.js';
import type { TdxQuote } from '../../formats/tdx/quote.js';
import type { QeIdentity, TcbInfo, TcbLevel, TdxModuleIdentity } from './collateral.js';
import type { PckExtension } from './pck-extension.js';

/** What `tcbStatus` reports (QVL's TCB statuses; the TD relaunch ones come from TDRelaunchCheck). */
export type TcbStatus =
  | 'UpToDate' | 'SWHardeningNeeded' | 'ConfigurationNeeded' | 'ConfigurationAndSWHardeningNeeded'
  | 'OutOfDate' | 'OutOfDateConfigurationNeeded' | 'Revoked' | 'TcbNotSupported'
  | 'TDRelaunchAdvised' | 'TDRelaunchAdvisedConfigurationNeeded';

/** QVL's verification errors that end the evaluation without a TCB status. */
export type TcbMismatch = 'TcbInfoMismatch' | 'TdxModuleMismatch' | 'QeIdentityMismatch';

export interface TcbEvaluation {
  readonly status?: TcbStatus;
  /** set when QVL would stop with an error instead of a status */
  readonly mismatch?: TcbMismatch;
  /** one line: why (the matched levels, or what did not match) */
  readonly detail: string;
  readonly advisoryIds: readonly string[];
  /** the QE identity level status (UpToDate, OutOfDate, Revoked, TcbNotSupported) */
  readonly qeStatus?: string;
  readonly qeIsvSvn: number;
  /** the TCB date of the TDX TCB level matched */
  readonly tcbDate?: string;
}

type QeStatus = 'UpToDate' | 'OutOfDate' | 'Revoked' | 'NotSupported';

const hex2 = (n: number): string => n.toString(16).padStart(2, '0').toUpperCase();

/** Lexicographic comparison of two equal-length number lists (std::vector operator<=>). */
function cmp(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * TCB levels in QVL's order: a std::set<TcbLevel, std::greater> — descending by the SGX
 * components, then PCESVN, then (TDX TCB info v3 with equal PCESVN) the TDX components
 * (AttestationParsers Json/TcbLevel.cpp TcbLevel::operator>). Equal levels collapse to one.
 */
function orderedLevels(info: TcbInfo): TcbLevel[] {
  const tdx = info.version >= 3 && info.id === 'TDX';
  const gt = (a: TcbLevel, b: TcbLevel): number => {
    const c = cmp(a.sgxComponents, b.sgxComponents);
    if (c !== 0) return c;
    if (tdx && a.pceSvn === b.pceSvn) return cmp(a.tdxComponents, b.tdxComponents);
    return a.pceSvn - b.pceSvn;
  };
  const sorted = [...info.tcbLevels].sort((a, b) => gt(b, a));
  return sorted.filter((l, i) => i === 0 || gt(sorted[i - 1]!, l) !== 0);
}

/** TcbLevelCheck.cpp isCpuSvnHigherOrEqual (with the PCESVN comparison of matchTcbLevels) */
function sgxMatches(pck: PckExtension, l: TcbLevel): boolean {
  for (let i = 0; i < 16; i++) if (pck.sgxTcbComponents[i]! < l.sgxComponents[i]!) return false;
  return pck.pceSvn >= l.pceSvn;
}

/** TcbLevelCheck.cpp isTdxTcbHigherOrEqual: from byte 2 when TEE_TCB_SVN[1] (module major version) is non-zero */
function tdxMatches(teeTcbSvn: Uint8Array, l: TcbLevel): boolean {
  for (let i = teeTcbSvn[1]! > 0 ? 2 : 0; i < 16; i++) if (teeTcbSvn[i]! < l.tdxComponents[i]!) return false;
  return true;
}

/** TdxModuleCheck.cpp findTdxModuleIdentity: the identity `TDX_%02X` of the module major version */
function findModuleIdentity(info: TcbInfo, version: number): TdxModuleIdentity | undefined {
  const want = `TDX_${hex2(version)}`;
  return info.tdxModuleIdentities?.find((m) => m.id.toUpperCase() === want);
}

/** TdxModuleCheck.cpp checkTdxModuleTcbStatus */
function moduleStatus(info: TcbInfo, quote: TdxQuote): { status: 'UpToDate' | 'OutOfDate' | 'Revoked' | 'TcbNotSupported' | 'TdxModuleMismatch'; advisoryIds: readonly string[]; detail: string } {
  const version = quote.report.teeTcbSvn[1]!;
  const isvSvn = quote.report.teeTcbSvn[0]!;
  if (version === 0) return { status: 'UpToDate', advisoryIds: [], detail: 'TDX module major version 0: not rated separately' };
  const id = findModuleIdentity(info, version);
  if (!id) return { status: 'TdxModuleMismatch', advisoryIds: [], detail: `no tdxModuleIdentities entry TDX_${hex2(version)} for the TDX module of major version ${version}` };
  const levels = [...id.tcbLevels].sort((a, b) => b.isvSvn - a.isvSvn);
  const level = levels.find((l) => isvSvn >= l.isvSvn);
  if (!level) return { status: 'TcbNotSupported', advisoryIds: [], detail: `TDX module ${id.id} SVN ${isvSvn} is below every level of its identity` };
  return { status: level.status, advisoryIds: level.advisoryIds, detail: `TDX module ${id.id} SVN ${isvSvn} → ${level.status}` };
}

/** TdxModuleCheck.cpp convergeTcbStatusWithTdxModuleStatus */
function convergeModule(level: TcbStatus, module: string): TcbStatus {
  if (module === 'OutOfDate') {
    if (level === 'UpToDate' || level === 'SWHardeningNeeded') return 'OutOfDate';
    if (level === 'ConfigurationNeeded' || level === 'ConfigurationAndSWHardeningNeeded') return 'OutOfDateConfigurationNeeded';
  }
  if (module === 'Revoked') return 'Revoked';
  return level;
}

/** TcbLevelCheck.cpp convergeTcbStatusWithQeTcbStatus */
function convergeQe(level: TcbStatus, qe: QeStatus): TcbStatus {
  if (qe === 'OutOfDate') {
    if (level === 'UpToDate' || level === 'SWHardeningNeeded') return 'OutOfDate';
    if (level === 'ConfigurationNeeded' || level === 'ConfigurationAndSWHardeningNeeded') return 'OutOfDateConfigurationNeeded';
  }
  if (qe === 'Revoked') return 'Revoked';
  if (qe === 'NotSupported') return 'TcbNotSupported';
  return level;
}

const configurationNeeded = (s: TcbStatus): boolean =>
  s === 'ConfigurationNeeded' || s === 'OutOfDateConfigurationNeeded' || s === 'ConfigurationAndSWHardeningNeeded' || s === 'TDRelaunchAdvisedConfigurationNeeded';

/** TDRelaunchCheck.cpp checkForRelaunch (TDX 1.5 bodies: TEE_TCB_SVN2 is the SVN after a module update) */
function relaunch(teeTcbSvn2: Uint8Array, info: TcbInfo, levels: readonly TcbLevel[], sgx: TcbStatus, tdx: TcbStatus, module: string, qe: QeStatus): TcbStatus | TcbMismatch {
  if (qe === 'OutOfDate' || qe === 'Revoked' || qe === 'NotSupported') return tdx;
  if (!(sgx === 'UpToDate' || sgx === 'SWHardeningNeeded' || sgx === 'ConfigurationNeeded' || sgx === 'ConfigurationAndSWHardeningNeeded')) return tdx;
  if (!(tdx === 'OutOfDate' || tdx === 'OutOfDateConfigurationNeeded') || module !== 'OutOfDate') return tdx;
  const latest = levels[0];
  if (!latest) return 'TcbNotSupported';
  const advised = (): TcbStatus => (configurationNeeded(sgx) || configurationNeeded(tdx) ? 'TDRelaunchAdvisedConfigurationNeeded' : 'TDRelaunchAdvised');
  if (teeTcbSvn2[1] === 0) {
    if (teeTcbSvn2[0]! >= latest.tdxComponents[0]! && teeTcbSvn2[2]! >= latest.tdxComponents[2]!) return advised();
    return tdx;
  }
  const id2 = findModuleIdentity(info, teeTcbSvn2[1]!);
  if (!id2) return 'TdxModuleMismatch';
  const top = [...id2.tcbLevels].sort((a, b) => b.isvSvn - a.isvSvn)[0];
  if (!top) return 'TcbNotSupported';
  if (teeTcbSvn2[0]! >= top.isvSvn && teeTcbSvn2[2]! >= latest.tdxComponents[2]!) return advised();
  return tdx;
}

/** EnclaveReportVerifier.cpp verify (QE identity against the QE report) with EnclaveIdentityV2::getTcbStatus */
function qeIdentityStatus(id: QeIdentity, qe: QeReport): { status?: QeStatus; mismatch?: string; advisoryIds: readonly string[] } {
  // EnclaveReportVerifier::vectorToUint32: the identity's hex bytes read as a little-endian u32, like the report's
  const le32 = (h: string): number => new DataView(hexBytes(h).buffer).getUint32(0, true);
  const miscMask = le32(id.miscSelectMask);
  const misc = le32(id.miscSelect);
  if ((qe.miscSelect & miscMask) >>> 0 !== misc) return { mismatch: `QE MISCSELECT 0x${qe.miscSelect.toString(16)} under mask ${id.miscSelectMask} is not ${id.miscSelect}`, advisoryIds: [] };
  const attrs = qe.attributes;
  const mask = hexBytes(id.attributesMask);
  const want = hexBytes(id.attributes);
  for (let i = 0; i < 16; i++) {
    if ((attrs[i]! & mask[i]!) !== want[i]) return { mismatch: `QE ATTRIBUTES ${toHex(attrs)} under mask ${id.attributesMask} are not ${id.attributes}`, advisoryIds: [] };
  }
  if (toHex(qe.mrSigner) !== id.mrSigner) return { mismatch: `QE MRSIGNER ${toHex(qe.mrSigner)} is not the identity's ${id.mrSigner}`, advisoryIds: [] };
  if (qe.isvProdId !== id.isvProdId) return { mismatch: `QE ISVPRODID ${qe.isvProdId} is not the identity's ${id.isvProdId}`, advisoryIds: [] };
  // EnclaveIdentityV2::getTcbStatus: the first level (in the document's order) at or below the ISVSVN
  const level = id.tcbLevels.find((l) => l.isvSvn <= qe.isvSvn);
  if (!level) return { status: 'NotSupported', advisoryIds: [] };
  const status: QeStatus = level.status === 'UpToDate' ? 'UpToDate' : level.status === 'Revoked' ? 'Revoked' : 'OutOfDate';
  return { status, advisoryIds: level.advisoryIds };
}

function hexBytes(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * The TCB status of `quote` with its PCK certificate's SGX extension, the TCB info and the QE
 * identity (all verified by the caller). QuoteVerifier.cpp QuoteVerifier::verify from
 * [4.1.2.4.9] on, then TcbLevelCheck.cpp checkTcbLevel [4.1.2.4.17].
 */
export function evaluateTcb(quote: TdxQuote, pck: PckExtension, info: TcbInfo, qeId: QeIdentity): TcbEvaluation {
  const qeIsvSvn = quote.qeReport.isvSvn;
  const stop = (mismatch: TcbMismatch, detail: string): TcbEvaluation => ({ mismatch, detail, advisoryIds: [], qeIsvSvn });
  // [4.1.2.4.9] TCB info for TDX, version 3 or later
  if (info.id !== 'TDX' || info.version < 3) return stop('TcbInfoMismatch', `the TCB info is ${info.id} version ${info.version}, not TDX version 3 or later`);
  // [4.1.2.4.10]
  if (pck.fmspc !== info.fmspc) return stop('TcbInfoMismatch', `the TCB info is for FMSPC ${info.fmspc}, the PCK certificate's is ${pck.fmspc}`);
  if (pck.pceId !== info.pceId) return stop('TcbInfoMismatch', `the TCB info is for PCE-ID ${info.pceId}, the PCK certificate's is ${pck.pceId}`);
  // [4.1.2.4.11] MRSIGNERSEAM and SEAMATTRIBUTES against tdxModule, or the module identity of TEE_TCB_SVN[1]
  const r = quote.report;
  let signer = info.tdxModule?.mrSigner;
  let attributes = info.tdxModule?.attributes;
  const moduleVersion = r.teeTcbSvn[1]!;
  if (moduleVersion > 0) {
    if (!info.tdxModuleIdentities) return stop('TcbInfoMismatch', `the TDX module has major version ${moduleVersion} but the TCB info has no tdxModuleIdentities`);
    const id = findModuleIdentity(info, moduleVersion);
    if (!id) return stop('TdxModuleMismatch', `no tdxModuleIdentities entry TDX_${hex2(moduleVersion)} for the TDX module of major version ${moduleVersion}`);
    signer = id.mrSigner;
    attributes = id.attributes;
  }
  if (signer === undefined || attributes === undefined) return stop('TcbInfoMismatch', 'the TCB info has no tdxModule');
  if (toHex(r.mrSignerSeam) !== signer) return stop('TdxModuleMismatch', `MRSIGNERSEAM ${toHex(r.mrSignerSeam)} is not the TCB info's TDX module signer ${signer}`);
  const want = hexBytes(attributes);
  for (let i = 0; i < 8; i++) {
    // literal QVL: every byte must be zero and equal to the TCB info's
    if (r.seamAttributes[i] !== 0 || r.seamAttributes[i] !== want[i]) return stop('TdxModuleMismatch', `SEAMATTRIBUTES ${toHex(r.seamAttributes)} are not zero and equal to the TCB info's ${attributes}`);
  }
  // [4.1.2.4.14] QE identity for TDX: TD_QE, version 2
  if (qeId.id !== 'TD_QE' || qeId.version !== 2) return stop('QeIdentityMismatch', `the QE identity is ${qeId.id} version ${qeId.version}, not TD_QE version 2`);
  // [4.1.2.4.15]
  const qe = qeIdentityStatus(qeId, quote.qeReport);
  if (qe.mismatch !== undefined) return stop('QeIdentityMismatch', qe.mismatch);
  const qeStatus = qe.status!;
  const qeStatusName = qeStatus === 'NotSupported' ? 'TcbNotSupported' : qeStatus;

  // [4.1.2.4.17] checkTcbLevel / matchTcbLevels
  const levels = orderedLevels(info);
  let sgxLevel: TcbLevel | undefined;
  let tdxLevel: TcbLevel | undefined;
  for (const l of levels) {
    if (!sgxMatches(pck, l)) continue;
    sgxLevel ??= l;
    if (tdxMatches(r.teeTcbSvn, l)) {
      tdxLevel = l;
      break;
    }
  }
  const base = { qeStatus: qeStatusName, qeIsvSvn };
  if (!sgxLevel) return { ...base, status: 'TcbNotSupported', detail: `no TCB level matches the PCK certificate's SGX TCB (${pck.sgxTcbComponents.join('.')}, PCESVN ${pck.pceSvn})`, advisoryIds: [] };
  const sgxStatus: TcbStatus = sgxLevel.status;
  if (!tdxLevel) return { ...base, status: 'TcbNotSupported', detail: `no TCB level matches TEE_TCB_SVN ${toHex(r.teeTcbSvn)} with the PCK certificate's SGX TCB`, advisoryIds: [] };
  const mod = moduleStatus(info, quote);
  if (mod.status === 'TdxModuleMismatch') return stop('TdxModuleMismatch', mod.detail);
  if (mod.status === 'TcbNotSupported') return { ...base, status: 'TcbNotSupported', detail: mod.detail, advisoryIds: [] };
  let tdx = convergeModule(tdxLevel.status, mod.status);
  const advisories = new Set([...tdxLevel.advisoryIds, ...mod.advisoryIds, ...qe.advisoryIds]);
  const levelDetail = `TDX TCB level ${tdxLevel.tcbDate} ${tdxLevel.status}, SGX level ${sgxLevel.tcbDate} ${sgxLevel.status}, ${mod.detail}, QE ISVSVN ${qeIsvSvn} ${qeStatusName}`;
  if (tdx === 'Revoked') return { ...base, status: 'Revoked', detail: levelDetail, advisoryIds: [...advisories], tcbDate: tdxLevel.tcbDate };
  // [4.1.2.4.17.4.3] TD relaunch, TDX 1.5 bodies
  if (quote.bodyType === 3 && r.teeTcbSvn2) {
    const rl = relaunch(r.teeTcbSvn2, info, levels, sgxStatus, tdx, mod.status, qeStatus);
    if (rl === 'TdxModuleMismatch' || rl === 'TcbInfoMismatch' || rl === 'QeIdentityMismatch') return stop(rl, `TEE_TCB_SVN2 ${toHex(r.teeTcbSvn2)}: no tdxModuleIdentities entry for its module version`);
    tdx = rl;
  }
  tdx = convergeQe(tdx, qeStatus);
  return { ...base, status: tdx, detail: levelDetail, advisoryIds: [...advisories].sort(), tcbDate: tdxLevel.tcbDate };
}
