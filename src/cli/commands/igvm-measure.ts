/**
 * `prelaunch igvm measure FILE`: igvmmeasure's `measure -b` — the digest (upper-case hex, as
 * igvmmeasure prints it) on the first stdout line. When the file carries an SNP ID block
 * whose digest differs, the digest is still printed, then an error and exit 1 unless
 * --ignore-idblock. Beyond igvmmeasure, a matching ID block's signatures are verified too (with
 * the file's GUEST_POLICY, as SNP_LAUNCH_FINISH will): one that does not verify is the same
 * error.
 */
import { OptionError } from '../../errors.js';
import { parseIgvm } from '../../formats/igvm/parse.js';
import { loadHashBackend, type HashBackendName } from '../../hash/index.js';
import type { IgvmIdBlockCheck } from '../../sign/igvm.js';
import { IGVM_MEASURE_PLATFORMS, measureIgvm, type IgvmMeasurePlatform } from '../../measure/igvm.js';
import { igvmIdBlockProblem, renderIgvmMeasure } from '../../report/igvm-measure.js';
import { snpTraceLine, sevTraceLine, traceHeader } from '../../report/trace.js';
import { VERSION } from '../../version.js';
import { LIMITS, Outputs, openFileSource, writeStdout } from '../io.js';
import { refuseWrongKind } from '../../formats/file-kind.js';
import { setExitCode, writeStderr } from '../context.js';

export interface IgvmMeasureFlags {
  platform: string;
  checkKvm?: boolean;
  nativeZero?: boolean;
  ignoreIdblock?: boolean;
  allowUnknown?: boolean;
  json?: boolean;
  trace?: string;
  hashBackend: HashBackendName;
}

export async function runIgvmMeasure(file: string, f: IgvmMeasureFlags): Promise<void> {
  if (!(IGVM_MEASURE_PLATFORMS as readonly string[]).includes(f.platform)) {
    throw new OptionError('--platform', `unknown platform '${f.platform}' (use ${IGVM_MEASURE_PLATFORMS.join(', ')})`);
  }
  const platform = f.platform as IgvmMeasurePlatform;
  const sev = platform !== 'tdx' && platform !== 'vbs';
  if (!sev && f.checkKvm) throw new OptionError('--check-kvm', `applies to SEV platforms only (not ${platform})`);
  if (!sev && f.nativeZero) throw new OptionError('--native-zero', `applies to SEV platforms only (not ${platform})`);
  if (!sev && f.trace !== undefined) throw new OptionError('--trace', 'is available for sev-snp, sev-es and sev');
  const backend = await loadHashBackend(f.hashBackend);
  const out = new Outputs();
  if (f.trace !== undefined && f.trace !== '-') out.add(f.trace, '--trace');
  const src = openFileSource(file, 'igvm measure', LIMITS.igvmStream, 'an IGVM file given as a stream');
  let trace = null as ReturnType<Outputs['textSink']> | null;
  try {
    refuseWrongKind(src, ['igvm'], 'igvm measure', 'an IGVM file');
    if (f.trace !== undefined) trace = out.textSink(f.trace, '--trace');
    const sink = trace;
    const parsed = parseIgvm(src, { allowUnknown: f.allowUnknown === true });
    if (sink) sink.write(traceHeader({ igvm: file, platform, nativeZero: f.nativeZero ? 1 : 0 }));
    const m = measureIgvm(parsed, {
      platform,
      checkKvm: f.checkKvm === true,
      nativeZero: f.nativeZero === true,
      hashBackend: backend,
      ...(sink ? { onPage: (e) => sink.write(snpTraceLine(e)), onPiece: (e) => sink.write(sevTraceLine(e)) } : {}),
    });
    sink?.close();
    out.commit();
    // beyond igvmmeasure (which compares only the digest): the signatures SNP_LAUNCH_FINISH checks
    let sigCheck: IgvmIdBlockCheck | null = null;
    if (m.idBlock && m.idBlock.matches && platform === 'sev-snp') {
      // the ECDSA code (and its curve set-up) is loaded only for a file that carries an ID block
      sigCheck = (await import('../../sign/igvm.js')).checkIgvmIdBlock(parsed.file, m.idBlock.header, m.digest, m.compatibilityMask);
    }
    writeStdout(renderIgvmMeasure(m, sigCheck, { tool: `prelaunch ${VERSION}`, file, size: parsed.info.size, formatVersion: parsed.info.formatVersion }, f.json === true));
    // beyond igvmmeasure: a CoRIM the file carries for this platform must endorse this digest
    // (cbor2 and the profile are loaded only for a file that has one)
    if (parsed.file.initializations.some((h) => h.kind === 'corim-document')) {
      const corim = (await import('../../sign/igvm-corim.js')).igvmCorimProblem(parsed.file, platform, m.compatibilityMask, m.digest);
      if (corim) writeStderr(`warning: ${corim}\n`);
    }
    // the digest is printed either way; a launch that would fail is then an error (exit 1)
    const problem = f.ignoreIdblock ? null : igvmIdBlockProblem(m, sigCheck);
    if (problem) {
      writeStderr(problem);
      setExitCode(1);
    }
  } catch (e) {
    trace?.discard();
    throw e;
  } finally {
    src.close();
    out.abort();
  }
}
