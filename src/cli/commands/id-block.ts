/**
 * `prelaunch id-block` (sign with local keys), `id-block prepare` / `id-block assemble`
 * (sign elsewhere: HSM, cloud KMS, openssl) and `id-block verify`.
 * Flags → library calls in src/sign/id-block.ts → stdout / files (written atomically, only
 * after every input has been read and every check has passed).
 */
import { Command } from 'commander';
import { addMeasureOptions, splitArgs } from '../measure-options.js';
import { measureFromFlags, type MeasureFlags } from './measure.js';
import { nodeBackend } from '../../hash/index.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromBase64, fromHex, toBase64, toHex } from '../../bytes/hex.js';
import { OptionError, PrelaunchError } from '../../errors.js';
import { MEASURE_OUTPUT_SCHEMA } from '../../schema/measure-output.js';
import { parseJsonDocument, validateDocument } from '../../schema/validate.js';
import { ID_AUTH_SIZE, ID_BLOCK_SIZE, decodeIdBlock } from '../../formats/snp/id-block.js';
import { DEFAULT_SNP_POLICY, formatPolicy, policyFromSpec } from '../../formats/snp/policy.js';
import { launchSnippet, type SnpLaunchConfig } from '../../report/launch-config.js';
import { parseDetachedSignature, type EcPoint } from '../../sign/ecdsa-p384.js';
import {
  assembleIdAuth, buildIdBlock, idAuthSigningInputs, signIdAuth, verifyIdAuth, type IdAuthResult,
} from '../../sign/id-block.js';
import { LIMITS, Outputs, checkOutputTarget, readInput, writeStdout } from '../io.js';
import { loadPrivateKey, loadPublicKey, type Passphrase } from '../keys.js';
import { intOption } from '../numbers.js';
import { resolvePath } from '../context.js';

// ---------------------------------------------------------------------------------------
// flags

export interface IdBlockFieldFlags {
  measurement?: string;
  fromMeasure?: string;
  familyId?: string;
  imageId?: string;
  guestSvn?: string;
  policy?: string;
}

export interface OutputFlags {
  json?: boolean;
  emit?: 'qemu' | 'libvirt';
  hostData?: string;
  cbitpos?: string;
  reducedPhysBits?: string;
  kernelHashes?: 'on' | 'off';
  idBlockOut?: string;
  idAuthOut?: string;
}

export interface PassphraseFlags {
  passphraseFile?: string;
  passphraseEnv?: string;
}

export interface IdBlockFlags extends IdBlockFieldFlags, OutputFlags, PassphraseFlags {
  idKey?: string;
  idkey?: string;
  authorKey?: string;
  authorkey?: string;
}

export interface PrepareFlags extends IdBlockFieldFlags, PassphraseFlags {
  idKey?: string;
  idkey?: string;
  idPubkey?: string;
  outDir: string;
  json?: boolean;
}

export interface AssembleFlags extends OutputFlags, PassphraseFlags {
  idBlock: string;
  idPubkey: string;
  idBlockSig: string;
  authorPubkey?: string;
  idKeySig?: string;
}

export interface VerifyFlags {
  idBlock: string;
  idAuth: string;
  measurement?: string;
  fromMeasure?: string;
  idKeyDigest?: string;
  authorKeyDigest?: string;
  json?: boolean;
}

// ---------------------------------------------------------------------------------------
// value parsing

/**
 * 48-byte measurement as hex (96 digits, optional 0x) or base64 (64 characters). Strict:
 * sev-snp-measure silently truncates longer input and reads hex text as base64; here
 * anything that is not exactly 48 bytes is an error.
 */
export function parseMeasurement(text: string, flag = '--measurement'): Uint8Array {
  return parseFixedBytes(text.trim(), flag, 48, 'a SHA-384 launch digest');
}

