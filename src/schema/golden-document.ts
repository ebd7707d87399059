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
          vars: { $ref: '#/$defs/input', description: 'tpm: the OVMF_VARS varstore given with the firmware (absent when none was)' },
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
          mode: { enum: ['snp', 'seves', 'sev', 'tdx', 'tpm'] },
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
            oneOf: [
              { type: 'string', pattern: '^([0-9a-f]{96}|[0-9a-f]{64})$', title: 'a launch digest (96 or 64 lowercase hex digits)' },
              { type: 'null', title: 'null (tpm entries)' },
            ],
            description: 'lowercase hex: SHA-384 launch digest (snp), MRTD (tdx), or SHA-256 (sev, seves); null for tpm entries (a vTPM has PCRs, under tpm)',
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
          tpm: {
            type: 'object',
            additionalProperties: false,
            description: 'mode tpm: the vTPM PCRs of one launch shape (predictTpmPcrs, `prelaunch tpm predict`) and the event digests behind them; a PCR whose events are not all predicted (PCR0) is null',
            required: ['shape', 'qemuVersion', 'memory', 'smp', 'fwCfg', 'edk2', 'secureBoot', 'boot', 'pcrs', 'events', 'unpredicted'],
            properties: {
              shape: { type: 'string', description: 'the launch shape (manifest matrix.tpm.shapes)' },
              qemuVersion: { type: 'string' },
              memory: { type: 'integer', minimum: 4096, title: 'a memory size in bytes' },
              smp: { oneOf: [{ type: 'integer', minimum: 1, maximum: 4096, title: 'a vCPU count' }, { type: 'null' }] },
              fwCfg: { oneOf: [{ $ref: '#/$defs/sha256' }, { type: 'null' }], description: 'sha256 of the shape\'s fw_cfg dump' },
              edk2: {
                type: 'object',
                additionalProperties: false,
                required: ['generation', 'versionString'],
                properties: { generation: { type: 'string', description: 'the modelled edk2 generation, YYYY.MM' }, versionString: { type: ['string', 'null'] } },
              },
              secureBoot: {
                type: 'object',
                additionalProperties: false,
                required: ['enabled', 'enrolled'],
                description: 'what the PCR7 events measure: SecureBoot (null: no such variable, a build without secure boot) and the key databases holding data',
                properties: { enabled: { type: ['boolean', 'null'] }, enrolled: { type: 'array', items: { enum: ['PK', 'KEK', 'db', 'dbx', 'dbt'] } } },
              },
              boot: {
                type: 'object',
                additionalProperties: false,
                required: ['kernel', 'loadOptions', 'initrd'],
                description: 'the boot components\' event digests per bank (null: no such event)',
                properties: {
                  kernel: { $ref: '#/$defs/bankDigests', description: 'PCR4 EV_EFI_BOOT_SERVICES_APPLICATION: the kernel\'s Authenticode digest' },
                  loadOptions: { $ref: '#/$defs/bankDigests', description: 'PCR9 EV_EVENT_TAG LOADED_IMAGE::LoadOptions' },
                  initrd: { $ref: '#/$defs/bankDigests', description: 'PCR9 EV_EVENT_TAG Linux initrd' },
                },
              },
              pcrs: {
                type: 'object',
                additionalProperties: false,
                required: ['sha256', 'sha384'],
                properties: {
                  sha256: { type: 'object', additionalProperties: { oneOf: [{ $ref: '#/$defs/sha256' }, { type: 'null' }] }, description: 'PCR index (decimal) → value; null: not predicted' },
                  sha384: { type: 'object', additionalProperties: { $ref: '#/$defs/sha384OrNull' }, description: 'PCR index (decimal) → value; null: not predicted' },
                },
              },
              events: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['pcr', 'type', 'description', 'digests'],
                  properties: {
                    pcr: { type: 'integer', minimum: 0, maximum: 23, title: 'a PCR index 0..23' },
                    type: { type: 'string', description: 'the TCG event type name' },
                    description: { type: 'string' },
                    digests: { $ref: '#/$defs/bankDigests' },
                  },
                },
              },
              unpredicted: {
                type: 'array',
                items: { type: 'object', additionalProperties: false, required: ['pcr', 'reason'], properties: { pcr: { type: 'integer', minimum: 0, maximum: 23 }, reason: { type: 'string' } } },
              },
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
    bankDigests: {
      oneOf: [
        { type: 'object', additionalProperties: false, required: ['sha256', 'sha384'], properties: { sha256: { $ref: '#/$defs/sha256' }, sha384: { $ref: '#/$defs/sha384' } } },
        { type: 'null', title: 'null (not predicted, or no such event)' },
      ],
    },
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
