/**
 * What `prelaunch verify` reports, for both kinds of evidence. The verifiers (snp-report.ts,
 * tdx/…) fill it; the renderers (src/report/verify*.ts) print it; the CLI exits 0 only when
 * {@link VerificationResult.ok}. Field names of the JSON form are a contract
 * (../shared/conformance/verify.mjs): `kind`, `signatureValid`, `chainValid`, then per kind
 * SNP `measurement`, `chipId`, `reportedTcb`; TDX `mrtd`, `rtmrs`, `xfam`, `tdAttributes`,
 * `tcbStatus`.
 */

/** One thing that was checked, in the order it was checked. */
export interface VerificationCheck {
  /** stable identifier, e.g. `report-signature`, `chain:ask-by-ark`, `vcek-tcb`, `policy:debug`, `golden:measurement` */
  readonly id: string;
  /** `pass`, `fail`, or `skipped` (not evaluated: the reason says why, e.g. no collateral given) */
  readonly status: 'pass' | 'fail' | 'skipped';
  /** one line a person reads: what was compared with what */
  readonly detail: string;
}

export interface VerificationBase {
  readonly kind: 'snp-report' | 'tdx-quote';
  /** the evidence's own signature (SNP: report by VCEK/VLEK; TDX: quote by attestation key, QE report by PCK, QE report data binding) */
  readonly signatureValid: boolean;
  /** the certificate chain up to the vendor root shipped with prelaunch */
  readonly chainValid: boolean;
  /** every check, including the two above, policy, TCB and golden-value checks */
  readonly checks: readonly VerificationCheck[];
  /** true when no check failed (skipped checks do not fail the verdict; they are listed) */
  readonly ok: boolean;
  /** the first failed check's detail, for the one-line reason on stderr; absent when ok */
  readonly reason?: string;
}

/** Builds `ok` and `reason` from the checks. */
export function verdict(checks: readonly VerificationCheck[]): { ok: boolean; reason?: string } {
  const failed = checks.find((c) => c.status === 'fail');
  return failed ? { ok: false, reason: failed.detail } : { ok: true };
}