/** Exactly `n` bytes given as hex (2n digits, optional 0x) or standard base64. */
export function parseFixedBytes(text: string, flag: string, n: number, what = `${n} bytes`): Uint8Array {
  const t = text.trim();
  const hexText = t.replace(/^0x/i, '');
  if (/^[0-9a-fA-F]+$/.test(hexText) && hexText.length === 2 * n) return fromHex(hexText)!;
  // 2n hex digits are hex; otherwise only base64 that decodes to exactly n bytes is accepted
  const b64 = fromBase64(t);
  if (b64 && b64.length === n) return b64;
  const hex = fromHex(hexText);
  const got = hex ? `${hex.length} bytes of hex` : b64 ? `${b64.length} bytes of base64` : 'neither hex nor base64';
  throw badValue(flag, `must be ${what}: ${n} bytes as ${2 * n} hex digits or ${Math.ceil(n / 3) * 4} base64 characters; got ${got}`);
}

/** A value of the wrong size or encoding: a data error (exit 1), unlike a usage error. */
function badValue(flag: string, problem: string): PrelaunchError {
  return new PrelaunchError('ERR_MALFORMED', `${flag}: ${problem}`, { option: flag });
}

/**
 * What the launch must match, as far as the digest's source tells: whether a kernel was
 * measured (QEMU kernel-hashes=on), the vCPU count and the CPU model. Null when the digest was
 * given as a bare value.
 */
interface MeasuredLaunch {
  kernel: boolean;
  vcpus: number | null;
  cpuModel: string | null;
}

interface ResolvedMeasurement {
  digest: Uint8Array;
  launch: MeasuredLaunch | null;
}

/** A digest from `prelaunch measure` output: its JSON document, or the printed hex/base64 line. */
function measurementFromFile(file: string): ResolvedMeasurement {
  const text = Buffer.from(readInput(file, '--from-measure', LIMITS.measureOutput, '`prelaunch measure` output', { stdin: true })).toString('utf8');
  const t = text.trim();
  if (t.startsWith('{')) {
    const what = 'a prelaunch measure --json document';
    const doc = validateDocument<{ measurement: string; mode?: string; kernel?: unknown; vcpus?: unknown; vcpuType?: unknown }>(MEASURE_OUTPUT_SCHEMA, parseJsonDocument(t, file, what), file, what);
    if (typeof doc.mode === 'string' && !doc.mode.startsWith('snp')) throw badValue('--from-measure', `${file} holds a ${doc.mode} measurement; ID blocks are SEV-SNP only`);
    if (doc.mode === 'snp:ovmf-hash') throw badValue('--from-measure', `${file} holds an snp:ovmf-hash intermediate, not a launch digest`);
    return {
      digest: parseMeasurement(doc.measurement, '--from-measure'),
      launch: {
        kernel: doc.kernel !== undefined && doc.kernel !== null,
        vcpus: typeof doc.vcpus === 'number' ? doc.vcpus : null,
        cpuModel: typeof doc.vcpuType === 'string' ? doc.vcpuType : null,
      },
    };
  }
  const line = t.split(/\s+/).pop() ?? '';
  return { digest: parseMeasurement(line, '--from-measure'), launch: null };
}

/**
 * `--from-measure "--mode snp --vcpus 4 --vcpu-type EPYC-v4 --ovmf OVMF.fd"`: the measure
 * command's flags, computed in this same call.
 */
function measurementFromFlags(text: string): ResolvedMeasurement {
  let argv: string[];
  try {
    argv = splitArgs(text);
  } catch (e) {
    throw new OptionError('--from-measure', (e as Error).message);
  }
  const cmd = addMeasureOptions(new Command('measure')).exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (e) {
    throw new OptionError('--from-measure', (e as Error).message.replace(/^error: /, ''));
  }
  const flags = cmd.opts() as MeasureFlags;
  if (flags.mode !== 'snp' && flags.mode !== 'snp:svsm') throw new OptionError('--from-measure', `ID blocks are for SEV-SNP launch digests (--mode snp or snp:svsm), not ${flags.mode}`);
  const r = measureFromFlags(flags, nodeBackend);
  return { digest: r.measurement.digest, launch: { kernel: r.measurement.kernelHashes !== null, vcpus: r.flags.vcpus ?? null, cpuModel: r.flags.vcpuType } };
}

