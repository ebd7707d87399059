/**
 * SEV-SNP guest POLICY (u64; SNP_LAUNCH_START, ID_BLOCK 0x58, report 0x008).
 *
 *   bits   field               meaning when set
 *    7:0   ABI_MINOR           minimum firmware ABI minor
 *   15:8   ABI_MAJOR           minimum firmware ABI major
 *     16   SMT                 host SMT allowed
 *     17   reserved            must be 1
 *     18   MIGRATE_MA          migration agent allowed
 *     19   DEBUG               debugging allowed
 *     20   SINGLE_SOCKET       single socket required
 *     21   CXL_ALLOW           CXL may be populated
 *     22   MEM_AES_256_XTS     AES-256-XTS required
 *     23   RAPL_DIS            RAPL must be disabled
 *     24   CIPHERTEXT_HIDING   ciphertext hiding (DRAM) must be enabled
 *     25   PAGE_SWAP_DISABLE   guest SNP_PAGE_MOVE/SWAP_OUT/SWAP_IN disabled
 *  63:26   reserved            must be zero
 *
 * Validity as go-sev-guest's ParseSnpPolicy checks it: bit 17 set, bits 26–63 clear.
 * `policyFromSpec` also reads the text form used by the CLI: a number (`0x30000`) or a
 * comma list of flag names and `abi=MAJOR.MINOR` (`smt,single-socket,abi=1.55`).
 */
import { OptionError } from '../../errors.js';

export interface SnpPolicy {
  abiMajor: number;
  abiMinor: number;
  smt: boolean;
  migrateMa: boolean;
  debug: boolean;
  singleSocket: boolean;
  cxlAllow: boolean;
  memAes256Xts: boolean;
  raplDis: boolean;
  ciphertextHiding: boolean;
  pageSwapDisable: boolean;
}

export type SnpPolicyFlag = Exclude<keyof SnpPolicy, 'abiMajor' | 'abiMinor'>;

/** Each flag's bit, its ABI name and the name the CLI spells. */
export const SNP_POLICY_FLAGS: readonly { key: SnpPolicyFlag; bit: number; abiName: string; cliName: string; meaning: string }[] = [
  { key: 'smt', bit: 16, abiName: 'SMT', cliName: 'smt', meaning: 'host SMT allowed' },
  { key: 'migrateMa', bit: 18, abiName: 'MIGRATE_MA', cliName: 'migrate-ma', meaning: 'migration agent allowed' },
  { key: 'debug', bit: 19, abiName: 'DEBUG', cliName: 'debug', meaning: 'debugging allowed' },
  { key: 'singleSocket', bit: 20, abiName: 'SINGLE_SOCKET', cliName: 'single-socket', meaning: 'single socket required' },
  { key: 'cxlAllow', bit: 21, abiName: 'CXL_ALLOW', cliName: 'cxl-allow', meaning: 'CXL may be populated' },
  { key: 'memAes256Xts', bit: 22, abiName: 'MEM_AES_256_XTS', cliName: 'aes-256-xts', meaning: 'AES-256-XTS memory encryption required' },
  { key: 'raplDis', bit: 23, abiName: 'RAPL_DIS', cliName: 'rapl-dis', meaning: 'RAPL must be disabled' },
  { key: 'ciphertextHiding', bit: 24, abiName: 'CIPHERTEXT_HIDING', cliName: 'ciphertext-hiding', meaning: 'ciphertext hiding must be enabled' },
  { key: 'pageSwapDisable', bit: 25, abiName: 'PAGE_SWAP_DISABLE', cliName: 'page-swap-disable', meaning: 'guest page move/swap disabled' },
];

export const POLICY_RESERVED_MBO_BIT = 17;
export const POLICY_RESERVED_MBZ_MASK = ~((1n << 26n) - 1n) & ((1n << 64n) - 1n);
/** sev-snp-measure's, QEMU's and virtee/sev's default: SMT allowed + reserved bit 17 */
export const DEFAULT_SNP_POLICY = 0x30000n;

/** Problems with a policy value (empty when valid). */
export function policyProblems(policy: bigint): string[] {
  const problems: string[] = [];
  if (policy < 0n || policy >= 1n << 64n) return ['is not a 64-bit value'];
  if (((policy >> BigInt(POLICY_RESERVED_MBO_BIT)) & 1n) === 0n) problems.push('reserved bit 17 must be 1');
  const mbz = policy & POLICY_RESERVED_MBZ_MASK;
  if (mbz !== 0n) problems.push(`reserved bits 26-63 must be 0 (0x${mbz.toString(16)} set)`);
  return problems;
}

