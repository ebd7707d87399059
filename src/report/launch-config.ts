/**
 * Launch-side snippets: what QEMU or libvirt must be given so that the guest launches with the
 * measurement a prediction (and its ID block) carries. One code path for `id-block --emit` and
 * `export --to qemu|libvirt`: both describe the measurement's inputs as a {@link SnpLaunchConfig}
 * and render it with {@link launchSnippet}. Encodings from QEMU's qapi SevSnpGuestProperties and
 * libvirt's `<launchSecurity type='sev-snp'>` (libvirt `qemuBuildSEVSNPCommandLine`):
 *
 *   QEMU    -smp N -cpu MODEL
 *           -object sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,
 *                   id-block=<b64 96 B>,id-auth=<b64 4096 B>,author-key-enabled=on|off,
 *                   host-data=<b64 32 B>,kernel-hashes=on
 *   libvirt <vcpu>N</vcpu>
 *           <cpu mode='custom' match='exact'><model fallback='forbid'>MODEL</model></cpu>
 *           <launchSecurity type='sev-snp' kernelHashes='yes' authorKey='yes|no'>
 *             <cbitpos>51</cbitpos><reducedPhysBits>1</reducedPhysBits>
 *             <policy>0x00030000</policy><idBlock>…</idBlock><idAuth>…</idAuth><hostData>…</hostData>
 *           </launchSecurity>
 *
 * `kernel-hashes=on` exactly when the measurement includes a kernel: without it QEMU measures
 * the KERNEL_HASHES page as a ZERO page (target/i386/sev.c `sev_snp_launch_update` /
 * `sev_add_kernel_loader_hashes`), so the launch would produce another digest (host-stacks.md H6).
 * QEMU parses `policy` as a uint64 (0x… accepted); libvirt prints it as 0x%08x.
 * cbitpos / reduced-phys-bits are host facts (CPUID 0x8000001F EBX) and do not enter the
 * measurement; QEMU refuses a value other than the host's. Every SNP-capable EPYC (Milan, Genoa,
 * Turin) has C-bit 51 and 1 reduced physical address bit: that is the default.
 */
import { toBase64 } from '../bytes/hex.js';

/** C-bit position and reduced physical address bits of every SNP-capable EPYC host. */
export const SNP_HOST_CBITPOS = 51;
export const SNP_HOST_REDUCED_PHYS_BITS = 1;

export interface SnpLaunchConfig {
  policy: bigint;
  /** 96 bytes; null when the launch carries no ID block (only policy / host data) */
  idBlock: Uint8Array | null;
  /** 4096 bytes; present exactly when idBlock is */
  idAuth: Uint8Array | null;
  authorKeyEnabled: boolean;
  /** measured direct boot: QEMU must add the kernel-hashes table (kernel-hashes=on) */
  kernelHashes: boolean;
  /** 32 bytes, or null for none */
  hostData?: Uint8Array | null;
  /** QEMU object id (default "sev0") */
  objectId?: string;
  /** default {@link SNP_HOST_CBITPOS}; null leaves it out */
  cbitpos?: number | null;
  /** default {@link SNP_HOST_REDUCED_PHYS_BITS}; null leaves it out */
  reducedPhysBits?: number | null;
  /** vCPU count of the measurement (QEMU -smp, libvirt <vcpu>): one VMSA each; null when unknown */
  vcpus?: number | null;
  /** QEMU CPU model of the measurement (-cpu, libvirt <cpu><model>); null when unknown or given only as a signature */
  cpuModel?: string | null;
}

const cbit = (c: SnpLaunchConfig): number | null => (c.cbitpos === undefined ? SNP_HOST_CBITPOS : c.cbitpos);
const reduced = (c: SnpLaunchConfig): number | null => (c.reducedPhysBits === undefined ? SNP_HOST_REDUCED_PHYS_BITS : c.reducedPhysBits);

/** The `-object sev-snp-guest,…` argument value (without the `-object`). */
export function qemuSnpGuestObject(c: SnpLaunchConfig): string {
  const parts = [`sev-snp-guest`, `id=${c.objectId ?? 'sev0'}`];
  if (cbit(c) !== null) parts.push(`cbitpos=${cbit(c)}`);
  if (reduced(c) !== null) parts.push(`reduced-phys-bits=${reduced(c)}`);
  parts.push(`policy=0x${c.policy.toString(16)}`);
  if (c.idBlock && c.idAuth) {
    parts.push(`id-block=${toBase64(c.idBlock)}`);
    parts.push(`id-auth=${toBase64(c.idAuth)}`);
    parts.push(`author-key-enabled=${c.authorKeyEnabled ? 'on' : 'off'}`);
  }
  if (c.hostData) parts.push(`host-data=${toBase64(c.hostData)}`);
  if (c.kernelHashes) parts.push('kernel-hashes=on');
  return parts.join(',');
}

/** A QEMU command-line fragment: `[-smp N] [-cpu MODEL] -object sev-snp-guest,…`. */
export function qemuSnippet(c: SnpLaunchConfig): string {
  const parts: string[] = [];
  if (c.vcpus != null) parts.push(`-smp ${c.vcpus}`);
  if (c.cpuModel != null) parts.push(`-cpu ${c.cpuModel}`);
  parts.push(`-object ${qemuSnpGuestObject(c)}`);
  return parts.join(' ');
}

/** The libvirt domain XML `<launchSecurity type='sev-snp'>` element. */
export function libvirtLaunchSecurity(c: SnpLaunchConfig): string {
  const policy = c.policy.toString(16).padStart(8, '0');
  const attrs = [`type='sev-snp'`];
  if (c.kernelHashes) attrs.push(`kernelHashes='yes'`);
  if (c.idBlock) attrs.push(`authorKey='${c.authorKeyEnabled ? 'yes' : 'no'}'`);
  const lines = [`<launchSecurity ${attrs.join(' ')}>`];
  if (cbit(c) !== null) lines.push(`  <cbitpos>${cbit(c)}</cbitpos>`);
  if (reduced(c) !== null) lines.push(`  <reducedPhysBits>${reduced(c)}</reducedPhysBits>`);
  lines.push(`  <policy>0x${policy}</policy>`);
  if (c.idBlock && c.idAuth) {
    lines.push(`  <idBlock>${toBase64(c.idBlock)}</idBlock>`);
    lines.push(`  <idAuth>${toBase64(c.idAuth)}</idAuth>`);
  }
  if (c.hostData) lines.push(`  <hostData>${toBase64(c.hostData)}</hostData>`);
  lines.push(`</launchSecurity>`);
  return lines.join('\n');
}

/** The libvirt domain XML fragment: `<vcpu>`, `<cpu>` (when known) and `<launchSecurity>`. */
export function libvirtSnippet(c: SnpLaunchConfig): string {
  const lines: string[] = [];
  if (c.vcpus != null) lines.push(`<vcpu>${c.vcpus}</vcpu>`);
  if (c.cpuModel != null) lines.push(`<cpu mode='custom' match='exact'><model fallback='forbid'>${c.cpuModel}</model></cpu>`);
  lines.push(libvirtLaunchSecurity(c));
  return lines.join('\n');
}

/** The launch snippet for `target`: the one renderer `id-block --emit` and `export` share. */
export function launchSnippet(c: SnpLaunchConfig, target: 'qemu' | 'libvirt'): string {
  return target === 'qemu' ? qemuSnippet(c) : libvirtSnippet(c);
}
