/**
 * `prelaunch/id-block`: SEV-SNP ID block and ID authentication (build, sign, verify), guest
 * policy, ECDSA P-384, and the QEMU/libvirt launch snippets. See docs/api.md, docs/id-block.md.
 */
export {
  ID_BLOCK_SIZE, ID_AUTH_SIZE, SNP_PUBLIC_KEY_SIZE, SNP_SIGNATURE_SIZE, encodeIdBlock, decodeIdBlock, encodeIdAuth, decodeIdAuth,
  encodeSnpPublicKey, decodeSnpPublicKey, encodeSnpSignature, decodeSnpSignature, type IdBlock, type IdAuthInfo, type SnpPublicKey, type SnpSignature,
} from '../formats/snp/id-block.js';
export { DEFAULT_SNP_POLICY, SNP_POLICY_FLAGS, encodePolicy, decodePolicy, policyProblems, validatePolicy, policyFromSpec, renderPolicy, formatPolicy, type SnpPolicy } from '../formats/snp/policy.js';
export { p384PublicKey, p384PointFromSec1, signP384, verifyP384, parseDetachedSignature, signatureToDer, type EcPoint, type EcdsaSignature } from '../sign/ecdsa-p384.js';
export {
  buildIdBlock, signIdAuth, createIdAuthSigner, assembleIdAuth, verifyIdAuth, idAuthSigningInputs, keyDigest, snpPublicKeyBytes,
  type IdBlockOptions, type SignIdAuthOptions, type AssembleIdAuthOptions, type VerifyIdAuthOptions, type IdAuthResult, type IdAuthSigningInputs, type IdAuthVerification,
} from '../sign/id-block.js';
export { qemuSnippet, qemuSnpGuestObject, libvirtLaunchSecurity, libvirtSnippet, launchSnippet, SNP_HOST_CBITPOS, SNP_HOST_REDUCED_PHYS_BITS, type SnpLaunchConfig } from '../report/launch-config.js';
