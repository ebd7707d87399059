/**
 * `prelaunch golden [MANIFEST]`: every measurement of a release matrix in one canonical JSON
 * document; `prelaunch golden --check REPORT DOCUMENT`: which entry a report matches.
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { OptionError, PrelaunchError } from '../../errors.js';
import { checkReport } from '../../golden/check.js';
import { renderGoldenCheck } from '../../report/golden-check.js';
import { GOLDEN_SCHEMA, artifactModes, compareEntries, countArtifactEntries, generateGolden, serializeGolden, type GoldenArtifact, type GoldenDocument, type GoldenIdBlockSigner } from '../../golden/engine.js';
import { parseGoldenDocument } from '../../golden/document.js';
import { parseJsonDocument } from '../../schema/validate.js';
import { toBase64, toHex } from '../../bytes/hex.js';
import { bytesSource } from '../../bytes/source.js';
import { refuseWrongKind } from '../../formats/file-kind.js';
import { parseManifestText, type GoldenManifest } from '../../golden/manifest.js';
import { MAX_GOLDEN_ENTRIES } from '../../schema/golden-manifest.js';
import { checkSnpOnlyDimensions, cpusOf, needsVcpuCount, parseHostDataList, parseModes, parseUintList, parseVcpuList, parseVcpuTypes, parseVmmTypes, parseVmsaProfiles } from '../../golden/matrix.js';
import { reportFromBinary, reportFromJson } from '../../formats/snp/attestation-report.js';
import { loadHashBackend, type HashBackendName } from '../../hash/index.js';
import { VERSION } from '../../version.js';
import { intOption } from '../numbers.js';
import { LIMITS, OpenFiles, Outputs, firmwareFactsCache, readInput, type FileSource, writeStdout } from '../io.js';
import type { SigningFlags } from '../signing-options.js';
import { GOLDEN_WORKER_ARG, goldenWorkerScript } from '../golden-worker.js';
import { cmdlineFromFlags, trailingNewlineWarning } from '../cmdline-flag.js';
import { resolvePath, setExitCode, stderrIsTTY, writeStderr } from '../context.js';
import { parseBytesText } from '../../bytes/bytes-text.js';
import { readAcpiDir } from '../acpi-dir.js';
import type { AcpiBlobs } from '../../measure/rtmr.js';

export interface GoldenFlags extends SigningFlags {
  /** --no-cache: false */
  cache?: boolean;
  output?: string;
  ovmf?: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  appendFile?: string;
  mode?: string;
  vcpus?: string;
  vcpuType?: string;
  vcpuSig?: string;
  vmmType?: string;
  vmsaProfile?: string;
  guestFeatures?: string;
  policy?: string;
  hostData?: string;
  maxEntries?: string;
  timestamp?: boolean;
  check?: string;
  json?: boolean;
  jobs?: string;
  hashBackend: HashBackendName;
}

