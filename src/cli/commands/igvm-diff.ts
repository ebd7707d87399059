/** `prelaunch igvm diff A B [--json]`: headers, digests and the first measured page that differ (src/igvm-diff/diff.ts); exit 1 when they differ. */
import { parseIgvm } from '../../formats/igvm/parse.js';
import { loadHashBackend, type HashBackendName } from '../../hash/index.js';
import { diffIgvm } from '../../igvm-diff/diff.js';
import { renderIgvmDiff } from '../../report/igvm-diff.js';
import { VERSION } from '../../version.js';
import { LIMITS, openFileSource, writeStdout } from '../io.js';
import { refuseWrongKind } from '../../formats/file-kind.js';
import { setExitCode } from '../context.js';

export async function runIgvmDiff(a: string, b: string, f: { json?: boolean; allowUnknown?: boolean; hashBackend: HashBackendName }): Promise<void> {
  const backend = await loadHashBackend(f.hashBackend);
  const sa = openFileSource(a, 'igvm diff', LIMITS.igvmStream, 'an IGVM file given as a stream');
  try {
    refuseWrongKind(sa, ['igvm'], 'igvm diff', 'an IGVM file');
    const sb = openFileSource(b, 'igvm diff', LIMITS.igvmStream, 'an IGVM file given as a stream');
    try {
      refuseWrongKind(sb, ['igvm'], 'igvm diff', 'an IGVM file');
      const o = { allowUnknown: f.allowUnknown === true };
      const d = diffIgvm(parseIgvm(sa, o), parseIgvm(sb, o), { hashBackend: backend });
      writeStdout(renderIgvmDiff(d, { tool: `prelaunch ${VERSION}`, a, b }, f.json === true));
      // as diff(1) and `trace diff`: 1 when the files differ
      if (!d.identical) setExitCode(1);
    } finally {
      sb.close();
    }
  } finally {
    sa.close();
  }
}
