/** `prelaunch igvm inspect FILE [--json] [--svg map.svg]`: what an IGVM file contains. */
import { parseIgvm } from '../../formats/igvm/parse.js';
import { inspectIgvm, renderIgvmInspection, renderIgvmSvg } from '../../report/igvm-inspect.js';
import { openFileSource, writeFileAtomic, writeStdout } from '../io.js';
import { refuseWrongKind } from '../../formats/file-kind.js';

export async function runIgvmInspect(file: string, opts: { json?: boolean; svg?: string; allowUnknown?: boolean }): Promise<void> {
  const src = openFileSource(file, 'igvm inspect');
  try {
    refuseWrongKind(src, ['igvm'], 'igvm inspect', 'an IGVM file');
    const report = inspectIgvm(parseIgvm(src, { allowUnknown: opts.allowUnknown === true }));
    if (opts.svg !== undefined) writeFileAtomic(opts.svg, renderIgvmSvg(report));
    writeStdout(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderIgvmInspection(report));
  } finally {
    src.close();
  }
}
