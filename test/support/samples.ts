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
