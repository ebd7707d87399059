/**
 * `--ccel LOG`: replay the TD's CCEL event log (src/measure/rtmr.ts replayCcel) and check that it
 * reproduces the quote's RTMR0–3 — a log that does is the true account of what was measured, and
 * its events say which kernel, command line and initrd were booted. When a golden entry with
 * event digests matched (./golden.ts), the first log event whose digest differs from the
 * prediction is named.
 */
import { toHex } from '../../bytes/hex.js';
import { EV, LINUX_INITRD_EVENT_TAG_ID, LINUX_LOAD_OPTIONS_EVENT_TAG_ID } from '../../formats/tdx/tcg-events.js';
import { diffRtmrs, replayCcel, type ReplayedEvent } from '../../measure/rtmr.js';
import { bestTdxGoldenEntry, type TdxGoldenInput, type TdxRegisters } from './golden.js';

type Add = (id: string, ok: boolean | 'skipped', detail: string) => boolean;

const short = (h: string | undefined): string => `${(h ?? '').slice(0, 12)}…`;

function taggedId(e: ReplayedEvent, data: Uint8Array | undefined): number | null {
  if (e.eventType !== EV.EV_EVENT_TAG || !data || data.length < 4) return null;
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
}

export function checkCcel(ccel: { readonly bytes: Uint8Array; readonly name: string }, regs: TdxRegisters, golden: TdxGoldenInput | undefined, add: Add): void {
  const rtmrs = regs.rtmrs;
  const replay = replayCcel(ccel.bytes, { name: ccel.name });
  const replayed = replay.rtmrs.map(toHex);
  for (let i = 0; i < 4; i++) {
    const n = replay.events.filter((e) => e.rtmr === i).length;
    const ok = replayed[i] === rtmrs[i];
    add(`ccel:rtmr${i}`, ok, ok ? `${ccel.name} replays RTMR${i} to the quote's value (${n} events)` : `${ccel.name} replays RTMR${i} to ${short(replayed[i]!)}, the quote has ${short(rtmrs[i])}: the log is not this TD's, or events were added, removed or altered`);
  }
  if (!golden) return;
  // the prediction: the golden entry the quote's registers match (or the nearest)
  const entry = bestTdxGoldenEntry(golden, regs).entry;
  const predicted: Array<{ rtmr: number; which: string; digest: string | null | undefined; find: (e: ReplayedEvent, data?: Uint8Array) => boolean }> = [
    { rtmr: 1, which: 'the kernel (EV_EFI_BOOT_SERVICES_APPLICATION)', digest: entry.kernelDigest, find: (e) => e.eventType === EV.EV_EFI_BOOT_SERVICES_APPLICATION },
    { rtmr: 2, which: 'the kernel command line (LoadOptions event tag)', digest: entry.cmdlineDigest, find: (e, d) => taggedId(e, d) === LINUX_LOAD_OPTIONS_EVENT_TAG_ID },
    { rtmr: 2, which: 'the initrd (event tag)', digest: entry.initrdDigest, find: (e, d) => taggedId(e, d) === LINUX_INITRD_EVENT_TAG_ID },
  ];
  if (entry.events) {
    // a full prediction: the first divergence, register by register (as `prelaunch tdx diff`)
    const d = diffRtmrs(entry.events, replay);
    // registers the prediction has no events for were not predicted (RTMR3; RTMR1/2 without a kernel)
    const predictedRegs = new Set(entry.events.map((e) => e.rtmr));
    const found = d.registers.filter((x): x is NonNullable<typeof x> => x !== null && predictedRegs.has(x.rtmr));
    const f = found.sort((a, b) => (a.actual?.logIndex ?? Infinity) - (b.actual?.logIndex ?? Infinity))[0];
    const ev = (x: { digest: string | null; type: string; description: string; logIndex?: number } | null): string => (x ? `${x.logIndex !== undefined ? `event #${x.logIndex} ` : ''}${x.type}: ${x.description} (${x.digest ? short(x.digest) : 'unknown digest'})` : 'no event');
    add('ccel:prediction', !f, f ? `RTMR${f.rtmr} event ${f.position + 1} differs from ${entry.label}: the log has ${ev(f.actual)}, the prediction ${ev(f.predicted)}` : `every event of ${ccel.name} is the predicted one of ${entry.label}${d.unchecked.length ? ` (${d.unchecked.length} VMM-defined events not predicted, not compared)` : ''}${predictedRegs.size < 4 ? `; RTMR${[0, 1, 2, 3].filter((i) => !predictedRegs.has(i)).join('/RTMR')} not predicted` : ''}`);
    return;
  }
  const dataOf = new Map(replay.log.events.map((e) => [e.index, e.data]));
  let named = false;
  for (const p of predicted) {
    if (!p.digest) continue;
    const ev = replay.events.find((e) => e.rtmr === p.rtmr && p.find(e, dataOf.get(e.index)));
    if (!ev) {
      add(`ccel:event:rtmr${p.rtmr}`, false, `${ccel.name} has no event for ${p.which} in RTMR${p.rtmr}; ${entry.label} predicts ${short(p.digest)}`);
      named = true;
      continue;
    }
    const ok = toHex(ev.digest) === p.digest;
    add(`ccel:event:rtmr${p.rtmr}`, ok, ok ? `event #${ev.index} (${p.which}) has the predicted digest of ${entry.label}` : `event #${ev.index} at 0x${ev.offset.toString(16)} (${ev.typeName}: ${ev.description}) has digest ${short(toHex(ev.digest))}; ${entry.label} predicts ${short(p.digest)} for ${p.which}`);
    if (!ok) named = true;
  }
  const differ = [0, 1, 2].filter((i) => {
    const want = [entry.rtmr0, entry.rtmr1, entry.rtmr2][i];
    return want && want !== replayed[i];
  });
  if (differ.length && !named) {
    add('ccel:prediction', false, `the log's RTMR${differ.join('/RTMR')} differ from ${entry.label}'s prediction, and the entry has no event digests to name the first differing event (compare with \`prelaunch tdx diff PREDICTED.json ${ccel.name}\`)`);
  }
}
