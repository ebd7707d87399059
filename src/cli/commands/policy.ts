/**
 * `prelaunch policy decode VALUE` / `prelaunch policy encode FIELDS`: the SEV-SNP guest
 * policy bitfield (src/formats/snp/policy.ts) ⇄ named fields.
 */
import { OptionError } from '../../errors.js';
import { decodePolicy, formatPolicy, policyFromSpec, renderPolicy } from '../../formats/snp/policy.js';
import { writeStdout } from '../io.js';

export async function runPolicyDecode(value: string, opts: { json?: boolean }): Promise<void> {
  if (!/^\s*(0[xXoObB])?[0-9a-fA-F_]+\s*$/.test(value)) throw new OptionError('policy', `${JSON.stringify(value)} is not a number (use 'policy encode' for field names)`);
  const policy = policyFromSpec(value, 'policy');
  if (opts.json) {
    writeStdout(JSON.stringify({ policy: formatPolicy(policy), ...decodePolicy(policy) }, null, 2) + '\n');
  } else {
    writeStdout(renderPolicy(policy) + '\n');
  }
}

export async function runPolicyEncode(fields: string[], opts: { json?: boolean }): Promise<void> {
  const policy = policyFromSpec(fields.join(','), 'policy');
  if (opts.json) {
    writeStdout(JSON.stringify({ policy: formatPolicy(policy), ...decodePolicy(policy) }, null, 2) + '\n');
  } else {
    writeStdout(formatPolicy(policy) + '\n');
  }
}
