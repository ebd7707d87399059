/** `prelaunch export --to FORMAT DOCUMENT`: a golden document in the shape a consumer takes. */
import { OptionError } from '../../errors.js';
import { parseGoldenDocument } from '../../golden/document.js';
import type { GoldenDocument } from '../../golden/engine.js';
import { LIMITS, Outputs, readInput, writeStdout } from '../io.js';
import { intOption } from '../numbers.js';
import { stdoutIsTTY } from '../context.js';

export const EXPORT_TARGETS = ['trustee', 'go-sev-guest', 'go-tdx-guest', 'snpguest', 'in-toto', 'corim', 'corim-tdx', 'keylime', 'qemu', 'libvirt'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

export interface ExportFlags {
  to: ExportTarget;
  output?: string;
  select?: string;
  name?: string;
  id?: string;
  cbitpos?: string;
  reducedPhysBits?: string;
}

/** Flags that only some targets use: given with another target they are refused, not dropped. */
const TARGET_FLAGS: ReadonlyArray<readonly [keyof ExportFlags, string, readonly ExportTarget[]]> = [
  ['name', '--name', ['trustee']],
  ['id', '--id', ['corim', 'corim-tdx']],
  ['cbitpos', '--cbitpos', ['qemu', 'libvirt']],
  ['reducedPhysBits', '--reduced-phys-bits', ['qemu', 'libvirt']],
];

export async function runExport(docFile: string, f: ExportFlags): Promise<void> {
  for (const [key, flag, targets] of TARGET_FLAGS) {
    if (f[key] !== undefined && !targets.includes(f.to)) throw new OptionError(flag, `only used by --to ${targets.join(' or ')} (not ${f.to})`);
  }
  const outputs = new Outputs();
  if (f.output) outputs.add(f.output, '--output');
  const doc = parseGoldenDocument(new TextDecoder().decode(readInput(docFile, 'export', LIMITS.goldenDocument, 'a golden document')), docFile);
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
    case 'go-tdx-guest':
      out = (await import('../../export/go-tdx-guest.js')).goTdxGuestConfig(entries);
      break;
    case 'keylime':
      out = JSON.stringify((await import('../../export/keylime.js')).keylimeRefstate(selected), null, 2) + '\n';
      break;
    case 'in-toto':
      out = JSON.stringify((await import('../../export/in-toto.js')).inTotoStatement(selected), null, 2) + '\n';
      break;
    case 'corim':
    case 'corim-tdx': {
      const c = await import('../../export/corim.js');
      out = (f.to === 'corim' ? c.snpCorim : c.tdxCorim)(selected, f.id ?? c.defaultCorimId(selected));
      if (!f.output && stdoutIsTTY()) throw new OptionError('--output', 'CoRIM is binary CBOR: write it to a file with -o');
      break;
    }
    case 'qemu':
    case 'libvirt':
      out = (await import('../../export/launch.js')).launchSnippets(entries, f.to, {
        ...(f.cbitpos !== undefined ? { cbitpos: Number(intOption('--cbitpos', f.cbitpos, { min: 0n, max: 63n })) } : {}),
        ...(f.reducedPhysBits !== undefined ? { reducedPhysBits: Number(intOption('--reduced-phys-bits', f.reducedPhysBits, { min: 0n, max: 63n })) } : {}),
      });
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
