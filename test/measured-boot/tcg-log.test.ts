/**
 * TCG2 crypto-agile event logs: writer → parser round trips, replay of every bank against an
 * independent computation (node:crypto), malformed logs (truncated, lying sizes) → error
 * codes, and a bounded property: any mutation of a valid log parses or fails with a ParseError.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError, PrelaunchError } from '../../src/errors.js';
import { encodeTcgLog, parseTcgLog, TPM_ALG, TCG_PCR_EVENT, TCG_SPEC_ID_EVENT, TCG_ALGORITHM_SIZE } from '../../src/formats/tcg/event-log.js';
import { replayTpmLog } from '../../src/measured-boot/replay.js';
import { fuzzParams } from '../support/fuzz.js';

const ALGS = [{ algorithmId: TPM_ALG.sha256, digestSize: 32 }, { algorithmId: TPM_ALG.sha384, digestSize: 48 }];
const h = (alg: string, b: Uint8Array | string): Uint8Array => new Uint8Array(createHash(alg).update(b).digest());
const ev = (pcrIndex: number, eventType: number, text: string) => ({
  pcrIndex, eventType, data: new TextEncoder().encode(text),
  digests: [{ algorithmId: TPM_ALG.sha256, digest: h('sha256', text) }, { algorithmId: TPM_ALG.sha384, digest: h('sha384', text) }],
});
const EVENTS = [ev(0, 8, 'version'), ev(7, 0x80000001, 'SecureBoot'), ev(4, 0x80000007, 'Calling EFI Application from Boot Option'), ev(0, 3, 'no action'), ev(4, 4, '\0\0\0\0')];
const LOG = encodeTcgLog(ALGS, EVENTS);

function extend(alg: string, events: typeof EVENTS, pcr: number): string {
  let v: Uint8Array = new Uint8Array(alg === 'sha256' ? 32 : 48);
  for (const e of events) {
    if (e.pcrIndex !== pcr || e.eventType === 3) continue;
    const d = e.digests.find((x) => x.algorithmId === (alg === 'sha256' ? TPM_ALG.sha256 : TPM_ALG.sha384))!.digest;
    v = h(alg, Buffer.concat([v, d]));
  }
  return Buffer.from(v).toString('hex');
}

describe('TCG2 event log', () => {
  it('round-trips through the writer and the parser', () => {
    const log = parseTcgLog(LOG);
    expect(log.specId.algorithms).toEqual(ALGS);
    expect(log.specId.major).toBe(2);
    expect(log.events.map((e) => [e.pcrIndex, e.eventType, new TextDecoder().decode(e.data)])).toEqual(EVENTS.map((e) => [e.pcrIndex, e.eventType, new TextDecoder().decode(e.data)]));
    expect(encodeTcgLog(ALGS, log.events.map((e) => ({ pcrIndex: e.pcrIndex, eventType: e.eventType, data: e.data, digests: e.digests })))).toEqual(LOG);
  });

  it('replays every bank; EV_NO_ACTION extends nothing', () => {
    const r = replayTpmLog(LOG);
    expect(r.banks).toEqual(['sha256', 'sha384']);
    for (const bank of ['sha256', 'sha384']) for (const pcr of [0, 4, 7]) expect(r.pcrs[bank]![String(pcr)]).toBe(extend(bank, EVENTS, pcr));
    expect(r.events[3]!.extends).toBe(false);
  });

  it('replays a sha1 bank too (noble), and reports banks it cannot compute', () => {
    const log = encodeTcgLog([{ algorithmId: TPM_ALG.sha1, digestSize: 20 }, { algorithmId: 0x12, digestSize: 32 }], [{ pcrIndex: 3, eventType: 4, data: new Uint8Array(4), digests: [{ algorithmId: TPM_ALG.sha1, digest: h('sha1', new Uint8Array(4)) }, { algorithmId: 0x12, digest: new Uint8Array(32) }] }]);
    const r = replayTpmLog(log);
    expect(r.pcrs.sha1!['3']).toBe(Buffer.from(h('sha1', Buffer.concat([new Uint8Array(20), h('sha1', new Uint8Array(4))]))).toString('hex'));
    expect(r.unsupportedBanks).toEqual(['sm3_256']);
  });

  it('refuses a log that is not crypto-agile (SHA-1 format)', () => {
    const bad = LOG.slice();
    bad[TCG_PCR_EVENT.size] = 0x53 ^ 0x20; // "Spec ID" → "sPEC…"
    expect(() => parseTcgLog(bad)).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED', structure: 'TCG_EfiSpecIDEvent' }));
  });

  it('every truncation fails with ERR_TRUNCATED naming a record (or parses, at a record boundary)', () => {
    const starts = parseTcgLog(LOG).events.map((e) => e.offset);
    for (let n = 0; n < LOG.length; n++) {
      const cut = LOG.subarray(0, n);
      if (starts.includes(n)) {
        expect(parseTcgLog(cut).events.length).toBe(starts.filter((o) => o < n).length);
        continue;
      }
      try {
        parseTcgLog(cut, 'cut.bin');
        throw new Error(`a ${n}-byte prefix parsed`);
      } catch (e) {
        expect(e).toBeInstanceOf(ParseError);
        expect((e as ParseError).code).toBe('ERR_TRUNCATED');
        expect((e as ParseError).message).toMatch(/^cut\.bin: /);
      }
    }
  });

  const specAt = TCG_PCR_EVENT.size;
  const firstEvent = parseTcgLog(LOG).events[0]!.offset;
  const put32 = (b: Uint8Array, at: number, v: number): Uint8Array => {
    const c = b.slice();
    new DataView(c.buffer).setUint32(at, v >>> 0, true);
    return c;
  };
  it.each([
    ['an EventSize past the end', () => put32(LOG, firstEvent + 12 + 2 + 32 + 2 + 48, 0xffff_fff0), 'ERR_TRUNCATED', 'TCG_PCR_EVENT2 #1 event data'],
    ['a Spec ID EventSize past the end', () => put32(LOG, 28, 0x7fff_ffff), 'ERR_TRUNCATED', 'TCG_EfiSpecIDEvent'],
    ['numberOfAlgorithms larger than the event', () => put32(LOG, specAt + 24, 1000), 'ERR_MALFORMED', 'TCG_EfiSpecIDEvent'],
    ['a digest count above the declared algorithms', () => put32(LOG, firstEvent + 8, 3), 'ERR_MALFORMED', 'TCG_PCR_EVENT2 #1'],
    ['an undeclared digest algorithm', () => { const c = LOG.slice(); c[firstEvent + 12] = 0x0d; return c; }, 'ERR_MALFORMED', 'TCG_PCR_EVENT2 #1'],
    ['a digest size that contradicts the algorithm', () => { const c = LOG.slice(); c[specAt + TCG_SPEC_ID_EVENT.size + 2] = 20; return c; }, 'ERR_MALFORMED', TCG_ALGORITHM_SIZE.name],
  ])('refuses %s', (_what, make, code, structure) => {
    expect(() => parseTcgLog(make())).toThrow(expect.objectContaining({ code, structure }));
  });

  it('property: a mutated log parses or fails with a PrelaunchError (never anything else)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(LOG.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(LOG.length), (edits, cut) => {
        const b = LOG.slice(0, Math.max(cut, 1));
        for (const [at, v] of edits) if (at < b.length) b[at] = v;
        try {
          replayTpmLog(b);
        } catch (e) {
          if (!(e instanceof PrelaunchError)) throw e;
        }
      }),
      fuzzParams({ numRuns: 300 }),
    );
  });
});
