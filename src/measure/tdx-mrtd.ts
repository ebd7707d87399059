/** MRTD of a TDVF image in one or both page orders (parse → plan → engine). */
import { asSource, type ByteSource } from '../bytes/source.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { parseOvmf, type OvmfImage } from '../formats/ovmf/parse.js';
import { planTdxMrtd, requireTdxMetadata, tdvfMrtdWarnings, type TdxPageOrder } from '../plan/tdx.js';
import { runTdxMrtdPlan } from './tdx-engine.js';

export interface MrtdOptions {
  /** default: both orders */
  orders?: readonly TdxPageOrder[];
  hashBackend?: HashBackend;
  /**
   * Guest memory in bytes (QEMU -m): checks that TD_HOB/TempMem sections lie in guest RAM, and
   * is required when a TD_HOB section has MR.EXTEND (its TD HOB is then measured).
   */
  memory?: number | null;
}

/** The MRTD per requested page order, and what should be said next to it. */
export type MrtdByOrder = Partial<Record<TdxPageOrder, Uint8Array>> & {
  /** e.g. sections upstream QEMU refuses, PAGE.AUG bits QEMU ignores */
  warnings: string[];
};

/** MRTD of an already parsed image. */
export function mrtdOfImage(img: OvmfImage, opts: MrtdOptions = {}): MrtdByOrder {
  const meta = requireTdxMetadata(img);
  const backend = opts.hashBackend ?? defaultBackend;
  const out: MrtdByOrder = { warnings: tdvfMrtdWarnings(meta) };
  const orders = opts.orders ?? (['single', 'two'] as const);
  // plan every order first, so that a refusal comes before any hashing
  const plans = orders.map((order) => planTdxMrtd(img, order, { memory: opts.memory ?? null }));
  for (const plan of plans) out[plan.order] = runTdxMrtdPlan(plan, backend);
  return out;
}

/** MRTD of TDVF firmware bytes. */
export function computeMrtd(firmware: ByteSource | Uint8Array, opts: MrtdOptions = {}): MrtdByOrder {
  return mrtdOfImage(parseOvmf(asSource(firmware, 'firmware')), opts);
}
