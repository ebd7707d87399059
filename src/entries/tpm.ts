/**
 * `prelaunch/tpm`: vTPM measured boot of OVMF under QEMU — TCG2 event logs, PCR prediction
 * from the edk2 event model, log replay and diff. See docs/api.md, docs/measured-boot.md.
 */
export { parseTcgLog, encodeTcgLog, TPM_ALG, type TcgLog, type TcgEvent, type TcgWriteEvent } from '../formats/tcg/event-log.js';
export { predictTpmPcrs, type TpmPredictOptions, type TpmPrediction } from '../measured-boot/predict.js';
export { replayTpmLog, type TpmReplay } from '../measured-boot/replay.js';
export { diffTpmEvents, type TpmDiff } from '../measured-boot/diff.js';
export {
  identifyEdk2Firmware, MODELLED_GENERATIONS, edk2FactsKey, memoryFactsCache, checkEdk2FirmwareFacts,
  type Edk2Firmware, type Edk2Generation, type Edk2FirmwareFacts, type FirmwareFactsCache,
} from '../measured-boot/edk2-firmware.js';
export type { MeasuredEvent } from '../measured-boot/edk2-events.js';
export type { PredictedBank } from '../measured-boot/pcr.js';
