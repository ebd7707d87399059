#!/usr/bin/env node
// Regenerates test/vectors/snp-measure.json from the shared sev-snp-measure corpus.
//
//   node test/vectors/make-snp-vectors.mjs [path/to/shared]      (default: ../shared beside the project)
//
// Selection: every `sev-snp-measure` case (success or rejection) whose inputs exist without
// ../shared — firmware from fw/deb/ limited to the four images in firmware-samples/debian,
// firmware from fw/synth/ (firmware-samples/synthetic, plus amdsev_4m.fd which is generated),
// and the generated kernels/initrds except the 256 MiB one. Nothing under fw/anchor/.
// Only facts are copied (arguments, expected stdout, digests, sha256s): no file from another
// repository ends up in the project.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROJECT = path.resolve(HERE, '../..');
const SHARED = path.resolve(process.argv[2] ?? path.join(PROJECT, '../shared'));
const CORPUS = path.join(SHARED, 'oracles/snp/corpus.jsonl');
const INPUTS = path.join(SHARED, 'oracles/snp/inputs.json');
const OUT = path.join(HERE, 'snp-measure.json');
const MiB = 1024 * 1024;

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

// The four Debian images the project ships in firmware-samples/debian.
const DEBIAN = ['OVMF.fd', 'OVMF_CODE.fd', 'OVMF_CODE_4M.fd', 'OVMF_VARS_4M.fd'];

// How the test suite recreates every input path the vectors use (relative to a work dir).
// Generated blobs are SHAKE256 streams as in ../shared/conformance/run.mjs (SNP_INPUTS).
const GENERATED = {
  'inputs/kernel_5m.bin': { kind: 'shake256', seed: 'snp-oracle/kernel_5m', size: 5 * MiB + 123, bzimage: true },
  'inputs/kernel_1m.bin': { kind: 'shake256', seed: 'snp-oracle/kernel_1m', size: 1 * MiB, bzimage: true },
  'inputs/kernel_empty.bin': { kind: 'empty' },
  'inputs/initrd_3m.bin': { kind: 'shake256', seed: 'snp-oracle/initrd_3m', size: 3 * MiB + 7 },
  'inputs/initrd_64k.bin': { kind: 'shake256', seed: 'snp-oracle/initrd_64k', size: 65536 },
  'inputs/initrd_empty.bin': { kind: 'empty' },
  'fw/synth/amdsev_4m.fd': {
    kind: 'concat',
    parts: [
      { kind: 'shake256', seed: 'snp-oracle/fw/amdsev_4m.fd/prefix', size: 4 * MiB - 64 * 1024 },
      { kind: 'sample', path: 'firmware-samples/synthetic/amdsev.fd' },
    ],
  },
};

function recipeFor(rel) {
  if (GENERATED[rel]) return GENERATED[rel];
  const deb = /^fw\/deb\/(.+)$/.exec(rel);
  if (deb && DEBIAN.includes(deb[1])) return { kind: 'sample', path: `firmware-samples/debian/${deb[1]}` };
  const syn = /^fw\/synth\/(.+)$/.exec(rel);
  if (syn && fs.existsSync(path.join(PROJECT, 'firmware-samples/synthetic', syn[1]))) return { kind: 'sample', path: `firmware-samples/synthetic/${syn[1]}` };
  return null;
}

// From run.mjs: ids where the reference accepts nonsense and prelaunch rejects cleanly instead.
const MAY_REJECT = [
  /\.v0$/, /\.vneg1$/, /gfoverflow/, /gfneg1/, /emptyappend-no-kernel/, /sig-2pow32/,
  /fms-300-1-1/, /fms-25-300-20/, /vars-unaligned/, /measurement-64bytes-truncated/,
  /measurement-hex-as-b64/,
];

// Deliberate differences (docs/cli.md): the reference accepts these and ignores the flag, the
// real stack would measure it, prelaunch refuses. SEV-ES guest features other than DebugSwap
// (0x20) cannot be in an SEV-ES VMSA; sev-snp-measure drops --guest-features for seves.
// Path-valued flags: a vector is usable only if every path it names can be recreated
// (or is deliberately missing, as in the "missing file" rejection).
const PATH_FLAGS = new Set(['--ovmf', '--kernel', '--initrd', '--svsm', '--vars-file']);
function pathsIn(args) {
  const out = [];
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s);
    if (PATH_FLAGS.has(flag)) out.push(inline ?? args[i + 1]);
  }
  return out.filter((p) => p !== undefined);
}

