/**
 * Output formats for `measure`: the reference tool's hex / base64 / `-v` sentence, and a
 * JSON document carrying the digest with everything it depends on.
 */
import { cmdlineBytes, describeCmdline, type KernelCmdline } from '../formats/linux/cmdline.js';
import { toBase64, toHex } from '../bytes/hex.js';
import type { Measurement, SevMode } from '../measure/api.js';

export type DigestFormat = 'hex' | 'base64';

const SENTENCE_LABEL: Record<SevMode, string> = { sev: 'SEV', seves: 'SEV_ES', snp: 'SEV_SNP', 'snp:ovmf-hash': 'SEV_SNP', 'snp:svsm': 'SEV_SNP_SVSM' };

export function formatDigest(digest: Uint8Array, format: DigestFormat): string {
  return format === 'base64' ? toBase64(digest) : toHex(digest);
}

/**
 * The line sev-snp-measure prints. `snp:ovmf-hash` always prints bare hex (the reference
 * ignores --output-format and -v there).
 */
export function referenceLine(m: Measurement, format: DigestFormat, verbose: boolean): string {
  if (m.mode === 'snp:ovmf-hash') return toHex(m.digest);
  const value = formatDigest(m.digest, format);
  return verbose ? `Calculated ${SENTENCE_LABEL[m.mode]} guest measurement: ${value}` : value;
}

export interface InputDescription {
  path: string;
  size: number;
  sha256: string;
}

export interface MeasureReportContext {
  tool: string;
  hashBackend: string;
  vmmType: string;
  vmsaProfile?: string | null;
  vcpus: number | null;
  vcpuType: string | null;
  vcpuSig: number | null;
  guestFeatures: bigint | null;
  firmware: InputDescription;
  svsm?: InputDescription | null;
  varsSize?: number | null;
  kernel?: InputDescription | null;
  initrd?: InputDescription | null;
  cmdline?: KernelCmdline | null;
  ovmfHash?: Uint8Array | null;
}

const hex0x = (n: number | bigint): string => `0x${n.toString(16)}`;

/** A deterministic JSON document: the digest and every parameter it depends on. */
export function measureReportJson(m: Measurement, c: MeasureReportContext): Record<string, unknown> {
  const snp = m.mode.startsWith('snp');
  const usesVcpus = m.mode !== 'sev' && m.mode !== 'snp:ovmf-hash';
  const doc: Record<string, unknown> = {
    measurement: toHex(m.digest),
    measurementBase64: toBase64(m.digest),
    algorithm: m.algorithm,
    mode: m.mode,
    vmmType: c.vmmType,
  };
  if (usesVcpus) {
    doc.vcpus = c.vcpus;
    doc.vcpuType = c.vcpuType;
    doc.vcpuSig = c.vmmType === 'QEMU' && c.vcpuSig !== null ? hex0x(c.vcpuSig) : null;
    if (c.vmsaProfile) doc.vmsaProfile = c.vmsaProfile;
  }
  if (m.mode === 'snp') doc.guestFeatures = hex0x(c.guestFeatures ?? 1n);
  else if (m.mode === 'snp:svsm') doc.guestFeatures = '0x1';
  else if (m.mode === 'seves') doc.guestFeatures = hex0x(c.guestFeatures ?? 0n);
  doc.firmware = c.firmware;
  if (m.mode === 'snp:svsm') {
    doc.svsm = c.svsm ?? null;
    doc.varsSize = c.varsSize ?? null;
  }
  if (m.kernelHashes) {
    doc.kernel = { ...c.kernel, sha256: toHex(m.kernelHashes.kernel) };
    doc.initrd = c.initrd ? { ...c.initrd, sha256: toHex(m.kernelHashes.initrd) } : { path: null, sha256: toHex(m.kernelHashes.initrd) };
    // the text when the bytes are UTF-8, else value null and the bytes in hex
    doc.cmdline = { ...describeCmdline(cmdlineBytes(c.cmdline)), sha256: toHex(m.kernelHashes.cmdline) };
  }
  if (snp && c.ovmfHash) doc.ovmfHash = toHex(c.ovmfHash);
  doc.operations = m.operations;
  doc.hashBackend = c.hashBackend;
  doc.tool = c.tool;
  return JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
}
