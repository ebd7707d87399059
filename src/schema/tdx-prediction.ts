/**
 * A TDX RTMR prediction (`prelaunch tdx --firmware … --memory … --json`; read by `tdx diff`),
 * declared once: published as docs/schemas/tdx-prediction.schema.json. Only what `tdx diff`
 * reads is described (the event list of each RTMR); other keys are allowed.
 */
import type { Schema } from './validate.js';

export const TDX_PREDICTION_SCHEMA: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:prelaunch:tdx-prediction:v1',
  title: 'a TDX prediction (the output of prelaunch tdx --firmware FILE --memory SIZE --json)',
  description: 'The JSON `prelaunch tdx --firmware FILE --memory SIZE --json` writes, as `prelaunch tdx diff` reads it.',
  type: 'object',
  required: ['rtmrs'],
  properties: {
    rtmrs: {
      type: 'array',
      maxItems: 4,
      title: 'the RTMR event lists (predict with --memory and --json)',
      items: {
        type: 'object',
        required: ['index', 'events'],
        properties: {
          index: { type: 'integer', minimum: 0, maximum: 3, title: 'an RTMR index 0..3' },
          value: { oneOf: [{ $ref: '#/$defs/sha384' }, { type: 'null' }] },
          events: {
            type: 'array',
            maxItems: 65536,
            items: {
              type: 'object',
              required: ['rtmr', 'type', 'digest', 'description'],
              properties: {
                rtmr: { type: 'integer', minimum: 0, maximum: 3, title: 'an RTMR index 0..3' },
                mrIndex: { type: 'integer', minimum: 1, maximum: 4 },
                type: { type: 'string' },
                digest: { oneOf: [{ $ref: '#/$defs/sha384' }, { type: 'null' }], description: 'null: defined by the VMM, not predicted' },
                basis: { type: 'string' },
                description: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
  $defs: {
    sha384: { type: 'string', pattern: '^[0-9a-fA-F]{96}$', title: 'a SHA-384 (96 hex digits)' },
  },
};
