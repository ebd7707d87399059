/**
 * OVMF image → model. Reads only the tail of the image (footer table and metadata);
 * page contents stay in the {@link ByteSource} and are streamed by the hashing engine.
 */
import { asSource, type ByteInput, type ByteSource } from '../../bytes/source.js';
import { FOUR_GIB, SEV_ES_RESET_BLOCK_GUID, SEV_HASH_TABLE_RV_GUID, SEV_METADATA_GUID, SVSM_INFO_GUID, SevSectionType, TDX_METADATA_OFFSET_GUID } from './defs.js';
import { SEV_ES_RESET_BLOCK, SEV_HASH_TABLE_RV, SEV_METADATA_OFFSET, SVSM_INFO, TDX_METADATA_OFFSET, decodeEntry, findEntry, parseFooterTable, type FooterTable } from './footer-table.js';
import { parseSevMetadata, type SevMetadata } from './sev-metadata.js';
import { parseTdxMetadata, type TdxMetadata } from './tdx-metadata.js';

export interface OvmfImage {
  source: ByteSource;
  size: number;
  /** guest physical address the image is loaded at (it ends at 4 GiB) */
  gpa: number;
  table: FooterTable | null;
  /** AP reset EIP from the SEV-ES reset block entry, if present */
  resetEip: number | null;
  /** the kernel-hashes table location from the SEV hash-table entry, if present */
  hashTable: { gpa: number; size: number } | null;
  /** SVSM entry-point offset (SVSM images only) */
  svsmInfoOffset: number | null;
  sevMetadata: SevMetadata | null;
  tdxMetadata: TdxMetadata | null;
}

/** `input`'s footer table and metadata; bytes are referenced, not copied (page contents are read when measured). */
export function parseOvmf(input: ByteInput): OvmfImage {
  const source = asSource(input, 'firmware');
  const table = parseFooterTable(source);
  const reset = findEntry(table, SEV_ES_RESET_BLOCK_GUID);
  const hash = findEntry(table, SEV_HASH_TABLE_RV_GUID);
  const meta = findEntry(table, SEV_METADATA_GUID);
  const svsm = findEntry(table, SVSM_INFO_GUID);
  const tdx = findEntry(table, TDX_METADATA_OFFSET_GUID);
  return {
    source,
    size: source.size,
    gpa: FOUR_GIB - source.size,
    table,
    resetEip: reset ? decodeEntry(reset, SEV_ES_RESET_BLOCK, source).resetEip : null,
    hashTable: hash ? decodeEntry(hash, SEV_HASH_TABLE_RV, source) : null,
    svsmInfoOffset: svsm ? decodeEntry(svsm, SVSM_INFO, source).offset : null,
    sevMetadata: meta ? parseSevMetadata(source, decodeEntry(meta, SEV_METADATA_OFFSET, source).offsetFromEnd, meta.offset) : null,
    tdxMetadata: tdx ? parseTdxMetadata(source, decodeEntry(tdx, TDX_METADATA_OFFSET, source).offsetFromEnd, tdx.offset) : null,
  };
}

export interface DirectBootSupport {
  /** SNP: a SNP_KERNEL_HASHES section and a hash-table entry */
  snp: boolean;
  /** SEV / SEV-ES: a hash-table entry with a non-zero GPA */
  sev: boolean;
  /** why not, in a packager's words */
  reason: string | null;
}

/** Whether kernel/initrd/cmdline hashes (measured direct boot) can be measured, and if not, why. */
export function directBootSupport(img: OvmfImage): DirectBootSupport {
  const khSection = img.sevMetadata?.sections.some((s) => s.type === SevSectionType.SNP_KERNEL_HASHES) ?? false;
  const ht = img.hashTable;
  const sev = ht !== null && ht.gpa !== 0;
  const snp = khSection && ht !== null;
  let reason: string | null = null;
  if (!img.table) reason = 'the image has no OVMF footer table: this is not an SEV-capable OVMF build; kernel hashes need an AmdSevX64 build';
  else if (!ht) reason = 'no SEV hash-table entry in the footer table; kernel hashes need an AmdSevX64 build';
  else if (ht.gpa === 0) reason = 'hash-table GPA is 0: this is an OvmfPkgX64 build; kernel hashes need an AmdSevX64 build';
  else if (!img.sevMetadata) reason = 'no SEV metadata: SEV/SEV-ES direct boot works, SNP needs an AmdSevX64 build with a SNP_KERNEL_HASHES section';
  else if (!khSection) reason = 'SEV metadata has no SNP_KERNEL_HASHES section: SEV/SEV-ES direct boot works, SNP needs an AmdSevX64 build';
  return { snp, sev, reason };
}
