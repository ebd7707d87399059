/**
 * The fields of an SEV-SNP attestation report that golden values are checked against
 * (AMD SEV-SNP ABI, ATTESTATION_REPORT; 0x4A0 bytes, little-endian):
 *
 *   0x000  4  VERSION            0x090 48  MEASUREMENT
 *   0x004  4  GUEST_SVN          0x0C0 32  HOST_DATA
 *   0x008  8  POLICY             0x0E0 48  ID_KEY_DIGEST
 *   0x010 16  FAMILY_ID          0x110 48  AUTHOR_KEY_DIGEST
 *   0x020 16  IMAGE_ID           0x188  1  CPUID family  (VERSION ≥ 3)
 *   0x048  4  KEY_INFO (bit 0 AUTHOR_KEY_EN)   0x189 1 model, 0x18A 1 stepping
 *
 * Reports also arrive as JSON (go-sev-guest protojson, snpguest-style or hand-written):
 * {@link reportFromJson} accepts snake_case or camelCase names with hex, 0x-hex or base64 values.
 */
import { fromBase64, fromHex, toHex } from '../../bytes/hex.js';
import { ParseError } from '../../errors.js';
import { cpuSig } from './vcpu-types.js';

export const ATTESTATION_REPORT_SIZE = 0x4a0;

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

export function reportFromBinary(b: Uint8Array, source?: string): ReportFields {
  if (b.length < ATTESTATION_REPORT_SIZE) {
    throw new ParseError('ERR_TRUNCATED', 'SNP attestation report', 0, `${b.length} bytes, a report is ${ATTESTATION_REPORT_SIZE}`, source);
  }
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const version = v.getUint32(0, true);
  const hex = (off: number, len: number): string => toHex(b.subarray(off, off + len));
  const zero = (s: string): string | null => (/^0*$/.test(s) ? null : s);
  return {
    measurement: hex(0x90, 48),
    hostData: hex(0xc0, 32),
    idKeyDigest: zero(hex(0xe0, 48)),
    authorKeyDigest: zero(hex(0x110, 48)),
    familyId: hex(0x10, 16),
    imageId: hex(0x20, 16),
    guestSvn: v.getUint32(4, true),
    policy: v.getBigUint64(8, true),
    vcpuSig: version >= 3 && b[0x188] ? cpuSig(b[0x188]!, b[0x189]!, b[0x18a]! & 0xf) : null,
  };
}

function bytesField(v: unknown, len: number, name: string, source?: string): string | null {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0 && x < 256)) {
    if (v.length !== len) throw new ParseError('ERR_MALFORMED', 'attestation report JSON', 0, `${name} has ${v.length} bytes, expected ${len}`, source);
    return toHex(Uint8Array.from(v as number[]));
  }
  if (typeof v !== 'string') throw new ParseError('ERR_MALFORMED', 'attestation report JSON', 0, `${name} must be hex or base64`, source);
  const t = v.replace(/^0x/i, '');
  const bytes = (t.length === len * 2 ? fromHex(t) : null) ?? fromBase64(v);
  if (!bytes || bytes.length !== len) throw new ParseError('ERR_MALFORMED', 'attestation report JSON', 0, `${name} is not ${len} bytes of hex or base64`, source);
  return toHex(bytes);
}

export function reportFromJson(j: Record<string, unknown>, source?: string): ReportFields {
  const pick = (...names: string[]): unknown => names.map((n) => j[n]).find((x) => x !== undefined);
  const num = (x: unknown, name: string): bigint | null => {
    if (x === undefined || x === null) return null;
    if (typeof x === 'number' && Number.isInteger(x) && x >= 0) return BigInt(x);
    if (typeof x === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(x)) return BigInt(x);
    throw new ParseError('ERR_MALFORMED', 'attestation report JSON', 0, `${name} must be a non-negative integer`, source);
  };
  const fam = num(pick('cpuid_fam_id', 'cpuidFamId'), 'cpuid_fam_id');
  const mod = num(pick('cpuid_mod_id', 'cpuidModId'), 'cpuid_mod_id');
  const step = num(pick('cpuid_step', 'cpuidStep'), 'cpuid_step');
  const svn = num(pick('guest_svn', 'guestSvn'), 'guest_svn');
  return {
    measurement: bytesField(pick('measurement', 'launch_measurement'), 48, 'measurement', source),
    hostData: bytesField(pick('host_data', 'hostData'), 32, 'host_data', source),
    idKeyDigest: bytesField(pick('id_key_digest', 'idKeyDigest'), 48, 'id_key_digest', source),
    authorKeyDigest: bytesField(pick('author_key_digest', 'authorKeyDigest'), 48, 'author_key_digest', source),
    familyId: bytesField(pick('family_id', 'familyId'), 16, 'family_id', source),
    imageId: bytesField(pick('image_id', 'imageId'), 16, 'image_id', source),
    guestSvn: svn === null ? null : Number(svn),
    policy: num(pick('policy', 'guest_policy', 'guestPolicy'), 'policy'),
    vcpuSig: fam !== null && mod !== null && step !== null ? cpuSig(Number(fam), Number(mod), Number(step)) : null,
  };
}
