/**
 * Launch-side snippets that carry an ID block, ID auth, policy and host data to the
 * hypervisor (encodings from QEMU's qapi SevSnpGuestProperties and libvirt's
 * `<launchSecurity type='sev-snp'>`):
 *
 *   QEMU    -object sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,
 *                   id-block=<b64 96 B>,id-auth=<b64 4096 B>,author-key-enabled=on|off,host-data=<b64 32 B>
 *   libvirt <launchSecurity type='sev-snp' authorKey='yes|no'>
 *             <policy>0x00030000</policy><idBlock>…</idBlock><idAuth>…</idAuth><hostData>…</hostData>
 *           </launchSecurity>
 *
 * QEMU parses `policy` as a uint64 (0x… accepted); libvirt prints it as 0x%08x.
 * cbitpos / reduced-phys-bits are host facts (CPUID 0x8000001F), left to the caller
 * (EPYC Milan/Genoa/Turin: cbitpos 51, reduced-phys-bits 1).
 */
import { toBase64 } from '../bytes/hex.js';

export interface SnpLaunchConfig {
  policy: bigint;
  /** 96 bytes; null when the launch carries no ID block (only policy / host data) */
  idBlock: Uint8Array | null;
  /** 4096 bytes; present exactly when idBlock is */
  idAuth: Uint8Array | null;
  authorKeyEnabled: boolean;
  /** measured direct boot: QEMU must add the kernel-hashes table (kernel-hashes=on) */
  kernelHashes?: boolean;
  /** 32 bytes, or null for none */
  hostData?: Uint8Array | null;
  /** QEMU object id (default "sev0") */
  objectId?: string;
  cbitpos?: number | null;
  reducedPhysBits?: number | null;
}

/** The `-object sev-snp-guest,…` argument value (without the `-object`). */
export function qemuSnpGuestObject(c: SnpLaunchConfig): string {
  const parts = [`sev-snp-guest`, `id=${c.objectId ?? 'sev0'}`];
  if (c.cbitpos != null) parts.push(`cbitpos=${c.cbitpos}`);
  if (c.reducedPhysBits != null) parts.push(`reduced-phys-bits=${c.reducedPhysBits}`);
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

/** A QEMU command-line fragment: `-object sev-snp-guest,…`. */
export function qemuSnippet(c: SnpLaunchConfig): string {
  return `-object ${qemuSnpGuestObject(c)}`;
}

/** The libvirt domain XML `<launchSecurity type='sev-snp'>` element. */
export function libvirtLaunchSecurity(c: SnpLaunchConfig): string {
  const policy = c.policy.toString(16).padStart(8, '0');
  const attrs = [`type='sev-snp'`];
  if (c.kernelHashes) attrs.push(`kernelHashes='yes'`);
  if (c.idBlock) attrs.push(`authorKey='${c.authorKeyEnabled ? 'yes' : 'no'}'`);
  const lines = [`<launchSecurity ${attrs.join(' ')}>`];
  if (c.cbitpos != null) lines.push(`  <cbitpos>${c.cbitpos}</cbitpos>`);
  if (c.reducedPhysBits != null) lines.push(`  <reducedPhysBits>${c.reducedPhysBits}</reducedPhysBits>`);
  lines.push(`  <policy>0x${policy}</policy>`);
  if (c.idBlock && c.idAuth) {
    lines.push(`  <idBlock>${toBase64(c.idBlock)}</idBlock>`);
    lines.push(`  <idAuth>${toBase64(c.idAuth)}</idAuth>`);
  }
  if (c.hostData) lines.push(`  <hostData>${toBase64(c.hostData)}</hostData>`);
  lines.push(`</launchSecurity>`);
  return lines.join('\n');
}
