/**
 * Output formats for `id-block` (sign, assemble), `id-block prepare` and `id-block verify`:
 * snp-create-id-block's three lines, a launch snippet, or a JSON document. Also the reading of
 * `prelaunch measure` output that `--from-measure FILE` takes (its JSON document or its line).
 */
import { parseBytesText } from '../bytes/bytes-text.js';
import { toBase64, toHex } from '../bytes/hex.js';
import { PrelaunchError } from '../errors.js';
import type { decodeIdBlock } from '../formats/snp/id-block.js';
import { formatPolicy } from '../formats/snp/policy.js';
import { MEASURE_OUTPUT_SCHEMA } from '../schema/measure-output.js';
import { parseJsonDocument, validateDocument } from '../schema/validate.js';
import type { IdAuthResult, IdAuthSigningInputs, IdAuthVerification } from '../sign/id-block.js';

/** A 48-byte SHA-384 launch digest as text (hex or base64: src/bytes/bytes-text.ts). */
export function parseMeasurementText(text: string, flag = '--measurement'): Uint8Array {
  return parseBytesText(text, flag, { size: 48, what: 'a SHA-384 launch digest' });
}

/**
 * What the launch must match, as far as the digest's source tells: whether a kernel was
 * measured (QEMU kernel-hashes=on), the vCPU count and the CPU model.
 */
export interface MeasuredLaunch {
  kernel: boolean;
  vcpus: number | null;
  cpuModel: string | null;
}

/**
 * The launch digest in `prelaunch measure` output: its `--output-format json` document (which
 * also tells the launch it came from), or its printed line (the digest is the last word).
 * `file` and `flag` name the input in messages.
 */
export function digestFromMeasureOutput(text: string, file: string, flag = '--from-measure'): { digest: Uint8Array; launch: MeasuredLaunch | null } {
  const t = text.trim();
  if (t.startsWith('{')) {
    const what = 'a prelaunch measure --json document';
    const doc = validateDocument<{ measurement: string; mode?: string; kernel?: unknown; vcpus?: unknown; vcpuType?: unknown }>(MEASURE_OUTPUT_SCHEMA, parseJsonDocument(t, file, what), file, what);
    if (typeof doc.mode === 'string' && !doc.mode.startsWith('snp')) throw new PrelaunchError('ERR_MALFORMED', `${flag}: ${file} holds a ${doc.mode} measurement; ID blocks are SEV-SNP only`, { option: flag });
    if (doc.mode === 'snp:ovmf-hash') throw new PrelaunchError('ERR_MALFORMED', `${flag}: ${file} holds an snp:ovmf-hash intermediate, not a launch digest`, { option: flag });
    return {
      digest: parseMeasurementText(doc.measurement, flag),
      launch: {
        kernel: doc.kernel !== undefined && doc.kernel !== null,
        vcpus: typeof doc.vcpus === 'number' ? doc.vcpus : null,
        cpuModel: typeof doc.vcpuType === 'string' ? doc.vcpuType : null,
      },
    };
  }
  const line = t.split(/\s+/).pop() ?? '';
  return { digest: parseMeasurementText(line, flag), launch: null };
}

/** `id-block` / `id-block assemble` output. */
export interface IdBlockReportInput {
  result: IdAuthResult;
  block: ReturnType<typeof decodeIdBlock>;
  hostData: Uint8Array | null;
  /** the launch snippet, when one was asked for */
  snippet: { target: 'qemu' | 'libvirt'; text: string } | null;
  json: boolean;
}

export function renderIdBlock(r: IdBlockReportInput): string {
  const { result, block } = r;
  if (r.json) {
    const doc: Record<string, unknown> = {
      idBlock: toBase64(result.idBlock),
      idAuth: toBase64(result.idAuth),
      idKeyDigest: toHex(result.idKeyDigest),
      authorKeyDigest: result.authorKeyDigest ? toHex(result.authorKeyDigest) : null,
      authorKeyEnabled: result.authorKeyEnabled,
      measurement: toHex(block.ld),
      familyId: toHex(block.familyId),
      imageId: toHex(block.imageId),
      guestSvn: block.guestSvn,
      policy: formatPolicy(block.policy),
      hostData: r.hostData ? toBase64(r.hostData) : null,
    };
    if (r.snippet) doc[r.snippet.target] = r.snippet.text;
    return JSON.stringify(doc, null, 2) + '\n';
  }
  if (r.snippet) return r.snippet.text + '\n';
  // snp-create-id-block's three lines
  return (
    `id-block=${toBase64(result.idBlock)},id-auth=${toBase64(result.idAuth)}\n` +
    `id_key_hash: ${toBase64(result.idKeyDigest)}\n` +
    `author_key: ${result.authorKeyDigest ? toBase64(result.authorKeyDigest) : 'none'}\n`
  );
}

/** `id-block prepare` output: where the two files to sign went, and how to sign them. */
export function renderIdBlockPrepare(inputs: IdAuthSigningInputs, blockFile: string, keyFile: string, json: boolean): string {
  if (json) {
    return JSON.stringify({
      idBlockFile: blockFile,
      idKeyFile: keyFile,
      idBlock: toBase64(inputs.idBlock),
      idKey: toBase64(inputs.idKey),
      idKeyDigest: toHex(inputs.idKeyDigest),
    }, null, 2) + '\n';
  }
  return (
    `${blockFile}: the 96-byte ID block; sign it with the ID key\n` +
    `${keyFile}: the 1028-byte ID public key structure; sign it with the author key\n` +
    `id_key_digest: ${toHex(inputs.idKeyDigest)}\n` +
    `Both signatures are ECDSA P-384 over SHA-384 of the file, e.g.\n` +
    `  openssl dgst -sha384 -sign id_key.pem -out id-block.sig ${blockFile}\n` +
    `  openssl dgst -sha384 -sign author_key.pem -out id-key.sig ${keyFile}\n` +
    `then: prelaunch id-block assemble --id-block ${blockFile} --id-pubkey id_pub.pem --id-block-sig id-block.sig --author-pubkey author_pub.pem --id-key-sig id-key.sig\n`
  );
}

/** `id-block verify` output. */
export function renderIdBlockVerify(v: IdAuthVerification, json: boolean): string {
  const yesNo = (b: boolean | null): string => (b === null ? 'not checked' : b ? 'ok' : 'FAILED');
  if (json) {
    return JSON.stringify({
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
    }, null, 2) + '\n';
  }
  return (
    `measurement:        ${toHex(v.idBlock.ld)}\n` +
    `family_id:          ${toHex(v.idBlock.familyId)}\n` +
    `image_id:           ${toHex(v.idBlock.imageId)}\n` +
    `guest_svn:          ${v.idBlock.guestSvn}\n` +
    `policy:             ${formatPolicy(v.idBlock.policy)}\n` +
    `id_key_digest:      ${toHex(v.idKeyDigest)}\n` +
    `author_key_digest:  ${v.authorKeyDigest ? toHex(v.authorKeyDigest) : 'none (author-key-enabled=off)'}\n` +
    `ID block signature: ${yesNo(v.idBlockSignatureValid)}\n` +
    `ID key signature:   ${v.authorKeyEnabled ? yesNo(v.idKeySignatureValid) : 'none'}\n` +
    `measurement match:  ${yesNo(v.measurementMatches)}\n`
  );
}
