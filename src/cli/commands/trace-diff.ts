/** `prelaunch trace diff A B`: the first operation where two `--trace` files diverge. Exit 0 when equal, 1 when not. */
import { TRACE_HEADER, diffTraces } from '../../report/trace.js';
import { LIMITS, readInput, writeStdout } from '../io.js';
import { PrelaunchError } from '../../errors.js';
import { setExitCode } from '../context.js';

export async function runTraceDiff(a: string, b: string): Promise<void> {
  const dec = new TextDecoder();
  const read = (file: string): string => {
    const bytes = readInput(file, 'trace diff', LIMITS.trace, 'a --trace file');
    // every trace starts with its header line: an empty file is no trace (and two are not "identical")
    if (bytes.length === 0) throw new PrelaunchError('ERR_MALFORMED', `trace diff: ${file} is empty, not a --trace file`, { file });
    const text = dec.decode(bytes);
    if (!text.startsWith(TRACE_HEADER)) throw new PrelaunchError('ERR_MALFORMED', `trace diff: ${file} is not a --trace file (it does not start with "${TRACE_HEADER}")`, { file });
    return text;
  };
  const d = diffTraces(read(a), read(b));
  if (d.index === null) {
    writeStdout('traces are identical\n');
    return;
  }
  writeStdout(`first divergence at operation ${d.index} (${d.fields.join(', ')} differ)\n`);
  writeStdout(`< ${d.a ?? '(end of trace)'}\n> ${d.b ?? '(end of trace)'}\n`);
  setExitCode(1);
}
