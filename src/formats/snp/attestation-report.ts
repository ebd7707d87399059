/**
 * The SEV-SNP ATTESTATION_REPORT (AMD SEV Secure Nested Paging Firmware ABI Specification,
 * "ATTESTATION_REPORT Structure"; 0x4A0 bytes, little-endian), declared once for report
 * VERSION 2 (Milan firmware before ABI 1.55), 3 (ABI 1.55: CPUID family/model/stepping) and 5
 * (ABI 1.57+: launch and current mitigation vectors; Turin's reports, and Milan/Genoa on
 * current firmware). The fields a version does not define are reserved (zero) in it.
 *
 *   0x000  4  VERSION                   0x140 32  REPORT_ID
 *   0x004  4  GUEST_SVN                 0x160 32  REPORT_ID_MA
 *   0x008  8  POLICY                    0x180  8  REPORTED_TCB (TCB_VERSION, see below)
 *   0x010 16  FAMILY_ID                 0x188  1  CPUID_FAM_ID    (v3+)
 *   0x020 16  IMAGE_ID                  0x189  1  CPUID_MOD_ID    (v3+)
 *   0x030  4  VMPL                      0x18A  1  CPUID_STEP      (v3+)
 *   0x034  4  SIGNATURE_ALGO (1 = ECDSA P-384 with SHA-384)
 *   0x038  8  CURRENT_TCB               0x1A0 64  CHIP_ID (Turin: the first 8 bytes; zero when MASK_CHIP_ID)
 *   0x040  8  PLATFORM_INFO             0x1E0  8  COMMITTED_TCB
 *   0x048  4  KEY_INFO: bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY
 *             (0 VCEK, 1 VLEK, 7 none)   0x1E8  3  CURRENT_BUILD, _MINOR, _MAJOR (+1 reserved)
 *   0x050 64  REPORT_DATA               0x1EC  3  COMMITTED_BUILD, _MINOR, _MAJOR (+1 reserved)
 *   0x090 48  MEASUREMENT               0x1F0  8  LAUNCH_TCB
 *   0x0C0 32  HOST_DATA                 0x1F8  8  LAUNCH_MIT_VECTOR  (v5)
 *   0x0E0 48  ID_KEY_DIGEST             0x200  8  CURRENT_MIT_VECTOR (v5)
 *   0x110 48  AUTHOR_KEY_DIGEST         0x2A0 512 SIGNATURE: R (72, little-endian), S (72), reserved
 *
 * The signature covers bytes 0x000–0x29F.
 *
 * TCB_VERSION (u64) differs by product (ABI spec, "TCB_VERSION Structure"; the Turin layout
 * is the one go-sev-guest's kds.DecomposeTCBVersion and virtee/sev's TcbVersion::from_turin
 * read): Milan and Genoa — byte 0 BOOT_LOADER, 1 TEE, 6 SNP, 7 MICROCODE; Turin — byte 0 FMC,
 * 1 BOOT_LOADER, 2 TEE, 3 SNP, 7 MICROCODE.
 *
 * Reports also arrive as JSON (go-sev-guest protojson, snpguest-style or hand-written):
 * {@link reportFromJson} accepts snake_case or camelCase names with hex, 0x-hex or base64 values.
 */
import { decodeBytesText } from '../../bytes/bytes-text.js';
import { toHex } from '../../bytes/hex.js';
import { inputBytes, type ByteInput } from '../../bytes/source.js';
import { at, bytes, defineLayout, u32, u64n, u8, type LayoutValue } from '../../bytes/layout.js';
import { ParseError, PrelaunchError } from '../../errors.js';
import { REPORT_JSON_FIELDS, SNP_REPORT_JSON_SCHEMA } from '../../schema/snp-report-json.js';
import { validateDocument } from '../../schema/validate.js';
import { cpuSig } from './vcpu-types.js';

