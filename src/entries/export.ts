/**
 * `prelaunch/export`: a golden document (`prelaunch/golden`) in the shape a consumer takes —
 * Trustee (RVPS, SNP, TDX and TPM names), Keylime (measured-boot reference state), go-sev-guest, go-tdx-guest, snpguest, in-toto, CoRIM (SEV-SNP and
 * Intel TDX profiles), QEMU and libvirt snippets. Each
 * takes the document's entries (or the document) and returns text, JSON data or CBOR bytes,
 * as `prelaunch export --to …` writes them. See docs/api.md, docs/golden.md.
 */
export { parseGoldenDocument, validateGoldenDocument } from '../golden/document.js';
export type { GoldenDocument, GoldenEntry } from '../golden/engine.js';
export { selectEntries } from '../export/select.js';
export { trusteeMessage, trusteeSample, trusteeTdxSample, trusteeTpmSample, trusteeTpmName, trusteeTpmClaim, type TrusteeOptions } from '../export/trustee.js';
export { keylimeRefstate, pythonReEscape, type KeylimeRefstate, type KeylimeKernel } from '../export/keylime.js';
export { goSevGuestConfig } from '../export/go-sev-guest.js';
export { goTdxGuestConfig } from '../export/go-tdx-guest.js';
export { snpguestFlags } from '../export/snpguest.js';
export { inTotoStatement, GOLDEN_PREDICATE_TYPE } from '../export/in-toto.js';
export { snpCorim, tdxCorim, defaultCorimId, SNP_CORIM_PROFILE, SNP_CLASS_OID, SNP_MKEY, TDX_CORIM_PROFILE_OID, TDX_CORIM_PROFILE_OID_BYTES, TDX_MVAL_KEY, TDX_CLASS } from '../export/corim.js';
export { launchSnippets, entryLaunchConfig, type LaunchHostOptions } from '../export/launch.js';
