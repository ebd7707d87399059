/**
 * Output of `igvm sign`: the digest (as igvmmeasure prints it) and what was signed, or a JSON
 * document; the notes and warnings for stderr.
 */
import { toHex } from '../bytes/hex.js';
import { formatPolicy } from '../formats/snp/policy.js';
import type { SignedIgvm } from '../sign/igvm.js';

export interface IgvmSignReportContext {
  tool: string;
  input: string;
  output: string;
}

export function renderIgvmSign(s: SignedIgvm, ctx: IgvmSignReportContext, json: boolean): string {
  if (json) {
    return JSON.stringify({
      tool: ctx.tool,
      input: ctx.input,
      output: ctx.output,
      size: s.bytes.length,
      inputFormatVersion: s.inputFormatVersion,
      formatVersion: 1,
      compatibilityMask: `0x${s.compatibilityMask.toString(16)}`,
      digest: toHex(s.digest),
      policy: formatPolicy(s.policy),
      familyId: toHex(s.idBlockHeader.familyId),
      imageId: toHex(s.idBlockHeader.imageId),
      guestSvn: s.idBlockHeader.guestSvn,
      authorKeyEnabled: s.idAuth.authorKeyEnabled,
      idKeyDigest: toHex(s.idAuth.idKeyDigest),
      authorKeyDigest: s.idAuth.authorKeyDigest ? toHex(s.idAuth.authorKeyDigest) : null,
      replacedIdBlocks: s.replaced,
    }, null, 2) + '\n';
  }
  return (
    `${toHex(s.digest).toUpperCase()}\n` +
    `signed:            ${ctx.output}\n` +
    `policy:            ${formatPolicy(s.policy)}\n` +
    `id_key_digest:     ${toHex(s.idAuth.idKeyDigest)}\n` +
    `author_key_digest: ${s.idAuth.authorKeyDigest ? toHex(s.idAuth.authorKeyDigest) : 'none'}\n`
  );
}

/** The stderr lines of a signing: a replaced ID block (note), policy problems (warnings). */
export function igvmSignDiagnostics(s: SignedIgvm): string {
  let out = '';
  if (s.replaced) out += `note: replaced the file's existing SNP ID block${s.replaced > 1 ? `s (${s.replaced})` : ''}\n`;
  for (const p of s.policyProblems) out += `warning: the file's guest policy ${formatPolicy(s.policy)}: ${p} (signed anyway, as igvmmeasure does)\n`;
  return out;
}