function resolveMeasurement(f: { measurement?: string; fromMeasure?: string }, required: boolean): ResolvedMeasurement | null {
  if (f.measurement !== undefined && f.fromMeasure !== undefined) throw new OptionError('--measurement', 'give --measurement or --from-measure, not both');
  if (f.measurement !== undefined) return { digest: parseMeasurement(f.measurement), launch: null };
  if (f.fromMeasure !== undefined) return /^\s*--/.test(f.fromMeasure) ? measurementFromFlags(f.fromMeasure) : measurementFromFile(f.fromMeasure);
  if (required) throw new OptionError('--measurement', 'missing: give the 48-byte launch digest (hex or base64) or --from-measure (a `prelaunch measure` output FILE, or its flags in quotes)');
  return null;
}

function parsePolicy(text: string | undefined): bigint {
  return text === undefined ? DEFAULT_SNP_POLICY : policyFromSpec(text, '--policy');
}

function idBlockFromFlags(f: IdBlockFieldFlags): { idBlock: Uint8Array; launch: MeasuredLaunch | null } {
  const { digest: measurement, launch } = resolveMeasurement(f, true)!;
  const idBlock = buildIdBlock({
    measurement,
    policy: parsePolicy(f.policy),
    ...(f.familyId !== undefined ? { familyId: parseFixedBytes(f.familyId, '--family-id', 16) } : {}),
    ...(f.imageId !== undefined ? { imageId: parseFixedBytes(f.imageId, '--image-id', 16) } : {}),
    ...(f.guestSvn !== undefined ? { guestSvn: Number(intOption('--guest-svn', f.guestSvn, { auto: true, min: 0n, max: 0xffff_ffffn })) } : {}),
  });
  return { idBlock, launch };
}

function oneOf(flag: string, a: string | undefined, aliasFlag: string, b: string | undefined): string | undefined {
  if (a !== undefined && b !== undefined && a !== b) throw new OptionError(flag, `${flag} and ${aliasFlag} are the same option; give one`);
  return a ?? b;
}

function passphrase(f: PassphraseFlags): Passphrase | undefined {
  if (f.passphraseFile === undefined && f.passphraseEnv === undefined) return undefined;
  return { file: f.passphraseFile, env: f.passphraseEnv };
}

/** An ID block or ID auth given inline (base64 or hex) or as a file (raw bytes, or base64/hex text). */
function blobArg(value: string, flag: string, size: number): Uint8Array {
  const inline = fromBase64(value.trim()) ?? fromHex(value.trim().replace(/^0x/i, ''));
  if (inline && inline.length === size) return inline;
  if (!fs.existsSync(resolvePath(value))) {
    throw new PrelaunchError('ERR_IO', `${flag}: cannot read ${value}: no such file (and the value is not base64/hex of ${size} bytes either)`, { file: value, option: flag });
  }
  const bytes = readInput(value, flag, LIMITS.idBlob, 'an ID block, ID auth or signature file');
  if (bytes.length === size) return bytes;
  const text = Buffer.from(bytes).toString('latin1').trim();
  const decoded = fromBase64(text) ?? fromHex(text.replace(/^0x/i, ''));
  if (decoded && decoded.length === size) return decoded;
  throw badValue(flag, `${value} holds ${decoded ? decoded.length : bytes.length} bytes, expected ${size}`);
}

/** A detached signature file: DER or raw r||s, binary or as base64/hex text. */
function signatureFile(file: string, flag: string): ReturnType<typeof parseDetachedSignature> {
  const bytes = readInput(file, flag, LIMITS.idBlob, 'a signature file');
  let data = bytes;
  const text = Buffer.from(bytes).toString('latin1').trim();
  if (/^[A-Za-z0-9+/=\s]+$/.test(text) && bytes[0] !== 0x30) {
    const decoded = fromBase64(text.replace(/\s+/g, '')) ?? fromHex(text.replace(/^0x/i, ''));
    if (decoded) data = decoded;
  }
  try {
    return parseDetachedSignature(data, `${flag} ${file}`);
  } catch (e) {
    if (e instanceof PrelaunchError) throw e;
    throw new PrelaunchError('ERR_SIGNATURE', `${flag} ${file}: not a signature`);
  }
}

// ---------------------------------------------------------------------------------------
// output