/** Throw an OptionError naming `option` if `policy` is not a valid guest policy. */
export function validatePolicy(policy: bigint, option = 'policy'): void {
  const p = policyProblems(policy);
  if (p.length) throw new OptionError(option, `0x${policy.toString(16)}: ${p.join('; ')}`);
}

/** Compose a policy value from fields (bit 17 is always set). */
export function encodePolicy(p: Partial<SnpPolicy>): bigint {
  const major = p.abiMajor ?? 0;
  const minor = p.abiMinor ?? 0;
  if (!Number.isInteger(major) || major < 0 || major > 255) throw new RangeError('abiMajor must be 0..255');
  if (!Number.isInteger(minor) || minor < 0 || minor > 255) throw new RangeError('abiMinor must be 0..255');
  let v = BigInt(minor) | (BigInt(major) << 8n) | (1n << BigInt(POLICY_RESERVED_MBO_BIT));
  for (const f of SNP_POLICY_FLAGS) if (p[f.key]) v |= 1n << BigInt(f.bit);
  return v;
}

/** Decode a policy value into fields; throws (OptionError naming `option`) when reserved bits are wrong. */
export function decodePolicy(policy: bigint, option = 'policy'): SnpPolicy {
  validatePolicy(policy, option);
  const bit = (n: number): boolean => ((policy >> BigInt(n)) & 1n) === 1n;
  const out: SnpPolicy = {
    abiMajor: Number((policy >> 8n) & 0xffn),
    abiMinor: Number(policy & 0xffn),
    smt: false, migrateMa: false, debug: false, singleSocket: false, cxlAllow: false,
    memAes256Xts: false, raplDis: false, ciphertextHiding: false, pageSwapDisable: false,
  };
  for (const f of SNP_POLICY_FLAGS) out[f.key] = bit(f.bit);
  return out;
}

export function formatPolicy(policy: bigint): string {
  return `0x${policy.toString(16)}`;
}

/** Human-readable listing, one field per line: `FIELD (bit N)  yes|no  what it means when set`. */
export function renderPolicy(policy: bigint): string {
  const p = decodePolicy(policy);
  const lines = [
    `policy: ${formatPolicy(policy)}`,
    `  ${'ABI_MAJOR (15:8)'.padEnd(28)} ${String(p.abiMajor).padEnd(4)} minimum firmware ABI ${p.abiMajor}.${p.abiMinor}`,
    `  ${'ABI_MINOR (7:0)'.padEnd(28)} ${String(p.abiMinor).padEnd(4)}`,
  ];
  for (const f of SNP_POLICY_FLAGS) {
    lines.push(`  ${`${f.abiName} (bit ${f.bit})`.padEnd(28)} ${(p[f.key] ? 'yes' : 'no').padEnd(4)} ${f.meaning}`);
  }
  return lines.join('\n');
}

const INT = /^(?:0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|0[oO][0-7](?:_?[0-7])*|[1-9](?:_?[0-9])*|0)$/;

/**
 * Read a policy from text: an integer (decimal, 0x…, 0o…, 0b…) or a comma list of flag
 * names (see SNP_POLICY_FLAGS cliName, also the ABI names) and `abi=MAJOR.MINOR`.
 * The result is validated.
 */
export function policyFromSpec(text: string, option = '--policy'): bigint {
  const t = text.trim();
  if (INT.test(t)) {
    const v = BigInt(t.replace(/_/g, ''));
    if (v >= 1n << 64n) throw new OptionError(option, `${t} does not fit in 64 bits`);
    validatePolicy(v, option);
    return v;
  }
  const fields: Partial<SnpPolicy> = {};
  for (const raw of t.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const abi = /^abi=(\d{1,3})\.(\d{1,3})$/i.exec(item);
    if (abi) {
      const major = Number(abi[1]);
      const minor = Number(abi[2]);
      if (major > 255 || minor > 255) throw new OptionError(option, `${item}: ABI major and minor are 0..255`);
      fields.abiMajor = major;
      fields.abiMinor = minor;
      continue;
    }
    const norm = item.toLowerCase().replace(/_/g, '-');
    const f = SNP_POLICY_FLAGS.find((x) => x.cliName === norm || x.abiName.toLowerCase().replace(/_/g, '-') === norm);
    if (!f) {
      const names = SNP_POLICY_FLAGS.map((x) => x.cliName).join(', ');
      throw new OptionError(option, `unknown policy field ${JSON.stringify(item)} (use a number, or a comma list of ${names}, abi=MAJOR.MINOR)`);
    }
    fields[f.key] = true;
  }
  return encodePolicy(fields);
}
