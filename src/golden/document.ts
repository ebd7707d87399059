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
 * entry names an artifact of the document, and its measurement has its mode's length
 * (SHA-384 for snp, SHA-256 for sev and seves).
 */
export function validateGoldenDocument(raw: unknown, name = 'golden document'): GoldenDocument {
  const doc = validateDocument<GoldenDocument>(GOLDEN_DOCUMENT_SCHEMA, raw, name, WHAT);
  const artifacts = new Set(doc.artifacts.map((a) => a.name));
  doc.entries.forEach((e, i) => {
    const fail = (field: string, problem: string): never => {
      throw new PrelaunchError('ERR_MALFORMED', `${name}: $.entries[${i}].${field}: ${problem}`, { file: name, path: `$.entries[${i}].${field}` });
    };
    if (!artifacts.has(e.artifact)) fail('artifact', `${JSON.stringify(e.artifact)} is not one of the document's artifacts`);
    const digits = e.mode === 'snp' ? 96 : 64;
    if (e.measurement.length !== digits) fail('measurement', `${e.mode} measurements are ${digits} hex digits, got ${e.measurement.length}`);
  });
  return doc;
}
