/**
 * CoRIM launch endorsements in IGVM files (IGVM_VHT_CORIM_DOCUMENT / IGVM_VHT_CORIM_SIGNATURE,
 * igvm HEAD e6c3ff1, feature "corim"):
 *
 * - {@link embedIgvmCorim}: what the crate's `IgvmSerializer::add_corim` +
 *   `serialize` do (igvm/src/serializer.rs): per platform, a launch-measurement CoRIM
 *   (../igvm-corim/profile.ts) for the file's digest (SEV-SNP, TDX, VBS), appended as an initialization header
 *   with the platform's mask, the file written with the crate's layout (its format version
 *   kept). The digests are prelaunch's own (`measureIgvm`: SEV-SNP as igvmmeasure computes it,
 *   TDX as the crate does); the crate's serializer uses its `measurement` module, whose SEV-SNP
 *   digest differs from igvmmeasure's for files with a SHARED page, a multi-page parameter
 *   insert or a 2 MB page without data (docs/igvm.md) — {@link crateSnpDigestDiffers} names
 *   those features and the result carries a warning, so the difference is never silent.
 *   With a local key it also signs it (below).
 * - the signature: a detached COSE_Sign1, ES384 (../igvm-corim/cose.ts).
 *   {@link prepareIgvmCorimSignature} gives the Sig_structure an external signer signs (ECDSA
 *   P-384 with SHA-384 over it), {@link assembleIgvmCorimSignature} embeds the signature it
 *   returns after checking it against the public key.
 */
import { PrelaunchError } from '../errors.js';
import { PageDataFlags, IgvmPlatformType, platformTypeName } from '../formats/igvm/defs.js';
import { readData, supportedPlatforms, type CorimDocument, type CorimSignature, type IgvmFile, type IgvmInitializationHeader, type SupportedPlatform } from '../formats/igvm/model.js';
import type { ParsedIgvm } from '../formats/igvm/parse.js';
import { serializeIgvm } from '../formats/igvm/serialize.js';
import { directiveList } from '../formats/igvm/directives.js';
import { copyBytes } from '../bytes/source.js';
import { defaultBackend, type HashBackend } from '../hash/index.js';
import { measureIgvm, type IgvmMeasurePlatform } from '../measure/igvm.js';
import { buildLaunchMeasurementCorim, corimLaunchDigest, describeCorim } from '../igvm-corim/profile.js';
import { toHex } from '../bytes/hex.js';
import { COSE_ALG_ES384, ES384_SIGNATURE_SIZE, corimProtectedHeader, coseSigStructure, decodeCoseSign1, encodeCoseSign1, type CoseSign1 } from '../igvm-corim/cose.js';
import { signP384, verifyP384, type EcPoint, type EcdsaSignature } from './ecdsa-p384.js';

/** the platforms of the crate's launch-measurement profile (igvm/src/corim/launch_measurement/mod.rs `known_platforms`) */
export type IgvmCorimPlatform = 'sev-snp' | 'tdx' | 'vbs';
const PLATFORM_TYPE: Record<IgvmCorimPlatform, IgvmPlatformType> = { 'sev-snp': IgvmPlatformType.SEV_SNP, tdx: IgvmPlatformType.TDX, vbs: IgvmPlatformType.VSM_ISOLATION };
export const IGVM_CORIM_PLATFORMS: readonly IgvmCorimPlatform[] = ['sev-snp', 'tdx', 'vbs'];

function rawSignature(sig: EcdsaSignature): Uint8Array {
  const out = new Uint8Array(ES384_SIGNATURE_SIZE);
  for (let i = 47, r = sig.r, s = sig.s; i >= 0; i--, r >>= 8n, s >>= 8n) {
    out[i] = Number(r & 0xffn);
    out[48 + i] = Number(s & 0xffn);
  }
  return out;
}

/** Whether `sig` (a detached COSE_Sign1) is a valid ES384 signature of `document` by `pub`. */
export function verifyCorimSignature(sig: CoseSign1, document: Uint8Array, pub: EcPoint): boolean {
  if (sig.alg !== COSE_ALG_ES384 || sig.signature.length !== ES384_SIGNATURE_SIZE) return false;
  const big = (b: Uint8Array): bigint => b.reduce((a, x) => (a << 8n) | BigInt(x), 0n);
  return verifyP384(pub, coseSigStructure(sig.protectedHeader, document), { r: big(sig.signature.subarray(0, 48)), s: big(sig.signature.subarray(48)) });
}

// ---- the file ------------------------------------------------------------------------------

function platformOf(file: IgvmFile, p: IgvmCorimPlatform): SupportedPlatform {
  const type = PLATFORM_TYPE[p];
  const plat = supportedPlatforms(file).find((x) => x.platformType === type);
  if (!plat) throw new PrelaunchError('ERR_INVALID_OPTION', `--platform ${p}: the file has no ${platformTypeName(type)} platform`, { option: '--platform' });
  return plat;
}

