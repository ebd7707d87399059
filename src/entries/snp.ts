/**
 * `prelaunch/snp`: SEV-SNP launch digests (and the shared AMD SEV pieces: VMSA, vCPU types,
 * kernel hashes, launchability, the one-call `measure`). See docs/api.md, docs/measurement.md.
 */
export { measure, measureSnp, snpOvmfHash, planMeasurement, SEV_MODES, type SevMode, type DirectBoot, type MeasureOptions, type Measurement } from '../measure/api.js';
export { parseOvmf, directBootSupport, type OvmfImage, type DirectBootSupport } from '../formats/ovmf/parse.js';
export { SnpPageType, VMSA_GPA } from '../formats/snp/page-info.js';
export { encodeVmsa, decodeVmsa, type VmsaRegisters, type Segment } from '../formats/snp/vmsa.js';
export { resetVmsa, svsmVmsa, VMM_TYPES, VMSA_PROFILES, VMSA_PROFILE_NAMES, DEFAULT_VMSA_PROFILE, vmsaProfileFor, type VmmType, type VmsaProfile, type VmsaProfileName } from '../formats/snp/vmsa-profiles.js';
export { VCPU_TYPES, VCPU_TYPE_NAMES, cpuSig, vcpuTypeSig, type VcpuType } from '../formats/snp/vcpu-types.js';
export { encodeKernelHashesTable, type KernelHashes } from '../formats/snp/kernel-hashes.js';
export type { SnpPlan, SnpPageOp, SevPlan, PageContent } from '../plan/ops.js';
export { planSnp, planSnpOvmfHash, planSnpSvsm } from '../plan/snp.js';
export { launchProblems, requireLaunchable, firmwareLoadProblem, snpSectionProblems, snpSectionWarnings, type LaunchMode, type LaunchModel, type FirmwareLoader } from '../plan/launchability.js';
export { SnpLaunchDigest, runSnpPlan, type SnpTraceEvent } from '../measure/snp-engine.js';
export { computeKernelHashes } from '../measure/kernel-hashes.js';
export { cmdlineBytes, type KernelCmdline } from '../formats/linux/cmdline.js';
export { referenceLine, measureReportJson } from '../report/measure-report.js';
export { diffTraces, type TraceDivergence } from '../report/trace.js';
export { DEFAULT_SNP_POLICY, SNP_POLICY_FLAGS, encodePolicy, decodePolicy, policyProblems, validatePolicy, policyFromSpec, renderPolicy, formatPolicy, type SnpPolicy } from '../formats/snp/policy.js';
export { ATTESTATION_REPORT_SIZE, reportFromBinary, reportFromJson, type ReportFields } from '../formats/snp/attestation-report.js';
