/**
 * Reading a golden-values document back (`golden --check`, `export`): parsed and checked
 * against its schema (src/schema/golden-document.ts) before any entry is used.
 */
import { GOLDEN_DOCUMENT_SCHEMA } from '../schema/golden-document.js';
import { parseJsonDocument, validateDocument } from '../schema/validate.js';
import type { GoldenDocument } from './engine.js';

const WHAT = 'a prelaunch golden document (prelaunch golden output)';

/** A golden document from its JSON text; ERR_MALFORMED naming `name` and the JSON path of the first problem. */
export function parseGoldenDocument(text: string, name: string): GoldenDocument {
  return validateGoldenDocument(parseJsonDocument(text, name, WHAT), name);
}

/** Check a parsed golden document against the schema. */
export function validateGoldenDocument(doc: unknown, name = 'golden document'): GoldenDocument {
  return validateDocument<GoldenDocument>(GOLDEN_DOCUMENT_SCHEMA, doc, name, WHAT);
}