/** Whether the launch must carry kernel-hashes=on: what the measurement says, or --kernel-hashes. */
function kernelHashesOf(f: OutputFlags, launch: MeasuredLaunch | null): boolean {
  if (launch && f.kernelHashes !== undefined && (f.kernelHashes === 'on') !== launch.kernel) {
    throw new OptionError('--kernel-hashes', `${f.kernelHashes} contradicts the measurement, which ${launch.kernel ? 'includes' : 'does not include'} a kernel`);
  }
  if (launch) return launch.kernel;
  if (f.kernelHashes === undefined) {
    throw new OptionError('--kernel-hashes', 'with --emit and a digest given as a value, say whether the measurement includes a kernel (--kernel-hashes on|off; QEMU measures a different digest without kernel-hashes=on), or use --from-measure');
  }
  return f.kernelHashes === 'on';
}

function launchConfig(r: IdAuthResult, f: OutputFlags, policy: bigint, launch: MeasuredLaunch | null): SnpLaunchConfig {
  return {
    policy,
    idBlock: r.idBlock,
    idAuth: r.idAuth,
    authorKeyEnabled: r.authorKeyEnabled,
    kernelHashes: f.emit !== undefined ? kernelHashesOf(f, launch) : false,
    vcpus: launch?.vcpus ?? null,
    cpuModel: launch?.cpuModel ?? null,
    hostData: f.hostData !== undefined ? parseFixedBytes(f.hostData, '--host-data', 32) : null,
    ...(f.cbitpos !== undefined ? { cbitpos: Number(intOption('--cbitpos', f.cbitpos, { min: 0n, max: 63n })) } : {}),
    ...(f.reducedPhysBits !== undefined ? { reducedPhysBits: Number(intOption('--reduced-phys-bits', f.reducedPhysBits, { min: 0n, max: 63n })) } : {}),
  };
}

/** Check the output files before any work (their directories exist…). */
function checkOutputs(f: OutputFlags): void {
  if (f.idBlockOut !== undefined) checkOutputTarget(f.idBlockOut, '--id-block-out');
  if (f.idAuthOut !== undefined) checkOutputTarget(f.idAuthOut, '--id-auth-out');
}

function emitResult(r: IdAuthResult, f: OutputFlags, launch: MeasuredLaunch | null): void {
  const block = decodeIdBlock(r.idBlock);
  if (f.emit === undefined) {
    // launch-snippet flags without a snippet would be dropped
    for (const [flag, v] of [['--kernel-hashes', f.kernelHashes], ['--cbitpos', f.cbitpos], ['--reduced-phys-bits', f.reducedPhysBits]] as const) {
      if (v !== undefined) throw new OptionError(flag, 'only used with --emit qemu|libvirt');
    }
    if (f.hostData !== undefined && !f.json) throw new OptionError('--host-data', 'only used with --emit qemu|libvirt or --json');
  }
  // parse every output option before writing anything
  const cfg = launchConfig(r, f, block.policy, launch);
  const snippet = f.emit !== undefined ? launchSnippet(cfg, f.emit) : null;
  let out: string;
  if (f.json) {
    const doc: Record<string, unknown> = {
      idBlock: toBase64(r.idBlock),
      idAuth: toBase64(r.idAuth),
      idKeyDigest: toHex(r.idKeyDigest),
      authorKeyDigest: r.authorKeyDigest ? toHex(r.authorKeyDigest) : null,
      authorKeyEnabled: r.authorKeyEnabled,
      measurement: toHex(block.ld),
      familyId: toHex(block.familyId),
      imageId: toHex(block.imageId),
      guestSvn: block.guestSvn,
      policy: formatPolicy(block.policy),
      hostData: cfg.hostData ? toBase64(cfg.hostData) : null,
    };
    if (f.emit) doc[f.emit] = snippet;
    out = JSON.stringify(doc, null, 2) + '\n';
  } else if (snippet !== null) {
    out = snippet + '\n';
  } else {
    // snp-create-id-block's three lines
    out =
      `id-block=${toBase64(r.idBlock)},id-auth=${toBase64(r.idAuth)}\n` +
      `id_key_hash: ${toBase64(r.idKeyDigest)}\n` +
      `author_key: ${r.authorKeyDigest ? toBase64(r.authorKeyDigest) : 'none'}\n`;
  }
  const outputs = new Outputs();
  try {
    if (f.idBlockOut !== undefined) outputs.write(f.idBlockOut, r.idBlock, '--id-block-out');
    if (f.idAuthOut !== undefined) outputs.write(f.idAuthOut, r.idAuth, '--id-auth-out');
    outputs.commit();
  } finally {
    outputs.abort();
  }
  writeStdout(out);
}

