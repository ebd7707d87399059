/** vTPM measured boot: JSON documents and text renderings for `prelaunch tpm predict`, `tpm replay`, `tpm diff`. */
import { toHex } from '../bytes/hex.js';
import type { TpmDiff, TpmDivergence } from '../measured-boot/diff.js';
import type { TpmPrediction } from '../measured-boot/predict.js';
import type { TpmReplay } from '../measured-boot/replay.js';

export function tpmPredictionJson(p: TpmPrediction, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pcrs: p.pcrs,
    unpredicted: p.unpredicted,
    firmware: p.firmware,
    qemuVersion: p.qemuVersion,
    memory: p.memory,
    ...extra,
    events: p.events.map((e, i) => ({
      index: i + 1,
      pcr: e.pcr,
      type: e.typeName,
      description: e.description,
      basis: e.basis,
      digests: e.digests ? { sha256: toHex(e.digests.sha256), sha384: toHex(e.digests.sha384) } : null,
      ...(e.unknownReason ? { unknownReason: e.unknownReason } : {}),
      data: toHex(e.data),
    })),
    warnings: p.warnings,
    notes: p.notes,
  };
}

function pcrTable(pcrs: Record<string, Record<string, string>>): string[] {
  const lines: string[] = [];
  for (const [bank, values] of Object.entries(pcrs)) {
    lines.push(`${bank}:`);
    for (const [idx, v] of Object.entries(values).sort((a, b) => Number(a[0]) - Number(b[0]))) lines.push(`  PCR${idx.padEnd(2)} ${v}`);
  }
  return lines;
}

export function renderTpmPrediction(p: TpmPrediction): string {
  const lines = [
    `firmware: edk2 ${p.firmware.generation} (${p.firmware.generationSource})${p.firmware.secureBootCapable ? ', built with secure boot' : ''}`,
    `QEMU ${p.qemuVersion}, ${p.memory / 1024 ** 2} MiB`,
    '',
    'events (in firmware order):',
  ];
  p.events.forEach((e, i) => {
    lines.push(`  #${String(i + 1).padEnd(3)} PCR${String(e.pcr).padEnd(2)} ${e.typeName.padEnd(32)} ${e.description}`);
    if (e.digests) {
      lines.push(`        sha256 ${toHex(e.digests.sha256)}`);
      lines.push(`        sha384 ${toHex(e.digests.sha384)}`);
    } else lines.push(`        not predicted: ${e.unknownReason ?? ''}`);
  });
  lines.push('', 'PCRs:', ...pcrTable(p.pcrs));
  for (const u of p.unpredicted) lines.push(`  PCR${u.pcr} not predicted: ${u.reason}`);
  for (const n of p.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}

export function tpmReplayJson(r: TpmReplay, file: string): Record<string, unknown> {
  return {
    log: file,
    banks: r.banks,
    pcrs: r.pcrs,
    ...(r.unsupportedBanks.length ? { unsupportedBanks: r.unsupportedBanks } : {}),
    events: r.events.map((e) => ({ index: e.index, offset: e.offset, pcr: e.pcr, type: e.typeName, description: e.description, digests: e.digests, data: toHex(e.data) })),
  };
}

export function renderTpmReplay(r: TpmReplay, file: string): string {
  const lines = [`${file}: TCG2 log, banks ${r.banks.join(', ')}, ${r.events.length} events`, ''];
  for (const e of r.events) {
    lines.push(`  #${String(e.index).padEnd(3)} PCR${String(e.pcr).padEnd(2)} ${e.typeName.padEnd(32)} ${e.description}${e.extends ? '' : ' (extends nothing)'}`);
    for (const [bank, d] of Object.entries(e.digests)) lines.push(`        ${bank.padEnd(6)} ${d}`);
  }
  lines.push('', 'PCRs (replayed):', ...pcrTable(r.pcrs));
  if (r.unsupportedBanks.length) lines.push(`not replayed (algorithm not supported): ${r.unsupportedBanks.join(', ')}`);
  return lines.join('\n') + '\n';
}

function side(d: TpmDivergence): string[] {
  const p = d.predicted;
  const a = d.actual;
  return [
    `  predicted: ${p ? `${p.type} ${p.description} ${p.digest ?? '(not predicted)'}` : '(no event)'}`,
    `  log:       ${a ? `#${a.logIndex} at 0x${a.offset.toString(16)} ${a.type} ${a.description} ${a.digest ?? ''}` : '(no event)'}`,
  ];
}

export function renderTpmDiff(d: TpmDiff): string {
  const lines: string[] = [];
  if (!d.first) lines.push(`prediction and log agree on every predicted event (${d.bank})`);
  else {
    lines.push(`first difference (${d.bank}): PCR${d.first.pcr}, its event ${d.first.position + 1}`, ...side(d.first));
    for (const [pcr, div] of Object.entries(d.pcrs)) if (div && div !== d.first) lines.push(`PCR${pcr} also differs at its event ${div.position + 1}`);
  }
  for (const u of d.unchecked) lines.push(`unchecked: PCR${u.pcr} event ${u.position + 1} (${u.predicted?.description ?? ''}) is not predicted`);
  return lines.join('\n') + '\n';
}
