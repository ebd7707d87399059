/** `prelaunch export --to FORMAT DOCUMENT`: a golden document in the shape a consumer takes. */
import { OptionError } from '../../errors.js';
import { parseGoldenDocument } from '../../golden/document.js';
import type { GoldenDocument } from '../../golden/engine.js';
import { readFileBytes, writeFileAtomic, writeStdout } from '../io.js';

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
  const doc = parseGoldenDocument(new TextDecoder().decode(readFileBytes(docFile, 'golden document')), docFile);
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
  if (f.output) writeFileAtomic(f.output, out);
  else writeStdout(out);
}
