/** The union of every public entry's exports (test/support/entries.ts), as one module. */
export * from '../../src/index.js';
export * from '../../src/entries/snp.js';
export * from '../../src/entries/sev.js';
export * from '../../src/entries/ovmf.js';
export * from '../../src/entries/id-block.js';
export * from '../../src/entries/tdx.js';
export * from '../../src/entries/igvm.js';
export * from '../../src/entries/golden.js';
export * from '../../src/entries/export.js';
export * from '../../src/entries/stack.js';
export * from '../../src/entries/tpm.js';
export * from '../../src/entries/verify.js';
