/** `prelaunch trace diff A B`: the first operation where two `--trace` files diverge. Exit 0 when equal, 1 when not. */
import { diffTraces } from '../../report/trace.js';
import { readFileBytes, writeStdout } from '../io.js';

export async function runTraceDiff(a: string, b: string): Promise<void> {
  const dec = new TextDecoder();
  const d = diffTraces(dec.decode(readFileBytes(a, 'trace')), dec.decode(readFileBytes(b, 'trace')));
  if (d.index === null) {
    writeStdout('traces are identical\n');
    return;
  }
  writeStdout(`first divergence at operation ${d.index} (${d.fields.join(', ')} differ)\n`);
  writeStdout(`< ${d.a ?? '(end of trace)'}\n> ${d.b ?? '(end of trace)'}\n`);
  process.exitCode = 1;
}
