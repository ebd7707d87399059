/**
 * Every public entry (package.json "exports"), by specifier, as its source module, and one
 * namespace with all their exports (tests that walk the whole public API use it).
 */
import * as root from '../../src/index.js';
import * as snp from '../../src/entries/snp.js';
import * as sev from '../../src/entries/sev.js';
import * as ovmf from '../../src/entries/ovmf.js';
import * as idBlock from '../../src/entries/id-block.js';
import * as tdx from '../../src/entries/tdx.js';
import * as igvm from '../../src/entries/igvm.js';
import * as golden from '../../src/entries/golden.js';
import * as exporters from '../../src/entries/export.js';
import * as stack from '../../src/entries/stack.js';
import * as tpm from '../../src/entries/tpm.js';
import * as verify from '../../src/entries/verify.js';

export const ENTRY_MODULES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  prelaunch: root,
  'prelaunch/snp': snp,
  'prelaunch/sev': sev,
  'prelaunch/ovmf': ovmf,
  'prelaunch/id-block': idBlock,
  'prelaunch/tdx': tdx,
  'prelaunch/igvm': igvm,
  'prelaunch/golden': golden,
  'prelaunch/export': exporters,
  'prelaunch/stack': stack,
  'prelaunch/tpm': tpm,
  'prelaunch/verify': verify,
};
