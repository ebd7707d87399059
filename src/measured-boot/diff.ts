/**
 * Where a prediction and a real TCG2 log part: event lists compared PCR by PCR (the order
 * across PCRs is not measured), in one bank; the divergence reported first is the one that
 * comes first in the log. Predicted events without a digest (not predicted) are listed as
 * unchecked, not compared.
 */
import type { TpmReplay } from './replay.js';

export interface PredictedEventSummary { pcr: number; type: string; description: string; digests: Record<string, string> | null }

export interface TpmDivergence {
  pcr: number;
  /** 0-based position among this PCR's events */
  position: number;
  predicted: { type: string; description: string; digest: string | null } | null;
  actual: { type: string; description: string; digest: string | null; logIndex: number; offset: number } | null;
}

export interface TpmDiff {
  bank: string;
  first: TpmDivergence | null;
  /** per PCR with events on either side: the first divergence, or null */
  pcrs: Record<string, TpmDivergence | null>;
  unchecked: TpmDivergence[];
}

export function diffTpmEvents(predicted: readonly PredictedEventSummary[], replay: TpmReplay, bank = 'sha256'): TpmDiff {
  if (!replay.banks.includes(bank)) throw new RangeError(`the log has no ${bank} bank`);
  const got = replay.events.filter((e) => e.extends);
  const indices = [...new Set([...predicted.map((e) => e.pcr), ...got.map((e) => e.pcr)])].sort((a, b) => a - b);
  const pcrs: Record<string, TpmDivergence | null> = {};
  const unchecked: TpmDivergence[] = [];
  for (const pcr of indices) {
    const want = predicted.filter((e) => e.pcr === pcr);
    const have = got.filter((e) => e.pcr === pcr);
    let found: TpmDivergence | null = null;
    for (let i = 0; i < Math.max(want.length, have.length); i++) {
      const w = want[i];
      const g = have[i];
      const wd = w?.digests?.[bank] ?? null;
      const gd = g?.digests[bank] ?? null;
      const pred = w ? { type: w.type, description: w.description, digest: wd } : null;
      const act = g ? { type: g.typeName, description: g.description, digest: gd, logIndex: g.index, offset: g.offset } : null;
      if (w && g && w.digests === null) {
        unchecked.push({ pcr, position: i, predicted: pred, actual: act });
        continue;
      }
      if (w && g && wd !== null && gd !== null && wd.toLowerCase() === gd.toLowerCase()) continue;
      found = { pcr, position: i, predicted: pred, actual: act };
      break;
    }
    pcrs[String(pcr)] = found;
  }
  const pos = (d: TpmDivergence): number => d.actual?.logIndex ?? Number.MAX_SAFE_INTEGER;
  const first = Object.values(pcrs).filter((d): d is TpmDivergence => d !== null).sort((a, b) => pos(a) - pos(b) || a.pcr - b.pcr)[0] ?? null;
  return { bank, first, pcrs, unchecked };
}
