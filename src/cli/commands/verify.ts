/**
 * `prelaunch verify EVIDENCE [--cert FILE]… [--certs DIR] [--collateral FILE --at TIME]
 * [--golden DOC] [--ccel LOG] [--policy FIELDS] [--min-tcb LIST] [--json]`: is the evidence (an
 * SEV-SNP report or a TDX quote) genuine, and is it what the golden document predicts? One
 * library call (src/verify/index.ts verifyEvidence), one renderer (src/report/verify.ts).
 * Exit 0 when every check holds, 1 when one fails (the result is still printed; one `error:`
 * line names the first failure), 2 for usage.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OptionError, PrelaunchError } from '../../errors.js';
import type { TcbParts } from '../../formats/snp/attestation-report.js';
import { parseGoldenDocument } from '../../golden/document.js';
import { renderVerification } from '../../report/verify.js';
import { isTdxPrediction, tdxGoldenEntries, verifyEvidence, type CertificateInput, type SnpPolicyExpectations } from '../../verify/index.js';
import { resolvePath, setExitCode, writeStderr } from '../context.js';
import { LIMITS, readInput, writeStdout } from '../io.js';

export interface VerifyFlags {
  cert?: string[];
  certs?: string;
  collateral?: string;
  at?: string;
  golden?: string;
  ccel?: string;
  policy?: string;
  minTcb?: string;
  json?: boolean;
}

/** File names `snpguest fetch ca/vcek` and AMD KDS downloads use (roles are told by each certificate's CN). */
const CERT_FILE = /^(?:(?:vcek|vlek|ask|asvk|ark)\.(?:pem|der|crt|cer)|cert_chain\.pem)$/i;

function certsFromDir(dir: string): CertificateInput[] {
  let names: string[];
  try {
    names = fs.readdirSync(resolvePath(dir));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PrelaunchError('ERR_IO', `--certs ${dir}: ${code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : (e as Error).message}`, { file: dir });
  }
  const picked = names.filter((n) => CERT_FILE.test(n)).sort();
  if (picked.length === 0) throw new PrelaunchError('ERR_IO', `--certs ${dir}: no certificate files (vcek.pem or .der, vlek.pem, ask.pem, asvk.pem, ark.pem, cert_chain.pem)`, { file: dir });
  return picked.map((n) => {
    const file = path.join(dir, n);
    return { bytes: readInput(file, '--certs', LIMITS.certificate, 'a certificate'), source: file };
  });
}

/** Whether golden text is a plain TDX reference document (a JSON object with a `tdx` array) or a `prelaunch tdx --json` prediction. */
function isTdxReferenceDocument(text: string): boolean {
  try {
    const o = JSON.parse(text) as unknown;
    return (typeof o === 'object' && o !== null && Array.isArray((o as { tdx?: unknown }).tdx)) || isTdxPrediction(o);
  } catch {
    return false; // parseGoldenDocument names the JSON problem
  }
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

function parseAt(text: string): Date {
  const t = text.trim();
  const d = ISO_TIME.test(t) ? new Date(t) : null;
  if (!d || Number.isNaN(d.getTime())) throw new OptionError('--at', `${JSON.stringify(text)}: expected an ISO 8601 time, e.g. 2025-06-01T00:00:00Z (a date alone is midnight UTC)`);
  return d;
}

const POLICY_FIELDS: Readonly<Record<string, keyof SnpPolicyExpectations>> = { debug: 'debug', 'migrate-ma': 'migrateMa', smt: 'smt', 'single-socket': 'singleSocket' };

/** `debug=off,migrate-ma=off,smt=off,single-socket=on` → required policy bits. */
export function parsePolicyExpectations(text: string): SnpPolicyExpectations {
  const out: SnpPolicyExpectations = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z-]+)=(on|off)$/.exec(item);
    const key = m ? POLICY_FIELDS[m[1]!] : undefined;
    if (!m || !key) throw new OptionError('--policy', `${JSON.stringify(item)}: expected FIELD=on|off with FIELD one of ${Object.keys(POLICY_FIELDS).join(', ')}`);
    out[key] = m[2] === 'on';
  }
  if (Object.keys(out).length === 0) throw new OptionError('--policy', 'give FIELD=on|off, e.g. debug=off,migrate-ma=off');
  return out;
}

