/**
 * `prelaunch/tdx`: Intel TDX — MRTD, RTMR0-3 prediction, CCEL event-log replay and diff.
 * See docs/api.md, docs/tdx.md.
 */
export { parseOvmf, type OvmfImage } from '../formats/ovmf/parse.js';
export type { TdxMetadata, TdvfSection } from '../formats/ovmf/tdx-metadata.js';
export { validateTdvfSections, qemuTdvfProblems } from '../formats/ovmf/tdx-metadata.js';
export { planTdxMrtd, requireTdxMetadata, tdvfMrtdWarnings, checkTdvfGuestRam, pageOrderForQemuVersion, TDX_PAGE_ORDERS, type TdxPageOrder, type TdxMrtdPlan, type TdxMrtdOp, type TdxMrtdPlanOptions } from '../plan/tdx.js';
export { runTdxMrtdPlan, tdxPlanStreamBytes } from '../measure/tdx-engine.js';
export { computeMrtd, mrtdOfImage, type MrtdOptions, type MrtdByOrder } from '../measure/tdx-mrtd.js';
export { parseCcel, encodeCcel, eventSha384, type CcelLog, type CcelEvent, type CcelWriteEvent } from '../formats/tdx/ccel.js';
export { buildTdHob, tdRamEntries, q35MemorySplit, type TdHob, type TdRamEntry } from '../formats/tdx/td-hob.js';
export { EV, eventTypeName, describeEventData } from '../formats/tdx/tcg-events.js';
export { qemuPatchSetupHeader, type QemuKernelPatch } from '../formats/linux/qemu-setup-patch.js';
export { authenticodeRanges, type HashRange } from '../formats/pe/authenticode-ranges.js';
export { authenticodeDigest } from '../measure/authenticode.js';
export { cmdlineBytes, type KernelCmdline } from '../formats/linux/cmdline.js';
export {
  predictRtmrs, identifyTdvf, replayCcel, diffRtmrs, extendRtmr, rtmrsOf, directBootLoadOptions,
  type TdvfIdentity, type RtmrEvent, type RtmrValues, type EventBasis, type Replay, type ReplayedEvent, type AcpiBlobs, type DirectBootInputs, type RtmrPredictionOptions, type RtmrDiff, type RtmrDivergence,
} from '../measure/rtmr.js';
export { tdxReportJson, renderTdxReport, replayJson, renderReplay, renderRtmrDiff, type TdxReportInput, type TdxPolicyFields } from '../report/tdx-report.js';
export { TDX_MODELLED_GENERATIONS, EDK2_GENERATIONS, memoryFactsCache, type FirmwareFactsCache } from '../measured-boot/edk2-firmware.js';
export { EDK2_RULES, MEASURED_FW_CFG_ITEMS, mapPcrToMrIndex, type Edk2RuleName } from '../measured-boot/edk2-events.js';
