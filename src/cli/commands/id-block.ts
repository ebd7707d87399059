/**
 * `prelaunch id-block` (sign with local keys), `id-block prepare` / `id-block assemble`
 * (sign elsewhere: HSM, cloud KMS, openssl) and `id-block verify`.
 * Flags → library calls in src/sign/id-block.ts → renderers in src/report/id-block.ts →
 * stdout / files (written atomically, only after every input has been read and every check
 * has passed). Bytes given as text follow src/bytes/bytes-text.ts.
 */
import { Command } from 'commander';
import { addMeasureOptions, splitArgs } from '../measure-options.js';
import { measureFromFlags, type MeasureFlags } from './measure.js';
import { nodeBackend } from '../../hash/index.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeBytesText, parseBytesText } from '../../bytes/bytes-text.js';
import { OptionError, PrelaunchError } from '../../errors.js';
import { ID_AUTH_SIZE, ID_BLOCK_SIZE, decodeIdBlock } from '../../formats/snp/id-block.js';
import { DEFAULT_SNP_POLICY, policyFromSpec } from '../../formats/snp/policy.js';
import { digestFromMeasureOutput, parseMeasurementText, renderIdBlock, renderIdBlockPrepare, renderIdBlockVerify, type MeasuredLaunch } from '../../report/id-block.js';
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

/** Exactly `n` bytes given as hex or base64 (src/bytes/bytes-text.ts); a data error (exit 1) otherwise. */
function fixedBytes(text: string, flag: string, n: number): Uint8Array {
  return parseBytesText(text, flag, { size: n });
}

interface ResolvedMeasurement {
  digest: Uint8Array;
  /** null when the digest was given as a bare value */
  launch: MeasuredLaunch | null;
}

/** A digest from `prelaunch measure` output: its JSON document, or the printed hex/base64 line. */
function measurementFromFile(file: string): ResolvedMeasurement {
  const text = Buffer.from(readInput(file, '--from-measure', LIMITS.measureOutput, '`prelaunch measure` output', { stdin: true })).toString('utf8');
  return digestFromMeasureOutput(text, file);
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
  if (f.measurement !== undefined) return { digest: parseMeasurementText(f.measurement), launch: null };
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
    ...(f.familyId !== undefined ? { familyId: fixedBytes(f.familyId, '--family-id', 16) } : {}),
    ...(f.imageId !== undefined ? { imageId: fixedBytes(f.imageId, '--image-id', 16) } : {}),
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

/** An ID block or ID auth given inline (hex or base64) or as a file (raw bytes, or hex/base64 text). */
function blobArg(value: string, flag: string, size: number): Uint8Array {
  const inline = decodeBytesText(value, { size });
  if (inline) return inline;
  if (!fs.existsSync(resolvePath(value))) {
    throw new PrelaunchError('ERR_IO', `${flag}: cannot read ${value}: no such file (and the value is not base64/hex of ${size} bytes either)`, { file: value, option: flag });
  }
  const bytes = readInput(value, flag, LIMITS.idBlob, 'an ID block, ID auth or signature file');
  if (bytes.length === size) return bytes;
  const decoded = decodeBytesText(Buffer.from(bytes).toString('latin1'), { size: () => true, wrapped: true });
  if (decoded && decoded.length === size) return decoded;
  throw badValue(flag, `${value} holds ${decoded ? decoded.length : bytes.length} bytes, expected ${size}`);
}

/** A detached signature file: DER or raw r||s, binary or as hex/base64 text. */
function signatureFile(file: string, flag: string): ReturnType<typeof parseDetachedSignature> {
  const bytes = readInput(file, flag, LIMITS.idBlob, 'a signature file');
  // a DER signature starts with 0x30 (SEQUENCE), which is not text of either spelling's alphabet
  const decoded = bytes[0] === 0x30 ? null : decodeBytesText(Buffer.from(bytes).toString('latin1'), { size: () => true, wrapped: true });
  try {
    return parseDetachedSignature(decoded ?? bytes, `${flag} ${file}`);
  } catch (e) {
    if (e instanceof PrelaunchError) throw e;
    throw new PrelaunchError('ERR_SIGNATURE', `${flag} ${file}: not a signature`);
  }
}

/** A value of the wrong size or encoding: a data error (exit 1), unlike a usage error. */
function badValue(flag: string, problem: string): PrelaunchError {
  return new PrelaunchError('ERR_MALFORMED', `${flag}: ${problem}`, { option: flag });
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
    hostData: f.hostData !== undefined ? fixedBytes(f.hostData, '--host-data', 32) : null,
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
  const snippet = f.emit !== undefined ? { target: f.emit, text: launchSnippet(cfg, f.emit) } : null;
  const out = renderIdBlock({ result: r, block, hostData: cfg.hostData ?? null, snippet, json: f.json === true });
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
  writeStdout(renderIdBlockPrepare(inputs, blockFile, keyFile, f.json === true));
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
    idKeyDigest: f.idKeyDigest !== undefined ? fixedBytes(f.idKeyDigest, '--id-key-digest', 48) : null,
    authorKeyDigest: f.authorKeyDigest !== undefined ? fixedBytes(f.authorKeyDigest, '--author-key-digest', 48) : null,
  });
  writeStdout(renderIdBlockVerify(v, f.json === true));
  if (!v.ok) throw new PrelaunchError('ERR_SIGNATURE', `ID block / ID auth do not verify: ${v.problems.join('; ')}`);
}
