/**
 * `prelaunch igvm measure FILE`: igvmmeasure's `measure -b` — the digest (upper-case hex, as
 * igvmmeasure prints it) on the first stdout line. When the file carries an SNP ID block
 * whose digest differs, the digest is still printed, then an error and exit 1 unless
 * --ignore-idblock. Beyond igvmmeasure, a matching ID block's signatures are verified too (with
 * the file's GUEST_POLICY, as SNP_LAUNCH_FINISH will): one that does not verify is the same
 * error.
 */
import { toHex } from '../../bytes/hex.js';
import { OptionError } from '../../errors.js';
import { headerTypeName } from '../../formats/igvm/defs.js';
import { parseIgvm } from '../../formats/igvm/parse.js';
import { loadHashBackend, type HashBackendName } from '../../hash/index.js';
import type { SnpIdBlock } from '../../formats/igvm/model.js';
import type { IgvmIdBlockCheck } from '../../sign/igvm.js';
import { IGVM_MEASURE_PLATFORMS, measureIgvm, type IgvmMeasurePlatform } from '../../measure/igvm.js';
import { snpTraceLine, sevTraceLine, traceHeader } from '../../report/trace.js';
import { VERSION } from '../../version.js';
import { LIMITS, Outputs, openFileSource, writeStdout } from '../io.js';
import { refuseWrongKind } from '../../formats/file-kind.js';

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
  if (platform === 'tdx' && f.checkKvm) throw new OptionError('--check-kvm', 'applies to SEV platforms only (not tdx)');
  if (platform === 'tdx' && f.nativeZero) throw new OptionError('--native-zero', 'applies to SEV platforms only (not tdx)');
  if (platform === 'tdx' && f.trace !== undefined) throw new OptionError('--trace', 'is available for sev-snp, sev-es and sev');
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
    const mismatch = m.idBlock && !m.idBlock.matches && !f.ignoreIdblock;
    // beyond igvmmeasure (which compares only the digest): the signatures SNP_LAUNCH_FINISH checks
    let sigCheck: IgvmIdBlockCheck | null = null;
    if (m.idBlock && m.idBlock.matches && platform === 'sev-snp') {
      const h = parsed.file.directives.records.filter((d): d is SnpIdBlock => d.kind === 'snp-id-block' && (d.compatibilityMask & m.compatibilityMask) !== 0).pop();
      // the ECDSA code (and its curve set-up) is loaded only for a file that carries an ID block
      if (h) sigCheck = (await import('../../sign/igvm.js')).checkIgvmIdBlock(parsed.file, h, m.digest, m.compatibilityMask);
    }
    if (f.json) {
      const doc = {
        tool: `prelaunch ${VERSION}`,
        semantics: platform === 'tdx' ? 'igvm crate (microsoft/igvm measurement::tdx)' : 'igvmmeasure (coconut-svsm)',
        file,
        size: parsed.info.size,
        formatVersion: parsed.info.formatVersion,
        platform,
        compatibilityMask: `0x${m.compatibilityMask.toString(16)}`,
        digest: toHex(m.digest),
        operations: m.operations,
        vmsaCount: m.vmsaCount,
        idBlock: m.idBlock && {
          header: m.idBlock.location.index,
          offset: `0x${m.idBlock.location.offset.toString(16)}`,
          ld: toHex(m.idBlock.ld),
          matches: m.idBlock.matches,
          ...(sigCheck ? { signatureValid: sigCheck.ok, idBlockSignatureValid: sigCheck.idBlockSignatureValid, idKeySignatureValid: sigCheck.idKeySignatureValid, problems: sigCheck.problems } : {}),
        },
      };
      writeStdout(JSON.stringify(doc, null, 2) + '\n');
    } else {
      writeStdout(toHex(m.digest).toUpperCase() + '\n');
    }
    if (mismatch) {
      const loc = m.idBlock!.location;
      process.stderr.write(
        `error: the SNP ID block (${headerTypeName(loc.type)} header #${loc.index} at offset 0x${loc.offset.toString(16)}) expects launch digest ` +
          `${toHex(m.idBlock!.ld).toUpperCase()}, which is not the digest computed (use --ignore-idblock to ignore it)\n`,
      );
      process.exitCode = 1;
    } else if (sigCheck && !sigCheck.ok && !f.ignoreIdblock) {
      const loc = m.idBlock!.location;
      process.stderr.write(
        `error: the SNP ID block (${headerTypeName(loc.type)} header #${loc.index} at offset 0x${loc.offset.toString(16)}) matches the digest but the launch would fail: ` +
          `${sigCheck.problems.join('; ')} (use --ignore-idblock to ignore it)\n`,
      );
      process.exitCode = 1;
    }
  } catch (e) {
    trace?.discard();
    throw e;
  } finally {
    src.close();
    out.abort();
  }
}