/** An ID-block signer for golden entries: the same keys and fields for every entry (RFC 6979, reproducible). */
async function idBlockSigner(spec: NonNullable<GoldenManifest['idBlock']>, baseDir: string, where: string): Promise<GoldenIdBlockSigner> {
  const { loadPrivateKey } = await import('../keys.js');
  const { buildIdBlock, createIdAuthSigner } = await import('../../sign/id-block.js');
  const pass = { file: spec.passphraseFile ? resolvePath(baseDir, spec.passphraseFile) : undefined, env: spec.passphraseEnv ?? undefined };
  const idKey = loadPrivateKey(resolvePath(baseDir, spec.idKey), `${where}idKey`, pass);
  const authorKey = spec.authorKey ? loadPrivateKey(resolvePath(baseDir, spec.authorKey), `${where}authorKey`, pass) : null;
  const id16 = (v: string | null, key: string): Uint8Array => {
    if (!v) return new Uint8Array(16);
    return parseBytesText(v, `${where}${key}`, { size: 16, code: 'ERR_INVALID_OPTION' });
  };
  const familyId = id16(spec.familyId, 'familyId');
  const imageId = id16(spec.imageId, 'imageId');
  const sign = createIdAuthSigner({ idKey: idKey.d, authorKey: authorKey?.d ?? null });
  const cache = new Map<string, Record<string, unknown>>(); // vCPU models sharing a signature share values
  return (measurement, policy) => {
    const key = `${toHex(measurement)}/${policy}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const idBlock = buildIdBlock({ measurement, policy, familyId, imageId, guestSvn: spec.guestSvn });
    const r = sign(idBlock);
    const rec = {
      idBlock: toBase64(r.idBlock),
      idAuth: toBase64(r.idAuth),
      idKeyDigest: toHex(r.idKeyDigest),
      authorKeyDigest: r.authorKeyDigest ? toHex(r.authorKeyDigest) : null,
      authorKeyEnabled: r.authorKeyEnabled,
      familyId: toHex(familyId),
      imageId: toHex(imageId),
      guestSvn: spec.guestSvn,
      policy: `0x${policy.toString(16)}`,
    };
    cache.set(key, rec);
    return rec;
  };
}

const U64 = (1n << 64n) - 1n;

/** A manifest's text. Not UTF-8 is refused: replacing bytes with U+FFFD would change a measured cmdline. */
function decodeManifest(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new PrelaunchError('ERR_MALFORMED', `${file}: not UTF-8 text (give a kernel command line that is not UTF-8 as cmdlineHex)`, { file });
  }
}

function manifestFromFlags(f: GoldenFlags): GoldenManifest {
  if (!f.ovmf) throw new OptionError('--ovmf', 'give a MANIFEST, or --ovmf FILE with the matrix flags');
  if (!f.idKey && (f.authorKey || f.familyId || f.imageId || f.guestSvn)) throw new OptionError('--id-key', 'ID-block fields need --id-key');
  if ((f.initrd !== undefined || f.append !== undefined || f.appendFile !== undefined) && f.kernel === undefined) throw new OptionError('--kernel', '--initrd, --append and --append-file need --kernel');
  const cmdline = cmdlineFromFlags(f.append, f.appendFile);
  const nl = trailingNewlineWarning(cmdline);
  if (nl) writeStderr(nl + '\n');
  const modes = f.mode ? parseModes(f.mode, '--mode') : (['snp'] as const).slice();
  // vTPM PCRs depend on the QEMU version, memory and fw_cfg dump: launch shapes are manifest-only
  if (modes.includes('tpm')) throw new OptionError('--mode', 'tpm entries need launch shapes (QEMU version, memory, fw_cfg dump): write a manifest with matrix.tpm.shapes (docs/golden.md)');
  // RTMR1/RTMR2 of a direct boot depend on the guest memory: TD shapes are manifest-only
  if (modes.includes('tdx') && f.kernel !== undefined) throw new OptionError('--kernel', 'tdx entries with a kernel need TD shapes (guest memory, ACPI tables): write a manifest with matrix.tdx.shapes (docs/golden.md)');
  checkSnpOnlyDimensions(modes, [['--guest-features', f.guestFeatures !== undefined], ['--policy', f.policy !== undefined], ['--host-data', f.hostData !== undefined], ['--id-key', f.idKey !== undefined]]);
  const needsVcpus = needsVcpuCount(modes);
  const vmmTypes = f.vmmType ? parseVmmTypes(f.vmmType, '--vmm-type') : (['QEMU'] as const).slice();
  const cpus = cpusOf(f.vcpuType ? parseVcpuTypes(f.vcpuType, '--vcpu-type') : [], f.vcpuSig ? parseUintList(f.vcpuSig, '--vcpu-sig', 0xffff_ffffn) : []);
  if (needsVcpus && f.vcpus === undefined) throw new OptionError('--vcpus', 'required for snp and seves (e.g. 1-64)');
  if (needsVcpus && vmmTypes.includes('QEMU') && cpus.length === 0) throw new OptionError('--vcpu-type', 'QEMU guests need --vcpu-type (a list, or all) or --vcpu-sig');
  const maxEntries = f.maxEntries === undefined ? 100_000 : Number(f.maxEntries);
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > MAX_GOLDEN_ENTRIES) throw new OptionError('--max-entries', `must be an integer within 1..${MAX_GOLDEN_ENTRIES}`);
  return {
    artifacts: [{ name: path.basename(f.ovmf), kind: 'ovmf', firmware: f.ovmf, kernel: f.kernel ?? null, initrd: f.initrd ?? null, cmdline: cmdline ?? null }],
    matrix: {
      modes,
      vcpus: needsVcpus ? parseVcpuList(f.vcpus, '--vcpus') : [],
      cpus,
      vmmTypes,
      vmsaProfiles: f.vmsaProfile ? parseVmsaProfiles(f.vmsaProfile, '--vmsa-profile') : null,
      guestFeatures: f.guestFeatures ? parseUintList(f.guestFeatures, '--guest-features', U64) : [1n],
      policies: f.policy ? parseUintList(f.policy, '--policy', U64) : null,
      hostData: f.hostData ? parseHostDataList(f.hostData, '--host-data') : null,
    },
    maxEntries,
    idBlock: f.idKey
      ? {
          idKey: f.idKey, authorKey: f.authorKey ?? null, familyId: f.familyId ?? null, imageId: f.imageId ?? null,
          guestSvn: f.guestSvn === undefined ? 0 : Number(intOption('--guest-svn', f.guestSvn, { min: 0n, max: 0xffff_ffffn })),
          passphraseFile: f.passphraseFile ?? null, passphraseEnv: f.passphraseEnv ?? null,
        }
      : null,
  };
}

function progressBar(): ((done: number, total: number) => void) | undefined {
  if (!stderrIsTTY()) return undefined;
  const start = Date.now();
  let shown = false;
  return (done, total) => {
    if (!shown && Date.now() - start < 500) return; // only for long runs
    shown = true;
    const width = 30;
    const filled = Math.round((done / total) * width);
    writeStderr(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
  };
}

async function runCheck(reportFile: string, docFile: string | undefined, f: GoldenFlags): Promise<void> {
  if (!docFile) throw new OptionError('--check', 'usage: prelaunch golden --check REPORT reference-values.json');
  const dec = new TextDecoder();
  const doc = parseGoldenDocument(dec.decode(readInput(docFile, 'golden --check', LIMITS.goldenDocument, 'a golden document')), docFile);
  const raw = readInput(reportFile, '--check', LIMITS.attestationReport, 'an attestation report');
  let report;
  const text = dec.decode(raw.subarray(0, 64)).trimStart();
  if (text.startsWith('{')) {
    report = reportFromJson(parseJsonDocument(dec.decode(raw), reportFile, 'an SEV-SNP attestation report as JSON'), reportFile);
  } else {
    refuseWrongKind(bytesSource(raw, reportFile), ['snp-report'], '--check', 'an SEV-SNP attestation report');
    report = reportFromBinary(raw, reportFile);
  }
  if (!report.measurement) throw new PrelaunchError('ERR_MALFORMED', `${reportFile}: the report has no measurement`);
  const result = checkReport(doc, report);
  writeStdout(renderGoldenCheck(result, report.measurement, f.json === true, true));
  if (!result.matched) setExitCode(1);
}

/** A refusal the engine names a manifest path for (a vTPM shape the model refuses) also names the manifest. */
function inManifest<T>(manifestFile: string | null, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (manifestFile && e instanceof PrelaunchError && typeof e.data.path === 'string' && !e.message.startsWith(`${manifestFile}: `)) throw new PrelaunchError(e.code, `${manifestFile}: ${e.message}`, { ...e.data, file: manifestFile });
    throw e;
  }
}

/** What one thread computes: the document for some of the manifest's artifacts. */
export interface GoldenJob {
  manifest: GoldenManifest;
  manifestFile: string | null;
  baseDir: string;
  /** indexes into manifest.artifacts */
  artifacts: number[];
  hashBackend: HashBackendName;
  /** false: --no-cache (no firmware facts cache) */
  cache: boolean;
}

export async function computeGoldenJob(job: GoldenJob, onProgress?: (done: number, total: number) => void): Promise<GoldenDocument> {
  const { manifest, baseDir } = job;
  const backend = await loadHashBackend(job.hashBackend);
  const signer = manifest.idBlock ? await idBlockSigner(manifest.idBlock, baseDir, job.manifestFile ? `${job.manifestFile}: idBlock.` : '--') : null;
  const files = new OpenFiles();
  const open = (p: string, key: string): FileSource => files.open(p, key, baseDir);
  const openBoot = (p: string, key: string): FileSource => files.open(p, key, baseDir, LIMITS.bootStream, 'a kernel or initrd given as a stream');
  try {
    const artifacts: GoldenArtifact[] = job.artifacts.map((i) => {
      const a = manifest.artifacts[i]!;
      return {
        name: a.name,
        kind: a.kind,
        ...(a.modes ? { modes: a.modes } : {}),
        ...(a.qemuKernelPatch !== undefined ? { qemuKernelPatch: a.qemuKernelPatch } : {}),
        firmware: open(a.firmware, `artifacts[${i}].firmware`),
        firmwarePath: a.firmware,
        ...(a.vars ? { vars: open(a.vars, `artifacts[${i}].vars`), varsPath: a.vars } : {}),
        kernel: a.kernel ? openBoot(a.kernel, `artifacts[${i}].kernel`) : null,
        kernelPath: a.kernel,
        initrd: a.initrd ? openBoot(a.initrd, `artifacts[${i}].initrd`) : null,
        initrdPath: a.initrd,
        cmdline: a.cmdline,
      };
    });
    // the ACPI tables of each TD shape that names a directory (read only when a tdx artifact is in this job)
    const tdxAcpi = new Map<string, AcpiBlobs>();
    const tdxFwCfg = new Map<string, Uint8Array>();
    if (artifacts.some((a) => artifactModes(manifest.matrix, a).includes('tdx') && a.kind === 'ovmf')) {
      manifest.matrix.tdx?.shapes.forEach((sh, i) => {
        if (sh.acpiDir !== null) tdxAcpi.set(sh.name, readAcpiDir(path.isAbsolute(sh.acpiDir) ? sh.acpiDir : path.join(baseDir, sh.acpiDir), `${job.manifestFile ? `${job.manifestFile}: ` : ''}matrix.tdx.shapes[${i}].acpiDir`));
        if (sh.fwCfg !== null) tdxFwCfg.set(sh.name, readInput(resolvePath(baseDir, sh.fwCfg), `${job.manifestFile ? `${job.manifestFile}: ` : ''}matrix.tdx.shapes[${i}].fwCfg`, LIMITS.firmwareStream, 'a fw_cfg dump (fwcfg.tar)'));
      });
    }
    // the fw_cfg dump of each vTPM shape that names one (read only when a tpm artifact is in this job)
    const tpmFwCfg = new Map<string, Uint8Array>();
    if (artifacts.some((a) => artifactModes(manifest.matrix, a).includes('tpm'))) {
      manifest.matrix.tpm?.shapes.forEach((sh, i) => {
        if (sh.fwCfg !== null) tpmFwCfg.set(sh.name, readInput(resolvePath(baseDir, sh.fwCfg), `${job.manifestFile ? `${job.manifestFile}: ` : ''}matrix.tpm.shapes[${i}].fwCfg`, LIMITS.firmwareStream, 'a fw_cfg dump (fwcfg.tar)'));
      });
    }
    return inManifest(job.manifestFile, () => generateGolden({
      artifacts,
      matrix: manifest.matrix,
      tdxAcpi,
      tdxFwCfg,
      tpmFwCfg,
      maxEntries: Number.MAX_SAFE_INTEGER, // checked for the whole manifest before the jobs start
      tool: `prelaunch ${VERSION}`,
      hashBackend: backend,
      firmwareFactsCache: firmwareFactsCache(job.cache),
      idBlock: signer,
      onWarning: (w) => writeStderr(`warning: ${w}\n`),
      ...(onProgress ? { onProgress } : {}),
    }));
  } finally {
    files.close();
  }
}

/**
 * Run jobs on worker threads (each worker re-enters the CLI bundle, see bin.ts) and merge
 * their documents in canonical order. Errors come back as PrelaunchErrors.
 */
async function runOnWorkers(script: string, jobs: GoldenJob[], onProgress?: (done: number, total: number) => void): Promise<GoldenDocument[]> {
  const done = new Array<number>(jobs.length).fill(0);
  const totals = new Array<number>(jobs.length).fill(0);
  return Promise.all(jobs.map((job, k) => new Promise<GoldenDocument>((resolve, reject) => {
    const w = new Worker(script, { argv: [GOLDEN_WORKER_ARG], workerData: { prelaunchGoldenJob: job }, stdout: false, stderr: false });
    w.on('message', (m: { progress?: [number, number]; doc?: GoldenDocument; error?: { code: string; message: string } }) => {
      if (m.progress) {
        [done[k], totals[k]] = m.progress;
        onProgress?.(done.reduce((a, b) => a + b, 0), totals.reduce((a, b) => a + b, 0));
      } else if (m.doc) resolve(m.doc);
      else if (m.error) reject(new PrelaunchError(m.error.code as 'ERR_IO', m.error.message));
    });
    w.on('error', (e) => reject(new PrelaunchError('ERR_IO', `worker thread failed: ${e.message}`)));
    w.on('exit', (code) => { if (code !== 0) reject(new PrelaunchError('ERR_IO', `worker thread exited with ${code}`)); });
  })));
}

/** Worker-thread side: compute one job and post the document back. */
export async function goldenWorkerMain(job: GoldenJob, post: (m: unknown) => void): Promise<void> {
  try {
    const doc = await computeGoldenJob(job, (d, t) => post({ progress: [d, t] }));
    post({ doc });
  } catch (e) {
    const err = e instanceof PrelaunchError ? { code: e.code, message: e.message } : { code: 'ERR_IO', message: `internal error: ${(e as Error).message}` };
    post({ error: err });
  }
}

export async function runGolden(manifestFile: string | undefined, f: GoldenFlags): Promise<void> {
  if (f.check !== undefined) return runCheck(f.check, manifestFile, f);
  if (manifestFile && f.ovmf) throw new OptionError('--ovmf', 'give either a MANIFEST or --ovmf with matrix flags, not both');
  const outputs = new Outputs();
  if (f.output) outputs.add(f.output, '--output');
  let manifest: GoldenManifest;
  let baseDir = '.';
  if (manifestFile) {
    manifest = parseManifestText(decodeManifest(readInput(manifestFile, 'golden', LIMITS.manifest, 'a golden manifest'), manifestFile), manifestFile);
    baseDir = path.dirname(manifestFile);
  } else {
    manifest = manifestFromFlags(f);
  }
  const total = manifest.artifacts.reduce((n, a) => n + countArtifactEntries(manifest.matrix, a), 0);
  if (total > manifest.maxEntries) {
    const where = manifestFile ? `${manifestFile}: $.maxEntries` : '--max-entries';
    throw new PrelaunchError(manifestFile ? 'ERR_MALFORMED' : 'ERR_INVALID_OPTION', `${where}: the matrix produces ${total} entries, more than the maximum ${manifest.maxEntries} (raise it if you mean it)`);
  }
  // Artifacts are independent: with several, spread them over worker threads (one per core
  // by default; --jobs 1 keeps everything on this thread).
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const jobsWanted = f.jobs === undefined ? cores : Number(intOption('--jobs', f.jobs, { min: 1n, max: 256n }));
  // in-process (tests) there is no script for workers to re-enter: one thread computes all
  const script = goldenWorkerScript();
  const nJobs = script === null ? 1 : Math.min(jobsWanted, manifest.artifacts.length);
  const base = { manifest, manifestFile: manifestFile ?? null, baseDir, hashBackend: f.hashBackend, cache: f.cache !== false };
  const progress = progressBar();
  let doc: GoldenDocument;
  if (nJobs <= 1) {
    doc = await computeGoldenJob({ ...base, artifacts: manifest.artifacts.map((_, i) => i) }, progress);
  } else {
    const jobs: GoldenJob[] = Array.from({ length: nJobs }, (_, k) => ({ ...base, artifacts: manifest.artifacts.map((_, i) => i).filter((i) => i % nJobs === k) }));
    const parts = await runOnWorkers(script!, jobs, progress);
    const byName = new Map(parts.flatMap((p) => p.artifacts).map((a) => [a.name, a]));
    doc = {
      schema: GOLDEN_SCHEMA,
      tool: `prelaunch ${VERSION}`,
      artifacts: manifest.artifacts.map((a) => byName.get(a.name)!),
      entries: parts.flatMap((p) => p.entries).sort(compareEntries),
    };
  }
  if (f.timestamp) doc = { schema: doc.schema, tool: doc.tool, generated: new Date().toISOString(), artifacts: doc.artifacts, entries: doc.entries };
  const text = serializeGolden(doc);
  if (f.output) {
    try {
      outputs.write(f.output, text, '--output');
      outputs.commit();
    } finally {
      outputs.abort();
    }
  } else writeStdout(text);
}
