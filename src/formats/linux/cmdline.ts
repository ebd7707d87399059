/**
 * The kernel command line (QEMU `-append`) as the stack measures it: bytes, not text.
 *
 * QEMU keeps `-append` as the C string it got from argv (hw/i386/x86-common.c `x86_load_linux`:
 * FW_CFG_CMDLINE_SIZE = strlen + 1) and hashes exactly those bytes plus the NUL for the SEV
 * kernel-hashes table (target/i386/sev.c `build_kernel_loader_hashes`, cmdline_size bytes).
 * OVMF reads the same bytes from fw_cfg and builds the UTF-16 LoadOptions it measures for TDX
 * with `UnicodeSPrintAsciiFormat("%a%a")` (OvmfPkg X86QemuLoadImageLib `QemuLoadKernelImage`),
 * which widens every byte to one CHAR16 (MdePkg BasePrintLib: a `%a` character is 8 bits).
 *
 * A command line is given as a string (encoded as UTF-8, as a shell hands a UTF-8 string to
 * QEMU) or as the exact bytes. Neither may contain a NUL: QEMU would cut the command line there.
 */
import { OptionError } from '../../errors.js';
import { toHex } from '../../bytes/hex.js';
import { copyBytes, isBytes } from '../../bytes/source.js';

/** A kernel command line: text (encoded as UTF-8) or the exact bytes. */
export type KernelCmdline = string | Uint8Array;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The bytes QEMU measures for `c`, without the terminating NUL (a fresh array; the input is
 * never written). `option` names the flag or field for errors.
 */
export function cmdlineBytes(c: KernelCmdline | null | undefined, option = 'append'): Uint8Array {
  let bytes: Uint8Array;
  if (c === null || c === undefined) return new Uint8Array(0);
  if (typeof c === 'string') {
    const lone = LONE_SURROGATE.exec(c);
    if (lone) throw new OptionError(option, `holds a lone UTF-16 surrogate at index ${lone.index}, which has no UTF-8 encoding: pass the exact bytes instead`);
    bytes = new TextEncoder().encode(c);
  } else if (isBytes(c)) {
    bytes = copyBytes(c); // Buffer's slice() is a view
  } else {
    throw new OptionError(option, 'must be a string or a Uint8Array');
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new OptionError(option, `holds a NUL byte at offset ${nul}: QEMU passes the command line as a C string and would cut it there`);
  return bytes;
}

/** The bytes hashed into the SEV kernel-hashes table: the command line and its NUL (no command line: just the NUL). */
export function cmdlineWithNul(c: KernelCmdline | null | undefined, option?: string): Uint8Array {
  const b = cmdlineBytes(c, option);
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

/** The text of `bytes` if they are valid UTF-8, else null. */
export function cmdlineText(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** How reports show a command line: its text when it is UTF-8, and always its bytes in hex when it is not. */
export function describeCmdline(bytes: Uint8Array): { value: string | null; hex?: string } {
  const value = cmdlineText(bytes);
  return value === null ? { value: null, hex: toHex(bytes) } : { value };
}

/**
 * The UTF-16LE LoadOptions OVMF builds from the fw_cfg command line for a direct-boot kernel:
 * each byte widened to one CHAR16, ` initrd=initrd` appended when there is an initrd, and a
 * CHAR16 NUL. Null when both are absent (OVMF then sets no LoadOptions and measures nothing).
 */
export function ovmfLoadOptions(bytes: Uint8Array, hasInitrd: boolean): Uint8Array | null {
  const suffix = hasInitrd ? ' initrd=initrd' : '';
  const n = bytes.length + suffix.length;
  if (n === 0) return null;
  const out = new Uint8Array(2 * (n + 1));
  bytes.forEach((b, i) => { out[2 * i] = b; });
  for (let i = 0; i < suffix.length; i++) out[2 * (bytes.length + i)] = suffix.charCodeAt(i);
  return out;
}
