/**
 * Every vector of test/vectors/snp-measure.json (sev-snp-measure's outputs and rejections
 * for the firmware the project ships) through the library API and through the built CLI.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirmwareError, OptionError, ParseError, PrelaunchError } from '../../src/errors.js';
import { measure, type Measurement } from '../../src/measure/api.js';
import { referenceLine } from '../../src/report/measure-report.js';
import { expectCleanError, runCliInProcess } from '../support/cli.js';
import { argsToOptions, cliTokens, loadVectors, makeWorkDir, removeWorkDir, selectCliVectors, sha256Hex, splitArgs, type LibraryCall, type SnpVector } from '../support/snp-vectors.js';

const file = loadVectors();
const all = file.vectors;
const successes = all.filter((v) => v.expected !== undefined && !v.may_reject);
const mayReject = all.filter((v) => v.may_reject);
const rejections = all.filter((v) => v.expected_error !== undefined);

let work = '';
beforeAll(async () => {
  work = makeWorkDir(file);
});
afterAll(async () => removeWorkDir(work));

/**
 * Vectors whose firmware QEMU cannot launch, although the reference tool prints a digest for
 * them (src/plan/launchability.ts; ../shared/spec/host-stacks.md H8). Worked out here from
 * QEMU's rules, not from the library: `-bios` needs a non-zero multiple of 64 KiB
 * (x86_bios_rom_init) and SNP cannot use pflash; pflash needs a multiple of 4 KiB
 * (pc_system_flash_map); SNP needs SEV metadata (sev_snp_launch_finish) — the firmware below
 * has none (firmware-samples/README.md). For these the library must refuse by default (the
 * `stack` model) and reproduce the reference with `model: 'sev-snp-measure'`, which the CLI's
 * `measure` uses without a host stack: the reference's value plus a `warning:` line.
 */
const NO_SEV_METADATA = new Set(['fw/deb/OVMF_CODE_4M.fd', 'fw/deb/OVMF_VARS_4M.fd', 'fw/synth/nometa.fd', 'fw/synth/nofooter.bin']);
function qemuRefuses(v: SnpVector): boolean {
  const a = splitArgs(v.args);
  const mode = a.get('--mode');
  const fw = a.get('--ovmf');
  if ((a.get('--vmm-type') ?? 'QEMU') !== 'QEMU' || typeof fw !== 'string' || mode === 'snp:svsm') return false;
  const size = fs.statSync(path.join(work, fw)).size;
  if (mode === 'snp' || mode === 'snp:ovmf-hash') return size === 0 || size % 65536 !== 0 || (mode === 'snp' && NO_SEV_METADATA.has(fw));
  return size === 0 || size % 4096 !== 0;
}

/** The reference ignores --guest-features for seves; bits no SEV-ES VMSA can carry make the drop-in warn (docs/cli.md). */
const SEVES_IGNORED_FEATURES = /^seves\..*\.gf0x(1|4)$/;
function dropInWarns(v: SnpVector): boolean {
  return qemuRefuses(v) || SEVES_IGNORED_FEATURES.test(v.id);
}

type Outcome = { stage: 'ok'; call: LibraryCall; m: Measurement } | { stage: 'map' | 'measure'; error: unknown };

function throughLibrary(v: SnpVector): Outcome {
  let call: LibraryCall;
  try {
    call = argsToOptions(v.args, work);
  } catch (error) {
    return { stage: 'map', error };
  }
  try {
    return { stage: 'ok', call, m: measure(call.options) };
  } catch (error) {
    return { stage: 'measure', error };
  }
}

describe('the vector file', () => {
  it('has provenance and covers the reference corpus subset we can run without ../shared', async () => {
    expect(file.provenance.reference_commit).toBe('8f2b337e38bc83f87cd30f3253cdfe8e3e12cc3a');
    expect(file.provenance.reference_version).toBe('v0.0.13+1');
    expect(all.length).toBeGreaterThanOrEqual(300);
    expect(rejections.length).toBeGreaterThanOrEqual(50);
    expect(new Set(all.map((v) => v.id)).size).toBe(all.length);
    for (const mode of ['sev', 'seves', 'snp', 'snp:ovmf-hash', 'snp:svsm']) expect(successes.some((v) => v.mode === mode), mode).toBe(true);
    // nothing from fw/anchor, nothing large
    for (const v of all) for (const rel of Object.keys(v.inputs)) expect(rel).toMatch(/^(fw\/deb\/|fw\/synth\/|inputs\/(?!initrd_256m))/);
  });
});

