/**
 * `prelaunch/ovmf`: OVMF/EDK2 firmware images (footer table, SEV and TDX metadata) and the
 * `ovmf inspect` report. See docs/api.md and docs/formats.md.
 */
export { parseOvmf, directBootSupport, type OvmfImage, type DirectBootSupport } from '../formats/ovmf/parse.js';
export type { FooterEntry, FooterTable } from '../formats/ovmf/footer-table.js';
export type { SevMetadata, SevSection } from '../formats/ovmf/sev-metadata.js';
export type { TdxMetadata, TdvfSection } from '../formats/ovmf/tdx-metadata.js';
export { SevSectionType } from '../formats/ovmf/defs.js';
export { inspectOvmf, renderOvmfInspection, type OvmfInspection } from '../report/ovmf-inspect.js';
