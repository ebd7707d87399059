/**
 * The fields of an SEV-SNP attestation report that golden values are checked against
 * (AMD SEV-SNP ABI, ATTESTATION_REPORT; 0x4A0 bytes, little-endian):
 *
 *   0x000  4  VERSION            0x090 48  MEASUREMENT
 *   0x004  4  GUEST_SVN          0x0C0 32  HOST_DATA
 *   0x008  8  POLICY             0x0E0 48  ID_KEY_DIGEST
 *   0x010 16  FAMILY_ID          0x110 48  AUTHOR_KEY_DIGEST
 *   0x020 16  IMAGE_ID           0x188  1  CPUID family  (VERSION ≥ 3)
 *   0x034  4  SIGNATURE_ALGO (1 = ECDSA P-384 with SHA-384)
 *   0x048  4  KEY_INFO (bit 0 AUTHOR_KEY_EN)   0x189 1 model, 0x18A 1 stepping
 *
 * Reports also arrive as JSON (go-sev-guest protojson, snpguest-style or hand-written):
 * {@link reportFromJson} accepts snake_case or camelCase names with hex, 0x-hex or base64 values.
 */
import { fromBase64, fromHex, toHex } from '../../bytes/hex.js';
import { inputBytes, type ByteInput } from '../../bytes/source.js';
import { at, bytes, defineLayout, u32, u64n, u8 } from '../../bytes/layout.js';
import { ParseError, PrelaunchError } from '../../errors.js';
import { REPORT_JSON_FIELDS, SNP_REPORT_JSON_SCHEMA } from '../../schema/snp-report-json.js';
import { validateDocument } from '../../schema/validate.js';
import { cpuSig } from './vcpu-types.js';

export const ATTESTATION_REPORT_SIZE = 0x4a0;

/** The fields of ATTESTATION_REPORT read here (the table above); the rest is not declared. */
export const ATTESTATION_REPORT = defineLayout(
  'SNP attestation report',
  {
    version: at(0x000, u32), guestSvn: at(0x004, u32), policy: at(0x008, u64n), familyId: at(0x010, bytes(16)), imageId: at(0x020, bytes(16)),
    signatureAlgo: at(0x034, u32), measurement: at(0x090, bytes(48)), hostData: at(0x0c0, bytes(32)), idKeyDigest: at(0x0e0, bytes(48)), authorKeyDigest: at(0x110, bytes(48)),
    cpuidFamId: at(0x188, u8), cpuidModId: at(0x189, u8), cpuidStep: at(0x18a, u8),
  },
  { size: ATTESTATION_REPORT_SIZE },
);

export interface ReportFields {
  measurement: string | null;
  hostData: string | null;
  idKeyDigest: string | null;
  authorKeyDigest: string | null;
  familyId: string | null;
  imageId: string | null;
  guestSvn: number | null;
  policy: bigint | null;
  /** CPUID signature of the guest, when the report carries family/model/stepping */
  vcpuSig: number | null;
}

export function reportFromBinary(input: ByteInput, source?: string): ReportFields {
  const b = inputBytes(input);
  if (b.length < ATTESTATION_REPORT_SIZE) {
    throw new ParseError('ERR_TRUNCATED', 'SNP attestation report', 0, `${b.length} bytes, a report is ${ATTESTATION_REPORT_SIZE}`, source);
  }
  const r = ATTESTATION_REPORT.decode(b, 0, source !== undefined ? { source } : {});
  const zero = (s: string): string | null => (/^0*$/.test(s) ? null : s);
  return {
    measurement: toHex(r.measurement),
    hostData: toHex(r.hostData),
    idKeyDigest: zero(toHex(r.idKeyDigest)),
    authorKeyDigest: zero(toHex(r.authorKeyDigest)),
    familyId: toHex(r.familyId),
    imageId: toHex(r.imageId),
    guestSvn: r.guestSvn,
    policy: r.policy,
    vcpuSig: r.version >= 3 && r.cpuidFamId ? cpuSig(r.cpuidFamId, r.cpuidModId, r.cpuidStep & 0xf) : null,
  };
}

function bytesField(v: unknown, len: number): Uint8Array | null {
  if (Array.isArray(v)) return Uint8Array.from(v as number[]);
  const t = (v as string).replace(/^0x/i, '');
  return t.length === len * 2 ? fromHex(t) : fromBase64(v as string);
}

/**
 * The fields of a report given as JSON (parsed), checked against its schema first
 * (src/schema/snp-report-json.ts): a field of the wrong form or out of its range is
 * ERR_MALFORMED naming `source` and the JSON path. `{"report": {…}}` is unwrapped.
 */
export function reportFromJson(json: unknown, source = 'report'): ReportFields {
  validateDocument(SNP_REPORT_JSON_SCHEMA, json, source, 'an SEV-SNP attestation report');
  const inner = (json as Record<string, unknown>).report;
  const wrapped = typeof inner === 'object' && inner !== null && !Array.isArray(inner);
  const j = (wrapped ? inner : json) as Record<string, unknown>;
  const at = wrapped ? '$.report' : '$';
  const field = (f: keyof typeof REPORT_JSON_FIELDS): [string, unknown] => {
    const name = REPORT_JSON_FIELDS[f].names.find((n) => j[n] !== undefined && j[n] !== null);
    return name === undefined ? ['', null] : [name, j[name]];
  };
  const bytes = (f: 'measurement' | 'hostData' | 'idKeyDigest' | 'authorKeyDigest' | 'familyId' | 'imageId'): string | null => {
    const [name, x] = field(f);
    if (x === null) return null;
    const b = bytesField(x, REPORT_JSON_FIELDS[f].bytes);
    // the schema admits only the right lengths; base64 whose padding bits are not zero is not canonical
    if (!b) throw new PrelaunchError('ERR_MALFORMED', `${source}: ${at}.${name}: not canonical base64 (the bits after the last byte must be zero)`, { file: source, path: `${at}.${name}` });
    return toHex(b);
  };
  const num = (f: 'guestSvn' | 'policy' | 'cpuidFamId' | 'cpuidModId' | 'cpuidStep'): bigint | null => {
    const [name, x] = field(f);
    if (x === null) return null;
    const v = BigInt(x as string | number);
    const bits = REPORT_JSON_FIELDS[f].bits;
    if (v >= 1n << BigInt(bits)) {
      throw new PrelaunchError('ERR_MALFORMED', `${source}: ${at}.${name}: expected an integer within 0..2^${bits}-1, got ${JSON.stringify(x)}`, { file: source, path: `${at}.${name}` });
    }
    return v;
  };
  const fam = num('cpuidFamId');
  const mod = num('cpuidModId');
  const step = num('cpuidStep');
  const svn = num('guestSvn');
  return {
    measurement: bytes('measurement'),
    hostData: bytes('hostData'),
    idKeyDigest: bytes('idKeyDigest'),
    authorKeyDigest: bytes('authorKeyDigest'),
    familyId: bytes('familyId'),
    imageId: bytes('imageId'),
    guestSvn: svn === null ? null : Number(svn),
    policy: num('policy'),
    vcpuSig: fam !== null && mod !== null && step !== null ? cpuSig(Number(fam), Number(mod), Number(step)) : null,
  };
}
