/**
 * The public entries (issue 13, item 3): a small root and one entry per capability. Every name
 * the single flat root exported before the split (0.1.0, listed below) is still exported by
 * some entry (types: test/api/consumer-types.e2e.test.ts imports them), and the root stays small.
 */
import { describe, expect, it } from 'vitest';
import { ENTRY_MODULES } from '../support/entries.js';

/** the runtime exports of src/index.ts before the split into entries */
const FORMER_ROOT = `
  parseTcgLog encodeTcgLog TPM_ALG predictTpmPcrs replayTpmLog diffTpmEvents identifyEdk2Firmware MODELLED_GENERATIONS
  DEFAULT_SNP_POLICY DEFAULT_STACK DEFAULT_VMSA_PROFILE EV FirmwareError GOLDEN_SCHEMA HASH_BACKENDS ID_AUTH_SIZE ID_BLOCK_SIZE IGVM_BUILD_HYPERVISORS
  IGVM_MEASURE_PLATFORMS IgvmBuildError IgvmFormatError IgvmHeaderType IgvmPageDataFlags IgvmPageDataType IgvmPlatformType OptionError ParseError
  PrelaunchError SEV_MODES SNP_HOST_CBITPOS SNP_HOST_REDUCED_PHYS_BITS SNP_POLICY_FLAGS SNP_PUBLIC_KEY_SIZE SNP_SIGNATURE_SIZE STACK_RULES
  SevSectionType SnpLaunchDigest SnpPageType TDX_PAGE_ORDERS VCPU_TYPES VCPU_TYPE_NAMES VMM_TYPES VMSA_GPA VMSA_PROFILES VMSA_PROFILE_NAMES asSource
  assembleIdAuth authenticodeDigest authenticodeRanges buildIdBlock buildIgvm buildTdHob bytesSource checkIgvmIdBlock checkReport checkTdvfGuestRam
  cmdlineBytes compareEntries computeKernelHashes computeMrtd countEntries cpuSig createIdAuthSigner decodeIdAuth decodeIdBlock decodeIgvmSnpPublicKey
  decodeIgvmSnpSignature decodePolicy decodeSnpPublicKey decodeSnpSignature decodeVmsa defaultBackend deriveSev deriveTdx describeEventData diffRtmrs
  diffTraces directBootLoadOptions directBootSupport encodeCcel encodeIdAuth encodeIdBlock encodeIgvmSnpPublicKey encodeIgvmSnpSignature
  encodeKernelHashesTable encodePolicy encodeSnpPublicKey encodeSnpSignature encodeVmsa eventSha384 eventTypeName extendRtmr firmwareLoadProblem
  formatPolicy fromBase64 fromHex generateGolden guidFromBytes guidToBytes idAuthSigningInputs igvmHeaderLayout inspectIgvm inspectOvmf keyDigest
  launchProblems launchSnippet libvirtLaunchSecurity libvirtSnippet loadHashBackend measure measureIgvm measureReportJson measureSev measureSevEs
  measureSnp mrtdOfImage nodeBackend p384PointFromSec1 p384PublicKey pageOrderForQemuVersion parseCcel parseDetachedSignature parseFirmwareDescriptor
  parseIgvm parseKernelElf parseLibvirtDomain parseManifestText parseOvmf parseQemuCommandLine parseVcpuList planIgvmMeasurement planIgvmTdx
  planMeasurement planSev planSevEs planSnp planSnpOvmfHash planSnpSvsm planTdxMrtd policyFromSpec policyProblems predictRtmrs probeHost
  q35MemorySplit qemuPatchSetupHeader qemuSnippet qemuSnpGuestObject qemuTdvfProblems referenceLine renderIgvmInspection renderIgvmSvg
  renderOvmfInspection renderPolicy renderReplay renderRtmrDiff renderTdxReport replayCcel replayJson reportFromBinary reportFromJson
  requireLaunchable requireTdxMetadata reserializeIgvm resetVmsa resolveLaunch resolveStack rtmrsOf ruleJson runSevPlan runSnpPlan runTdxMrtdPlan
  selectFirmware serializeGolden serializeIgvm signIdAuth signIgvm signP384 signatureToDer snpOvmfHash snpPublicKeyBytes snpSectionProblems
  snpSectionWarnings stackJson svsmVmsa tdRamEntries tdvfMrtdWarnings tdxPlanStreamBytes tdxReportJson toBase64 toHex validateIgvm validateManifest
  validatePolicy validateTdvfSections vcpuTypeSig verifyIdAuth verifyP384 vmsaProfileFor
`.trim().split(/\s+/);

describe('public entries', () => {
  it('every runtime export of the former flat root is exported by an entry, as the same object', () => {
    const missing: string[] = [];
    for (const name of FORMER_ROOT) {
      const found = Object.values(ENTRY_MODULES).filter((m) => name in m).map((m) => m[name]);
      if (found.length === 0) missing.push(name);
      else expect(new Set(found).size, `${name}: one object whichever entry it comes from`).toBe(1);
    }
    expect(missing).toEqual([]);
  });
  it('the root is small: errors, byte helpers, hash backends and the common calls', () => {
    const root = Object.keys(ENTRY_MODULES.prelaunch!).sort();
    expect(root.length).toBeLessThan(40);
    expect(root).toEqual(expect.arrayContaining(['measureSnp', 'measure', 'measureIgvm', 'computeMrtd', 'parseOvmf', 'vcpuTypeSig', 'toHex', 'bytesSource', 'PrelaunchError', 'defaultBackend', 'hashBackend']));
  });
  it('an entry re-exporting a name gives the same object as the root', () => {
    for (const [spec, m] of Object.entries(ENTRY_MODULES)) {
      for (const [k, v] of Object.entries(m)) if (k in ENTRY_MODULES.prelaunch!) expect(v, `${spec}.${k}`).toBe(ENTRY_MODULES.prelaunch![k]);
    }
  });
});
