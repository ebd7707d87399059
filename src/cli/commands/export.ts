/** `prelaunch export --to FORMAT DOCUMENT`: a golden document in the shape a consumer takes. */
import { OptionError, PrelaunchError } from '../../errors.js';
import type { GoldenDocument } from '../../golden/engine.js';
import { LIMITS, Outputs, readInput, writeStdout } from '../io.js';

export const EXPORT_TARGETS = ['trustee', 'go-sev-guest', 'snpguest', 'in-toto', 'corim', 'qemu', 'libvirt'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

export interface ExportFlags {
  to: ExportTarget;
  output?: string;
  select?: string;
  name?: string;
  id?: string;
}

export async function runExport(docFile: string, f: ExportFlags): Promise<void> {
  const outputs = new Outputs();
  if (f.output) outputs.add(f.output, '--output');
  let doc: GoldenDocument;
  try {
    doc = JSON.parse(new TextDecoder().decode(readInput(docFile, 'export', LIMITS.goldenDocument, 'a golden document'))) as GoldenDocument;
  } catch (e) {
    if (e instanceof PrelaunchError) throw e;
    throw new PrelaunchError('ERR_MALFORMED', `${docFile}: not a JSON golden document`);
  }
  if (!doc || !Array.isArray(doc.entries) || !Array.isArray(doc.artifacts)) throw new PrelaunchError('ERR_MALFORMED', `${docFile}: not a prelaunch golden document (no entries/artifacts)`);
  const { selectEntries } = await import('../../export/select.js');
  const entries = selectEntries(doc.entries, f.select);
  const selected: GoldenDocument = { ...doc, entries };
  let out: string | Uint8Array;
  switch (f.to) {
    case 'trustee': {
      const { trusteeMessage } = await import('../../export/trustee.js');
      out = JSON.stringify(trusteeMessage(entries, f.name ? { measurementName: f.name } : {}), null, 2) + '\n';
      break;
    }
    case 'snpguest':
      out = (await import('../../export/snpguest.js')).snpguestFlags(entries);
      break;
    case 'go-sev-guest':
      out = (await import('../../export/go-sev-guest.js')).goSevGuestConfig(entries);
      break;
    case 'in-toto':
      out = JSON.stringify((await import('../../export/in-toto.js')).inTotoStatement(selected), null, 2) + '\n';
      break;
    case 'corim': {
      const c = await import('../../export/corim.js');
      out = c.snpCorim(selected, f.id ?? c.defaultCorimId(selected));
      if (!f.output && process.stdout.isTTY) throw new OptionError('--output', 'CoRIM is binary CBOR: write it to a file with -o');
      break;
    }
    case 'qemu':
    case 'libvirt':
      out = (await import('../../export/launch.js')).launchSnippets(entries, f.to);
      break;
    default:
      throw new OptionError('--to', `unknown export ${String(f.to)} (${EXPORT_TARGETS.join(', ')})`);
  }
  if (f.output) {
    try {
      outputs.write(f.output, out, '--output');
      outputs.commit();
    } finally {
      outputs.abort();
    }
  } else writeStdout(out);
}