const TCB_FIELDS: readonly (keyof TcbParts)[] = ['bootloader', 'tee', 'snp', 'microcode', 'fmc'];

/** `bootloader=4,tee=0,snp=22,microcode=213[,fmc=1]` → the least TCB accepted. */
export function parseMinTcb(text: string): Partial<TcbParts> {
  const out: Partial<TcbParts> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z]+)=(\d{1,3})$/.exec(item);
    const key = m && (TCB_FIELDS as readonly string[]).includes(m[1]!) ? (m[1] as keyof TcbParts) : null;
    if (!m || !key || Number(m[2]) > 255) throw new OptionError('--min-tcb', `${JSON.stringify(item)}: expected NAME=0..255 with NAME one of ${TCB_FIELDS.join(', ')}`);
    out[key] = Number(m[2]);
  }
  if (Object.keys(out).length === 0) throw new OptionError('--min-tcb', 'give NAME=N, e.g. bootloader=4,tee=0,snp=22,microcode=213');
  return out;
}

export async function runVerify(evidenceFile: string, f: VerifyFlags): Promise<void> {
  const policy = f.policy !== undefined ? parsePolicyExpectations(f.policy) : undefined;
  const minTcb = f.minTcb !== undefined ? parseMinTcb(f.minTcb) : undefined;
  const at = f.at !== undefined ? parseAt(f.at) : undefined;
  if (f.collateral !== undefined && at === undefined) throw new OptionError('--collateral', 'needs --at TIME (the time the collateral is evaluated at; collateral expires)');
  const evidence = readInput(evidenceFile, 'verify', LIMITS.evidence, 'attestation evidence');
  const certificates: CertificateInput[] = (f.cert ?? []).map((file) => ({ bytes: readInput(file, '--cert', LIMITS.certificate, 'a certificate'), source: file }));
  if (f.certs !== undefined) certificates.push(...certsFromDir(f.certs));
  const goldenText = f.golden !== undefined ? new TextDecoder().decode(readInput(f.golden, '--golden', LIMITS.goldenDocument, 'a golden document')) : undefined;
  // a plain TDX reference document ({"tdx": [...]}) or a `prelaunch tdx --json` prediction (src/verify/tdx/golden.ts), or a prelaunch golden document
  const tdxGolden = f.golden !== undefined && goldenText !== undefined && isTdxReferenceDocument(goldenText) ? tdxGoldenEntries(JSON.parse(goldenText), f.golden) : undefined;
  const golden = f.golden !== undefined && goldenText !== undefined && !tdxGolden ? parseGoldenDocument(goldenText, f.golden) : undefined;
  const collateral = f.collateral !== undefined ? { bytes: readInput(f.collateral, '--collateral', LIMITS.goldenDocument, 'TDX collateral'), source: f.collateral } : undefined;
  const ccel = f.ccel !== undefined ? { bytes: readInput(f.ccel, '--ccel', LIMITS.ccel, 'a CCEL event log'), source: f.ccel } : undefined;
  const result = await verifyEvidence(evidence, {
    source: evidenceFile,
    certificates,
    ...(at ? { at } : {}),
    ...(policy ? { policy } : {}),
    ...(minTcb ? { minTcb } : {}),
    ...(golden ? { golden } : {}),
    ...(tdxGolden ? { tdxGolden } : {}),
    ...(f.golden !== undefined ? { goldenSource: f.golden } : {}),
    ...(collateral ? { collateral } : {}),
    ...(ccel ? { ccel } : {}),
  });
  writeStdout(renderVerification(result, f.json === true));
  if (!result.ok) {
    writeStderr(`error: ${evidenceFile}: not verified: ${result.reason ?? 'a check failed'}\n`);
    setExitCode(1);
  }
}
