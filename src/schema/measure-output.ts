/**
 * What `id-block --from-measure FILE` reads from a `prelaunch measure --json` document,
 * declared once: published as docs/schemas/measure-output.schema.json. Other keys are allowed.
 */
import type { Schema } from './validate.js';

export const MEASURE_OUTPUT_SCHEMA: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:prelaunch:measure-output:v1',
  title: 'a prelaunch measure --json document',
  description: 'The JSON `prelaunch measure --json` writes, as `prelaunch id-block --from-measure FILE` reads it.',
  type: 'object',
  required: ['measurement'],
  properties: {
    mode: { type: 'string' },
    measurement: { type: 'string', maxLength: 256, title: 'the launch digest (hex or base64)' },
  },
};
