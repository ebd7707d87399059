/**
 * `prelaunch/golden`: golden values for a release matrix — generate the document, read it
 * back, and check an attestation report against it. Exporters are in `prelaunch/export`.
 * See docs/api.md, docs/golden.md.
 */
export { generateGolden, serializeGolden, countEntries, countArtifactEntries, artifactModes, compareEntries, GOLDEN_SCHEMA, type GoldenArtifact, type GoldenArtifactKind, type GoldenDocument, type GoldenEntry, type GoldenTdxValues, type GoldenTpmValues, type GoldenTpmBank, type GoldenOptions, type GoldenIdBlockSigner } from '../golden/engine.js';
export { parseGoldenDocument, validateGoldenDocument } from '../golden/document.js';
export { parseManifestText, validateManifest, type GoldenManifest } from '../golden/manifest.js';
export { parseVcpuList, DEFAULT_TDX_MATRIX, type GoldenMatrix, type GoldenMode, type GoldenCpu, type GoldenTdxMatrix, type GoldenTdxShape, type GoldenTpmMatrix, type GoldenTpmShape } from '../golden/matrix.js';
export { checkReport, type CheckResult } from '../golden/check.js';
export { ATTESTATION_REPORT_SIZE, reportFromBinary, reportFromJson, type ReportFields } from '../formats/snp/attestation-report.js';
export { VMSA_PROFILES, VMSA_PROFILE_NAMES, DEFAULT_VMSA_PROFILE, vmsaProfileFor, type VmsaProfile, type VmsaProfileName } from '../formats/snp/vmsa-profiles.js';
