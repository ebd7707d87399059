/**
 * Output of `igvm measure`: igvmmeasure's line (the digest in upper-case hex) or a JSON
 * document, and the error line for an SNP ID block the launch would fail on.
 */
import { toHex } from '../bytes/hex.js';
import { headerTypeName } from '../formats/igvm/defs.js';
import type { IgvmMeasurement } from '../measure/igvm.js';
import type { IgvmIdBlockCheck } from '../sign/igvm.js';

export interface IgvmMeasureReportContext {
  tool: string;
  file: string;
  size: number;
  formatVersion: number;
}

export function renderIgvmMeasure(m: IgvmMeasurement, sigCheck: IgvmIdBlockCheck | null, ctx: IgvmMeasureReportContext, json: boolean): string {
  if (!json) return toHex(m.digest).toUpperCase() + '\n';
  const doc = {
    tool: ctx.tool,
    semantics: m.platform === 'tdx' || m.platform === 'vbs' ? `igvm crate (microsoft/igvm measurement::${m.platform})` : 'igvmmeasure (coconut-svsm)',
    file: ctx.file,
    size: ctx.size,
    formatVersion: ctx.formatVersion,
    platform: m.platform,
    compatibilityMask: `0x${m.compatibilityMask.toString(16)}`,
    digest: toHex(m.digest),
    operations: m.operations,
    vmsaCount: m.vmsaCount,
    idBlock: m.idBlock && {
      header: m.idBlock.location.index,
      offset: `0x${m.idBlock.location.offset.toString(16)}`,
      ld: toHex(m.idBlock.ld),
      matches: m.idBlock.matches,
      ...(sigCheck ? { signatureValid: sigCheck.ok, idBlockSignatureValid: sigCheck.idBlockSignatureValid, idKeySignatureValid: sigCheck.idKeySignatureValid, problems: sigCheck.problems } : {}),
    },
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/**
 * The error line (with its newline) when the file's SNP ID block would make the launch fail —
 * it expects another digest, or its signatures do not verify — or null.
 */
export function igvmIdBlockProblem(m: IgvmMeasurement, sigCheck: IgvmIdBlockCheck | null): string | null {
  if (!m.idBlock) return null;
  const loc = m.idBlock.location;
  const where = `the SNP ID block (${headerTypeName(loc.type)} header #${loc.index} at offset 0x${loc.offset.toString(16)})`;
  if (!m.idBlock.matches) {
    return `error: ${where} expects launch digest ${toHex(m.idBlock.ld).toUpperCase()}, which is not the digest computed (use --ignore-idblock to ignore it)\n`;
  }
  if (sigCheck && !sigCheck.ok) return `error: ${where} matches the digest but the launch would fail: ${sigCheck.problems.join('; ')} (use --ignore-idblock to ignore it)\n`;
  return null;
}
