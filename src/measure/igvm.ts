/**
 * IGVM launch measurement: parsed file → plan (../plan/igvm-snp.ts, ../plan/igvm-tdx.ts)
 * → the core engines. SEV-SNP, SEV-ES and SEV follow igvmmeasure; TDX and VBS follow the igvm
 * crate's measurers (igvmmeasure has neither; ../plan/igvm-vbs.ts, ./vbs-engine.ts).
 */
import type { ByteSource } from '../bytes/source.js';
import { parseIgvm, type ParsedIgvm } from '../formats/igvm/parse.js';
import type { HeaderLocation } from '../formats/igvm/validate.js';
import type { SnpIdBlock } from '../formats/igvm/model.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { planIgvmMeasurement, type IgvmSevPlatform } from '../plan/igvm-snp.js';
import { planIgvmTdx } from '../plan/igvm-tdx.js';
import { planIgvmVbs } from '../plan/igvm-vbs.js';
import { snpPlanPages, type SevPlan, type SnpPlan } from '../plan/ops.js';
import { runSevPlan, type SevTraceEvent } from './sev-engine.js';
import { runSnpPlan, type SnpTraceEvent } from './snp-engine.js';
import { runTdxMrtdPlan } from './tdx-engine.js';
import { runVbsPlan } from './vbs-engine.js';
import { equalBytes } from '../bytes/hex.js';

export type IgvmMeasurePlatform = IgvmSevPlatform | 'tdx' | 'vbs';
export const IGVM_MEASURE_PLATFORMS: readonly IgvmMeasurePlatform[] = ['sev-snp', 'sev-es', 'sev', 'tdx', 'vbs'];

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
  /** SHA-384 launch digest (SNP), SHA-256 (SEV, SEV-ES), MRTD (TDX) or the SHA-256 boot digest (VBS) */
  digest: Uint8Array;
  /** the SNP_ID_BLOCK the platform uses (the last one for its mask): its expected digest, and whether it matches */
  idBlock: { ld: Uint8Array; location: HeaderLocation; header: SnpIdBlock; matches: boolean } | null;
  /** page operations measured (SNP), pieces hashed (SEV/SEV-ES), MRTD operations (TDX) or chunks chained (VBS) */
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
  if (platform === 'vbs') {
    const v = planIgvmVbs(parsed.file, { layout: parsed.layout });
    const chunks = v.plan.ops.reduce((n, op) => n + (op.kind === 'register' ? 1 : op.pages), 0);
    return { platform, compatibilityMask: v.compatibilityMask, digest: runVbsPlan(v.plan, backend), idBlock: null, operations: chunks, vmsaCount: 0, plan: null };
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
