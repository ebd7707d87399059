/**
 * in-toto Statement v1 whose subject is the release artifacts (firmware, varstore, kernel, initrd,
 * by sha256) and whose predicate is the golden document itself, ready for DSSE signing
 * (cosign attest-blob, GitHub attestations, …).
 */
import type { GoldenDocument } from '../golden/engine.js';

/** prelaunch's own predicate type (a URN: it names the document schema, not a web location). */
export const GOLDEN_PREDICATE_TYPE = 'urn:prelaunch:golden:v1';

export function inTotoStatement(doc: GoldenDocument): Record<string, unknown> {
  const subject: Array<{ name: string; digest: { sha256: string } }> = [];
  const seen = new Set<string>();
  const add = (name: string, sha256: string): void => {
    const k = `${name}\u0000${sha256}`;
    if (seen.has(k)) return;
    seen.add(k);
    subject.push({ name, digest: { sha256 } });
  };
  for (const a of doc.artifacts) {
    add(a.firmware.path, a.firmware.sha256);
    if (a.vars) add(a.vars.path, a.vars.sha256); // a tpm artifact's varstore (its keys are measured into PCR7)
    if (a.kernel) add(a.kernel.path, a.kernel.sha256);
    if (a.initrd) add(a.initrd.path, a.initrd.sha256);
  }
  return { _type: 'https://in-toto.io/Statement/v1', subject, predicateType: GOLDEN_PREDICATE_TYPE, predicate: doc };
}
