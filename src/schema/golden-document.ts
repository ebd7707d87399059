/**
 * The golden-values document (`prelaunch golden` output; read by `golden --check` and
 * `export`), declared once: published as docs/schemas/golden-document.schema.json.
 */
import type { Schema } from './validate.js';

export const GOLDEN_DOCUMENT_SCHEMA: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:prelaunch:golden:v1',
  title: 'a prelaunch golden-values document (prelaunch golden output)',
  description: 'Output of `prelaunch golden`: canonical JSON (fixed key order, entries sorted, 2-space indent, no timestamp unless --timestamp). The same manifest and inputs give the same bytes.',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'tool', 'artifacts', 'entries'],
  properties: {
    schema: { const: 'prelaunch-golden/v1' },
    tool: { type: 'string', description: 'e.g. "prelaunch 0.1.0"' },
    generated: { type: 'string', format: 'date-time', description: 'only with --timestamp' },
    artifacts: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'kind', 'firmware', 'kernel', 'initrd', 'cmdline'],
        properties: {
          name: { type: 'string' },
          kind: { enum: ['ovmf', 'igvm'], description: 'igvm: firmware is the IGVM file, and kernel, initrd and cmdline are null' },
          firmware: { $ref: '#/$defs/input' },
          kernel: { oneOf: [{ $ref: '#/$defs/input' }, { type: 'null' }] },
          initrd: { oneOf: [{ $ref: '#/$defs/input' }, { type: 'null' }] },
          cmdline: {
            oneOf: [
              { type: 'object', additionalProperties: false, required: ['value', 'sha256'], properties: {
                  value: { type: ['string', 'null'], description: 'the text; null when the bytes are not UTF-8 (then hex holds them)' },
                  hex: { type: 'string', pattern: '^([0-9a-f]{2})*$' },
                  sha256: { $ref: '#/$defs/sha256' },
                },
              },
              { type: 'null' },
            ],
          },
        },
      },
    },
    entries: {
      type: 'array',
      description: 'sorted by artifact, mode, vmmType, vmsaProfile, vcpuType, vcpuSig, guestFeatures, policy, hostData, vcpus, stack',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['artifact', 'mode', 'vmmType', 'vmsaProfile', 'vcpuType', 'vcpuSig', 'vcpus', 'guestFeatures', 'policy', 'measurement', 'inputs'],
        properties: {
          artifact: { type: 'string' },
          mode: { enum: ['snp', 'seves', 'sev', 'tdx'] },
          vmmType: { enum: ['QEMU', 'ec2', 'gce', null] },
          vmsaProfile: { enum: ['kvm-init2', 'kvm-legacy', 'ec2-2026', 'ec2-legacy', 'gce', null] },
          vcpuType: { type: ['string', 'null'], description: 'null where the VMM ignores the CPU model (ec2, gce) or a bare signature was given' },
          vcpuSig: { oneOf: [{ $ref: '#/$defs/hex32' }, { type: 'null' }] },
          vcpus: { oneOf: [{ type: 'integer', minimum: 1, maximum: 512, title: 'a vCPU count 1..512' }, { type: 'null' }] },
          guestFeatures: { oneOf: [{ $ref: '#/$defs/hex64' }, { type: 'null' }] },
          policy: { oneOf: [{ $ref: '#/$defs/hex64' }, { type: 'null' }] },
          hostData: { type: 'string', pattern: '^[0-9a-f]{64}$', title: '32 bytes as 64 lowercase hex digits' },
          stack: { type: 'string', description: 'the host stack (manifest matrix.stacks) whose rules derived vmmType, vmsaProfile and guestFeatures' },
          measurement: {
            type: 'string',
            pattern: '^([0-9a-f]{96}|[0-9a-f]{64})$',
            title: 'a launch digest (96 or 64 lowercase hex digits)',
            description: 'lowercase hex: SHA-384 launch digest (snp), MRTD (tdx), or SHA-256 (sev, seves)',
          },
          inputs: {
            type: 'object',
            additionalProperties: false,
            required: ['firmware', 'kernel', 'initrd', 'cmdline'],
            properties: {
              firmware: { $ref: '#/$defs/sha256' },
              kernel: { oneOf: [{ $ref: '#/$defs/sha256' }, { type: 'null' }] },
              initrd: { oneOf: [{ $ref: '#/$defs/sha256' }, { type: 'null' }] },
              cmdline: { oneOf: [{ $ref: '#/$defs/sha256' }, { type: 'null' }] },
            },
          },
          tdx: {
            type: 'object',
            additionalProperties: false,
            description: 'mode tdx from an OVMF/TDVF image: what the entry was computed for and the registers besides MRTD; null where not predicted (RTMR0 without the ACPI tables, RTMR1/RTMR2 without a direct-boot kernel)',
            required: ['pageOrder', 'shape', 'memory', 'rtmr0', 'rtmr1', 'rtmr2', 'kernelDigest', 'cmdlineDigest', 'initrdDigest', 'tdAttributes', 'xfam', 'mrConfigId'],
            properties: {
              pageOrder: { enum: ['single', 'two'] },
              shape: { type: ['string', 'null'] },
              memory: { oneOf: [{ type: 'integer', minimum: 4096, title: 'a memory size in bytes' }, { type: 'null' }] },
              rtmr0: { $ref: '#/$defs/sha384OrNull' },
              rtmr1: { $ref: '#/$defs/sha384OrNull' },
              rtmr2: { $ref: '#/$defs/sha384OrNull' },
              kernelDigest: { $ref: '#/$defs/sha384OrNull', description: 'the kernel EV_EFI_BOOT_SERVICES_APPLICATION event digest (Trustee tdvfkernel)' },
              cmdlineDigest: { $ref: '#/$defs/sha384OrNull', description: 'the LOADED_IMAGE::LoadOptions event digest (Trustee tdvfkernelparams)' },
              initrdDigest: { $ref: '#/$defs/sha384OrNull' },
              tdAttributes: { oneOf: [{ $ref: '#/$defs/hex64' }, { type: 'null' }] },
              xfam: { oneOf: [{ $ref: '#/$defs/hex64' }, { type: 'null' }] },
              mrConfigId: { oneOf: [{ type: 'string', pattern: '^[0-9a-f]{96}$', title: '48 bytes as 96 lowercase hex digits' }, { type: 'null' }] },
            },
          },
          igvm: {
            type: 'object',
            additionalProperties: false,
            description: 'entries measured from an IGVM file',
            required: ['platform', 'compatibilityMask'],
            properties: {
              platform: { enum: ['sev-snp', 'tdx'] },
              compatibilityMask: { type: 'integer', minimum: 0, maximum: 4294967295, title: 'a 32-bit compatibility mask' },
            },
          },
          idBlock: {
            type: 'object',
            additionalProperties: false,
            required: ['idBlock', 'idAuth', 'idKeyDigest', 'authorKeyDigest', 'authorKeyEnabled', 'familyId', 'imageId', 'guestSvn', 'policy'],
            properties: {
              idBlock: { type: 'string', pattern: '^[A-Za-z0-9+/]{128}$', title: 'the 96-byte ID block in base64', description: 'base64, 96 bytes' },
              idAuth: { type: 'string', pattern: '^[A-Za-z0-9+/]{5460}[A-Za-z0-9+/]{2}==$', title: 'the 4096-byte ID authentication structure in base64', description: 'base64, 4096 bytes' },
              idKeyDigest: { $ref: '#/$defs/sha384' },
              authorKeyDigest: { oneOf: [{ $ref: '#/$defs/sha384' }, { type: 'null' }] },
              authorKeyEnabled: { type: 'boolean' },
              familyId: { $ref: '#/$defs/id16' },
              imageId: { $ref: '#/$defs/id16' },
              guestSvn: { type: 'integer', minimum: 0, maximum: 4294967295, title: 'an integer within 0..2^32-1' },
              policy: { $ref: '#/$defs/hex64' },
            },
          },
        },
      },
    },
  },
  $defs: {
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$', title: 'a SHA-256 (64 lowercase hex digits)' },
    sha384: { type: 'string', pattern: '^[0-9a-f]{96}$', title: 'a SHA-384 (96 lowercase hex digits)' },
    sha384OrNull: { oneOf: [{ type: 'string', pattern: '^[0-9a-f]{96}$', title: 'a SHA-384 (96 lowercase hex digits)' }, { type: 'null' }] },
    id16: { type: 'string', pattern: '^[0-9a-f]{32}$', title: '16 bytes as 32 lowercase hex digits' },
    hex32: { type: 'string', pattern: '^0x[0-9a-f]{1,8}$', title: 'a 32-bit value in hex like 0xa00f11' },
    hex64: { type: 'string', pattern: '^0x[0-9a-f]{1,16}$', title: 'a 64-bit value in hex like 0x30000' },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['path', 'size', 'sha256'],
      properties: { path: { type: 'string' }, size: { type: 'integer', minimum: 0, title: 'a size in bytes' }, sha256: { $ref: '#/$defs/sha256' } },
    },
  },
};