/**
 * The platforms `embed` endorses by default: every SEV_SNP, TDX and VSM_ISOLATION platform of
 * the file, as the crate's `IgvmSerializer::new` measures every one (and fails if one fails).
 */
export function defaultCorimPlatforms(file: IgvmFile): IgvmCorimPlatform[] {
  return IGVM_CORIM_PLATFORMS.filter((p) => supportedPlatforms(file).some((x) => x.platformType === PLATFORM_TYPE[p]));
}

const overlaps = (h: IgvmInitializationHeader, mask: number): boolean => (h.kind === 'corim-document' || h.kind === 'corim-signature') && (h.compatibilityMask & mask) !== 0;

export interface EmbedIgvmCorimOptions {
  /** default: every SEV-SNP, TDX and VSM_ISOLATION platform in the file */
  platforms?: readonly IgvmCorimPlatform[];
  /** the SVN the CES triple endorses (default 0) */
  svn?: bigint;
  /** replace documents (and their signatures) the file already has for these platforms (default: refuse) */
  replace?: boolean;
  /** sign each document with this P-384 key (48-byte scalar); none: unsigned */
  signKey?: Uint8Array;
  /** the signer's name in the signature's corim-meta */
  signer?: string;
  hashBackend?: HashBackend;
}

export interface EmbeddedCorim {
  platform: IgvmCorimPlatform;
  compatibilityMask: number;
  digest: Uint8Array;
  document: Uint8Array;
  signature: Uint8Array | null;
}

export interface EmbedIgvmCorimResult {
  bytes: Uint8Array;
  documents: EmbeddedCorim[];
  /** CoRIM headers dropped ('replace') */
  replaced: number;
  /** where the igvm crate's add_corim would have written something else (one line each) */
  warnings: string[];
}

const PAGE_SIZE_4K = 0x1000;

/**
 * The features of `file` for which the igvm crate's SEV-SNP measurer (igvm/src/measurement/snp.rs,
 * e6c3ff1) gives another digest than igvmmeasure's, which prelaunch endorses: a SHARED page (the
 * crate skips it), a parameter insert of an area over one page (the crate measures one
 * UNMEASURED page per 4 KiB, igvmmeasure one), a 2 MB page without data (the crate: one 4K page;
 * igvmmeasure: 512). Checked by running the crate on 70 files (docs/igvm.md); empty when the
 * two agree.
 */
export function crateSnpDigestDiffers(file: IgvmFile, mask: number): string[] {
  const found = new Set<string>();
  const areaBytes = new Map<number, number>();
  for (const d of directiveList(file.directives)) {
    if (d.kind === 'parameter-area') areaBytes.set(d.parameterAreaIndex, d.numberOfBytes);
    else if (d.kind === 'page-data' && (d.compatibilityMask & mask) !== 0) {
      if (d.flags & PageDataFlags.SHARED) found.add('a SHARED page');
      if (d.flags & PageDataFlags.IS_2MB_PAGE && d.data === null) found.add('a 2 MB page without data');
    } else if (d.kind === 'parameter-insert' && (d.compatibilityMask & mask) !== 0 && (areaBytes.get(d.parameterAreaIndex) ?? 0) > PAGE_SIZE_4K) {
      found.add('a parameter insert of more than one page');
    }
  }
  return [...found];
}

