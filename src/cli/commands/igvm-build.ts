/**
 * `prelaunch igvm build [igvmbuilder flags] qemu|hyper-v|vanadium`: COCONUT igvmbuilder's
 * CLI, writing a byte-identical IGVM file (../../igvm-build/builder.ts). Beyond igvmbuilder:
 * `--measure` prints the launch digest of every platform in the file, `--manifest FILE`
 * writes them as JSON with the sha256 of every input and the memory layout, and `--id-key`
 * (with `--author-key`, family/image ID, SVN) signs an SNP ID block into the file in the same
 * step (as `igvm sign` / igvmmeasure sign would).
 *
 * The output is written atomically, and only when everything succeeded.
 */
import { createHash } from 'node:crypto';
import { toHex } from '../../bytes/hex.js';
import { bytesSource, type ByteSource } from '../../bytes/source.js';
import { OptionError, PrelaunchError } from '../../errors.js';
import { platformTypeName, IgvmPlatformType } from '../../formats/igvm/defs.js';
import { supportedPlatforms } from '../../formats/igvm/model.js';
import { parseIgvm } from '../../formats/igvm/parse.js';
import { serializeIgvm } from '../../formats/igvm/serialize.js';
import { buildIgvm, HYPERVISORS, type BuildLayout, type Hypervisor } from '../../igvm-build/builder.js';
import { BuildError } from '../../igvm-build/errors.js';
import { EXTRA_SEV_FEATURES, type ExtraSevFeature } from '../../igvm-build/snp-vmsa.js';
import { loadHashBackend, type HashBackendName } from '../../hash/index.js';
import { measureIgvm } from '../../measure/igvm.js';
import { signIgvm } from '../../sign/igvm.js';
import { VERSION } from '../../version.js';
import { LIMITS, Outputs, openFileSource, readInput, type FileSource, writeStdout } from '../io.js';
import { loadPrivateKey } from '../keys.js';
import { intOption } from '../numbers.js';
import type { SigningFlags } from '../signing-options.js';
import { refuseWrongKind } from '../../formats/file-kind.js';
import { parseBytesText } from '../../bytes/bytes-text.js';