const corpusText = fs.readFileSync(CORPUS, 'utf8');
const corpus = corpusText.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const inputsJson = JSON.parse(fs.readFileSync(INPUTS, 'utf8'));

const usedInputs = {};
const vectors = [];
let skipped = 0;
for (const e of corpus) {
  if (e.tool !== 'sev-snp-measure') continue;
  const listed = Object.keys(e.inputs ?? {});
  const usable =
    listed.every((rel) => recipeFor(rel) !== null) &&
    pathsIn(e.args).every((p) => listed.includes(p) || !/^(fw|inputs|keys)\//.test(p) || /does_not_exist/.test(p));
  if (!usable) { skipped++; continue; }
  for (const rel of listed) usedInputs[rel] = e.inputs[rel];
  const v = { id: e.id, mode: e.mode, args: e.args, inputs: e.inputs };
  if (e.expected_error !== undefined) {
    v.exit_code = e.exit_code;
    v.expected_error = e.expected_error;
    v.error_kind = e.error_kind;
  } else {
    v.expected = e.expected;
  }
  if (e.vmsa_sha256) v.vmsa_sha256 = e.vmsa_sha256;
  if (MAY_REJECT.some((re) => re.test(e.id))) v.may_reject = true;
  if (e.note) v.note = e.note;
  vectors.push(v);
}

// Check every recipe against the sha256 the corpus records (so a wrong recipe fails here,
// not in the tests).
const shake = (seed, n) => createHash('shake256', { outputLength: n }).update(seed, 'utf8').digest();
function build(r) {
  switch (r.kind) {
    case 'empty': return Buffer.alloc(0);
    case 'sample': return fs.readFileSync(path.join(PROJECT, r.path));
    case 'concat': return Buffer.concat(r.parts.map(build));
    case 'shake256': {
      const b = shake(r.seed, r.size);
      if (r.bzimage && r.size >= 0x208) { b[0x1fe] = 0x55; b[0x1ff] = 0xaa; b.write('HdrS', 0x202, 'latin1'); b.writeUInt16LE(0x020f, 0x206); }
      return b;
    }
    default: throw new Error(`unknown recipe ${r.kind}`);
  }
}
const inputs = {};
for (const rel of Object.keys(usedInputs).sort()) {
  const recipe = recipeFor(rel);
  const got = sha256(build(recipe));
  if (got !== usedInputs[rel]) throw new Error(`${rel}: recipe gives sha256 ${got}, corpus says ${usedInputs[rel]}`);
  inputs[rel] = { sha256: usedInputs[rel], recipe };
}

const doc = {
  provenance: {
    reference: `${inputsJson.anchor.repo}@${inputsJson.anchor.commit}`,
    reference_version: `v${inputsJson.anchor.version}+1`,
    reference_commit: inputsJson.anchor.commit,
    corpus: 'shared/oracles/snp/corpus.jsonl',
    corpus_sha256: sha256(corpusText),
    generated_by: 'test/vectors/make-snp-vectors.mjs',
    generated: new Date().toISOString().slice(0, 10),
    selection:
      'every sev-snp-measure case whose inputs exist without ../shared: fw/deb/{OVMF.fd,OVMF_CODE.fd,OVMF_CODE_4M.fd,OVMF_VARS_4M.fd} → firmware-samples/debian, ' +
      'fw/synth/* → firmware-samples/synthetic (amdsev_4m.fd generated), generated kernels/initrds except the 256 MiB initrd; nothing under fw/anchor',
    may_reject: 'ids matching run.mjs MAY_REJECT (the reference accepts nonsense there; prelaunch rejects with a clean error instead)',
    expected: 'exact stdout line of sev-snp-measure; expected_error is the reference\'s last stderr line (prelaunch\'s text need not match)',
    skipped_cases: skipped,
  },
  inputs,
  vectors,
};
fs.writeFileSync(OUT, JSON.stringify(doc, null, 1) + '\n');
console.log(`${vectors.length} vectors (${vectors.filter((v) => v.expected_error).length} rejections, ${vectors.filter((v) => v.may_reject).length} may-reject), ${Object.keys(inputs).length} inputs, ${skipped} cases skipped → ${path.relative(process.cwd(), OUT)}`);
