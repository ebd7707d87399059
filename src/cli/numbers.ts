/**
 * Number parsing with the reference tool's rules, so existing command lines keep working:
 * `--guest-features` and `--vcpu-sig` use Python's `int(text, 0)` (0x/0o/0b prefixes,
 * underscores, no leading zeros on decimals); `--vcpus` and family/model/stepping use
 * `int(text)` (decimal).
 */
import { OptionError } from '../errors.js';

const AUTO = /^([+-]?)(?:0[xX]((?:_?[0-9a-fA-F])+)|0[oO]((?:_?[0-7])+)|0[bB]((?:_?[01])+)|([1-9](?:_?[0-9])*|0(?:_?0)*))$/;
const DEC = /^([+-]?)([0-9](?:_?[0-9])*)$/;

/** Python `int(text, 0)`; null when not a number. */
export function parseAutoBaseInt(text: string): bigint | null {
  const m = AUTO.exec(text.trim());
  if (!m) return null;
  const [, sign, hex, oct, bin, dec] = m;
  const digits = (hex ?? oct ?? bin ?? dec ?? '').replace(/_/g, '');
  const prefix = hex !== undefined ? '0x' : oct !== undefined ? '0o' : bin !== undefined ? '0b' : '';
  const v = BigInt(prefix + digits);
  return sign === '-' ? -v : v;
}

/** Python `int(text)`; null when not a decimal number. */
export function parseDecimalInt(text: string): bigint | null {
  const m = DEC.exec(text.trim());
  if (!m) return null;
  const v = BigInt(m[2]!.replace(/_/g, ''));
  return m[1] === '-' ? -v : v;
}

export function intOption(flag: string, text: string, opts: { auto?: boolean; min: bigint; max: bigint }): bigint {
  const v = opts.auto ? parseAutoBaseInt(text) : parseDecimalInt(text);
  if (v === null) throw new OptionError(flag, `${JSON.stringify(text)} is not ${opts.auto ? 'an integer (decimal, 0x…, 0o… or 0b…)' : 'a decimal integer'}`);
  if (v < opts.min || v > opts.max) throw new OptionError(flag, `${text} is outside ${opts.min}..${opts.max === (1n << 64n) - 1n ? '2^64-1' : opts.max}`);
  return v;
}
