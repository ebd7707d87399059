/**
 * Replaying a TCG2 event log: every bank the log declares, every PCR, from zeros; EV_NO_ACTION
 * records extend nothing. Each event is described (what it is) for listings and diffs.
 */
import { toHex } from '../bytes/hex.js';
import { PrelaunchError } from '../errors.js';
import { EV_NO_ACTION, parseTcgLog, tpmAlgName, type TcgLog } from '../formats/tcg/event-log.js';
import { describeEventData, eventTypeName } from '../formats/tdx/tcg-events.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { bankHasher, PcrBank } from './pcr.js';

export interface ReplayedTpmEvent {
  /** record number in the log (the Spec ID header is 0) */
  index: number;
  offset: number;
  pcr: number;
  eventType: number;
  typeName: string;
  /** bank name → digest hex, in log order */
  digests: Record<string, string>;
  description: string;
  /** whether the event extends its PCR (EV_NO_ACTION does not) */
  extends: boolean;
  data: Uint8Array;
}

export interface TpmReplay {
  log: TcgLog;
  /** the banks the log declares, by name */
  banks: string[];
  /** bank → PCR index (decimal string) → value hex; only PCRs an event extended */
  pcrs: Record<string, Record<string, string>>;
  events: ReplayedTpmEvent[];
  /** banks the log declares that prelaunch cannot compute (their PCRs are not replayed) */
  unsupportedBanks: string[];
}

export function replayTpmLog(bytes: Uint8Array, opts: { hashBackend?: HashBackend; name?: string } = {}): TpmReplay {
  const backend = opts.hashBackend ?? defaultBackend;
  const log = parseTcgLog(bytes, opts.name);
  const banks = new Map<number, PcrBank>();
  const unsupportedBanks: string[] = [];
  for (const a of log.specId.algorithms) {
    const h = bankHasher(a.algorithmId, backend);
    if (h) banks.set(a.algorithmId, new PcrBank(a.digestSize, h));
    else unsupportedBanks.push(tpmAlgName(a.algorithmId));
  }
  const events: ReplayedTpmEvent[] = log.events.map((e) => {
    const ext = e.eventType !== EV_NO_ACTION;
    if (ext && e.digests.length !== log.specId.algorithms.length) {
      throw new PrelaunchError('ERR_MALFORMED', `${opts.name ?? 'event log'}: TCG_PCR_EVENT2 #${e.index} at offset 0x${e.offset.toString(16)} carries ${e.digests.length} digest(s) for ${log.specId.algorithms.length} active bank(s): the banks cannot be replayed`, { offset: e.offset });
    }
    if (ext) for (const d of e.digests) banks.get(d.algorithmId)?.extend(e.pcrIndex, d.digest);
    return {
      index: e.index,
      offset: e.offset,
      pcr: e.pcrIndex,
      eventType: e.eventType,
      typeName: eventTypeName(e.eventType),
      digests: Object.fromEntries(e.digests.map((d) => [tpmAlgName(d.algorithmId), toHex(d.digest)])),
      description: describeEventData(e.eventType, e.data),
      extends: ext,
      data: e.data,
    };
  });
  const pcrs: Record<string, Record<string, string>> = {};
  for (const [alg, bank] of banks) {
    const out: Record<string, string> = {};
    for (const idx of [...bank.values.keys()].sort((a, b) => a - b)) out[String(idx)] = toHex(bank.values.get(idx)!);
    pcrs[tpmAlgName(alg)] = out;
  }
  return { log, banks: log.specId.algorithms.map((a) => tpmAlgName(a.algorithmId)), pcrs, events, unsupportedBanks };
}
