/**
 * `prelaunch/sev`: SEV and SEV-ES launch digests (SHA-256 over the launch-update stream).
 * The VMSA and vCPU-type helpers SEV-ES needs are re-exported from `prelaunch/snp`'s modules.
 * See docs/api.md, docs/measurement.md.
 */
export { measure, measureSev, measureSevEs, planMeasurement, SEV_MODES, type SevMode, type DirectBoot, type MeasureOptions, type Measurement } from '../measure/api.js';
export { parseOvmf, type OvmfImage } from '../formats/ovmf/parse.js';
export type { SevPlan, PageContent } from '../plan/ops.js';
export { planSev, planSevEs } from '../plan/sev.js';
export { runSevPlan, type SevTraceEvent } from '../measure/sev-engine.js';
export { encodeVmsa, decodeVmsa, type VmsaRegisters, type Segment } from '../formats/snp/vmsa.js';
export { resetVmsa, VMM_TYPES, type VmmType } from '../formats/snp/vmsa-profiles.js';
export { VCPU_TYPES, VCPU_TYPE_NAMES, cpuSig, vcpuTypeSig, type VcpuType } from '../formats/snp/vcpu-types.js';
export { launchProblems, requireLaunchable, type LaunchMode, type LaunchModel, type FirmwareLoader } from '../plan/launchability.js';
export { referenceLine, measureReportJson } from '../report/measure-report.js';
