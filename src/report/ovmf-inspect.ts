/** The `ovmf inspect` report: a plain-data view of an OVMF image, and its text rendering. */
import { toHex } from '../bytes/hex.js';
import { asSource, type ByteInput } from '../bytes/source.js';
import { directBootSupport, parseOvmf } from '../formats/ovmf/parse.js';
import { launchProblems, snpSectionWarnings } from '../plan/launchability.js';

const h = (n: number): string => `0x${n.toString(16)}`;

export interface OvmfInspection {
  file: string;
  size: number;
  sha256: string;
  loadGpa: string;
  endGpa: string;
  footerTable: { start: string; size: number; entries: Array<{ guid: string; name: string | null; offset: string; data: string }> } | null;
  resetEip: string | null;
  sevHashTable: { gpa: string; size: number } | null;
  svsmInfoOffset: string | null;
  sevMetadata: { offset: string; version: number; sections: Array<{ gpa: string; size: string; type: number; typeName: string }> } | null;
  tdxMetadata: {
    offset: string;
    version: number;
    sections: Array<{ type: number; typeName: string; dataOffset: string; rawDataSize: string; memoryAddress: string; memoryDataSize: string; attributes: string; mrExtend: boolean; pageAug: boolean }>;
  } | null;
  capabilities: {
    sev: boolean;
    sevEs: boolean;
    snp: boolean;
    tdx: boolean;
    /** the first reason SNP is not possible */
    snpReason: string | null;
    /** every reason QEMU cannot launch the image in each mode (src/plan/launchability.ts) */
    launchProblems: { sev: string[]; seves: string[]; snp: string[] };
    /** what QEMU does that a packager should know (e.g. an unknown section type measured as ZERO pages) */
    snpWarnings: string[];
  };
  directBoot: { sev: boolean; snp: boolean; reason: string | null };
}

export function inspectOvmf(input: ByteInput, sha256: string): OvmfInspection {
  const src = asSource(input, 'firmware');
  const img = parseOvmf(src);
  const db = directBootSupport(img);
  const noReset = 'no SEV-ES reset block: SEV-ES and SNP need an OVMF built with SEV-ES support';
  const launch = {
    sev: launchProblems(img, 'sev'),
    seves: [...(img.resetEip === null ? [noReset] : []), ...launchProblems(img, 'seves')],
    snp: [...(img.resetEip === null ? [noReset] : []), ...launchProblems(img, 'snp')],
  };
  const snpReason = launch.snp[0] ?? null;
  return {
    file: src.name,
    size: img.size,
    sha256,
    loadGpa: h(img.gpa),
    endGpa: h(img.gpa + img.size - 1),
    footerTable: img.table && {
      start: h(img.table.start),
      size: img.table.size,
      entries: img.table.entries.map((e) => ({ guid: e.guid, name: e.name, offset: h(e.offset), data: toHex(e.data) })),
    },
    resetEip: img.resetEip === null ? null : h(img.resetEip),
    sevHashTable: img.hashTable && { gpa: h(img.hashTable.gpa), size: img.hashTable.size },
    svsmInfoOffset: img.svsmInfoOffset === null ? null : h(img.svsmInfoOffset),
    sevMetadata: img.sevMetadata && {
      offset: h(img.sevMetadata.offset),
      version: img.sevMetadata.version,
      sections: img.sevMetadata.sections.map((s) => ({ gpa: h(s.gpa), size: h(s.size), type: s.type, typeName: s.typeName })),
    },
    tdxMetadata: img.tdxMetadata && {
      offset: h(img.tdxMetadata.offset),
      version: img.tdxMetadata.version,
      sections: img.tdxMetadata.sections.map((s) => ({
        type: s.type, typeName: s.typeName, dataOffset: h(s.dataOffset), rawDataSize: h(s.rawDataSize),
        memoryAddress: h(s.memoryAddress), memoryDataSize: h(s.memoryDataSize), attributes: h(s.attributes), mrExtend: s.mrExtend, pageAug: s.pageAug,
      })),
    },
    capabilities: {
      sev: launch.sev.length === 0,
      sevEs: launch.seves.length === 0,
      snp: launch.snp.length === 0,
      tdx: img.tdxMetadata !== null,
      snpReason,
      launchProblems: launch,
      snpWarnings: snpSectionWarnings(img),
    },
    directBoot: { sev: db.sev, snp: db.snp, reason: db.reason },
  };
}

