/**
 * `prelaunch igvm corim FILE --output OUT`: the file with a CoRIM launch endorsement per
 * SEV-SNP/TDX/VBS platform (IGVM_VHT_CORIM_DOCUMENT), signed with --sign-key (a COSE_Sign1 in
 * IGVM_VHT_CORIM_SIGNATURE); `igvm corim prepare` / `assemble`: the same signature made
 * elsewhere (HSM, KMS, openssl), as `id-block prepare/assemble` do; `igvm corim verify`: each
 * CoRIM endorses the file's digest and its signature verifies. src/sign/igvm-corim.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OptionError, PrelaunchError } from '../../errors.js';
import { parseIgvm, type ParsedIgvm } from '../../formats/igvm/parse.js';
import { loadHashBackend, type HashBackendName } from '../../hash/index.js';
import {
  IGVM_CORIM_PLATFORMS, assembleIgvmCorimSignature, embedIgvmCorim, prepareIgvmCorimSignature, verifyIgvmCorim, type IgvmCorimPlatform,
} from '../../sign/igvm-corim.js';
import { parseDetachedSignature } from '../../sign/ecdsa-p384.js';
import { decodeBytesText } from '../../bytes/bytes-text.js';
import { igvmCorimDiagnostics, renderIgvmCorimAssemble, renderIgvmCorimEmbed, renderIgvmCorimPrepare, renderIgvmCorimVerify } from '../../report/igvm-corim.js';
import { VERSION } from '../../version.js';
import { LIMITS, Outputs, openFileSource, readInput, writeStdout } from '../io.js';
import { loadPrivateKey, loadPublicKey, type Passphrase } from '../keys.js';
import { intOption } from '../numbers.js';
import { refuseWrongKind } from '../../formats/file-kind.js';
import { resolvePath, writeStderr } from '../context.js';
import { sameFile } from './igvm-sign.js';

interface CommonFlags {
  allowUnknown?: boolean;
  json?: boolean;
  signer?: string;
  passphraseFile?: string;
  passphraseEnv?: string;
}
export interface IgvmCorimFlags extends CommonFlags {
  output?: string;
  platform?: string[];
  svn?: string;
  replace?: boolean;
  signKey?: string;
  hashBackend: HashBackendName;
}
export interface IgvmCorimPrepareFlags extends CommonFlags {
  platform: string;
  outDir: string;
}
export interface IgvmCorimAssembleFlags extends CommonFlags {
  platform: string;
  output: string;
  signature: string;
  pubkey: string;
  replace?: boolean;
}

function platformFlag(p: string): IgvmCorimPlatform {
  if (!(IGVM_CORIM_PLATFORMS as readonly string[]).includes(p)) {
    throw new OptionError('--platform', `'${p}' has no launch-measurement CoRIM (the profile has ${IGVM_CORIM_PLATFORMS.join(', ')})`);
  }
  return p as IgvmCorimPlatform;
}

function passphrase(f: CommonFlags): Passphrase | undefined {
  if (f.passphraseFile === undefined && f.passphraseEnv === undefined) return undefined;
  return { file: f.passphraseFile, env: f.passphraseEnv };
}

/** Parse FILE and run `fn` with it; the source stays open while `fn` runs (the model references it). */
function withIgvm<T>(file: string, command: string, f: CommonFlags, fn: (p: ParsedIgvm) => T): T {
  const src = openFileSource(file, command, LIMITS.igvmStream, 'an IGVM file given as a stream');
  try {
    refuseWrongKind(src, ['igvm'], command, 'an IGVM file');
    return fn(parseIgvm(src, { allowUnknown: f.allowUnknown === true }));
  } finally {
    src.close();
  }
}

export async function runIgvmCorim(file: string, f: IgvmCorimFlags): Promise<void> {
  const output = f.output;
  if (output === undefined) throw new OptionError('--output', 'missing: name the IGVM file to write');
  if (sameFile(file, output)) throw new OptionError('--output', `${f.output} is the input file: write the new file elsewhere`);
  const platforms = f.platform?.map(platformFlag);
  if (platforms && new Set(platforms).size !== platforms.length) throw new OptionError('--platform', 'a platform is given twice');
  const svn = f.svn !== undefined ? intOption('--svn', f.svn, { auto: true, min: 0n, max: (1n << 64n) - 1n }) : 0n;
  if (f.signKey === undefined && f.signer !== undefined) throw new OptionError('--signer', 'names the signer of a signature: only with --sign-key (or in `igvm corim prepare/assemble`)');
  const key = f.signKey !== undefined ? loadPrivateKey(f.signKey, '--sign-key', passphrase(f)) : null;
  const backend = await loadHashBackend(f.hashBackend);
  const out = new Outputs();
  out.add(output, '--output');
  try {
    const r = withIgvm(file, 'igvm corim', f, (parsed) => embedIgvmCorim(parsed, {
      ...(platforms ? { platforms } : {}), svn, replace: f.replace === true, hashBackend: backend,
      ...(key ? { signKey: key.d } : {}), ...(f.signer !== undefined ? { signer: f.signer } : {}),
    }));
    out.write(output, r.bytes, '--output');
    out.commit();
    const notes = igvmCorimDiagnostics(r);
    if (notes) writeStderr(notes);
    writeStdout(renderIgvmCorimEmbed(r, { tool: `prelaunch ${VERSION}`, input: file, output }, f.json === true));
  } finally {
    out.abort();
  }
}