export function embedIgvmCorim(parsed: ParsedIgvm, o: EmbedIgvmCorimOptions = {}): EmbedIgvmCorimResult {
  const file = parsed.file;
  const platforms = o.platforms ?? defaultCorimPlatforms(file);
  if (platforms.length === 0) throw new PrelaunchError('ERR_FIRMWARE_UNSUPPORTED', 'the file has no SEV_SNP, TDX or VSM_ISOLATION platform: there is no launch digest to endorse', {});
  let inits = [...file.initializations];
  let replaced = 0;
  const documents: EmbeddedCorim[] = [];
  const added: IgvmInitializationHeader[] = [];
  const warnings: string[] = [];
  for (const p of platforms) {
    const plat = platformOf(file, p);
    const mask = plat.compatibilityMask;
    if (p === 'sev-snp') {
      // igvm/src/measurement/mod.rs (IgvmSerializer::new → measure): MeasurementFailed("no SNP
      // guest policy found in initialization headers"); the crate writes no file, and neither do we.
      if (!file.initializations.some((h) => h.kind === 'guest-policy' && (h.compatibilityMask & mask) !== 0)) {
        throw new PrelaunchError('ERR_FIRMWARE_UNSUPPORTED', `the file has no GUEST_POLICY for its SEV_SNP platform (mask 0x${mask.toString(16)}): the igvm crate refuses to endorse it (MissingGuestPolicy) and an SNP launch needs a policy; add one when building (igvm build --policy)`, { rule: 'MissingGuestPolicy' });
      }
      const differs = crateSnpDigestDiffers(file, mask);
      if (differs.length) warnings.push(`the SEV-SNP CoRIM endorses igvmmeasure's digest (what QEMU/KVM measure); the igvm crate's add_corim would endorse its own measurer's, which differs for this file (${differs.join(', ')})`);
    }
    if (inits.some((h) => overlaps(h, mask))) {
      if (!o.replace) throw new PrelaunchError('ERR_FIRMWARE_UNSUPPORTED', `the file already has a CoRIM for the ${platformTypeName(plat.platformType)} platform (mask 0x${mask.toString(16)}): use --replace to replace it`, { option: '--replace' });
      const before = inits.length;
      inits = inits.filter((h) => !overlaps(h, mask));
      replaced += before - inits.length;
    }
    const digest = measureIgvm(parsed, { platform: p as IgvmMeasurePlatform, hashBackend: o.hashBackend ?? defaultBackend }).digest;
    const document = buildLaunchMeasurementCorim(plat.platformType, digest, o.svn ?? 0n);
    let signature: Uint8Array | null = null;
    added.push({ kind: 'corim-document', compatibilityMask: mask, data: { kind: 'bytes', bytes: document } });
    if (o.signKey) {
      const prot = corimProtectedHeader(o.signer);
      signature = encodeCoseSign1(prot, rawSignature(signP384(o.signKey, coseSigStructure(prot, document))));
      added.push({ kind: 'corim-signature', compatibilityMask: mask, data: { kind: 'bytes', bytes: signature } });
    }
    documents.push({ platform: p, compatibilityMask: mask, digest, document, signature });
  }
  const bytes = serializeIgvm({ ...file, initializations: [...inits, ...added] });
  return { bytes, documents, replaced, warnings };
}

/** The document the file carries for platform `p`, and its signature if any. */
export function igvmCorimFor(file: IgvmFile, p: IgvmCorimPlatform): { platform: SupportedPlatform; document: CorimDocument | null; signature: CorimSignature | null } {
  const platform = platformOf(file, p);
  const m = platform.compatibilityMask;
  const document = file.initializations.find((h): h is CorimDocument => h.kind === 'corim-document' && (h.compatibilityMask & m) !== 0) ?? null;
  const signature = file.initializations.find((h): h is CorimSignature => h.kind === 'corim-signature' && (h.compatibilityMask & m) !== 0) ?? null;
  return { platform, document, signature };
}

function documentFor(file: IgvmFile, p: IgvmCorimPlatform): { doc: CorimDocument; signature: CorimSignature | null; bytes: Uint8Array } {
  const { document, signature } = igvmCorimFor(file, p);
  if (!document) throw new PrelaunchError('ERR_INVALID_OPTION', `--platform ${p}: the file has no CoRIM document for it (add one with \`igvm corim\` first)`, { option: '--platform' });
  return { doc: document, signature, bytes: copyBytes(readData(document.data)) };
}

export interface IgvmCorimSigningInput {
  platform: IgvmCorimPlatform;
  compatibilityMask: number;
  protectedHeader: Uint8Array;
  /** the bytes to sign: ECDSA P-384 with SHA-384 over them (openssl dgst -sha384 -sign) */
  toBeSigned: Uint8Array;
  document: Uint8Array;
}

/** What an external signer signs for the CoRIM document of platform `p`. */
export function prepareIgvmCorimSignature(parsed: ParsedIgvm, p: IgvmCorimPlatform, signer?: string): IgvmCorimSigningInput {
  const { doc, bytes } = documentFor(parsed.file, p);
  const protectedHeader = corimProtectedHeader(signer);
  return { platform: p, compatibilityMask: doc.compatibilityMask, protectedHeader, toBeSigned: coseSigStructure(protectedHeader, bytes), document: bytes };
}

export interface AssembleIgvmCorimOptions {
  signature: EcdsaSignature;
  publicKey: EcPoint;
  signer?: string;
  /** replace a signature the file already has for the document (default: refuse) */
  replace?: boolean;
}

