/**
 * `prelaunch` (the root entry): errors, byte helpers, hash backends and the most common calls.
 * Each capability has its own entry with everything else: `prelaunch/snp`, `prelaunch/sev`,
 * `prelaunch/ovmf`, `prelaunch/id-block`, `prelaunch/tdx`, `prelaunch/igvm`,
 * `prelaunch/golden`, `prelaunch/export`, `prelaunch/stack`, `prelaunch/tpm` (docs/api.md lists
 * them all).
 * Inputs are bytes (any Uint8Array, Node's Buffer included; never written to) or ByteSources,
 * options are one object, results are plain data; no file or process access, no static
 * `node:` import (the library bundles for browsers).
 */
export { PrelaunchError, ParseError, FirmwareError, OptionError, type ErrorCode } from './errors.js';
export { IgvmFormatError } from './formats/igvm/errors.js';
export { BuildError as IgvmBuildError } from './igvm-build/errors.js';
export { bytesSource, asSource, type ByteSource, type ByteInput } from './bytes/source.js';
export { toHex, fromHex, toBase64, fromBase64 } from './bytes/hex.js';
export { guidToBytes, guidFromBytes } from './bytes/guid.js';
export {
  defaultBackend, hashBackend, loadHashBackend, nodeBackend, nobleBackend, HASH_BACKENDS,
  type HashAlgorithm, type HashBackend, type HashBackendName, type Hasher,
} from './hash/index.js';
export { VERSION } from './version.js';

// the most common calls (each is also in its capability's entry)
export { measure, measureSnp, measureSev, measureSevEs, type MeasureOptions, type Measurement, type SevMode, type DirectBoot } from './measure/api.js';
export type { LaunchModel } from './plan/launchability.js';
export { VCPU_TYPE_NAMES, vcpuTypeSig, type VcpuType } from './formats/snp/vcpu-types.js';
export { parseOvmf, type OvmfImage } from './formats/ovmf/parse.js';
export { measureIgvm, type IgvmMeasureOptions, type IgvmMeasurement, type IgvmMeasurePlatform } from './measure/igvm.js';
export { computeMrtd, type MrtdOptions, type MrtdByOrder } from './measure/tdx-mrtd.js';
