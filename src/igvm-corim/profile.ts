/**
 * The IGVM launch-measurement CoRIM profile (microsoft/igvm HEAD e6c3ff1, feature "corim":
 * igvm/src/corim/launch_measurement/{mod.rs, profile.rs, builder.rs}): building a CoRIM for one
 * platform's launch digest, and reading any CoRIM or COSE_Sign1 back into a summary.
 *
 *   #6.501({ 0: "{vendor}/{model}/launch-measurement",          corim-map (CorimBuilder)
 *            1: [ #6.506(bstr .cbor comid) ],
 *            3: #6.32("tag:microsoft.com,2026:launch-measurement/v1") })
 *   comid { 1: { 0: tag-id },                                    tag-identity-map
 *           4: { 0: [ [env, [meas]] ],                           reference-triples
 *                8: [ [ [env, []], [ [ [meas], [{ 1: { 1: #6.552(svn) } }] ] ] ] ] } }   CES triples
 *   env   { 0: { 1: vendor, 2: model } }                         class-map, no class-id
 *   meas  { 0: mkey, 1: { 2: [[alg, digest]]} }                  digests (RFC 6920 alg ids)
 *   tag-id = lowercase UUIDv5(85f3f1c2-22a8-441e-a1b9-bccfb63ed5f7, "{vendor}/{model}")
 *
 * | platform | vendor | model | mkey | alg | digest |        (mod.rs `known_platforms`)
 * | SEV_SNP | AMD | SEV-SNP | MEASUREMENT | 7 (SHA-384) | 48 |
 * | TDX | Intel | TDX | MRTD | 7 (SHA-384) | 48 |
 * | VSM_ISOLATION | Microsoft | VBS | MEASUREMENT | 1 (SHA-256) | 32 |
 *
 * The crate encodes through the Azure `corim` crate (0.1.2; `CorimBuilder::build_bytes`,
 * "deterministic CBOR"). Its type definitions (corim/src/types/{corim,common,measurement,
 * triples}.rs, read in a later stored version) give the same shape field by field: integer keys
 * in ascending order, optional fields omitted (no tag-version, no authorized-by), profile
 * #6.32(tstr), CoMID #6.506(bstr), exact SVN #6.552(uint), digests [alg, bstr], the CES
 * condition [env, []]. These bytes are written with CBOR core deterministic encoding (shortest
 * forms); the crate's encoder was not run here, so byte identity is expected, not verified
 * (docs/igvm.md).
 */
import { Tag, decode, encode } from 'cbor2';
import { sha1 } from '@noble/hashes/legacy.js';
import { toHex } from '../bytes/hex.js';
import { IgvmPlatformType } from '../formats/igvm/defs.js';

export const LAUNCH_MEASUREMENT_PROFILE = 'tag:microsoft.com,2026:launch-measurement/v1';
/** mod.rs TAG_ID_NAMESPACE */
export const TAG_ID_NAMESPACE = new Uint8Array([0x85, 0xf3, 0xf1, 0xc2, 0x22, 0xa8, 0x44, 0x1e, 0xa1, 0xb9, 0xbc, 0xcf, 0xb6, 0x3e, 0xd5, 0xf7]);
const TAG_CORIM = 501;
const TAG_COMID = 506;
const TAG_URI = 32;
const TAG_SVN = 552;
const TAG_MIN_SVN = 553;

export interface CorimPlatformInfo {
  platformType: IgvmPlatformType;
  vendor: string;
  model: string;
  mkey: string;
  /** RFC 6920 named-information hash algorithm id */
  digestAlg: number;
  digestLength: number;
}

/** mod.rs `known_platforms` / `platform_info` */
export const CORIM_PLATFORMS: readonly CorimPlatformInfo[] = [
  { platformType: IgvmPlatformType.TDX, vendor: 'Intel', model: 'TDX', mkey: 'MRTD', digestAlg: 7, digestLength: 48 },
  { platformType: IgvmPlatformType.SEV_SNP, vendor: 'AMD', model: 'SEV-SNP', mkey: 'MEASUREMENT', digestAlg: 7, digestLength: 48 },
  { platformType: IgvmPlatformType.VSM_ISOLATION, vendor: 'Microsoft', model: 'VBS', mkey: 'MEASUREMENT', digestAlg: 1, digestLength: 32 },
];

