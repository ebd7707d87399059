/** Output of `igvm corim`, `igvm corim prepare`, `assemble` and `verify`: text or JSON. */
import { toHex } from '../bytes/hex.js';
import type { EmbedIgvmCorimResult, IgvmCorimCheck, IgvmCorimSigningInput } from '../sign/igvm-corim.js';

export interface IgvmCorimReportContext {
  tool: string;
  input: string;
  output: string;
}

const mask = (m: number): string => `0x${m.toString(16)}`;

export function renderIgvmCorimEmbed(r: EmbedIgvmCorimResult, ctx: IgvmCorimReportContext, json: boolean): string {
  if (json) {
    return JSON.stringify({
      tool: ctx.tool, input: ctx.input, output: ctx.output, size: r.bytes.length, replacedHeaders: r.replaced,
      documents: r.documents.map((d) => ({
        platform: d.platform, compatibilityMask: mask(d.compatibilityMask), digest: toHex(d.digest),
        corim: toHex(d.document), signature: d.signature ? toHex(d.signature) : null,
      })),
    }, null, 2) + '\n';
  }
  let out = `written:  ${ctx.output}\n`;
  for (const d of r.documents) {
    out += `${d.platform.padEnd(8)} mask ${mask(d.compatibilityMask)}  digest ${toHex(d.digest)}  CoRIM ${d.document.length} bytes, ${d.signature ? `signed (COSE_Sign1 ${d.signature.length} bytes)` : 'unsigned'}\n`;
  }
  return out;
}

export function renderIgvmCorimPrepare(s: IgvmCorimSigningInput, files: { toBeSigned: string; document: string }, json: boolean): string {
  if (json) {
    return JSON.stringify({
      platform: s.platform, compatibilityMask: mask(s.compatibilityMask), toBeSigned: files.toBeSigned, document: files.document,
      protectedHeader: toHex(s.protectedHeader), algorithm: 'ES384 (ECDSA P-384, SHA-384)',
    }, null, 2) + '\n';
  }
  return (
    `to-be-signed: ${files.toBeSigned} (${s.toBeSigned.length} bytes, COSE Sig_structure of the ${s.platform} CoRIM)\n` +
    `document:     ${files.document}\n` +
    `sign it with ECDSA P-384 / SHA-384, e.g. openssl dgst -sha384 -sign key.pem -out corim.sig ${files.toBeSigned}\n`
  );
}

export function renderIgvmCorimAssemble(r: { signature: Uint8Array; compatibilityMask: number; bytes: Uint8Array }, platform: string, ctx: IgvmCorimReportContext, json: boolean): string {
  if (json) return JSON.stringify({ tool: ctx.tool, input: ctx.input, output: ctx.output, size: r.bytes.length, platform, compatibilityMask: mask(r.compatibilityMask), signature: toHex(r.signature) }, null, 2) + '\n';
  return `written:  ${ctx.output}\n${platform.padEnd(8)} mask ${mask(r.compatibilityMask)}  COSE_Sign1 ${r.signature.length} bytes (verified)\n`;
}

export function igvmCorimDiagnostics(r: EmbedIgvmCorimResult): string {
  return (r.replaced ? `note: replaced ${r.replaced} CoRIM header${r.replaced > 1 ? 's' : ''} the file had\n` : '') + r.warnings.map((w) => `warning: ${w}\n`).join('');
}

export function renderIgvmCorimVerify(checks: IgvmCorimCheck[], json: boolean): string {
  if (json) return JSON.stringify({ ok: checks.every((c) => c.problems.length === 0), platforms: checks.map((c) => ({ ...c, compatibilityMask: mask(c.compatibilityMask) })) }, null, 2) + '\n';
  return checks.map((c) => `${c.platform.padEnd(8)} mask ${mask(c.compatibilityMask)}  ${c.problems.length ? `FAILED: ${c.problems.join('; ')}` : 'ok: the CoRIM endorses the digest, the signature verifies'}\n`).join('');
}