const yes = (b: boolean): string => (b ? 'yes' : 'no');

export function renderOvmfInspection(r: OvmfInspection): string {
  const out: string[] = [];
  out.push(`file:        ${r.file}`);
  out.push(`size:        ${r.size} bytes (${h(r.size)})`);
  out.push(`sha256:      ${r.sha256}`);
  out.push(`loaded at:   ${r.loadGpa}..${r.endGpa} (ends at 4 GiB)`);
  out.push('');
  if (!r.footerTable) out.push('footer table: none (no OVMF table footer GUID at the end of the image)');
  else {
    out.push(`footer table: ${r.footerTable.entries.length} entries, ${r.footerTable.size} bytes at file offset ${r.footerTable.start}`);
    for (const e of r.footerTable.entries) out.push(`  ${e.guid}  ${(e.name ?? '(unknown)').padEnd(20)} offset ${e.offset.padEnd(9)} data ${e.data.length > 32 ? e.data.slice(0, 32) + '…' : e.data}`);
  }
  out.push('');
  out.push(`SEV-ES AP reset EIP: ${r.resetEip ?? 'none'}`);
  out.push(`SEV hash table:      ${r.sevHashTable ? `GPA ${r.sevHashTable.gpa}, ${r.sevHashTable.size} bytes` : 'none'}`);
  if (r.svsmInfoOffset) out.push(`SVSM entry offset:   ${r.svsmInfoOffset}`);
  out.push('');
  if (!r.sevMetadata) out.push('SEV metadata: none');
  else {
    out.push(`SEV metadata: version ${r.sevMetadata.version} at file offset ${r.sevMetadata.offset}, ${r.sevMetadata.sections.length} sections`);
    out.push('  GPA         size      type');
    for (const s of r.sevMetadata.sections) out.push(`  ${s.gpa.padEnd(11)} ${s.size.padEnd(9)} ${s.typeName}`);
  }
  out.push('');
  if (!r.tdxMetadata) out.push('TDX metadata: none');
  else {
    out.push(`TDX metadata (TDVF): version ${r.tdxMetadata.version} at file offset ${r.tdxMetadata.offset}, ${r.tdxMetadata.sections.length} sections`);
    out.push('  type          file offset  raw size   GPA          memory size  attributes');
    for (const s of r.tdxMetadata.sections) {
      const attrs = [s.mrExtend ? 'MR.EXTEND' : '', s.pageAug ? 'PAGE.AUG' : ''].filter(Boolean).join('|') || '-';
      out.push(`  ${s.typeName.padEnd(13)} ${s.dataOffset.padEnd(12)} ${s.rawDataSize.padEnd(10)} ${s.memoryAddress.padEnd(12)} ${s.memoryDataSize.padEnd(12)} ${attrs}`);
    }
  }
  out.push('');
  const c = r.capabilities;
  out.push(`measurable as: SEV ${yes(c.sev)}, SEV-ES ${yes(c.sevEs)}, SNP ${yes(c.snp)}, TDX metadata ${yes(c.tdx)}`);
  const modeNames = { sev: 'SEV', seves: 'SEV-ES', snp: 'SNP' } as const;
  for (const mode of ['sev', 'seves', 'snp'] as const) for (const p of c.launchProblems[mode]) out.push(`  ${modeNames[mode]} no: ${p}`);
  for (const w of c.snpWarnings) out.push(`  SNP warning: ${w}`);
  out.push(`measured direct boot (kernel/initrd/cmdline hashes): SEV/SEV-ES ${yes(r.directBoot.sev)}, SNP ${yes(r.directBoot.snp)}`);
  if (r.directBoot.reason) out.push(`  ${r.directBoot.reason}`);
  return out.join('\n') + '\n';
}
