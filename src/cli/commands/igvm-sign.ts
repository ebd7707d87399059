/**
 * `prelaunch igvm sign FILE --output OUT --id-key PEM [--author-key PEM]`: igvmmeasure's
 * `sign` — the file with an SNP ID block (IGVM_VHT_SNP_ID_BLOCK) appended, byte-identical to
 * igvmmeasure's output for the same keys (see src/sign/igvm.ts). Extras: --family-id,
 * --image-id, --guest-svn; encrypted keys; PKCS#8/DER keys with --allow-pkcs8 (igvmmeasure
 * reads SEC1 PEM only, so by default they are refused like it refuses them); an existing ID
 * block is refused, or replaced with --replace-idblock (igvmmeasure appends a second one,
 * which QEMU refuses to load).
 */
import * as fs from 'node:fs';
import { OptionError, PrelaunchError } from '../../errors.js';
import { parseIgvm } from '../../formats/igvm/parse.js';
import { loadHashBackend, type HashBackendName } from '../../hash/index.js';
import { signIgvm } from '../../sign/igvm.js';
import { igvmSignDiagnostics, renderIgvmSign } from '../../report/igvm-sign.js';
import { VERSION } from '../../version.js';
import { LIMITS, Outputs, openFileSource, writeStdout } from '../io.js';
import { loadPrivateKey, readKeyFile, type Passphrase } from '../keys.js';
import { intOption } from '../numbers.js';
import { parseBytesText } from '../../bytes/bytes-text.js';
import type { SigningFlags } from '../signing-options.js';
import { refuseWrongKind } from '../../formats/file-kind.js';
import { resolvePath, writeStderr } from '../context.js';

export interface IgvmSignFlags extends SigningFlags {
  idKey: string;
  output: string;
  allowPkcs8?: boolean;
  replaceIdblock?: boolean;
  platform?: string;
  checkKvm?: boolean;
  nativeZero?: boolean;
  allowUnknown?: boolean;
  json?: boolean;
  hashBackend: HashBackendName;
}

/** Same file, whether named the same way or not (symlinks, hard links, ./x vs x). */
export function sameFile(a: string, b: string): boolean {
  if (resolvePath(a) === resolvePath(b)) return true;
  try {
    const sa = fs.statSync(resolvePath(a));
    const sb = fs.statSync(resolvePath(b));
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/**
 * igvmmeasure reads keys with `SecretKey::from_sec1_pem`: SEC1 PEM only. Unless --allow-pkcs8,
 * refuse what it refuses, so a key that works here works there too.
 */
function checkKeyForm(file: string, flag: string, bytes: Uint8Array, allowPkcs8: boolean): void {
  if (allowPkcs8) return;
  const head = Buffer.from(bytes.subarray(0, 65536)).toString('latin1');
  if (/-----BEGIN EC PRIVATE KEY-----/.test(head)) return;
  const why = /-----BEGIN (?:ENCRYPTED )?PRIVATE KEY-----/.test(head) ? "is a PKCS#8 key ('BEGIN PRIVATE KEY')" : 'is not a PEM key';
  throw new PrelaunchError(
    'ERR_KEY',
    `${flag} ${file}: ${why}; igvmmeasure reads only SEC1 PEM ('BEGIN EC PRIVATE KEY'), so igvm sign refuses it too: ` +
      `convert it (openssl ec -in ${file} -out sec1.pem) or pass --allow-pkcs8`,
    { file },
  );
}

export async function runIgvmSign(file: string, f: IgvmSignFlags): Promise<void> {
  if (f.platform !== undefined && f.platform !== 'sev-snp') throw new OptionError('--platform', 'signing is only supported for SEV-SNP (sev-snp)');
  if (sameFile(file, f.output)) throw new OptionError('--output', `${f.output} is the input file: write the signed file elsewhere`);
  const familyId = f.familyId !== undefined ? parseBytesText(f.familyId, '--family-id', { size: 16 }) : undefined;
  const imageId = f.imageId !== undefined ? parseBytesText(f.imageId, '--image-id', { size: 16 }) : undefined;
  const guestSvn = f.guestSvn !== undefined ? Number(intOption('--guest-svn', f.guestSvn, { auto: true, min: 0n, max: 0xffff_ffffn })) : undefined;
  const pass: Passphrase = { file: f.passphraseFile, env: f.passphraseEnv };
  const out = new Outputs();
  out.add(f.output, '--output');
  const idKeyBytes = readKeyFile(f.idKey, '--id-key');
  const idKey = loadPrivateKey(f.idKey, '--id-key', pass, idKeyBytes);
  checkKeyForm(f.idKey, '--id-key', idKeyBytes, f.allowPkcs8 === true);
  const authorKeyBytes = f.authorKey !== undefined ? readKeyFile(f.authorKey, '--author-key') : null;
  const authorKey = f.authorKey !== undefined ? loadPrivateKey(f.authorKey, '--author-key', pass, authorKeyBytes!) : null;
  if (f.authorKey !== undefined) checkKeyForm(f.authorKey, '--author-key', authorKeyBytes!, f.allowPkcs8 === true);
  const backend = await loadHashBackend(f.hashBackend);

  const src = openFileSource(file, 'igvm sign', LIMITS.igvmStream, 'an IGVM file given as a stream');
  try {
    refuseWrongKind(src, ['igvm'], 'igvm sign', 'an IGVM file');
    const parsed = parseIgvm(src, { allowUnknown: f.allowUnknown === true });
    const s = signIgvm(parsed, {
      idKey: idKey.d,
      authorKey: authorKey?.d ?? null,
      ...(familyId ? { familyId } : {}),
      ...(imageId ? { imageId } : {}),
      ...(guestSvn !== undefined ? { guestSvn } : {}),
      nativeZero: f.nativeZero === true,
      checkKvm: f.checkKvm === true,
      existingIdBlock: f.replaceIdblock ? 'replace' : 'refuse',
      hashBackend: backend,
    });
    out.write(f.output, s.bytes, '--output');
    out.commit();
    const notes = igvmSignDiagnostics(s);
    if (notes) writeStderr(notes);
    writeStdout(renderIgvmSign(s, { tool: `prelaunch ${VERSION}`, input: file, output: f.output }, f.json === true));
  } finally {
    src.close();
    out.abort();
  }
}