export const ATTESTATION_REPORT_SIZE = 0x4a0;
/** the signed bytes: 0x000–0x29F */
export const ATTESTATION_REPORT_SIGNED_SIZE = 0x2a0;
/** the report versions whose layout is declared here */
export const ATTESTATION_REPORT_VERSIONS: readonly number[] = [2, 3, 5];

/** Every field of ATTESTATION_REPORT (the table above). */
export const ATTESTATION_REPORT = defineLayout(
  'SNP attestation report',
  {
    version: at(0x000, u32), guestSvn: at(0x004, u32), policy: at(0x008, u64n), familyId: at(0x010, bytes(16)), imageId: at(0x020, bytes(16)),
    vmpl: at(0x030, u32), signatureAlgo: at(0x034, u32), currentTcb: at(0x038, u64n), platformInfo: at(0x040, u64n), keyInfo: at(0x048, u32),
    reportData: at(0x050, bytes(64)), measurement: at(0x090, bytes(48)), hostData: at(0x0c0, bytes(32)), idKeyDigest: at(0x0e0, bytes(48)), authorKeyDigest: at(0x110, bytes(48)),
    reportId: at(0x140, bytes(32)), reportIdMa: at(0x160, bytes(32)), reportedTcb: at(0x180, u64n),
    cpuidFamId: at(0x188, u8), cpuidModId: at(0x189, u8), cpuidStep: at(0x18a, u8),
    chipId: at(0x1a0, bytes(64)), committedTcb: at(0x1e0, u64n),
    currentBuild: at(0x1e8, u8), currentMinor: at(0x1e9, u8), currentMajor: at(0x1ea, u8),
    committedBuild: at(0x1ec, u8), committedMinor: at(0x1ed, u8), committedMajor: at(0x1ee, u8),
    launchTcb: at(0x1f0, u64n), launchMitVector: at(0x1f8, u64n), currentMitVector: at(0x200, u64n),
    signatureR: at(0x2a0, bytes(72)), signatureS: at(0x2e8, bytes(72)),
  },
  { size: ATTESTATION_REPORT_SIZE },
);
export type AttestationReportValue = LayoutValue<typeof ATTESTATION_REPORT>;

/** An SEV-SNP processor generation, as AMD's KDS names it. */
export type SnpProduct = 'Milan' | 'Genoa' | 'Turin';
export const SNP_PRODUCTS: readonly SnpProduct[] = ['Milan', 'Genoa', 'Turin'];

/** The components of a TCB_VERSION (`fmc` on Turin only). */
export interface TcbParts {
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
  fmc?: number;
}

/** TCB_VERSION's components in `product`'s layout (the module comment). */
export function decodeTcb(raw: bigint, product: SnpProduct): TcbParts {
  const b = (i: number): number => Number((raw >> BigInt(8 * i)) & 0xffn);
  if (product === 'Turin') return { fmc: b(0), bootloader: b(1), tee: b(2), snp: b(3), microcode: b(7) };
  return { bootloader: b(0), tee: b(1), snp: b(6), microcode: b(7) };
}

/** The product a report's CPUID family/model names (v3+), or null (v2, zero, or a model not listed). */
export function productOfCpuid(family: number, model: number): SnpProduct | null {
  // AMD family 19h: Milan models 00h–0Fh; Genoa (and Bergamo/Siena, same SP) 10h–1Fh and A0h–AFh; family 1Ah: Turin 00h–11h
  if (family === 0x19 && model <= 0x0f) return 'Milan';
  if (family === 0x19 && ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf))) return 'Genoa';
  if (family === 0x1a && model <= 0x11) return 'Turin';
  return null;
}

/** PLATFORM_INFO bits (ABI spec, "PLATFORM_INFO"). */
export const PLATFORM_INFO_BITS: readonly { bit: number; name: string }[] = [
  { bit: 0, name: 'SMT_EN' }, { bit: 1, name: 'TSME_EN' }, { bit: 2, name: 'ECC_EN' }, { bit: 3, name: 'RAPL_DIS' },
  { bit: 4, name: 'CIPHERTEXT_HIDING_EN' }, { bit: 5, name: 'ALIAS_CHECK_COMPLETE' },
];