// ---------------------------------------------------------------------------------------
// commands

export async function runIdBlock(f: IdBlockFlags): Promise<void> {
  const idKeyFile = oneOf('--id-key', f.idKey, '--idkey', f.idkey);
  const authorKeyFile = oneOf('--author-key', f.authorKey, '--authorkey', f.authorkey);
  checkOutputs(f);
  const { idBlock, launch } = idBlockFromFlags(f);
  if (idKeyFile === undefined) throw new OptionError('--id-key', 'missing: give the ID private key (PEM or DER), or use `id-block prepare` to sign elsewhere');
  const pass = passphrase(f);
  const idKey = loadPrivateKey(idKeyFile, '--id-key', pass);
  const authorKey = authorKeyFile !== undefined ? loadPrivateKey(authorKeyFile, '--author-key', pass) : null;
  const r = signIdAuth({ idBlock, idKey: idKey.d, authorKey: authorKey?.d ?? null });
  emitResult(r, f, launch);
}

export async function runIdBlockPrepare(f: PrepareFlags): Promise<void> {
  const idKeyFile = oneOf('--id-key', f.idKey, '--idkey', f.idkey);
  if ((idKeyFile === undefined) === (f.idPubkey === undefined)) throw new OptionError('--id-pubkey', 'give the ID public key (--id-pubkey PEM/DER) or the ID key (--id-key)');
  const { idBlock } = idBlockFromFlags(f);
  const idPublicKey: EcPoint = f.idPubkey !== undefined ? loadPublicKey(f.idPubkey, '--id-pubkey', passphrase(f)) : loadPrivateKey(idKeyFile!, '--id-key', passphrase(f)).publicKey;
  const inputs = idAuthSigningInputs({ idBlock, idPublicKey });
  const blockFile = path.join(f.outDir, 'id-block.bin');
  const keyFile = path.join(f.outDir, 'id-key.bin');
  let dirStat: fs.Stats | null = null;
  try {
    dirStat = fs.statSync(resolvePath(f.outDir));
  } catch { /* reported below */ }
  if (!dirStat) throw new PrelaunchError('ERR_IO', `--out-dir: the directory ${f.outDir} does not exist (create it first)`, { file: f.outDir });
  if (!dirStat.isDirectory()) throw new PrelaunchError('ERR_IO', `--out-dir: ${f.outDir} is not a directory`, { file: f.outDir });
  const outputs = new Outputs();
  try {
    outputs.write(blockFile, inputs.idBlock, '--out-dir');
    outputs.write(keyFile, inputs.idKey, '--out-dir');
    outputs.commit();
  } finally {
    outputs.abort();
  }
  if (f.json) {
    writeStdout(JSON.stringify({
      idBlockFile: blockFile,
      idKeyFile: keyFile,
      idBlock: toBase64(inputs.idBlock),
      idKey: toBase64(inputs.idKey),
      idKeyDigest: toHex(inputs.idKeyDigest),
    }, null, 2) + '\n');
    return;
  }
  writeStdout(
    `${blockFile}: the 96-byte ID block; sign it with the ID key\n` +
    `${keyFile}: the 1028-byte ID public key structure; sign it with the author key\n` +
    `id_key_digest: ${toHex(inputs.idKeyDigest)}\n` +
    `Both signatures are ECDSA P-384 over SHA-384 of the file, e.g.\n` +
    `  openssl dgst -sha384 -sign id_key.pem -out id-block.sig ${blockFile}\n` +
    `  openssl dgst -sha384 -sign author_key.pem -out id-key.sig ${keyFile}\n` +
    `then: prelaunch id-block assemble --id-block ${blockFile} --id-pubkey id_pub.pem --id-block-sig id-block.sig --author-pubkey author_pub.pem --id-key-sig id-key.sig\n`,
  );
}