describe('library: measure() reproduces sev-snp-measure', () => {
  it.each(successes.map((v) => [v.id, v] as const))('%s', async (_id, v) => {
    let r = throughLibrary(v);
    if (dropInWarns(v)) {
      // the stack model (the library's default) refuses: no real launch has this value
      expect(r.stage, 'no real launch has this value: refused by default').toBe('measure');
      if (r.stage === 'ok') return;
      if (qemuRefuses(v)) {
        expect(r.error).toBeInstanceOf(FirmwareError);
        expect((r.error as FirmwareError).code).toBe('ERR_FIRMWARE_UNSUPPORTED');
        expect((r.error as FirmwareError).message).toMatch(/QEMU cannot launch this firmware/);
      } else {
        expect(r.error).toBeInstanceOf(OptionError);
        expect((r.error as OptionError).option).toBe('--guest-features');
      }
      // the sev-snp-measure model gives the reference's value, with the reason as a warning
      const call = argsToOptions(v.args, work);
      const m = measure({ ...call.options, model: 'sev-snp-measure' });
      expect(m.warnings.join('\n')).toMatch(qemuRefuses(v) ? /no QEMU launch produces this/ : /cannot be in an SEV-ES VMSA/);
      r = { stage: 'ok', call, m };
    }
    if (r.stage !== 'ok') throw r.error;
    expect(referenceLine(r.m, r.call.format, r.call.verbose)).toBe(v.expected);
    if (v.vmsa_sha256) {
      expect(r.m.vmsas.map(sha256Hex)).toEqual(v.vmsa_sha256);
    }
  });

  it('some vectors are firmware QEMU cannot launch (the check above is not vacuous)', async () => {
    const refused = successes.filter(qemuRefuses).map((v) => v.id);
    expect(refused).toContain('snp.qemu.deb-CODE4M.EPYC-v4.v1');
    expect(refused).toContain('seves.qemu.syn-unaligned.EPYC-v4.v1');
    expect(refused.length).toBeGreaterThan(20);
  });
});

describe('library: rejections', () => {
  // the reference's firmware-level failures ("runtime") must come out of measure() itself as
  // a ParseError or FirmwareError; its usage errors may be caught while mapping the flags.
  const lib = rejections.filter((v) => !v.args.some((a) => a.includes('does_not_exist')));
  it.each(lib.map((v) => [v.id, v] as const))('%s', async (_id, v) => {
    const r = throughLibrary(v);
    expect(r.stage, 'accepted input the reference rejects').not.toBe('ok');
    if (r.stage === 'ok') return;
    expect(r.error).toBeInstanceOf(PrelaunchError);
    if (v.error_kind === 'runtime') {
      expect(r.stage).toBe('measure');
      expect(r.error instanceof FirmwareError || r.error instanceof ParseError, String(r.error)).toBe(true);
    }
  });

  // range checks the library makes itself, whatever the caller's flag parsing did
  const LIBRARY_CHECKS: Array<[RegExp, string]> = [
    [/\.v0$/, '--vcpus'],
    [/\.vneg1$/, '--vcpus'],
    [/gfoverflow/, '--guest-features'],
    [/gfneg1/, '--guest-features'],
    [/vars-unaligned/, '--vars-size'],
  ];
  it.each(mayReject.map((v) => [v.id, v] as const))('may-reject %s is refused with an OptionError', async (_id, v) => {
    const r = throughLibrary(v);
    expect(r.stage).not.toBe('ok');
    if (r.stage === 'ok') return;
    expect(r.error).toBeInstanceOf(OptionError);
    const own = LIBRARY_CHECKS.find(([re]) => re.test(v.id));
    if (own) {
      expect(r.stage).toBe('measure');
      expect((r.error as OptionError).option).toBe(own[1]);
    }
  });

  it('has a check for every may-reject id the flag mapping does not refuse', async () => {
    // sig-2pow32 and family 300 are refused by flag parsing (CLI); everything else by the library
    expect(mayReject.map((v) => v.id).filter((id) => !LIBRARY_CHECKS.some(([re]) => re.test(id)))).toEqual([
      'snp.qemu.deb-OVMF.v2.sig-2pow32',
      'snp.qemu.deb-OVMF.v2.fms-300-1-1',
    ]);
  });

  it('a 2^32 vCPU signature given to the library directly reproduces the reference arithmetic (the CLI refuses it)', async () => {
    const v = all.find((x) => x.id === 'snp.qemu.deb-OVMF.v2.sig-2pow32')!;
    const call = argsToOptions(v.args.map((a) => (a === '0x100000000' ? '0' : a)), work);
    const m = measure({ ...call.options, vcpuSig: 2 ** 32 });
    expect(referenceLine(m, 'hex', false)).toBe(v.expected);
  });
});

