/**
 * Writes synthetic TDX evidence to test/verify/synthetic/ (TEST KEYS, nothing of Intel's), for
 * the uses that cannot generate it at run time: the build's code-cache run
 * (scripts/make-code-cache.mjs) and the benchmark without ../shared (test/bench/verify-bench.mjs).
 * The tests generate their own, fresh, through ./tdx-synthetic.ts. Run:
 *   npx vite-node test/verify/make-synthetic-tdx.ts
 * Writes tdx-quote-v4.bin, tdx-quote-v5.bin (TDX 1.5 body) and tdx-collateral.json (valid
 * 2025-06-01 .. 2025-07-01); the chains end in a test root, so `prelaunch verify` (anchored in
 * Intel's real root) verifies the signatures and refuses the chain: exit 1.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCollateral, makePki, makeQuote } from './tdx-synthetic.js';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'synthetic');
const pki = await makePki();
writeFileSync(path.join(OUT, 'tdx-quote-v4.bin'), (await makeQuote(pki)).quote);
writeFileSync(path.join(OUT, 'tdx-quote-v5.bin'), (await makeQuote(pki, { version: 5, bodyType: 3 })).quote);
writeFileSync(path.join(OUT, 'tdx-collateral.json'), await makeCollateral(pki));
console.log(`wrote ${OUT}/tdx-quote-v4.bin, tdx-quote-v5.bin, tdx-collateral.json`);
