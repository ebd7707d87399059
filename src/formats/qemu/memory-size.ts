/**
 * QEMU's `-m` size syntax (a number with an optional K/M/G/T suffix; a bare number is MiB), as
 * `prelaunch tdx --memory`, `prelaunch tpm predict --memory` and a golden manifest's shapes take it.
 */
import { OptionError } from '../../errors.js';

const UNITS: Record<string, number> = { '': 1024 ** 2, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** A memory size in bytes: a whole number of 4 KiB pages. `where` names the flag or manifest key in errors. */
export function parseQemuMemorySize(text: string, where: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([BKMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) throw new OptionError(where, `${JSON.stringify(text)} is not a size (QEMU -m syntax: 2048, 2048M, 2G, 64G)`);
  const bytes = Number(m[1]) * UNITS[m[2]!.toUpperCase()]!;
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % 4096 !== 0) throw new OptionError(where, `${text} is not a positive whole number of 4 KiB pages`);
  return bytes;
}
