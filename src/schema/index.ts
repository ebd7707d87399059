/** Every document schema, by the name of its file in docs/schemas (`<name>.schema.json`). */
import { GOLDEN_DOCUMENT_SCHEMA } from './golden-document.js';
import { GOLDEN_MANIFEST_SCHEMA } from './golden-manifest.js';
import { MEASURE_OUTPUT_SCHEMA } from './measure-output.js';
import { SNP_REPORT_JSON_SCHEMA } from './snp-report-json.js';
import { TDX_PREDICTION_SCHEMA } from './tdx-prediction.js';
import type { Schema } from './validate.js';

export const SCHEMAS: Readonly<Record<string, Schema>> = {
  'golden-document': GOLDEN_DOCUMENT_SCHEMA,
  'golden-manifest': GOLDEN_MANIFEST_SCHEMA,
  'snp-report-json': SNP_REPORT_JSON_SCHEMA,
  'tdx-prediction': TDX_PREDICTION_SCHEMA,
  'measure-output': MEASURE_OUTPUT_SCHEMA,
};
