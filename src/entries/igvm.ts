/**
 * `prelaunch/igvm`: IGVM files — parse, validate, measure (SEV-SNP, SEV-ES, SEV, TDX, VBS), sign, CoRIM, diff,
 * build, inspect, serialize. See docs/api.md, docs/igvm.md, docs/igvm-build.md.
 */
export { parseIgvm, type ParsedIgvm, type IgvmParseOptions, type IgvmFileInfo } from '../formats/igvm/parse.js';
export { serializeIgvm, reserializeIgvm, type SerializeOptions as IgvmSerializeOptions } from '../formats/igvm/serialize.js';
export { validateIgvm, headerLayout as igvmHeaderLayout, type HeaderLocation as IgvmHeaderLocation, type IgvmLayout } from '../formats/igvm/validate.js';
export { IgvmFormatError, IGVM_RULES, type IgvmRule } from '../formats/igvm/errors.js';
export { directiveTable, directiveList, directiveLocations, directiveCount, directiveSegments, type DirectiveSegment, type PageRows, type RecordSegment } from '../formats/igvm/directives.js';
export type * from '../formats/igvm/model.js';
export { IgvmHeaderType, IgvmPlatformType, IgvmPageDataType, PageDataFlags as IgvmPageDataFlags } from '../formats/igvm/defs.js';
export { planIgvmMeasurement, type IgvmMeasurePlan, type IgvmPlanOptions, type IgvmSevPlatform } from '../plan/igvm-snp.js';
export { planIgvmTdx, type IgvmTdxPlan } from '../plan/igvm-tdx.js';
export { planIgvmVbs, type IgvmVbsPlan, type VbsPlan, type VbsOp } from '../plan/igvm-vbs.js';
export { measureIgvm, IGVM_MEASURE_PLATFORMS, type IgvmMeasureOptions, type IgvmMeasurement, type IgvmMeasurePlatform } from '../measure/igvm.js';
export { signIgvm, checkIgvmIdBlock, type SignIgvmOptions, type SignedIgvm, type IgvmIdBlockCheck } from '../sign/igvm.js';
export { buildIgvm, HYPERVISORS as IGVM_BUILD_HYPERVISORS, type IgvmBuildOptions, type IgvmBuildResult, type BuildLayout as IgvmBuildLayout, type Hypervisor as IgvmBuildHypervisor } from '../igvm-build/builder.js';
export { parseKernelElf, type ElfKernel } from '../igvm-build/elf.js';
export { BuildError as IgvmBuildError } from '../igvm-build/errors.js';
export { encodeIgvmSnpSignature, decodeIgvmSnpSignature, encodeIgvmSnpPublicKey, decodeIgvmSnpPublicKey } from '../formats/igvm/snp-id-block.js';
export { inspectIgvm, renderIgvmInspection, renderIgvmSvg, type IgvmInspection } from '../report/igvm-inspect.js';
export {
  embedIgvmCorim, prepareIgvmCorimSignature, assembleIgvmCorimSignature, verifyCorimSignature, verifyIgvmCorim, igvmCorimFor, IGVM_CORIM_PLATFORMS,
  type IgvmCorimCheck, type EmbedIgvmCorimOptions, type EmbedIgvmCorimResult, type EmbeddedCorim, type IgvmCorimPlatform, type IgvmCorimSigningInput, type AssembleIgvmCorimOptions,
} from '../sign/igvm-corim.js';
export { buildLaunchMeasurementCorim, describeCorim, corimLaunchDigest, LAUNCH_MEASUREMENT_PROFILE, type CorimSummary } from '../igvm-corim/profile.js';
export { corimProtectedHeader, coseSigStructure, encodeCoseSign1, decodeCoseSign1, type CoseSign1 } from '../igvm-corim/cose.js';
export { diffIgvm, type IgvmDiff, type DiffHeader as IgvmDiffHeader, type DiffChange as IgvmDiffChange, type DiffPlatform as IgvmDiffPlatform } from '../igvm-diff/diff.js';
export { renderIgvmDiff } from '../report/igvm-diff.js';
