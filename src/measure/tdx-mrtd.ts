/** MRTD of a TDVF image in one or both page orders (parse → plan → engine). */
import { asSource, type ByteSource } from '../bytes/source.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { parseOvmf, type OvmfImage } from '../formats/ovmf/parse.js';
import { planTdxMrtd, requireTdxMetadata, type TdxPageOrder } from '../plan/tdx.js';
import { runTdxMrtdPlan } from './tdx-engine.js';

export interface MrtdOptions {
  /** default: both orders */
  orders?: readonly TdxPageOrder[];
  hashBackend?: HashBackend;
}

export type MrtdByOrder = Partial<Record<TdxPageOrder, Uint8Array>>;

/** MRTD of an already parsed image. */
export function mrtdOfImage(img: OvmfImage, opts: MrtdOptions = {}): MrtdByOrder {
  requireTdxMetadata(img);
  const backend = opts.hashBackend ?? defaultBackend;
  const out: MrtdByOrder = {};
  for (const order of opts.orders ?? (['single', 'two'] as const)) out[order] = runTdxMrtdPlan(planTdxMrtd(img, order), backend);
  return out;
}

/** MRTD of TDVF firmware bytes. */
export function computeMrtd(firmware: ByteSource | Uint8Array, opts: MrtdOptions = {}): MrtdByOrder {
  return mrtdOfImage(parseOvmf(asSource(firmware, 'firmware')), opts);
}
