/**
 * prelaunch public API: explicit named exports only. Inputs are bytes or ByteSources, options
 * are one object, results are plain data; no file or process access.
 */
export { PrelaunchError, ParseError, FirmwareError, OptionError, type ErrorCode } from './errors.js';
export { bytesSource, asSource, type ByteSource } from './bytes/source.js';
export { toHex, fromHex, toBase64, fromBase64 } from './bytes/hex.js';
export { guidToBytes, guidFromBytes } from './bytes/guid.js';
export { defaultBackend, loadHashBackend, nodeBackend, HASH_BACKENDS, type HashBackend, type HashBackendName, type Hasher } from './hash/index.js';

// OVMF
export { parseOvmf, directBootSupport, type OvmfImage, type DirectBootSupport } from './formats/ovmf/parse.js';
export type { FooterEntry, FooterTable } from './formats/ovmf/footer-table.js';
export type { SevMetadata, SevSection } from './formats/ovmf/sev-metadata.js';
export type { TdxMetadata, TdvfSection } from './formats/ovmf/tdx-metadata.js';
export { SevSectionType } from './formats/ovmf/defs.js';
export { inspectOvmf, renderOvmfInspection, type OvmfInspection } from './report/ovmf-inspect.js';

// SEV / SEV-ES / SEV-SNP
export { SnpPageType, VMSA_GPA } from './formats/snp/page-info.js';
export { encodeVmsa, decodeVmsa, type VmsaRegisters, type Segment } from './formats/snp/vmsa.js';
export { resetVmsa, svsmVmsa, VMM_TYPES, type VmmType } from './formats/snp/vmsa-profiles.js';
export { VCPU_TYPES, VCPU_TYPE_NAMES, cpuSig, vcpuTypeSig, type VcpuType } from './formats/snp/vcpu-types.js';
export { encodeKernelHashesTable, type KernelHashes } from './formats/snp/kernel-hashes.js';
export type { SnpPlan, SnpPageOp, SevPlan, PageContent } from './plan/ops.js';
export { planSnp, planSnpOvmfHash, planSnpSvsm } from './plan/snp.js';
export { planSev, planSevEs } from './plan/sev.js';
export { launchProblems, requireLaunchable, firmwareLoadProblem, snpSectionProblems, snpSectionWarnings, type LaunchMode, type FirmwareLoader } from './plan/launchability.js';
export { SnpLaunchDigest, runSnpPlan, type SnpTraceEvent } from './measure/snp-engine.js';
export { runSevPlan, type SevTraceEvent } from './measure/sev-engine.js';
export { computeKernelHashes } from './measure/kernel-hashes.js';
export { measure, measureSnp, measureSev, measureSevEs, snpOvmfHash, planMeasurement, SEV_MODES, type SevMode, type MeasureOptions, type Measurement } from './measure/api.js';
export { referenceLine, measureReportJson } from './report/measure-report.js';
export { diffTraces, type TraceDivergence } from './report/trace.js';

// SEV-SNP ID block, ID authentication, guest policy, launch snippets
export {
  ID_BLOCK_SIZE, ID_AUTH_SIZE, SNP_PUBLIC_KEY_SIZE, SNP_SIGNATURE_SIZE, encodeIdBlock, decodeIdBlock, encodeIdAuth, decodeIdAuth,
  encodeSnpPublicKey, decodeSnpPublicKey, encodeSnpSignature, decodeSnpSignature, type IdBlock, type IdAuthInfo, type SnpPublicKey, type SnpSignature,
} from './formats/snp/id-block.js';
export { DEFAULT_SNP_POLICY, SNP_POLICY_FLAGS, encodePolicy, decodePolicy, policyProblems, validatePolicy, policyFromSpec, renderPolicy, formatPolicy, type SnpPolicy } from './formats/snp/policy.js';
export { p384PublicKey, p384PointFromSec1, signP384, verifyP384, parseDetachedSignature, signatureToDer, type EcPoint, type EcdsaSignature } from './sign/ecdsa-p384.js';
export {
  buildIdBlock, signIdAuth, createIdAuthSigner, assembleIdAuth, verifyIdAuth, idAuthSigningInputs, keyDigest, snpPublicKeyBytes,
  type IdBlockOptions, type SignIdAuthOptions, type AssembleIdAuthOptions, type VerifyIdAuthOptions, type IdAuthResult, type IdAuthSigningInputs, type IdAuthVerification,
} from './sign/id-block.js';
export { qemuSnippet, qemuSnpGuestObject, libvirtLaunchSecurity, libvirtSnippet, launchSnippet, SNP_HOST_CBITPOS, SNP_HOST_REDUCED_PHYS_BITS, type SnpLaunchConfig } from './report/launch-config.js';
export { cmdlineBytes, type KernelCmdline } from './formats/linux/cmdline.js';