export async function runIgvmCorimPrepare(file: string, f: IgvmCorimPrepareFlags): Promise<void> {
  const platform = platformFlag(f.platform);
  let dir: fs.Stats | null = null;
  try {
    dir = fs.statSync(resolvePath(f.outDir));
  } catch { /* reported below */ }
  if (!dir) throw new PrelaunchError('ERR_IO', `--out-dir: the directory ${f.outDir} does not exist (create it first)`, { file: f.outDir });
  if (!dir.isDirectory()) throw new PrelaunchError('ERR_IO', `--out-dir: ${f.outDir} is not a directory`, { file: f.outDir });
  const s = withIgvm(file, 'igvm corim prepare', f, (parsed) => prepareIgvmCorimSignature(parsed, platform, f.signer));
  const files = { toBeSigned: path.join(f.outDir, `corim-${platform}.tbs`), document: path.join(f.outDir, `corim-${platform}.cbor`) };
  const out = new Outputs();
  try {
    out.write(files.toBeSigned, s.toBeSigned, '--out-dir');
    out.write(files.document, s.document, '--out-dir');
    out.commit();
  } finally {
    out.abort();
  }
  writeStdout(renderIgvmCorimPrepare(s, files, f.json === true));
}

/** A detached signature: DER or raw r‖s, binary or as hex/base64 text. */
function signatureFile(file: string): ReturnType<typeof parseDetachedSignature> {
  const bytes = readInput(file, '--signature', LIMITS.idBlob, 'a signature file');
  const decoded = bytes[0] === 0x30 ? null : decodeBytesText(Buffer.from(bytes).toString('latin1'), { size: () => true, wrapped: true });
  return parseDetachedSignature(decoded ?? bytes, `--signature ${file}`);
}

export async function runIgvmCorimAssemble(file: string, f: IgvmCorimAssembleFlags): Promise<void> {
  const platform = platformFlag(f.platform);
  if (sameFile(file, f.output)) throw new OptionError('--output', `${f.output} is the input file: write the new file elsewhere`);
  const signature = signatureFile(f.signature);
  const publicKey = loadPublicKey(f.pubkey, '--pubkey', passphrase(f));
  const out = new Outputs();
  out.add(f.output, '--output');
  try {
    const r = withIgvm(file, 'igvm corim assemble', f, (parsed) => assembleIgvmCorimSignature(parsed, platform, {
      signature, publicKey, replace: f.replace === true, ...(f.signer !== undefined ? { signer: f.signer } : {}),
    }));
    out.write(f.output, r.bytes, '--output');
    out.commit();
    writeStdout(renderIgvmCorimAssemble(r, platform, { tool: `prelaunch ${VERSION}`, input: file, output: f.output }, f.json === true));
  } finally {
    out.abort();
  }
}

export interface IgvmCorimVerifyFlags extends CommonFlags {
  pubkey: string;
  platform?: string[];
  hashBackend: HashBackendName;
}

export async function runIgvmCorimVerify(file: string, f: IgvmCorimVerifyFlags): Promise<void> {
  const platforms = f.platform?.map(platformFlag);
  const publicKey = loadPublicKey(f.pubkey, '--pubkey', passphrase(f));
  const backend = await loadHashBackend(f.hashBackend);
  const checks = withIgvm(file, 'igvm corim verify', f, (parsed) => verifyIgvmCorim(parsed, publicKey, { ...(platforms ? { platforms } : {}), hashBackend: backend }));
  writeStdout(renderIgvmCorimVerify(checks, f.json === true));
  const bad = checks.filter((c) => c.problems.length > 0);
  if (bad.length) throw new PrelaunchError('ERR_SIGNATURE', `${file}: the CoRIM of ${bad.map((c) => c.platform).join(', ')} does not verify: ${bad.map((c) => c.problems.join('; ')).join('; ')}`, { file });
}
