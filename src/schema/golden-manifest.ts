/**
 * The golden-values manifest (`prelaunch golden MANIFEST`, JSON or YAML), declared once:
 * published as docs/schemas/golden-manifest.schema.json. The limits (artifacts, list lengths,
 * maxEntries) bound what a manifest can make prelaunch compute before anything is expanded;
 * the text itself is capped at {@link MAX_MANIFEST_BYTES} before it is parsed.
 */
import type { Schema } from './validate.js';

/** A manifest is a few KB; the cap keeps a hostile one from costing more than ~100 MB to parse. */
export const MAX_MANIFEST_BYTES = 1 << 20;
/** Artifacts per manifest. */
export const MAX_MANIFEST_ARTIFACTS = 4096;
/** The largest `maxEntries` (and `--max-entries`) accepted: about 0.5-6 GB of document. */
export const MAX_GOLDEN_ENTRIES = 1_000_000;

const LIST_MAX = 1024;

export const GOLDEN_MANIFEST_SCHEMA: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:prelaunch:golden-manifest:v1',
  title: 'a golden-values manifest (an object with artifacts and matrix)',
  description: 'Input of `prelaunch golden MANIFEST` (JSON or YAML, at most 1 MiB). Unknown keys are errors. Paths are relative to the manifest\'s directory.',
  type: 'object',
  additionalProperties: false,
  required: ['artifacts', 'matrix'],
  properties: {
    version: { const: 1, title: 'version 1 (the only version this prelaunch reads)' },
    maxEntries: { type: 'integer', minimum: 1, maximum: MAX_GOLDEN_ENTRIES, default: 100000, title: `an integer within 1..${MAX_GOLDEN_ENTRIES}`, description: 'refuse matrices producing more entries than this' },
    artifacts: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_MANIFEST_ARTIFACTS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'firmware'],
        properties: {
          name: { type: 'string', minLength: 1, title: 'a non-empty string', description: 'unique within the manifest' },
          kind: { enum: ['ovmf', 'igvm'], default: 'ovmf', title: '"ovmf" or "igvm"', description: 'ovmf: an OVMF/TDVF image (modes snp, seves, sev, tdx); igvm: an IGVM file (its snp and tdx launch digests)' },
          firmware: { type: 'string', minLength: 1, title: 'a file name', description: 'the OVMF image, or the IGVM file (kind igvm)' },
          modes: { $ref: '#/$defs/list', description: 'the matrix modes this artifact is measured in (default: all of matrix.modes that apply to its kind)' },
          qemuKernelPatch: { type: 'boolean', default: true, title: 'true or false', description: 'TDX direct boot: hash the kernel after QEMU\'s setup-header patch (edk2 >= 202505 measures it unpatched: false)' },
          vars: { type: 'string', minLength: 1, title: 'a file name', description: 'tpm: the OVMF_VARS varstore the guest starts with (its secure-boot variables are measured into PCR7); absent: a unified image\'s own store, or an empty one' },
          kernel: { type: 'string', minLength: 1, title: 'a file name', description: 'measured direct boot: kernel (SNP/SEV: needs an AmdSevX64 firmware; TDX: RTMR1 and RTMR2; tpm: required, PCR4 and PCR9)' },
          initrd: { type: 'string', minLength: 1, title: 'a file name' },
          cmdline: { type: 'string', description: 'kernel command line, measured as UTF-8 (no NUL)' },
          cmdlineHex: {
            type: 'string',
            pattern: '^(0[xX])?([0-9a-fA-F]{2})*$',
            title: 'hex digits',
            description: 'kernel command line as its exact bytes in hex (for one that is not UTF-8); instead of cmdline, not with it',
          },
        },
        dependentRequired: { initrd: ['kernel'], cmdline: ['kernel'], cmdlineHex: ['kernel'] },
      },
    },
    matrix: {
      type: 'object',
      additionalProperties: false,
      properties: {
        modes: { $ref: '#/$defs/list', description: 'snp (default), seves, sev, tdx, tpm' },
        vcpus: {
          description: 'counts and ranges: 4, "1-64", [1, "8-16"]; required for snp and seves',
          title: 'vCPU counts and ranges like 4, "1-64" or [1, "8-16"]',
          oneOf: [
            { type: 'integer', minimum: 1, maximum: 512 },
            { type: 'string', maxLength: 4096, pattern: '^\\s*\\d+(-\\d+)?(\\s*,\\s*\\d+(-\\d+)?)*\\s*$' },
            { type: 'array', minItems: 1, maxItems: LIST_MAX, items: { oneOf: [{ type: 'integer', minimum: 1, maximum: 512 }, { type: 'string', pattern: '^\\d+(-\\d+)?$' }] } },
          ],
        },
        vcpuTypes: { $ref: '#/$defs/list', description: 'QEMU -cpu models (see docs/cli.md) or "all"' },
        vcpuSigs: { $ref: '#/$defs/uintList', description: 'CPUID signatures, 0..0xffffffff' },
        vmmTypes: { $ref: '#/$defs/list', description: 'QEMU (default), ec2, gce' },
        vmsaProfiles: { $ref: '#/$defs/list', description: 'kvm-init2, kvm-legacy, ec2-2026, ec2-legacy, gce; VMMs without a listed profile use their default' },
        guestFeatures: { $ref: '#/$defs/uintList', description: 'SNP SEV_FEATURES values; default ["0x1"]' },
        policies: { $ref: '#/$defs/uintList', description: 'guest policies carried into entries and ID blocks (not part of the measurement)' },
        hostData: { $ref: '#/$defs/list', description: 'HOST_DATA values, 32 bytes hex, carried into entries' },
        stacks: {
          type: 'array',
          minItems: 1,
          maxItems: LIST_MAX,
          title: 'a list of host stacks',
          description: 'host stacks (docs/stack.md); each derives vmmType, vmsaProfile and guestFeatures per mode, so those three keys are not given with it',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              name: { type: 'string' },
              vmm: { enum: ['QEMU', 'ec2', 'ec2-legacy', 'gce'] },
              qemu: { type: 'string' },
              hostKernel: { type: 'string' },
            },
          },
        },
        tpm: {
          type: 'object',
          additionalProperties: false,
          required: ['shapes'],
          title: 'the vTPM dimensions (an object)',
          description: 'mode tpm only: the launch shapes the PCRs depend on besides firmware, varstore and boot components',
          properties: {
            shapes: {
              type: 'array',
              minItems: 1,
              maxItems: LIST_MAX,
              title: 'a list of vTPM launch shapes',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['name', 'qemuVersion', 'memory'],
                properties: {
                  name: { type: 'string', minLength: 1, title: 'a non-empty string' },
                  qemuVersion: { type: 'string', minLength: 1, maxLength: 32, title: 'a QEMU version like "10.0.13"', description: 'a QEMU version the measured-boot model covers (docs/measured-boot.md; others are refused): decides which kernel edk2 measures and what QEMU serves' },
                  memory: { oneOf: [{ type: 'integer', minimum: 4096, title: 'bytes' }, { type: 'string', maxLength: 64, title: 'a size like "2G"' }], description: 'guest memory, QEMU -m syntax ("2G", "2048M") or bytes' },
                  smp: { type: 'integer', minimum: 1, maximum: 4096, title: 'a vCPU count', description: 'recorded: vCPUs enter only QEMU\'s ACPI blobs, which come from fwCfg' },
                  fwCfg: { type: 'string', minLength: 1, title: 'a file name', description: 'QEMU\'s fw_cfg dump of this launch (a capture\'s fwcfg.tar, by_name/NAME/raw); without it PCR1 (ACPI, SMBIOS) is null where the firmware measures those' },
                },
              },
            },
          },
        },
        tdx: {
          type: 'object',
          additionalProperties: false,
          title: 'the TDX dimensions (an object)',
          description: 'mode tdx only: MRTD page orders, TD shapes (RTMR0 needs the memory and the ACPI tables) and values carried into tdx entries',
          properties: {
            pageOrders: { $ref: '#/$defs/list', description: 'single (QEMU >= 9.0), two (QEMU 8.x with the KVM TDX patches); default both' },
            shapes: {
              type: 'array',
              minItems: 1,
              maxItems: LIST_MAX,
              title: 'a list of TD shapes',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['name', 'memory'],
                properties: {
                  name: { type: 'string', minLength: 1, title: 'a non-empty string' },
                  memory: { oneOf: [{ type: 'integer', minimum: 4096, title: 'bytes' }, { type: 'string', maxLength: 64, title: 'a size like "2G"' }], description: 'guest memory, QEMU -m syntax ("2G", "2048M") or bytes' },
                  acpiDir: { type: 'string', minLength: 1, title: 'a directory name', description: 'the fw_cfg ACPI blobs (table-loader, rsdp, tables) as `prelaunch tdx --acpi-dir` reads them; without it (or fwCfg) RTMR0 is not predicted (null)' },
                  fwCfg: { type: 'string', minLength: 1, title: 'a file name', description: "QEMU's fw_cfg dump (fwcfg.tar) as `prelaunch tdx --fw-cfg` reads it: the ACPI and SMBIOS blobs and the fw_cfg items edk2 2026.08 measures into RTMR0; instead of acpiDir" },
                },
              },
            },
            tdAttributes: { $ref: '#/$defs/uintList', description: 'TD_ATTRIBUTES values carried into entries (not part of any measurement)' },
            xfam: { $ref: '#/$defs/uintList', description: 'XFAM values carried into entries' },
            mrConfigId: { $ref: '#/$defs/list', description: 'MRCONFIGID values (48 bytes hex) carried into entries' },
          },
        },
      },
    },
    idBlock: {
      type: 'object',
      additionalProperties: false,
      required: ['idKey'],
      description: 'sign an ID block for every SNP entry (RFC 6979: reproducible)',
      properties: {
        idKey: { type: 'string', minLength: 1, title: 'a file name', description: 'P-384 private key, PEM or DER (SEC1/PKCS#8, possibly encrypted)' },
        authorKey: { type: 'string', minLength: 1, title: 'a file name' },
        familyId: { type: 'string', pattern: '^(0x)?[0-9a-fA-F]{32}$', title: '16 bytes as 32 hex digits' },
        imageId: { type: 'string', pattern: '^(0x)?[0-9a-fA-F]{32}$', title: '16 bytes as 32 hex digits' },
        guestSvn: { type: 'integer', minimum: 0, maximum: 4294967295, title: 'an integer within 0..2^32-1' },
        passphraseFile: { type: 'string', minLength: 1, title: 'a file name' },
        passphraseEnv: { type: 'string', minLength: 1, title: 'an environment variable name' },
      },
    },
  },
  $defs: {
    list: {
      title: 'a list of strings, or one comma-separated string',
      oneOf: [{ type: 'string', maxLength: 65536 }, { type: 'array', minItems: 1, maxItems: LIST_MAX, items: { type: 'string' } }],
    },
    uintList: {
      title: 'a list of unsigned integers (decimal, 0x hex, 0b, 0o), or one comma-separated string',
      oneOf: [
        { type: 'string', maxLength: 65536 },
        { type: 'array', minItems: 1, maxItems: LIST_MAX, items: { oneOf: [{ type: 'string', pattern: '^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|[0-9]+)$' }, { type: 'integer', minimum: 0 }] } },
      ],
    },
  },
};
