/**
 * Keylime's measured-boot reference state (`mb_refstate`), from the tpm entries of a golden
 * document. The format is the one keylime/keylime's `create_mb_refstate`
 * (keylime/policy/create_mb_policy.py, create_mb_refstate) writes from a real log and the example
 * policy (keylime/mba/elchecking/example.py, Example.refstate_to_test) reads: `has_secureboot`,
 * `scrtm_and_bios`, `pk`/`kek`/`db`/`dbx` (signature lists), `mokdig`/`mokxdig`, `kernels`
 * [{`kernel_authcode_sha256`, `initrd_plain_sha256`, `kernel_cmdline` (a regular expression,
 * Python `re.escape` of the command line)}], digests as "0x" + lowercase hex of the SHA-256 bank.
 *
 * What prelaunch writes is what it knows exactly:
 * - `kernels`: per distinct boot, the kernel's Authenticode digest (PCR4), the initrd's digest
 *   (PCR9 "Linux initrd": the plain SHA-256 of the file) and the command line escaped.
 * - `has_secureboot` false with empty `pk`, `kek`, `db`, `dbx` (the varstore enrolls none),
 *   `mokdig`/`mokxdig` empty (no shim runs in a direct boot).
 * - `scrtm_and_bios` [{`scrtm`: {sha256}, `platform_firmware`: [{sha256}, …]}]: the
 *   EV_S_CRTM_VERSION digest and every EV_EFI_PLATFORM_FIRMWARE_BLOB digest (PEIFV, DXEFV), one
 *   item per distinct firmware — written only when every selected entry has all of them
 *   predicted (edk2 ≥ 2026.08 without SMM, rule peifv-as-built); otherwise left out, since a
 *   list missing one firmware would make Keylime reject its boots.
 *
 * Refused: entries with secure boot on or keys enrolled (the modelled direct boot then runs no
 * kernel EFI stub, so there is no kernel event for `kernel_authcode_sha256`, and the signature
 * lists are not carried in the document), and entries without a kernel or initrd event.
 *
 * The example policy itself expects shim → GRUB → kernel (`shim_authcode_sha256`,
 * `grub_authcode_sha256`, GRUB's EV_IPL events in PCR8/9) and would reject a direct boot, whose
 * initrd and command line are the Linux EFI stub's EV_EVENT_TAGs in PCR9: this refstate is for a
 * policy written for direct boot (docs/golden.md says what such a policy checks).
 */
import { OptionError } from '../errors.js';
import type { GoldenDocument, GoldenEntry } from '../golden/engine.js';
import { unique } from './select.js';

/** Python's re.escape (3.7+): a backslash before each of ()[]{}?*+-|^$\.&~# and whitespace \t\n\r\v\f. */
export function pythonReEscape(text: string): string {
  return text.replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, (c) => `\\${c}`);
}

export interface KeylimeKernel {
  kernel_authcode_sha256: string;
  initrd_plain_sha256: string;
  kernel_cmdline: string;
}

export interface KeylimeScrtmAndBios {
  scrtm: { sha256: string };
  platform_firmware: Array<{ sha256: string }>;
}

export interface KeylimeRefstate {
  has_secureboot: false;
  scrtm_and_bios?: KeylimeScrtmAndBios[];
  pk: [];
  kek: [];
  db: [];
  dbx: [];
  mokdig: [];
  mokxdig: [];
  kernels: KeylimeKernel[];
}

export function keylimeRefstate(doc: GoldenDocument): KeylimeRefstate {
  const tpm = doc.entries.filter((e): e is GoldenEntry & { tpm: NonNullable<GoldenEntry['tpm']> } => e.mode === 'tpm' && !!e.tpm);
  if (tpm.length === 0) throw new OptionError('--select', 'the selection has no tpm entries (Keylime\'s measured-boot reference state describes a vTPM boot)');
  const cmdlines = new Map(doc.artifacts.map((a) => [a.name, a.cmdline]));
  const kernels = tpm.map((e) => {
    const where = `${e.artifact} (shape ${e.tpm.shape})`;
    if (e.tpm.secureBoot.enabled || e.tpm.secureBoot.enrolled.length) {
      throw new OptionError('--select', `${where}: secure boot ${e.tpm.secureBoot.enabled ? 'is on' : `keys are enrolled (${e.tpm.secureBoot.enrolled.join(', ')})`}: the reference state's signature lists are not in the document, and with secure boot on the modelled direct boot logs no kernel event`);
    }
    const { kernel, initrd } = e.tpm.boot;
    if (!kernel) throw new OptionError('--select', `${where}: no kernel event (EV_EFI_BOOT_SERVICES_APPLICATION): kernel_authcode_sha256 has no value`);
    if (!initrd) throw new OptionError('--select', `${where}: no initrd event: initrd_plain_sha256 has no value (Keylime's kernels entries require one)`);
    const c = cmdlines.get(e.artifact);
    if (c && c.value === null) throw new OptionError('--select', `${where}: the command line is not UTF-8 text; kernel_cmdline is a regular expression over text`);
    return JSON.stringify({ kernel_authcode_sha256: `0x${kernel.sha256}`, initrd_plain_sha256: `0x${initrd.sha256}`, kernel_cmdline: pythonReEscape(c?.value ?? '') });
  });
  const firmware = tpm.map((e) => {
    const scrtm = e.tpm.events.filter((x) => x.type === 'EV_S_CRTM_VERSION');
    const blobs = e.tpm.events.filter((x) => x.type === 'EV_EFI_PLATFORM_FIRMWARE_BLOB' || x.type === 'EV_EFI_PLATFORM_FIRMWARE_BLOB2');
    if (scrtm.length !== 1 || !scrtm[0]!.digests || blobs.length === 0 || blobs.some((b) => !b.digests)) return null;
    return JSON.stringify({ scrtm: { sha256: `0x${scrtm[0]!.digests.sha256}` }, platform_firmware: blobs.map((b) => ({ sha256: `0x${b.digests!.sha256}` })) });
  });
  const scrtmAndBios = firmware.every((f): f is string => f !== null) ? unique(firmware).map((f) => JSON.parse(f) as KeylimeScrtmAndBios) : null;
  return {
    has_secureboot: false,
    ...(scrtmAndBios ? { scrtm_and_bios: scrtmAndBios } : {}),
    pk: [], kek: [], db: [], dbx: [], mokdig: [], mokxdig: [],
    kernels: unique(kernels).map((k) => JSON.parse(k) as KeylimeKernel),
  };
}
