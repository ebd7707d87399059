/**
 * The page script of the real-browser test (./browser.e2e.test.ts), bundled by esbuild for the
 * browser from the built package (`import … from 'prelaunch'` resolved through package.json
 * "exports"): fetches the inputs from the test's server, measures them, and leaves the result
 * on `globalThis.prelaunchResult` for the test to read.
 */
import { defaultBackend, measureIgvm, measureSnp, toHex, vcpuTypeSig } from 'prelaunch';
import { parseIgvm } from 'prelaunch/igvm';

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function run(): Promise<Record<string, string>> {
  const [ovmf, igvm] = await Promise.all([fetchBytes('/OVMF.fd'), fetchBytes('/sample.igvm')]);
  const snp = measureSnp({ ovmf, vcpus: 4, vcpuSig: vcpuTypeSig('EPYC-v4') });
  return {
    backend: defaultBackend.name,
    node: typeof (globalThis as { process?: unknown }).process,
    snp: toHex(snp.digest),
    igvm: toHex(measureIgvm(igvm).digest),
    igvmParsed: toHex(measureIgvm(parseIgvm(igvm)).digest),
  };
}

(globalThis as { prelaunchResult?: Promise<Record<string, string>> }).prelaunchResult = run().catch((e: unknown) => ({ error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) }));