// Intel TDX: MRTD, RTMR0-3 prediction, CCEL replay and diff
export { validateTdvfSections, qemuTdvfProblems } from './formats/ovmf/tdx-metadata.js';
export { planTdxMrtd, requireTdxMetadata, tdvfMrtdWarnings, checkTdvfGuestRam, pageOrderForQemuVersion, TDX_PAGE_ORDERS, type TdxPageOrder, type TdxMrtdPlan, type TdxMrtdOp, type TdxMrtdPlanOptions } from './plan/tdx.js';
export { runTdxMrtdPlan, tdxPlanStreamBytes } from './measure/tdx-engine.js';
export { computeMrtd, mrtdOfImage, type MrtdOptions, type MrtdByOrder } from './measure/tdx-mrtd.js';
export { parseCcel, encodeCcel, eventSha384, type CcelLog, type CcelEvent, type CcelWriteEvent } from './formats/tdx/ccel.js';
export { buildTdHob, tdRamEntries, q35MemorySplit, type TdHob, type TdRamEntry } from './formats/tdx/td-hob.js';
export { EV, eventTypeName, describeEventData } from './formats/tdx/tcg-events.js';
export { qemuPatchSetupHeader, type QemuKernelPatch } from './formats/linux/qemu-setup-patch.js';
export { authenticodeRanges, type HashRange } from './formats/pe/authenticode-ranges.js';
export { authenticodeDigest } from './measure/authenticode.js';
export {
  predictRtmrs, replayCcel, diffRtmrs, extendRtmr, rtmrsOf, directBootLoadOptions,
  type RtmrEvent, type RtmrValues, type EventBasis, type Replay, type ReplayedEvent, type AcpiBlobs, type DirectBootInputs, type RtmrPredictionOptions, type RtmrDiff, type RtmrDivergence,
} from './measure/rtmr.js';
export { tdxReportJson, renderTdxReport, replayJson, renderReplay, renderRtmrDiff, type TdxReportInput, type TdxPolicyFields } from './report/tdx-report.js';

// golden values
export { generateGolden, serializeGolden, countEntries, compareEntries, GOLDEN_SCHEMA, type GoldenArtifact, type GoldenDocument, type GoldenEntry, type GoldenOptions } from './golden/engine.js';
export { parseManifestText, validateManifest, type GoldenManifest } from './golden/manifest.js';
export { parseVcpuList, type GoldenMatrix, type GoldenMode, type GoldenCpu } from './golden/matrix.js';
export { checkReport, type CheckResult } from './golden/check.js';
export { reportFromBinary, reportFromJson, type ReportFields } from './formats/snp/attestation-report.js';
export { VMSA_PROFILES, VMSA_PROFILE_NAMES, DEFAULT_VMSA_PROFILE, vmsaProfileFor, type VmsaProfile, type VmsaProfileName } from './formats/snp/vmsa-profiles.js';