/** The file with a COSE_Sign1 of platform `p`'s CoRIM document added after the document (the signature is verified first). */
export function assembleIgvmCorimSignature(parsed: ParsedIgvm, p: IgvmCorimPlatform, o: AssembleIgvmCorimOptions): { bytes: Uint8Array; signature: Uint8Array; compatibilityMask: number } {
  const file = parsed.file;
  const { doc, signature: existing, bytes } = documentFor(file, p);
  const protectedHeader = corimProtectedHeader(o.signer);
  const cose = encodeCoseSign1(protectedHeader, rawSignature(o.signature));
  if (!verifyCorimSignature(decodeCoseSign1(cose), bytes, o.publicKey)) {
    throw new PrelaunchError('ERR_SIGNATURE', `the signature does not verify with the public key over the Sig_structure of the ${p} CoRIM (sign the to-be-signed bytes \`igvm corim prepare\` wrote, with the same --signer)`, {});
  }
  if (existing && !o.replace) throw new PrelaunchError('ERR_FIRMWARE_UNSUPPORTED', `the ${p} CoRIM document is already signed: use --replace to replace its signature`, { option: '--replace' });
  const inits = file.initializations.filter((h) => h !== existing);
  const at = inits.indexOf(doc);
  const sig: CorimSignature = { kind: 'corim-signature', compatibilityMask: doc.compatibilityMask, data: { kind: 'bytes', bytes: cose } };
  inits.splice(at + 1, 0, sig);
  return { bytes: serializeIgvm({ ...file, initializations: inits }), signature: cose, compatibilityMask: doc.compatibilityMask };
}

/**
 * Whether the launch-measurement CoRIM the file carries for `compatibilityMask` (a platform's
 * mask) endorses `digest`: null when there is none or it does, else what is wrong (a stale
 * endorsement: the file changed after the CoRIM was made). `igvm measure` warns with it.
 */
export function igvmCorimProblem(file: IgvmFile, platform: IgvmMeasurePlatform, compatibilityMask: number, digest: Uint8Array): string | null {
  // the profile's models (igvm/src/corim/launch_measurement/mod.rs); SEV and SEV-ES have none
  const model = platform === 'sev-snp' ? 'SEV-SNP' : platform === 'tdx' ? 'TDX' : platform === 'vbs' ? 'VBS' : null;
  if (model === null) return null;
  const doc = file.initializations.find((h): h is CorimDocument => h.kind === 'corim-document' && (h.compatibilityMask & compatibilityMask) !== 0);
  if (!doc) return null;
  const lm = corimLaunchDigest(describeCorim(copyBytes(readData(doc.data))));
  if (!lm) return `the file's CoRIM for mask 0x${compatibilityMask.toString(16)} does not follow the launch-measurement profile: it endorses no digest`;
  if (lm.model !== model) return null; // a document shared by several platforms endorses one of them
  const want = toHex(digest);
  return lm.digest === want ? null : `the file's CoRIM for mask 0x${compatibilityMask.toString(16)} endorses ${lm.digest}, not this digest (${want})`;
}

export interface IgvmCorimCheck {
  platform: IgvmCorimPlatform;
  compatibilityMask: number;
  /** the file's digest for the platform (hex) */
  digest: string;
  /** the digest the document endorses (null: no document, or not the launch-measurement profile) */
  endorsed: string | null;
  signature: 'valid' | 'invalid' | 'absent';
  problems: string[];
}

/**
 * `igvm corim verify`: for each SEV-SNP/TDX/VBS platform (or `platforms`), the CoRIM document must
 * endorse the file's digest and its COSE_Sign1 must verify with `publicKey` (ES384 over the
 * Sig_structure with the document as payload).
 */
export function verifyIgvmCorim(parsed: ParsedIgvm, publicKey: EcPoint, o: { platforms?: readonly IgvmCorimPlatform[]; hashBackend?: HashBackend } = {}): IgvmCorimCheck[] {
  const platforms = o.platforms ?? defaultCorimPlatforms(parsed.file);
  return platforms.map((p) => {
    const { platform, document, signature } = igvmCorimFor(parsed.file, p);
    const digest = toHex(measureIgvm(parsed, { platform: p as IgvmMeasurePlatform, hashBackend: o.hashBackend ?? defaultBackend }).digest);
    const problems: string[] = [];
    let endorsed: string | null = null;
    let sig: IgvmCorimCheck['signature'] = 'absent';
    if (!document) problems.push('no CoRIM document');
    else {
      const doc = copyBytes(readData(document.data));
      endorsed = corimLaunchDigest(describeCorim(doc))?.digest ?? null;
      if (endorsed === null) problems.push('the CoRIM does not follow the launch-measurement profile');
      else if (endorsed !== digest) problems.push(`the CoRIM endorses ${endorsed}, not the file's digest`);
      if (!signature) problems.push('no CoRIM signature');
      else {
        sig = verifyCorimSignature(decodeCoseSign1(copyBytes(readData(signature.data))), doc, publicKey) ? 'valid' : 'invalid';
        if (sig === 'invalid') problems.push('the signature does not verify with the public key');
      }
    }
    return { platform: p, compatibilityMask: platform.compatibilityMask, digest, endorsed, signature: sig, problems };
  });
}