export interface IgvmBuildFlags extends SigningFlags {
  tdxStage1?: string;
  bldr?: string;
  kernel: string;
  filesystem?: string;
  firmware?: string;
  output: string;
  comport: string;
  verbose?: boolean;
  sort?: boolean;
  policy?: string;
  snp?: boolean;
  tdp?: boolean;
  native?: boolean;
  vsm?: boolean;
  /** commander: --no-vtom sets this to false */
  vtom?: boolean;
  altInjection?: boolean;
  sevFeatures?: string[];
  measure?: boolean;
  manifest?: string;
  hashBackend: HashBackendName;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function sha256Source(src: ByteSource): string {
  const h = createHash('sha256');
  for (let off = 0; off < src.size; off += 1 << 20) h.update(src.read(off, Math.min(1 << 20, src.size - off)));
  return h.digest('hex');
}

/** igvmbuilder parses --policy as hex, with or without 0x. */
function parsePolicy(text: string): bigint {
  let t = text.trim();
  while (t.startsWith('0x')) t = t.slice(2);
  if (!/^[0-9a-fA-F]{1,16}$/.test(t)) throw new OptionError('--policy', `"${text}" is not a hex u64 (e.g. 0x30000)`);
  return BigInt('0x' + t);
}

/** FAMILY_ID / IMAGE_ID: 16 bytes as text (src/bytes/bytes-text.ts); a usage error otherwise. */
function id16(flag: string, text: string | undefined): Uint8Array | undefined {
  if (text === undefined) return undefined;
  return parseBytesText(text, flag, { size: 16, code: 'ERR_INVALID_OPTION' });
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

function layoutJson(l: BuildLayout): Record<string, unknown> {
  return {
    compatibilityMask: hex(l.compatibilityMask),
    vtom: hex(l.vtom),
    kernel: { base: hex(l.kernel.base), size: hex(l.kernel.size), maxSize: hex(l.kernel.maxSize), virtualBase: hex(l.kernel.virtBase), entry: hex(l.kernel.entry), directMap: hex(l.kernel.directMap), heapPages: l.kernel.heapPages },
    bootParams: hex(l.bootParams),
    cpuidPage: hex(l.cpuidPage),
    secretsPage: hex(l.secretsPage),
    vmsa: l.vmsa === null ? null : hex(l.vmsa),
    bootLoader: l.bldr && { base: hex(l.bldr.base), size: l.bldr.size, stack: hex(l.bldr.stack), pageTables: hex(l.bldr.pageTables), cpuidPage: hex(l.bldr.cpuidPage), end: hex(l.bldr.end) },
    filesystem: l.filesystem && { base: hex(l.filesystem.base), size: l.filesystem.size },
    firmware: l.firmware && { base: hex(l.firmware.base), size: l.firmware.size, compatibilityMask: hex(l.firmware.mask), prevalidated: l.firmware.prevalidated.map((r) => ({ base: hex(r.base), size: hex(r.size) })) },
    tdxStage1: l.tdxStage1 === null ? null : hex(l.tdxStage1),
    start: { rip: hex(l.startRip), rsp: hex(l.startRsp) },
  };
}

export async function runIgvmBuild(hypervisor: string, f: IgvmBuildFlags): Promise<void> {
  if (!(HYPERVISORS as readonly string[]).includes(hypervisor)) throw new OptionError('<hypervisor>', `"${hypervisor}" is not one of ${HYPERVISORS.join(', ')}`);
  const comport = Number(intOption('--comport', f.comport, { min: 1n, max: 4n }));
  const sevFeatures: ExtraSevFeature[] = [];
  for (const v of (f.sevFeatures ?? []).flatMap((s) => s.split(',')).filter(Boolean)) {
    if (!(EXTRA_SEV_FEATURES as readonly string[]).includes(v)) throw new OptionError('--sev-features', `"${v}" is not one of ${EXTRA_SEV_FEATURES.join(', ')}`);
    sevFeatures.push(v as ExtraSevFeature);
  }
  const policy = f.policy !== undefined ? parsePolicy(f.policy) : null;
  if (policy !== null && !f.snp) throw new BuildError('--policy', 'Policy not supported by the specified platform(s): a guest policy needs --snp');
  if ((f.authorKey || f.familyId || f.imageId || f.guestSvn) && !f.idKey) throw new OptionError('--id-key', 'is required with --author-key, --family-id, --image-id and --guest-svn');
  if (f.idKey && !f.snp) throw new OptionError('--id-key', 'an SNP ID block needs --snp');
  if (f.idKey && policy === null) throw new OptionError('--id-key', 'an SNP ID block signs the guest policy: give --policy');
  const guestSvn = f.guestSvn !== undefined ? Number(intOption('--guest-svn', f.guestSvn, { auto: true, min: 0n, max: 0xffff_ffffn })) : undefined;
  const familyId = id16('--family-id', f.familyId);
  const imageId = id16('--image-id', f.imageId);
  const pass = { file: f.passphraseFile, env: f.passphraseEnv };
  const idKey = f.idKey ? loadPrivateKey(f.idKey, '--id-key', pass) : null;
  const authorKey = f.authorKey ? loadPrivateKey(f.authorKey, '--author-key', pass) : null;

  // both outputs are checked now and written together at the end (none if anything fails)
  const outputs = new Outputs();
  outputs.add(f.output, '--output');
  if (f.manifest !== undefined) outputs.add(f.manifest, '--manifest');
  const kernel = readInput(f.kernel, '--kernel', LIMITS.igvmBuildKernel, 'an IGVM kernel');
  const bldr = f.bldr !== undefined ? readInput(f.bldr, '--bldr', LIMITS.igvmBuildLoader, 'a boot loader') : null;
  const stage1 = f.tdxStage1 !== undefined ? readInput(f.tdxStage1, '--tdx-stage1', LIMITS.igvmBuildLoader, 'a boot loader') : null;
  const opened: FileSource[] = [];
  try {
    const firmware = f.firmware !== undefined ? openFileSource(f.firmware, '--firmware') : null;
    if (firmware) opened.push(firmware);
    // igvmbuilder firmware.rs: Hyper-V takes IGVM firmware, QEMU and Vanadium a flat OVMF image
    if (firmware) {
      if (hypervisor === 'hyper-v') refuseWrongKind(firmware, ['igvm'], '--firmware', 'IGVM firmware (hyper-v takes an IGVM file as --firmware)');
      else refuseWrongKind(firmware, ['ovmf'], '--firmware', 'an OVMF image');
    }
    const filesystem = f.filesystem !== undefined ? openFileSource(f.filesystem, '--filesystem', LIMITS.igvmStream, 'a filesystem image given as a stream') : null;
    if (filesystem) opened.push(filesystem);

    const result = buildIgvm({
      hypervisor: hypervisor as Hypervisor, kernel, kernelName: f.kernel, bldr, tdxStage1: stage1, firmware, filesystem, comport, policy,
      snp: f.snp === true, tdp: f.tdp === true, native: f.native === true, vsm: f.vsm === true,
      noVtom: f.vtom === false, altInjection: f.altInjection === true, sevFeatures, sort: f.sort === true,
    });
    if (f.verbose) for (const n of result.notes) writeStdout(n + '\n');
    let bytes = serializeIgvm(result.file);

    const backend = await loadHashBackend(f.hashBackend);
    let idBlock: Record<string, unknown> | null = null;
    if (idKey) {
      const signed = signIgvm(parseIgvm(bytesSource(bytes, f.output)), {
        idKey: idKey.d, authorKey: authorKey?.d ?? null, hashBackend: backend,
        ...(familyId ? { familyId } : {}), ...(imageId ? { imageId } : {}), ...(guestSvn !== undefined ? { guestSvn } : {}),
      });
      bytes = signed.bytes;
      idBlock = {
        ld: toHex(signed.digest), policy: hex(signed.policy), idKeyDigest: toHex(signed.idAuth.idKeyDigest), authorKeyDigest: signed.idAuth.authorKeyDigest ? toHex(signed.idAuth.authorKeyDigest) : null,
        familyId: toHex(familyId ?? new Uint8Array(16)), imageId: toHex(imageId ?? new Uint8Array(16)), guestSvn: guestSvn ?? 0,
      };
    }

    let platforms: Array<Record<string, unknown>> | null = null;
    if (f.measure || f.manifest !== undefined) {
      const parsed = parseIgvm(bytesSource(bytes, f.output));
      platforms = [];
      for (const p of supportedPlatforms(parsed.file)) {
        const entry: Record<string, unknown> = { platform: platformTypeName(p.platformType), compatibilityMask: hex(p.compatibilityMask) };
        if (p.platformType === IgvmPlatformType.SEV_SNP) {
          entry.launchDigest = toHex(measureIgvm(parsed, { platform: 'sev-snp', hashBackend: backend }).digest);
          entry.launchDigestNativeZero = toHex(measureIgvm(parsed, { platform: 'sev-snp', nativeZero: true, hashBackend: backend }).digest);
        } else if (p.platformType === IgvmPlatformType.TDX) {
          entry.mrtd = toHex(measureIgvm(parsed, { platform: 'tdx', hashBackend: backend }).digest);
        } else if (p.platformType === IgvmPlatformType.VSM_ISOLATION) {
          // the igvm crate's VBS measurer has no digest for some files (a CPUID page of Hyper-V IGVM firmware): say why
          try {
            entry.vbsDigest = toHex(measureIgvm(parsed, { platform: 'vbs', hashBackend: backend }).digest);
          } catch (e) {
            if (!(e instanceof PrelaunchError)) throw e;
            entry.note = `no VBS digest: ${e.message}`;
          }
        } else {
          entry.note = 'no launch measurement is computed for this platform';
        }
        platforms.push(entry);
      }
    }

    outputs.write(f.output, bytes, '--output');
    if (f.manifest !== undefined) {
      // the inputs' digests are for the manifest only (a 32 MiB filesystem is ~20 ms of SHA-256)
      const inputs: Record<string, unknown> = { kernel: { path: f.kernel, size: kernel.length, sha256: sha256(kernel) } };
      if (bldr) inputs.bldr = { path: f.bldr, size: bldr.length, sha256: sha256(bldr) };
      if (stage1) inputs.tdxStage1 = { path: f.tdxStage1, size: stage1.length, sha256: sha256(stage1) };
      if (firmware) inputs.firmware = { path: f.firmware, size: firmware.size, sha256: sha256Source(firmware) };
      if (filesystem) inputs.filesystem = { path: f.filesystem, size: filesystem.size, sha256: sha256Source(filesystem) };
      const doc = {
        tool: `prelaunch ${VERSION}`,
        builder: 'igvmbuilder-compatible (coconut-svsm@f4bc4bcd, igvm 0.4.0)',
        hypervisor,
        output: { path: f.output, size: bytes.length, sha256: sha256(bytes), formatVersion: result.layout.formatVersion },
        inputs,
        options: {
          platforms: ['snp', 'tdp', 'vsm', 'native'].filter((k) => f[k as 'snp']), policy: policy === null ? null : hex(policy), comport,
          sort: f.sort === true, noVtom: f.vtom === false, altInjection: f.altInjection === true, sevFeatures,
        },
        platforms,
        idBlock,
        layout: layoutJson(result.layout),
      };
      outputs.write(f.manifest, JSON.stringify(doc, null, 2) + '\n', '--manifest');
    }
    outputs.commit();
    if (f.measure && platforms) {
      for (const p of platforms) {
        const value = (p.launchDigest ?? p.mrtd ?? p.vbsDigest ?? null) as string | null;
        writeStdout(`${String(p.platform).padEnd(14)} ${p.compatibilityMask}  ${value ? value.toUpperCase() : String(p.note)}\n`);
      }
    }
  } finally {
    for (const s of opened) s.close();
    outputs.abort();
  }
}
