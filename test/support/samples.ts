import { toBase64 } from '../../src/bytes/hex.js';

/** a valid golden document (shapes as prelaunch golden writes them) */
export const SAMPLE_DOC = {
  schema: 'prelaunch-golden/v1',
  tool: 'prelaunch 0.1.0',
  artifacts: [{ name: 'fw', kind: 'ovmf', firmware: { path: 'OVMF.fd', size: 4194304, sha256: 'a'.repeat(64) }, kernel: null, initrd: null, cmdline: { value: 'console=ttyS0', sha256: 'b'.repeat(64) } }],
  entries: [{
    artifact: 'fw', mode: 'snp', vmmType: 'QEMU', vmsaProfile: 'kvm-init2', vcpuType: 'EPYC-v4', vcpuSig: '0x800f12', vcpus: 4, guestFeatures: '0x1', policy: '0x30000',
    hostData: 'cd'.repeat(32), measurement: 'ab'.repeat(48), inputs: { firmware: 'a'.repeat(64), kernel: null, initrd: null, cmdline: 'b'.repeat(64) },
    idBlock: { idBlock: toBase64(new Uint8Array(96)), idAuth: toBase64(new Uint8Array(4096)), idKeyDigest: 'e'.repeat(96), authorKeyDigest: null, authorKeyEnabled: false, familyId: '0'.repeat(32), imageId: '1'.repeat(32), guestSvn: 3, policy: '0x30000' },
  }],
};

const TDX_VALUES = {
  pageOrder: 'single', shape: '2g', memory: 2147483648, rtmr0: '01'.repeat(48), rtmr1: '02'.repeat(48), rtmr2: '03'.repeat(48),
  kernelDigest: '04'.repeat(48), cmdlineDigest: '05'.repeat(48), initrdDigest: null, tdAttributes: '0x10000000', xfam: '0x61ee7', mrConfigId: '06'.repeat(48),
};

/** A golden document with a TDX entry of an OVMF artifact and an IGVM artifact's snp and tdx entries (values made up). */
export const SAMPLE_TDX_DOC = {
  schema: 'prelaunch-golden/v1',
  tool: 'prelaunch 0.1.0',
  artifacts: [
    { name: 'td', kind: 'ovmf', firmware: { path: 'OVMF.fd', size: 2097152, sha256: 'a'.repeat(64) }, kernel: { path: 'k', size: 10, sha256: 'c'.repeat(64) }, initrd: null, cmdline: { value: 'console=ttyS0', sha256: 'b'.repeat(64) } },
    { name: 'ig', kind: 'igvm', firmware: { path: 'x.igvm', size: 4096, sha256: 'd'.repeat(64) }, kernel: null, initrd: null, cmdline: null },
  ],
  entries: [
    {
      artifact: 'td', mode: 'tdx', vmmType: 'QEMU', vmsaProfile: null, vcpuType: null, vcpuSig: null, vcpus: null, guestFeatures: null, policy: null,
      measurement: 'ab'.repeat(48), inputs: { firmware: 'a'.repeat(64), kernel: 'c'.repeat(64), initrd: null, cmdline: 'b'.repeat(64) }, tdx: TDX_VALUES,
    },
    {
      artifact: 'ig', mode: 'snp', vmmType: null, vmsaProfile: null, vcpuType: null, vcpuSig: null, vcpus: null, guestFeatures: null, policy: null,
      measurement: 'cd'.repeat(48), inputs: { firmware: 'd'.repeat(64), kernel: null, initrd: null, cmdline: null }, igvm: { platform: 'sev-snp', compatibilityMask: 1 },
    },
    {
      artifact: 'ig', mode: 'tdx', vmmType: null, vmsaProfile: null, vcpuType: null, vcpuSig: null, vcpus: null, guestFeatures: null, policy: null,
      measurement: 'ef'.repeat(48), inputs: { firmware: 'd'.repeat(64), kernel: null, initrd: null, cmdline: null }, igvm: { platform: 'tdx', compatibilityMask: 4 },
    },
  ],
};

const TPM_BANKS = (n: number): { sha256: string; sha384: string } => ({ sha256: n.toString(16).padStart(2, '0').repeat(32), sha384: n.toString(16).padStart(2, '0').repeat(48) });

/** A golden document with a tpm entry (values made up, shaped as prelaunch golden writes them). */
export const SAMPLE_TPM_DOC = {
  schema: 'prelaunch-golden/v1',
  tool: 'prelaunch 0.1.0',
  artifacts: [
    { name: 'vm', kind: 'ovmf', firmware: { path: 'OVMF_CODE_4M.fd', size: 3653632, sha256: 'a'.repeat(64) }, vars: { path: 'OVMF_VARS_4M.fd', size: 540672, sha256: 'f'.repeat(64) }, kernel: { path: 'k', size: 10, sha256: 'c'.repeat(64) }, initrd: { path: 'i', size: 10, sha256: 'e'.repeat(64) }, cmdline: { value: 'console=ttyS0', sha256: 'b'.repeat(64) } },
  ],
  entries: [
    {
      artifact: 'vm', mode: 'tpm', vmmType: 'QEMU', vmsaProfile: null, vcpuType: null, vcpuSig: null, vcpus: null, guestFeatures: null, policy: null,
      measurement: null, inputs: { firmware: 'a'.repeat(64), kernel: 'c'.repeat(64), initrd: 'e'.repeat(64), cmdline: 'b'.repeat(64) },
      tpm: {
        shape: 'q10', qemuVersion: '10.0.13', memory: 1073741824, smp: 1, fwCfg: null, edk2: { generation: '2025.02', versionString: '2025.02-8' },
        secureBoot: { enabled: null, enrolled: [] }, boot: { kernel: TPM_BANKS(4), loadOptions: TPM_BANKS(9), initrd: TPM_BANKS(10) },
        pcrs: { sha256: { 0: null, 4: '44'.repeat(32), 9: '99'.repeat(32) }, sha384: { 0: null, 4: '44'.repeat(48), 9: '99'.repeat(48) } },
        events: [
          { pcr: 0, type: 'EV_EFI_PLATFORM_FIRMWARE_BLOB', description: 'PEIFV', digests: null },
          { pcr: 4, type: 'EV_EFI_BOOT_SERVICES_APPLICATION', description: 'kernel', digests: TPM_BANKS(4) },
        ],
        unpredicted: [{ pcr: 0, reason: 'PEIFV' }],
      },
    },
  ],
};
