/**
 * IGVM launch measurement: parsed file → plan (../plan/igvm-snp.ts, ../plan/igvm-tdx.ts)
 * → the core engines. SEV-SNP, SEV-ES and SEV follow igvmmeasure; TDX follows the igvm
 * crate's measurer (igvmmeasure has none).
 */
import type { ByteSource } from '../bytes/source.js';
import { parseIgvm, type ParsedIgvm } from '../formats/igvm/parse.js';
import type { HeaderLocation } from '../formats/igvm/validate.js';
import type { SnpIdBlock } from '../formats/igvm/model.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { planIgvmMeasurement, type IgvmSevPlatform } from '../plan/igvm-snp.js';
import { planIgvmTdx } from '../plan/igvm-tdx.js';
import { snpPlanPages, type SevPlan, type SnpPlan } from '../plan/ops.js';
import { runSevPlan, type SevTraceEvent } from './sev-engine.js';
import { runSnpPlan, type SnpTraceEvent } from './snp-engine.js';
import { runTdxMrtdPlan } from './tdx-engine.js';
import { equalBytes } from '../bytes/hex.js';

export type IgvmMeasurePlatform = IgvmSevPlatform | 'tdx';
export const IGVM_MEASURE_PLATFORMS: readonly IgvmMeasurePlatform[] = ['sev-snp', 'sev-es', 'sev', 'tdx'];

export interface IgvmMeasureOptions {
  platform?: IgvmMeasurePlatform;
  nativeZero?: boolean;
  checkKvm?: boolean;
  allowUnknown?: boolean;
  hashBackend?: HashBackend;
  onPage?: (e: SnpTraceEvent) => void;
  onPiece?: (e: SevTraceEvent) => void;
}

export interface IgvmMeasurement {
  platform: IgvmMeasurePlatform;
  compatibilityMask: number;
  /** SHA-384 launch digest (SNP), SHA-256 (SEV, SEV-ES) or MRTD (TDX) */
  digest: Uint8Array;
  /** the SNP_ID_BLOCK the platform uses (the last one for its mask): its expected digest, and whether it matches */
  idBlock: { ld: Uint8Array; location: HeaderLocation; header: SnpIdBlock; matches: boolean } | null;
  /** page operations measured (SNP), pieces hashed (SEV/SEV-ES) or MRTD operations (TDX) */
  operations: number;
  vmsaCount: number;
  plan: SnpPlan | SevPlan | null;
}


export function measureIgvm(input: ByteSource | Uint8Array | ParsedIgvm, options: IgvmMeasureOptions = {}): IgvmMeasurement {
  const parsed = 'file' in input && 'layout' in input ? input : parseIgvm(input, { allowUnknown: options.allowUnknown ?? false });
  const backend = options.hashBackend ?? defaultBackend;
  const platform = options.platform ?? 'sev-snp';
  if (platform === 'tdx') {
    const t = planIgvmTdx(parsed.file, { layout: parsed.layout });
    return { platform, compatibilityMask: t.compatibilityMask, digest: runTdxMrtdPlan(t.plan, backend), idBlock: null, operations: t.plan.ops.length, vmsaCount: 0, plan: null };
  }
  const p = planIgvmMeasurement(parsed.file, {
    platform,
    nativeZero: options.nativeZero ?? false,
    checkKvm: options.checkKvm ?? false,
    layout: parsed.layout,
  });
  const digest = p.plan.kind === 'snp' ? runSnpPlan(p.plan, backend, options.onPage) : runSevPlan(p.plan, backend, options.onPiece);
  return {
    platform,
    compatibilityMask: p.compatibilityMask,
    digest,
    idBlock: p.idBlock ? { ...p.idBlock, matches: equalBytes(p.idBlock.ld, digest) } : null,
    operations: p.plan.kind === 'snp' ? snpPlanPages(p.plan) : p.plan.pieces.length,
    vmsaCount: p.vmsaCount,
    plan: p.plan,
  };
}