/** The key that signed a report (KEY_INFO bits 4:2). */
export type SigningKeyKind = 'vcek' | 'vlek' | 'none' | 'reserved';

/** A report's fields, decoded: {@link parseAttestationReport}. */
export interface AttestationReport extends AttestationReportValue {
  /** bit 0 of KEY_INFO */
  readonly authorKeyEn: boolean;
  /** bit 1 of KEY_INFO */
  readonly maskChipKey: boolean;
  readonly signingKey: SigningKeyKind;
  /** the product its CPUID fields name (v3+), or null */
  readonly cpuidProduct: SnpProduct | null;
  /** the signature as ECDSA r‖s, 48 bytes each, big-endian (WebCrypto's form) */
  readonly signatureP1363: Uint8Array;
}

/** The report VERSION is not one prelaunch reads (ERR_MALFORMED, `version` in data). */
export class UnknownReportVersionError extends PrelaunchError {
  readonly version: number;
  constructor(version: number, source: string) {
    super('ERR_MALFORMED', `${source}: SNP attestation report version ${version} is not one prelaunch reads (it reads versions ${ATTESTATION_REPORT_VERSIONS.join(', ')})`, { file: source, version });
    this.version = version;
  }
}

/** A little-endian integer of `le` (72 bytes) as `size` bytes big-endian; null when it does not fit. */
function leToBe(le: Uint8Array, size: number): Uint8Array | null {
  for (let i = size; i < le.length; i++) if (le[i] !== 0) return null;
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = le[size - 1 - i]!;
  return out;
}

/**
 * An ATTESTATION_REPORT of version 2, 3 or 5: every field. Fewer than 0x4A0 bytes is a
 * ParseError (ERR_TRUNCATED); another version an {@link UnknownReportVersionError}. Bytes
 * after the report are not read here (an extended report's certificate table: see
 * src/formats/snp/cert-table.ts).
 */
export function parseAttestationReport(input: ByteInput, source = 'report'): AttestationReport {
  const b = inputBytes(input);
  if (b.length < ATTESTATION_REPORT_SIZE) {
    throw new ParseError('ERR_TRUNCATED', 'SNP attestation report', 0, `${b.length} bytes, a report is ${ATTESTATION_REPORT_SIZE}`, source);
  }
  const r = ATTESTATION_REPORT.decode(b, 0, { source });
  if (!ATTESTATION_REPORT_VERSIONS.includes(r.version)) throw new UnknownReportVersionError(r.version, source);
  const signing = (r.keyInfo >> 2) & 7;
  const rBe = leToBe(r.signatureR, 48);
  const sBe = leToBe(r.signatureS, 48);
  const sig = new Uint8Array(96);
  // a component wider than 48 bytes cannot be a P-384 signature: left zero, it fails verification
  if (rBe && sBe) {
    sig.set(rBe, 0);
    sig.set(sBe, 48);
  }
  return {
    ...r,
    authorKeyEn: (r.keyInfo & 1) === 1,
    maskChipKey: (r.keyInfo & 2) === 2,
    signingKey: signing === 0 ? 'vcek' : signing === 1 ? 'vlek' : signing === 7 ? 'none' : 'reserved',
    cpuidProduct: r.version >= 3 ? productOfCpuid(r.cpuidFamId, r.cpuidModId) : null,
    signatureP1363: sig,
  };
}

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
  return reportFieldsOf(ATTESTATION_REPORT.decode(b, 0, source !== undefined ? { source } : {}));
}

/** The fields golden values are checked against, from a decoded report. */
export function reportFieldsOf(r: AttestationReportValue): ReportFields {
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
  return decodeBytesText(v as string, { size: len });
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