describe.concurrent('CLI: prelaunch measure reproduces sev-snp-measure', () => {
  const chosen = selectCliVectors(all);
  let n = 0;
  /** Each run gets its own cwd (so --dump-vmsa outputs cannot collide) linking to the shared inputs. */
  const cwdFor = (): string => {
    const dir = path.join(work, 'runs', String(n++));
    fs.mkdirSync(dir, { recursive: true });
    fs.symlinkSync(path.join(work, 'fw'), path.join(dir, 'fw'));
    fs.symlinkSync(path.join(work, 'inputs'), path.join(dir, 'inputs'));
    return dir;
  };

  it('covers every may-reject and dump vector, every flag spelling and firmware, and each kind of rejection', async () => {
    const ids = new Set(chosen.map((v) => v.id));
    for (const v of all.filter((x) => x.may_reject || x.vmsa_sha256)) expect(ids.has(v.id), v.id).toBe(true);
    const tokens = (vs: SnpVector[]): string[] => [...new Set(vs.flatMap(cliTokens))].sort();
    expect(tokens(chosen.filter((v) => v.expected !== undefined && !v.may_reject))).toEqual(tokens(successes));
    expect(new Set(chosen.filter((v) => v.expected_error).map((v) => v.error_kind))).toEqual(new Set(['usage', 'runtime', 'exception']));
    expect(chosen.length).toBeGreaterThanOrEqual(70);
  });

  it.each(chosen.map((v) => [v.id, v] as const))('%s', async (_id, v) => {
    const cwd = cwdFor();
    const r = await runCliInProcess(['measure', ...v.args], { cwd: cwd });
    const leftovers = fs.readdirSync(cwd).filter((f) => f !== 'fw' && f !== 'inputs').sort();
    if (v.expected !== undefined && !v.may_reject && dropInWarns(v)) {
      // without a host stack: the reference's value, and one warning line saying why no real launch produces it
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${v.expected}\n`);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(l).toMatch(/^warning: /);
      expect(r.stderr).toMatch(qemuRefuses(v) ? /no QEMU launch produces this/ : /cannot be in an SEV-ES VMSA/);
      return;
    }
    if (v.expected_error !== undefined || v.may_reject) {
      const line = expectCleanError(r);
      if (v.error_kind === 'usage' || v.may_reject) expect(r.code).toBe(2);
      if (v.error_kind === 'runtime') expect(r.code).toBe(1);
      // the message names a flag or one of the files given
      const files = v.args.filter((a) => /^(fw|inputs)\//.test(a));
      expect(/--[a-z]/.test(line) || files.some((f) => line.includes(f)), line).toBe(true);
      expect(leftovers, 'no output file after a failure').toEqual([]);
      return;
    }
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${v.expected}\n`);
    if (v.vmsa_sha256) {
      expect(leftovers).toEqual(v.vmsa_sha256.map((_, i) => `vmsa${i}.bin`).sort());
      expect(v.vmsa_sha256.map((_, i) => sha256Hex(fs.readFileSync(path.join(cwd, `vmsa${i}.bin`))))).toEqual(v.vmsa_sha256);
    } else {
      expect(leftovers).toEqual([]);
    }
  });
});
