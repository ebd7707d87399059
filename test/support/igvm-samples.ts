import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const COMMITTED = path.join(ROOT, 'firmware-samples/igvm');
/** ../shared/oracles/igvm (the corpus and its samples) */
export const IGVM_SHARED = path.resolve(ROOT, '../shared/oracles/igvm');
export const HAVE_IGVM_SHARED = fs.existsSync(path.join(IGVM_SHARED, 'corpus.jsonl')) && !process.env.PRELAUNCH_NO_SHARED;

/** samples/<dir>/<name> from firmware-samples/igvm, else from ../shared; null when neither has it */
export function igvmSamplePath(rel: string): string | null {
  const local = path.join(COMMITTED, rel.replace(/^samples\//, ''));
  if (fs.existsSync(local)) return local;
  const shared = path.join(IGVM_SHARED, rel);
  return HAVE_IGVM_SHARED && fs.existsSync(shared) ? shared : null;
}