export function corimPlatformInfo(platformType: number): CorimPlatformInfo | null {
  return CORIM_PLATFORMS.find((p) => p.platformType === platformType) ?? null;
}

/** RFC 9562 §5.5 UUIDv5 (SHA-1 of namespace ‖ name), lowercase hyphenated. */
export function uuidV5(namespace: Uint8Array, name: string): string {
  const input = new Uint8Array(namespace.length + name.length * 3);
  input.set(namespace);
  const n = new TextEncoder().encodeInto(name, input.subarray(namespace.length)).written;
  const b = sha1(input.subarray(0, namespace.length + n)).slice(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const x = toHex(b);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * builder.rs `build_corim_bytes`: one reference value (the launch digest) and one
 * conditional-endorsement-series triple endorsing `svn` (exact, #6.552) when it matches.
 */
export function buildLaunchMeasurementCorim(platformType: number, digest: Uint8Array, svn: bigint): Uint8Array {
  const info = corimPlatformInfo(platformType);
  if (!info) throw new RangeError(`no launch-measurement CoRIM profile for platform type ${platformType} (only SEV_SNP, TDX, VSM_ISOLATION)`);
  if (digest.length !== info.digestLength) throw new RangeError(`a ${info.model} launch digest is ${info.digestLength} bytes, not ${digest.length}`);
  if (svn < 0n || svn >= 1n << 64n) throw new RangeError('svn must be a u64');
  const env = new Map<number, unknown>([[0, new Map<number, unknown>([[1, info.vendor], [2, info.model]])]]);
  // a plain Uint8Array: cbor2 writes a Node Buffer as its toJSON() map, not as a byte string
  const d = new Uint8Array(digest);
  const meas = (): Map<number, unknown> => new Map<number, unknown>([[0, info.mkey], [1, new Map<number, unknown>([[2, [[info.digestAlg, d]]]])]]);
  const addition = new Map<number, unknown>([[1, new Map<number, unknown>([[1, new Tag(TAG_SVN, svn <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(svn) : svn)]])]]);
  const comid = new Map<number, unknown>([
    [1, new Map<number, unknown>([[0, uuidV5(TAG_ID_NAMESPACE, `${info.vendor}/${info.model}`)]])],
    [4, new Map<number, unknown>([
      [0, [[env, [meas()]]]],
      [8, [[[env, []], [[[meas()], [addition]]]]]],
    ])],
  ]);
  const corim = new Map<number, unknown>([
    [0, `${info.vendor}/${info.model}/launch-measurement`],
    [1, [new Tag(TAG_COMID, encode(comid, { cde: true }))]],
    [3, new Tag(TAG_URI, LAUNCH_MEASUREMENT_PROFILE)],
  ]);
  return encode(new Tag(TAG_CORIM, corim), { cde: true });
}

// ---- reading -----------------------------------------------------------------------------

export interface CorimMeasurementSummary {
  vendor: string | null;
  model: string | null;
  mkey: string | null;
  digests: Array<{ alg: number | string; value: string }>;
}
export interface CorimSummary {
  id: string | null;
  profile: string | null;
  /** the document follows the IGVM launch-measurement profile (profile URI, one CoMID, the triples) */
  launchMeasurementProfile: boolean;
  tags: Array<{ type: string; tagId: string | null; referenceValues: CorimMeasurementSummary[]; endorsedSvns: Array<{ vendor: string | null; model: string | null; svn: string; exact: boolean }> }>;
  /** what the document lacks for the profile, or could not be read */
  problems: string[];
}

const get = (m: unknown, k: number): unknown => (m instanceof Map ? m.get(k) : undefined);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : v instanceof URL ? v.href : v instanceof Tag && typeof v.contents === 'string' ? v.contents : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function envOf(e: unknown): { vendor: string | null; model: string | null } {
  const cls = get(e, 0);
  return { vendor: text(get(cls, 1)), model: text(get(cls, 2)) };
}
function measurementOf(env: { vendor: string | null; model: string | null }, m: unknown): CorimMeasurementSummary {
  const mk = get(m, 0);
  const digests = arr(get(get(m, 1), 2)).map((d) => {
    const [alg, value] = arr(d);
    return { alg: typeof alg === 'number' || typeof alg === 'string' ? alg : String(alg), value: value instanceof Uint8Array ? toHex(value) : String(value) };
  });
  return { ...env, mkey: text(mk) ?? (typeof mk === 'number' ? String(mk) : null), digests };
}

/** A CoRIM document (a tagged-unsigned-corim-map) read back; `problems` says what is missing. */
export function describeCorim(bytes: Uint8Array): CorimSummary {
  const out: CorimSummary = { id: null, profile: null, launchMeasurementProfile: false, tags: [], problems: [] };
  let top: unknown;
  try {
    top = decode(bytes);
  } catch (e) {
    out.problems.push(`cannot decode: ${(e as Error).message}`);
    return out;
  }
  const map = top instanceof Tag && Number(top.tag) === TAG_CORIM ? top.contents : null;
  if (!(map instanceof Map)) {
    out.problems.push('not a tagged-unsigned-corim-map');
    return out;
  }
  out.id = text(get(map, 0));
  out.profile = text(get(map, 3));
  for (const t of arr(get(map, 1))) {
    if (!(t instanceof Tag) || Number(t.tag) !== TAG_COMID || !(t.contents instanceof Uint8Array)) {
      out.tags.push({ type: t instanceof Tag ? `tag ${String(t.tag)}` : typeof t, tagId: null, referenceValues: [], endorsedSvns: [] });
      continue;
    }
    let comid: unknown;
    try {
      comid = decode(t.contents);
    } catch (e) {
      out.problems.push(`a CoMID does not decode: ${(e as Error).message}`);
      continue;
    }
    const triples = get(comid, 4);
    const referenceValues = arr(get(triples, 0)).flatMap((r) => {
      const [e, ms] = arr(r);
      const env = envOf(e);
      return arr(ms).map((m) => measurementOf(env, m));
    });
    const endorsedSvns = arr(get(triples, 8)).flatMap((r) => {
      const [cond, series] = arr(r);
      const env = envOf(arr(cond)[0]);
      return arr(series).flatMap((s) => arr(arr(s)[1]).map((a) => {
        const svn = get(get(a, 1), 1);
        const exact = svn instanceof Tag && Number(svn.tag) === TAG_SVN;
        const v = svn instanceof Tag ? svn.contents : svn;
        return { ...env, svn: String(v), exact: exact && Number(svn instanceof Tag ? svn.tag : 0) !== TAG_MIN_SVN };
      }));
    });
    out.tags.push({ type: 'comid', tagId: text(get(get(comid, 1), 0)), referenceValues, endorsedSvns });
  }
  // profile.rs "Constraints"
  const p: string[] = [];
  if (out.profile !== LAUNCH_MEASUREMENT_PROFILE) p.push(`profile is ${out.profile ?? 'absent'}, not ${LAUNCH_MEASUREMENT_PROFILE}`);
  if (out.tags.length !== 1 || out.tags[0]!.type !== 'comid') p.push('not exactly one CoMID tag');
  else {
    const c = out.tags[0]!;
    const info = CORIM_PLATFORMS.find((x) => x.vendor === c.referenceValues[0]?.vendor && x.model === c.referenceValues[0]?.model);
    if (c.referenceValues.length !== 1 || !info) p.push('not exactly one reference value for a registered vendor/model');
    else {
      const d = c.referenceValues[0]!.digests;
      if (d.length !== 1 || d[0]!.alg !== info.digestAlg || d[0]!.value.length !== info.digestLength * 2) p.push(`the digest is not one ${info.digestLength}-byte value of algorithm ${info.digestAlg}`);
      if (c.tagId?.toLowerCase() !== uuidV5(TAG_ID_NAMESPACE, `${info.vendor}/${info.model}`)) p.push('the tag-id is not the profile\'s UUIDv5');
    }
    if (c.endorsedSvns.length !== 1 || !c.endorsedSvns[0]!.exact) p.push('not exactly one conditional-endorsement-series triple with an exact SVN (#6.552)');
  }
  out.launchMeasurementProfile = p.length === 0;
  if (out.profile === LAUNCH_MEASUREMENT_PROFILE) out.problems.push(...p);
  return out;
}

/** The launch digest a launch-measurement CoRIM endorses, or null. */
export function corimLaunchDigest(s: CorimSummary): { model: string; digest: string; svn: string } | null {
  if (!s.launchMeasurementProfile) return null;
  const c = s.tags[0]!;
  return { model: c.referenceValues[0]!.model!, digest: c.referenceValues[0]!.digests[0]!.value, svn: c.endorsedSvns[0]!.svn };
}
