/**
 * An SEV-SNP attestation report as JSON (go-sev-guest protojson, snpguest-style or written by
 * hand; read by `golden --check` and reportFromJson), declared once: published as
 * docs/schemas/snp-report-json.schema.json. Only the fields golden values are checked against
 * are described; others are allowed and ignored. A report may be wrapped as `{"report": {…}}`.
 * Each field has a snake_case and a camelCase name; byte fields are hex (with or without 0x),
 * base64 or a list of byte values; numbers are JSON integers or strings (decimal or 0x hex).
 */
import type { Schema } from './validate.js';

function bytes(n: number): Schema {
  const b64 = n % 3 === 0 ? `[A-Za-z0-9+/]{${(n / 3) * 4}}` : n % 3 === 1 ? `[A-Za-z0-9+/]{${Math.floor(n / 3) * 4 + 2}}==` : `[A-Za-z0-9+/]{${Math.floor(n / 3) * 4 + 3}}=`;
  return {
    title: `${n} bytes as ${2 * n} hex digits, base64 or a list of byte values`,
    oneOf: [
      { type: 'string', pattern: `^(0[xX])?[0-9a-fA-F]{${2 * n}}$|^${b64}$` },
      { type: 'array', minItems: n, maxItems: n, items: { type: 'integer', minimum: 0, maximum: 255 } },
      { type: 'null' },
    ],
  };
}

/** An unsigned integer of `bits` bits as a JSON number (exact only up to 2^53) or a string. */
function uint(bits: number): Schema {
  const max = bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1;
  return {
    title: `an integer within 0..${bits >= 53 ? `2^${bits}-1 (as a string above 2^53)` : max}`,
    oneOf: [
      { type: 'integer', minimum: 0, maximum: max },
      { type: 'string', pattern: `^(0x[0-9a-fA-F]{1,${Math.ceil(bits / 4)}}|[0-9]{1,${Math.ceil(bits * Math.log10(2))}})$` },
      { type: 'null' },
    ],
  };
}

/** field name → [snake_case, camelCase, …aliases], and its bytes or bits */
export const REPORT_JSON_FIELDS = {
  measurement: { names: ['measurement', 'launch_measurement'], bytes: 48 },
  hostData: { names: ['host_data', 'hostData'], bytes: 32 },
  idKeyDigest: { names: ['id_key_digest', 'idKeyDigest'], bytes: 48 },
  authorKeyDigest: { names: ['author_key_digest', 'authorKeyDigest'], bytes: 48 },
  familyId: { names: ['family_id', 'familyId'], bytes: 16 },
  imageId: { names: ['image_id', 'imageId'], bytes: 16 },
  guestSvn: { names: ['guest_svn', 'guestSvn'], bits: 32 },
  policy: { names: ['policy', 'guest_policy', 'guestPolicy'], bits: 64 },
  cpuidFamId: { names: ['cpuid_fam_id', 'cpuidFamId'], bits: 8 },
  cpuidModId: { names: ['cpuid_mod_id', 'cpuidModId'], bits: 8 },
  cpuidStep: { names: ['cpuid_step', 'cpuidStep'], bits: 4 },
} as const satisfies Record<string, { names: readonly string[]; bytes?: number; bits?: number }>;

const properties: Record<string, Schema> = { report: { $ref: '#', title: 'a report object' } };
for (const f of Object.values(REPORT_JSON_FIELDS)) {
  for (const n of f.names) properties[n] = 'bytes' in f ? bytes(f.bytes) : uint(f.bits);
}

export const SNP_REPORT_JSON_SCHEMA: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:prelaunch:snp-report-json:v1',
  title: 'an SEV-SNP attestation report as a JSON object',
  description: 'An SEV-SNP attestation report as JSON, as `prelaunch golden --check` reads it. Only the fields checked against golden values are described; other keys are ignored. The fields may be wrapped in {"report": {...}}.',
  type: 'object',
  properties,
};
