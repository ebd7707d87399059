/**
 * PCR banks and the extend rule: `PCR = H(PCR ‖ digest)` from all zeros (TPM 2.0 Part 1
 * §17.5; PCR0's locality-3 start value is not used by OVMF under QEMU). sha256 and sha384 go
 * through the chosen {@link HashBackend}; sha1 and sha512 banks (which logs may carry) through
 * @noble/hashes, so every bank of a log can be replayed in a browser too.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha512 } from '@noble/hashes/sha2.js';
import type { HashBackend } from '../hash/index.js';
import { TPM_ALG, tpmAlgName } from '../formats/tcg/event-log.js';

/** The banks a prediction fills: SHA-256 and SHA-384 (swtpm's and the COCONUT SVSM vTPM's active banks). */
export const PREDICTED_BANKS = ['sha256', 'sha384'] as const;
export type PredictedBank = (typeof PREDICTED_BANKS)[number];
export const BANK_ALG: Readonly<Record<PredictedBank, number>> = { sha256: TPM_ALG.sha256, sha384: TPM_ALG.sha384 };
export const BANK_SIZE: Readonly<Record<PredictedBank, number>> = { sha256: 32, sha384: 48 };

/** A one-shot hash for the algorithm with this TPM_ALG_ID, or null when prelaunch cannot compute it (e.g. SM3). */
export function bankHasher(algorithmId: number, backend: HashBackend): ((data: Uint8Array) => Uint8Array) | null {
  switch (algorithmId) {
    case TPM_ALG.sha256: return (d) => backend.hash('sha256', d);
    case TPM_ALG.sha384: return (d) => backend.hash('sha384', d);
    case TPM_ALG.sha1: return (d) => sha1(d);
    case TPM_ALG.sha512: return (d) => sha512(d);
    default: return null;
  }
}

export function bankName(algorithmId: number): string {
  return tpmAlgName(algorithmId);
}

/** Running PCR values of one bank: index → value (absent = never extended = zeros). */
export class PcrBank {
  readonly values = new Map<number, Uint8Array>();
  constructor(readonly size: number, private readonly hash: (d: Uint8Array) => Uint8Array) {}
  extend(pcr: number, digest: Uint8Array): void {
    const cur = this.values.get(pcr) ?? new Uint8Array(this.size);
    const buf = new Uint8Array(this.size + digest.length);
    buf.set(cur);
    buf.set(digest, this.size);
    this.values.set(pcr, this.hash(buf));
  }
}
