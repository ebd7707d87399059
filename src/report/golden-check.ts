/**
 * Output of `golden --check REPORT DOC`: whether the report's values are an entry of the
 * document — one line, or the nearest entries with the fields that differ — or a JSON document.
 */
import type { CheckCandidate, CheckResult } from '../golden/check.js';

function describeEntry(c: CheckCandidate): string {
  const e = c.entry;
  return `#${c.index}: ${e.artifact} ${e.mode} ${e.vmmType ?? ''}${e.vmsaProfile ? `/${e.vmsaProfile}` : ''} ${e.vcpuType ?? e.vcpuSig ?? ''} vcpus=${e.vcpus ?? '-'} guestFeatures=${e.guestFeatures ?? '-'}${e.policy ? ` policy=${e.policy}` : ''}`;
}

/**
 * `unverified`: the report's signature was not checked (`golden --check`): the text ends with a
 * note saying so and naming `prelaunch verify`, the JSON carries `signatureVerified: false`.
 */
export function renderGoldenCheck(result: CheckResult, reportMeasurement: string, json: boolean, unverified = false): string {
  if (json) {
    return JSON.stringify({ matched: result.matched, ...(unverified ? { signatureVerified: false } : {}), candidates: result.candidates.map((c) => ({ index: c.index, entry: c.entry, differences: c.comparisons.filter((x) => !x.equal) })) }, null, 2) + '\n';
  }
  let out: string;
  if (result.candidates.some((c) => c.comparisons.some((x) => x.field === 'measurement' && x.equal))) {
    out = `${result.matched ? 'match' : 'measurement matches, other fields differ'}: ${result.candidates.length} entr${result.candidates.length === 1 ? 'y' : 'ies'}\n`;
  } else {
    out = `no entry has measurement ${reportMeasurement}\nthe configuration (vCPU count, VMM, vCPU model, guest features, VMSA profile, firmware or boot components) is outside this document; nearest entries:\n`;
  }
  for (const c of result.candidates) {
    out += `  ${describeEntry(c)}\n`;
    for (const x of c.comparisons.filter((y) => !y.equal)) out += `    ${x.field}: report ${x.report}, entry ${x.entry}\n`;
  }
  if (unverified) out += 'note: signature not verified: golden --check compares the report\'s fields only; `prelaunch verify REPORT --cert VCEK --golden DOC` also checks that AMD signed it\n';
  return out;
}
