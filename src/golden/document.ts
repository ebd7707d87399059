/**
 * Reading a golden-values document back (`golden --check`, `export`): parsed and checked
 * against its schema (src/schema/golden-document.ts) before any entry is used.
 */
import { PrelaunchError } from '../errors.js';
import { GOLDEN_DOCUMENT_SCHEMA } from '../schema/golden-document.js';
import { parseJsonDocument, validateDocument } from '../schema/validate.js';
import type { GoldenDocument } from './engine.js';

const WHAT = 'a prelaunch golden document (prelaunch golden output)';

/** A golden document from its JSON text; ERR_MALFORMED naming `name` and the JSON path of the first problem. */
export function parseGoldenDocument(text: string, name: string): GoldenDocument {
  return validateGoldenDocument(parseJsonDocument(text, name, WHAT), name);
}

/**
 * Check a parsed golden document against the schema, then what a schema cannot say: every
 * entry names an artifact of the document, its measurement has its mode's length
 * (SHA-384 for snp and tdx, SHA-256 for sev and seves; none for tpm), the TDX values sit on
 * tdx entries and the vTPM PCRs on tpm entries, each bank's values of its length.
 */
export function validateGoldenDocument(raw: unknown, name = 'golden document'): GoldenDocument {
  const doc = validateDocument<GoldenDocument>(GOLDEN_DOCUMENT_SCHEMA, raw, name, WHAT);
  const kinds = new Map(doc.artifacts.map((a) => [a.name, a.kind]));
  doc.entries.forEach((e, i) => {
    const fail = (field: string, problem: string): never => {
      throw new PrelaunchError('ERR_MALFORMED', `${name}: $.entries[${i}].${field}: ${problem}`, { file: name, path: `$.entries[${i}].${field}` });
    };
    const kind = kinds.get(e.artifact);
    if (kind === undefined) fail('artifact', `${JSON.stringify(e.artifact)} is not one of the document's artifacts`);
    if (e.tdx !== undefined && (e.mode !== 'tdx' || kind !== 'ovmf')) fail('tdx', 'TDX values belong to tdx entries of an ovmf artifact');
    if (e.mode === 'tdx' && kind === 'ovmf' && e.tdx === undefined) fail('tdx', 'a tdx entry of an ovmf artifact carries its TDX values');
    if (kind === 'igvm' && e.mode !== 'snp' && e.mode !== 'tdx') fail('mode', `an igvm artifact has snp and tdx entries only, not ${e.mode}`);
    if ((e.igvm !== undefined) !== (kind === 'igvm')) fail('igvm', kind === 'igvm' ? 'an entry of an igvm artifact names the platform measured' : 'only entries of igvm artifacts carry igvm');
    if (e.igvm && (e.mode === 'tdx') !== (e.igvm.platform === 'tdx')) fail('igvm.platform', `${e.igvm.platform} does not match mode ${e.mode}`);
    if ((e.tpm !== undefined) !== (e.mode === 'tpm')) fail('tpm', e.mode === 'tpm' ? 'a tpm entry carries its PCR values' : 'only tpm entries carry vTPM PCR values');
    if (e.mode === 'tpm' && kind !== 'ovmf') fail('mode', 'tpm entries come from ovmf artifacts');
    if ((e.measurement === null) !== (e.mode === 'tpm')) fail('measurement', e.mode === 'tpm' ? 'a tpm entry has no launch digest (null): its values are under tpm' : `${e.mode} entries carry a measurement`);
    if (e.tpm) {
      for (const bank of ['sha256', 'sha384'] as const) {
        const digits = bank === 'sha256' ? 64 : 96;
        for (const [k, v] of Object.entries(e.tpm.pcrs[bank])) if (!/^(0|[1-9][0-9]?)$/.test(k) || Number(k) > 23) fail(`tpm.pcrs.${bank}`, `${JSON.stringify(k)} is not a PCR index (0..23, decimal)`); else if (v !== null && v.length !== digits) fail(`tpm.pcrs.${bank}.${k}`, `${bank} values are ${digits} hex digits, got ${v.length}`);
        e.tpm.events.forEach((ev, j) => { if (ev.digests && ev.digests[bank].length !== digits) fail(`tpm.events[${j}].digests.${bank}`, `${bank} digests are ${digits} hex digits`); });
      }
    }
    if (e.measurement === null) return;
    const digits = e.mode === 'snp' || e.mode === 'tdx' ? 96 : 64;
    if (e.measurement.length !== digits) fail('measurement', `${e.mode} measurements are ${digits} hex digits, got ${e.measurement.length}`);
  });
  return doc;
}
