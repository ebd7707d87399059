/**
 * `prelaunch/export`: a golden document (`prelaunch/golden`) in the shape a consumer takes —
 * Trustee (RVPS), go-sev-guest, snpguest, in-toto, CoRIM, QEMU and libvirt snippets. Each
 * takes the document's entries (or the document) and returns text, JSON data or CBOR bytes,
 * as `prelaunch export --to …` writes them. See docs/api.md, docs/golden.md.
 */
export { parseGoldenDocument, validateGoldenDocument } from '../golden/document.js';
export type { GoldenDocument, GoldenEntry } from '../golden/engine.js';
export { selectEntries } from '../export/select.js';
export { trusteeMessage, trusteeSample, type TrusteeOptions } from '../export/trustee.js';
export { goSevGuestConfig } from '../export/go-sev-guest.js';
export { snpguestFlags } from '../export/snpguest.js';
export { inTotoStatement, GOLDEN_PREDICATE_TYPE } from '../export/in-toto.js';
export { snpCorim, defaultCorimId, SNP_CORIM_PROFILE, SNP_CLASS_OID, SNP_MKEY } from '../export/corim.js';
export { launchSnippets, entryLaunchConfig, type LaunchHostOptions } from '../export/launch.js';
