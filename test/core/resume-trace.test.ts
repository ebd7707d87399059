/**
 * Resuming from a `snp:ovmf-hash` digest equals the full measurement; `--trace` files end in
 * the printed digest; `prelaunch trace diff` names the first operation that differs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes/hex.js';
import { vcpuTypeSig } from '../../src/formats/snp/vcpu-types.js';
import { measureSnp, snpOvmfHash, type MeasureOptions } from '../../src/measure/api.js';
import { diffTraces } from '../../src/report/trace.js';
import { expectCleanError, expectOk, runCliInProcess } from '../support/cli.js';

const fwPath = (rel: string): string => fileURLToPath(new URL(`../../firmware-samples/${rel}`, import.meta.url));
const read = (rel: string): Uint8Array => new Uint8Array(fs.readFileSync(fwPath(rel)));
const OVMF = read('debian/OVMF.fd');
const AMDSEV = read('synthetic/amdsev.fd');
const V4 = vcpuTypeSig('EPYC-v4');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-test-trace-'));
afterAll(async () => fs.rmSync(tmp, { recursive: true, force: true }));

describe('snp:ovmf-hash resume (library)', () => {
  const cases: Array<[string, Omit<MeasureOptions, 'mode'>]> = [
    ['QEMU, 4 vCPUs', { ovmf: OVMF, vcpus: 4, vcpuSig: V4 }],
    ['ec2', { ovmf: OVMF, vcpus: 2, vmm: 'ec2' }],
    ['gce, guest features 0x21', { ovmf: OVMF, vcpus: 1, vmm: 'gce', guestFeatures: 0x21n }],
    ['amdsev.fd with kernel, initrd and cmdline', { ovmf: AMDSEV, vcpus: 2, vcpuSig: V4, directBoot: { kernel: new Uint8Array(5000).fill(7), initrd: new Uint8Array(3), append: 'console=ttyS0' } }],
  ];
  it.each(cases)('%s', async (_name, o) => {
    const full = measureSnp(o);
    const h = snpOvmfHash(o.ovmf);
    const resumed = measureSnp({ ...o, ovmfHash: h });
    expect(toHex(resumed.digest)).toBe(toHex(full.digest));
    expect(resumed.operations).toBe(full.operations - (o.ovmf as Uint8Array).length / 4096);
    // and a wrong seed gives a different digest (the seed is really used)
    const wrong = h.slice();
    wrong[0]! ^= 1;
    expect(toHex(measureSnp({ ...o, ovmfHash: wrong }).digest)).not.toBe(toHex(full.digest));
  });
});

describe('snp:ovmf-hash resume (CLI)', () => {
  it('the printed ovmf hash, fed back with --snp-ovmf-hash, gives the full measurement', async () => {
    const ovmf = fwPath('debian/OVMF.fd');
    const h = expectOk(await runCliInProcess(['measure', '--mode', 'snp:ovmf-hash', '--ovmf', ovmf])).trim();
    expect(h).toMatch(/^[0-9a-f]{96}$/);
    expect(h).toBe(toHex(snpOvmfHash(OVMF)));
    const common = ['measure', '--mode', 'snp', '--vcpus', '3', '--vcpu-type', 'EPYC-Milan', '--ovmf', ovmf];
    const full = expectOk(await runCliInProcess(common));
    expect(expectOk(await runCliInProcess([...common, '--snp-ovmf-hash', h]))).toBe(full);
    expect(expectOk(await runCliInProcess([...common, '--snp-ovmf-hash', h.toUpperCase()]))).toBe(full);
  });
});

describe('--trace and trace diff', () => {
  const ovmf = fwPath('debian/OVMF.fd');
  const traceA = path.join(tmp, 'a.trace');
  const traceB = path.join(tmp, 'b.trace');
  const traceA2 = path.join(tmp, 'a2.trace');
  const measureArgs = (type: string, trace: string): string[] => ['measure', '--mode', 'snp', '--vcpus', '2', '--vcpu-type', type, '--ovmf', ovmf, '--trace', trace];
  const FIRST_VMSA = 512 + 9 + 3 + 1 + 1 + 17;

  it('writes a header and one line per page; the last digest is the printed measurement', async () => {
    const out = expectOk(await runCliInProcess(measureArgs('EPYC-v4', traceA))).trim();
    const lines = fs.readFileSync(traceA, 'utf8').trimEnd().split('\n');
    expect(lines[0]!.startsWith('# prelaunch trace v1 ')).toBe(true);
    const header = new Map(lines[0]!.split(' ').slice(4).map((kv) => kv.split('=') as [string, string]));
    expect(Object.fromEntries(['mode', 'vmm', 'vcpus', 'vcpuSig', 'guestFeatures', 'ovmf'].map((k) => [k, header.get(k)]))).toEqual({
      mode: 'snp', vmm: 'QEMU', vcpus: '2', vcpuSig: '0x800f12', guestFeatures: '0x1', ovmf,
    });
    const ops = lines.slice(1);
    expect(ops).toHaveLength(FIRST_VMSA + 2);
    expect(ops.map((l) => Number(l.split(' ')[0]))).toEqual(ops.map((_, i) => i));
    expect(/digest=([0-9a-f]{96})/.exec(ops.at(-1)!)![1]).toBe(out);
    // the first line is the first firmware page, its contents the SHA-384 of those 4 KiB
    expect(ops[0]).toContain(`gpa=0x0000ffe00000 NORMAL     contents=${createHash('sha384').update(OVMF.subarray(0, 4096)).digest('hex')} `);
    expect(ops[0]).toMatch(/ firmware$/);
    expect(ops[FIRST_VMSA]).toMatch(/^\d+ gpa=0xfffffffff000 VMSA .* VMSA vCPU 0$/);
    // no temporary file is left beside it
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('trace diff names the first VMSA operation when only the vCPU type differs', async () => {
    expectOk(await runCliInProcess(measureArgs('EPYC-Milan', traceB)));
    const r = await runCliInProcess(['trace', 'diff', traceA, traceB]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const [head, a, b] = r.stdout.trimEnd().split('\n');
    expect(head).toBe(`first divergence at operation ${FIRST_VMSA} (contents, digest differ)`);
    expect(a).toMatch(/^< \d+ .*VMSA vCPU 0$/);
    expect(b).toMatch(/^> \d+ .*VMSA vCPU 0$/);
  });

  it('identical traces: exit 0', async () => {
    expectOk(await runCliInProcess(measureArgs('EPYC-v4', traceA2)));
    const r = await runCliInProcess(['trace', 'diff', traceA, traceA2]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('traces are identical\n');
  });

  it('a failed measurement leaves no trace file', async () => {
    const t = path.join(tmp, 'failed.trace');
    expectCleanError(await runCliInProcess(['measure', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC', '--ovmf', fwPath('synthetic/badtype.fd'), '--trace', t]), 1, 'ERR_FIRMWARE_UNSUPPORTED');
    expect(fs.existsSync(t)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('failed'))).toEqual([]);
  });

  it('SEV-ES traces list the pieces with their own SHA-256', async () => {
    const t = path.join(tmp, 'seves.trace');
    expectOk(await runCliInProcess(['measure', '--mode', 'seves', '--vcpus', '2', '--vcpu-type', 'EPYC-v4', '--ovmf', ovmf, '--trace', t]));
    const ops = fs.readFileSync(t, 'utf8').trimEnd().split('\n').slice(1);
    expect(ops).toHaveLength(3);
    expect(ops[0]).toBe(`0 offset=0 length=2097152 sha256=${createHash('sha256').update(OVMF).digest('hex')} firmware`);
    expect(ops[1]).toMatch(/^1 offset=2097152 length=4096 sha256=[0-9a-f]{64} VMSA vCPU 0$/);
  });

  it('trace diff of a missing file is a clean error', async () => {
    const line = expectCleanError(await runCliInProcess(['trace', 'diff', traceA, path.join(tmp, 'nope.trace')]), 1, 'ERR_IO');
    expect(line).toContain('nope.trace');
  });

  it('diffTraces: a shorter trace differs in length', async () => {
    const t = '# h\n0 gpa=0x1 NORMAL contents=aa digest=bb firmware\n1 gpa=0x2 NORMAL contents=cc digest=dd firmware\n';
    expect(diffTraces(t, t)).toEqual({ index: null, a: null, b: null, fields: [] });
    expect(diffTraces(t, t.split('\n').slice(0, 2).join('\n'))).toMatchObject({ index: 1, b: null, fields: ['length'] });
    expect(diffTraces(t, t.replace('digest=dd', 'digest=ee')).fields).toEqual(['digest']);
  });
});
