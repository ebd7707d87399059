/**
 * Measurement plans: the explicit list of what the secure processor will measure, built
 * from a parsed firmware model and options, before any hashing. A plan can be printed,
 * diffed and tested on its own; the engine (../measure) only executes it.
 */
import type { ByteSource } from '../bytes/source.js';
import { SnpPageType } from '../formats/snp/page-info.js';

/** Where a measured page's bytes come from. */
export type PageContent =
  /** 4 KiB at `offset` of an input (firmware, SVSM image): streamed at hashing time */
  | { kind: 'source'; source: ByteSource; offset: number }
  /** a page built by the planner (VMSA, kernel-hashes page); shared objects are hashed once */
  | { kind: 'bytes'; bytes: Uint8Array };

/** One SNP_LAUNCH_UPDATE page operation. */
export interface SnpPageOp {
  gpa: number;
  type: SnpPageType;
  /** NORMAL and VMSA pages carry content; ZERO, UNMEASURED, SECRETS and CPUID pages do not */
  content: PageContent | null;
  /** what this page is: "firmware", "SNP_SEC_MEM", "VMSA vCPU 0", … */
  label: string;
  /**
   * When present, the op stands for `pages` consecutive 4K pages from `gpa`, each measured as
   * `type` with this same `content` (null or planner-built bytes) — e.g. an IGVM 2 MB page
   * without data — so that a small file cannot make the plan hold an object per 4K page.
   * `pageLabel(k)` names page k (default: `label`).
   */
  pages?: number;
  pageLabel?: (k: number) => string;
}

/** The 4K pages a plan measures (an op with `pages` counts that many). */
export function snpPlanPages(plan: SnpPlan): number {
  let n = 0;
  for (const op of plan.ops) n += op.pages ?? 1;
  return n;
}

export interface SnpPlan {
  kind: 'snp';
  /** launch digest to start from (48 zero bytes, or a precomputed firmware digest) */
  initialDigest: Uint8Array | null;
  ops: SnpPageOp[];
  /** what the stack does that the caller should know (e.g. an unknown section type measured as ZERO pages) */
  warnings?: string[];
}

/** SEV and SEV-ES: the launch digest is one SHA-256 over these pieces, in order. */
export interface SevPlan {
  kind: 'sev';
  pieces: Array<{ label: string; content: { kind: 'range'; source: ByteSource; offset: number; length: number } | { kind: 'bytes'; bytes: Uint8Array } }>;
  /** what the stack does that the caller should know */
  warnings?: string[];
}

export const SNP_PAGE_TYPE_NAMES: Record<SnpPageType, string> = {
  [SnpPageType.NORMAL]: 'NORMAL',
  [SnpPageType.VMSA]: 'VMSA',
  [SnpPageType.ZERO]: 'ZERO',
  [SnpPageType.UNMEASURED]: 'UNMEASURED',
  [SnpPageType.SECRETS]: 'SECRETS',
  [SnpPageType.CPUID]: 'CPUID',
};
