/**
 * Typed errors. Every failure a user can cause (a bad file, a bad option, firmware that
 * cannot be measured the way asked) is a {@link PrelaunchError} with a stable `code`;
 * the CLI prints its message on one `error:` line. Built-in TypeError/RangeError are left
 * for programmer misuse of the library API.
 */
export type ErrorCode =
  /** a structure extends past the end of its input */
  | 'ERR_TRUNCATED'
  /** a field of a structure holds a value the format forbids (magic, version, size) */
  | 'ERR_MALFORMED'
  /** the firmware parses but lacks what the requested measurement needs */
  | 'ERR_FIRMWARE_UNSUPPORTED'
  /** an option value or combination of options is invalid */
  | 'ERR_INVALID_OPTION'
  /** a file could not be read or written */
  | 'ERR_IO'
  /** a key is unreadable, encrypted without a passphrase, of the wrong kind or curve */
  | 'ERR_KEY'
  /** a signature is malformed or does not verify */
  | 'ERR_SIGNATURE'
  /** the host stack (QEMU, kernel, libvirt) or launch configuration cannot launch, or is not modelled */
  | 'ERR_UNSUPPORTED_STACK';

export class PrelaunchError extends Error {
  readonly code: ErrorCode;
  readonly data: Readonly<Record<string, unknown>>;
  constructor(code: ErrorCode, message: string, data: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.data = data;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.data };
  }
}

/** A structure in an input file is truncated or malformed. Names the structure and its byte offset. */
export class ParseError extends PrelaunchError {
  readonly structure: string;
  readonly offset: number;
  constructor(code: 'ERR_TRUNCATED' | 'ERR_MALFORMED', structure: string, offset: number, problem: string, source?: string) {
    const where = `${structure} at offset 0x${offset.toString(16)}`;
    super(code, `${source ? `${source}: ` : ''}${where}: ${problem}`, { structure, offset, source });
    this.structure = structure;
    this.offset = offset;
  }
}

/** The firmware is well formed but cannot be measured as requested (wrong flavour, missing metadata). */
export class FirmwareError extends PrelaunchError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('ERR_FIRMWARE_UNSUPPORTED', message, data);
  }
}

/** An option value, or a combination of options, is invalid. `option` names the flag as the CLI spells it. */
export class OptionError extends PrelaunchError {
  readonly option: string;
  constructor(option: string, problem: string) {
    super('ERR_INVALID_OPTION', `${option}: ${problem}`, { option });
    this.option = option;
  }
}
