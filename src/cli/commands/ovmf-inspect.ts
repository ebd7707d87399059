/** `prelaunch ovmf inspect FILE [--json]`: what a packager needs to know about an OVMF image. */
import { toHex } from '../../bytes/hex.js';
import { loadHashBackend } from '../../hash/index.js';
import { openFileSource, writeStdout } from '../io.js';
import { inspectOvmf, renderOvmfInspection } from '../../report/ovmf-inspect.js';
import { inputSha256 } from '../../measure/api.js';
import { refuseWrongKind } from '../../formats/file-kind.js';

export async function runOvmfInspect(file: string, opts: { json?: boolean }): Promise<void> {
  const src = openFileSource(file, 'ovmf inspect');
  try {
    refuseWrongKind(src, ['ovmf'], 'ovmf inspect', 'an OVMF image');
    const backend = await loadHashBackend('node');
    const report = inspectOvmf(src, toHex(inputSha256(src, backend)));
    writeStdout(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderOvmfInspection(report));
  } finally {
    src.close();
  }
}
