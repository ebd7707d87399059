/**
 * `golden --check`: which golden entry an attestation report matches — or, when none does,
 * the nearest entries and how they differ.
 */
import type { ReportFields } from '../formats/snp/attestation-report.js';
import type { GoldenDocument, GoldenEntry } from './engine.js';

export interface FieldComparison {
  field: string;
  report: string;
  entry: string;
  equal: boolean;
}

export interface CheckCandidate {
  index: number;
  entry: GoldenEntry;
  comparisons: FieldComparison[];
  /** fields compared and equal */
  score: number;
}

export interface CheckResult {
  matched: boolean;
  /** exact measurement matches (and their other fields), or the nearest entries */
  candidates: CheckCandidate[];
}

const h0x = (v: bigint | number): string => `0x${v.toString(16)}`;

function compare(r: ReportFields, e: GoldenEntry): FieldComparison[] {
  const out: FieldComparison[] = [];
  const add = (field: string, report: string | null, entry: string | null | undefined): void => {
    if (report === null || entry === null || entry === undefined) return;
    out.push({ field, report, entry, equal: report.toLowerCase() === entry.toLowerCase() });
  };
  add('measurement', r.measurement, e.measurement);
  if (r.policy !== null && e.policy !== null) add('policy', h0x(r.policy), h0x(BigInt(e.policy)));
  if (r.vcpuSig !== null && e.vcpuSig !== null) add('vcpuSig', h0x(r.vcpuSig), h0x(BigInt(e.vcpuSig)));
  const ib = e.idBlock as Record<string, unknown> | undefined;
  if (ib) {
    add('idKeyDigest', r.idKeyDigest ?? '(none)', ib.idKeyDigest as string | undefined);
    if (ib.authorKeyDigest) add('authorKeyDigest', r.authorKeyDigest ?? '(none)', ib.authorKeyDigest as string);
    add('familyId', r.familyId, ib.familyId as string | undefined);
    add('imageId', r.imageId, ib.imageId as string | undefined);
    if (r.guestSvn !== null && typeof ib.guestSvn === 'number') add('guestSvn', String(r.guestSvn), String(ib.guestSvn));
  }
  add('hostData', r.hostData, e.hostData);
  return out;
}

export function checkReport(doc: GoldenDocument, report: ReportFields, nearest = 3): CheckResult {
  // an SEV attestation report is matched against SEV entries only (a TDX MRTD is no launch digest of it)
  const scored = doc.entries.flatMap((entry, index) => (entry.mode === 'tdx' || entry.mode === 'tpm' ? [] : [{ entry, index }])).map(({ entry, index }) => {
    const comparisons = compare(report, entry);
    return { index, entry, comparisons, score: comparisons.filter((c) => c.equal).length };
  });
  const exact = scored.filter((c) => c.comparisons.some((x) => x.field === 'measurement' && x.equal));
  if (exact.length) return { matched: exact.some((c) => c.comparisons.every((x) => x.equal)), candidates: exact };
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  return { matched: false, candidates: scored.slice(0, nearest) };
}