// IGVM
export { parseIgvm, type ParsedIgvm, type IgvmParseOptions, type IgvmFileInfo } from './formats/igvm/parse.js';
export { serializeIgvm, reserializeIgvm, type SerializeOptions as IgvmSerializeOptions } from './formats/igvm/serialize.js';
export { validateIgvm, headerLayout as igvmHeaderLayout, type HeaderLocation as IgvmHeaderLocation, type IgvmLayout } from './formats/igvm/validate.js';
export { IgvmFormatError, IGVM_RULES, type IgvmRule } from './formats/igvm/errors.js';
export { directiveTable, directiveList, directiveLocations, directiveCount, directiveSegments, type DirectiveSegment, type PageRows, type RecordSegment } from './formats/igvm/directives.js';
export type * from './formats/igvm/model.js';
export { IgvmHeaderType, IgvmPlatformType, IgvmPageDataType, PageDataFlags as IgvmPageDataFlags } from './formats/igvm/defs.js';
export { planIgvmMeasurement, type IgvmMeasurePlan, type IgvmPlanOptions, type IgvmSevPlatform } from './plan/igvm-snp.js';
export { planIgvmTdx, type IgvmTdxPlan } from './plan/igvm-tdx.js';
export { measureIgvm, IGVM_MEASURE_PLATFORMS, type IgvmMeasureOptions, type IgvmMeasurement, type IgvmMeasurePlatform } from './measure/igvm.js';
export { signIgvm, checkIgvmIdBlock, type SignIgvmOptions, type SignedIgvm, type IgvmIdBlockCheck } from './sign/igvm.js';
export { buildIgvm, HYPERVISORS as IGVM_BUILD_HYPERVISORS, type IgvmBuildOptions, type IgvmBuildResult, type BuildLayout as IgvmBuildLayout, type Hypervisor as IgvmBuildHypervisor } from './igvm-build/builder.js';
export { parseKernelElf, type ElfKernel } from './igvm-build/elf.js';
export { BuildError as IgvmBuildError } from './igvm-build/errors.js';
export { encodeIgvmSnpSignature, decodeIgvmSnpSignature, encodeIgvmSnpPublicKey, decodeIgvmSnpPublicKey } from './formats/igvm/snp-id-block.js';
export { inspectIgvm, renderIgvmInspection, renderIgvmSvg, type IgvmInspection } from './report/igvm-inspect.js';
// the host stack as input (docs/stack.md): stack model and rules, QEMU command line and libvirt domain parsers, host probe
export { resolveStack, stackJson, DEFAULT_STACK, type HostStack, type StackInputs, type StackVmm } from './stack/model.js';
export { deriveSev, deriveTdx, STACK_RULES, ruleJson, type RuleHit, type RuleId, type StackRule } from './stack/rules.js';
export { resolveLaunch, type LaunchDescription, type ResolvedLaunch, type GuestCpu } from './stack/launch.js';
export { parseQemuCommandLine, type QemuParseOptions } from './stack/qemu-cmdline.js';
export { parseLibvirtDomain, type LibvirtParseOptions } from './stack/libvirt-domain.js';
export { parseFirmwareDescriptor, selectFirmware, type FirmwareDescriptor, type FirmwareRequest } from './stack/firmware-descriptors.js';
export { probeHost, type ProbeHost, type ProbeResult } from './stack/probe.js';
// vTPM measured boot of OVMF under QEMU (docs/measured-boot.md): TCG2 logs, the edk2 event model
export { parseTcgLog, encodeTcgLog, TPM_ALG, type TcgLog, type TcgEvent, type TcgWriteEvent } from './formats/tcg/event-log.js';
export { predictTpmPcrs, type TpmPredictOptions, type TpmPrediction } from './measured-boot/predict.js';
export { replayTpmLog, type TpmReplay } from './measured-boot/replay.js';
export { diffTpmEvents, type TpmDiff } from './measured-boot/diff.js';
export { identifyEdk2Firmware, MODELLED_GENERATIONS, type Edk2Firmware, type Edk2Generation } from './measured-boot/edk2-firmware.js';
