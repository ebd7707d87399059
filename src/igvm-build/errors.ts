/**
 * Errors of `igvm build`: a {@link BuildError} names the input (kernel, bldr, firmware…)
 * and the rule it breaks, in one line.
 */
import { PrelaunchError } from '../errors.js';

export class BuildError extends PrelaunchError {
  readonly input: string;
  constructor(input: string, problem: string, code: 'ERR_MALFORMED' | 'ERR_INVALID_OPTION' | 'ERR_FIRMWARE_UNSUPPORTED' = 'ERR_MALFORMED') {
    super(code, `${input}: ${problem}`, { input });
    this.input = input;
  }
}

/** The kernel does not fit the boot image (bootimg's BootImageError). */
export class BootImageError extends BuildError {
  constructor(problem: string) {
    super('kernel', problem);
  }
}