export async function runIdBlockAssemble(f: AssembleFlags): Promise<void> {
  checkOutputs(f);
  const idBlock = blobArg(f.idBlock, '--id-block', ID_BLOCK_SIZE);
  decodeIdBlock(idBlock, f.idBlock);
  if ((f.authorPubkey === undefined) !== (f.idKeySig === undefined)) {
    throw new OptionError(f.authorPubkey === undefined ? '--author-pubkey' : '--id-key-sig', '--author-pubkey and --id-key-sig go together');
  }
  const pass = passphrase(f);
  const idPublicKey = loadPublicKey(f.idPubkey, '--id-pubkey', pass);
  const idBlockSignature = signatureFile(f.idBlockSig, '--id-block-sig');
  const authorPublicKey = f.authorPubkey !== undefined ? loadPublicKey(f.authorPubkey, '--author-pubkey', pass) : null;
  const idKeySignature = f.idKeySig !== undefined ? signatureFile(f.idKeySig, '--id-key-sig') : null;
  const r = assembleIdAuth({ idBlock, idPublicKey, idBlockSignature, authorPublicKey, idKeySignature });
  // the ID block alone does not say what was measured: --emit needs --kernel-hashes
  emitResult(r, f, null);
}

export async function runIdBlockVerify(f: VerifyFlags): Promise<void> {
  const idBlock = blobArg(f.idBlock, '--id-block', ID_BLOCK_SIZE);
  const idAuth = blobArg(f.idAuth, '--id-auth', ID_AUTH_SIZE);
  const measurement = resolveMeasurement(f, false)?.digest ?? null;
  const v = verifyIdAuth({
    idBlock,
    idAuth,
    measurement,
    idKeyDigest: f.idKeyDigest !== undefined ? parseFixedBytes(f.idKeyDigest, '--id-key-digest', 48) : null,
    authorKeyDigest: f.authorKeyDigest !== undefined ? parseFixedBytes(f.authorKeyDigest, '--author-key-digest', 48) : null,
  });
  const yesNo = (b: boolean | null): string => (b === null ? 'not checked' : b ? 'ok' : 'FAILED');
  if (f.json) {
    writeStdout(JSON.stringify({
      ok: v.ok,
      problems: v.problems,
      measurement: toHex(v.idBlock.ld),
      familyId: toHex(v.idBlock.familyId),
      imageId: toHex(v.idBlock.imageId),
      version: v.idBlock.version,
      guestSvn: v.idBlock.guestSvn,
      policy: formatPolicy(v.idBlock.policy),
      idBlockSignatureValid: v.idBlockSignatureValid,
      authorKeyEnabled: v.authorKeyEnabled,
      idKeySignatureValid: v.idKeySignatureValid,
      idKeyDigest: toHex(v.idKeyDigest),
      authorKeyDigest: v.authorKeyDigest ? toHex(v.authorKeyDigest) : null,
      measurementMatches: v.measurementMatches,
      idKeyDigestMatches: v.idKeyDigestMatches,
      authorKeyDigestMatches: v.authorKeyDigestMatches,
    }, null, 2) + '\n');
  } else {
    writeStdout(
      `measurement:        ${toHex(v.idBlock.ld)}\n` +
      `family_id:          ${toHex(v.idBlock.familyId)}\n` +
      `image_id:           ${toHex(v.idBlock.imageId)}\n` +
      `guest_svn:          ${v.idBlock.guestSvn}\n` +
      `policy:             ${formatPolicy(v.idBlock.policy)}\n` +
      `id_key_digest:      ${toHex(v.idKeyDigest)}\n` +
      `author_key_digest:  ${v.authorKeyDigest ? toHex(v.authorKeyDigest) : 'none (author-key-enabled=off)'}\n` +
      `ID block signature: ${yesNo(v.idBlockSignatureValid)}\n` +
      `ID key signature:   ${v.authorKeyEnabled ? yesNo(v.idKeySignatureValid) : 'none'}\n` +
      `measurement match:  ${yesNo(v.measurementMatches)}\n`,
    );
  }
  if (!v.ok) throw new PrelaunchError('ERR_SIGNATURE', `ID block / ID auth do not verify: ${v.problems.join('; ')}`);
}
