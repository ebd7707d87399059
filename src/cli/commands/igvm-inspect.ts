/** `prelaunch igvm inspect FILE [--json] [--svg map.svg]`: what an IGVM file contains. */
import { parseIgvm } from '../../formats/igvm/parse.js';
import { inspectIgvm, renderIgvmInspection, renderIgvmSvg } from '../../report/igvm-inspect.js';
import { LIMITS, Outputs, openFileSource, writeStdout } from '../io.js';
import { refuseWrongKind } from '../../formats/file-kind.js';

export async function runIgvmInspect(file: string, opts: { json?: boolean; svg?: string; allowUnknown?: boolean }): Promise<void> {
  const out = new Outputs();
  if (opts.svg !== undefined) out.add(opts.svg, '--svg');
  const src = openFileSource(file, 'igvm inspect', LIMITS.igvmStream, 'an IGVM file given as a stream');
  try {
    refuseWrongKind(src, ['igvm'], 'igvm inspect', 'an IGVM file');
    const report = inspectIgvm(parseIgvm(src, { allowUnknown: opts.allowUnknown === true }));
    if (opts.svg !== undefined) out.write(opts.svg, renderIgvmSvg(report), '--svg');
    out.commit();
    writeStdout(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderIgvmInspection(report));
  } finally {
    src.close();
    out.abort();
  }
}
