// What reading the launch from a QEMU command line or a libvirt domain adds to a measurement,
// called by test/bench/run.mjs (and runnable alone: node test/bench/stack-bench.mjs). Two
// figures each: the parse (plus stack rules) in process, and the difference in wall time
// between `measure --from-qemu/--from-libvirt` and the same measurement from explicit flags
// (which also counts reading the input file, the descriptors and loading the parser code).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const INPUTS = path.join(ROOT, 'test/stack/inputs');
const CLI = path.join(ROOT, 'dist/prelaunch.cjs');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

function wall(argv, cwd, runs) {
  const t = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [CLI, ...argv], { cwd, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
    if (i > 0) t.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(t);
}

export async function benchStack({ runs = 9 } = {}) {
  const imp = (m) => import(pathToFileURL(path.join(ROOT, 'dist/stack', m)).href);
  const { parseQemuCommandLine } = await imp('qemu-cmdline.js');
  const { parseLibvirtDomain } = await imp('libvirt-domain.js');
  const { parseFirmwareDescriptor } = await imp('firmware-descriptors.js');
  const { resolveStack } = await imp('model.js');
  const { resolveLaunch } = await imp('launch.js');
  const script = new Uint8Array(fs.readFileSync(path.join(INPUTS, 'amdsev-launch-qemu.sh')));
  const xml = fs.readFileSync(path.join(INPUTS, 'nova-snp-instance.xml'), 'utf8');
  const descDir = path.join(INPUTS, 'firmware');
  const stack = resolveStack({ qemuVersion: '10.1.0', hostKernel: '6.12.0', hostCpuSig: '0xa00f11' }, true);
  const inproc = (fn) => {
    for (let i = 0; i < 50; i++) fn(); // warm up
    const t = [];
    for (let i = 0; i < 200; i++) {
      const t0 = process.hrtime.bigint();
      fn();
      t.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    return median(t);
  };
  const q = inproc(() => resolveLaunch(parseQemuCommandLine(script, 'amdsev-launch-qemu.sh'), stack));
  const l = inproc(() => {
    const descs = fs.readdirSync(descDir).map((n) => parseFirmwareDescriptor(fs.readFileSync(path.join(descDir, n), 'utf8'), n, n));
    return resolveLaunch(parseLibvirtDomain(xml, 'nova-snp-instance.xml', { descriptors: descs }), stack);
  });
  const ovmf = path.join(ROOT, 'firmware-samples/debian/OVMF.fd');
  const st = ['--qemu-version', '10.1.0', '--host-kernel', '6.12.0'];
  const fromQemu = wall(['measure', '--from-qemu', 'amdsev-launch-qemu.sh', ...st], INPUTS, runs);
  const flags = wall(['measure', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', ovmf], INPUTS, runs);
  return [
    { name: 'parse + stack rules, in process: QEMU command line (amdsev-launch-qemu.sh)', seconds: q },
    { name: 'parse + stack rules, in process: libvirt domain + 3 firmware descriptors (nova-snp-instance.xml)', seconds: l },
    { name: '`measure --from-qemu amdsev-launch-qemu.sh` (process)', seconds: fromQemu, note: `explicit flags, same value: ${(flags * 1000).toFixed(1)} ms; difference ${((fromQemu - flags) * 1000).toFixed(1)} ms` },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const r of await benchStack({ runs: 9 })) console.log(`${r.name}: ${(r.seconds * 1000).toFixed(3)} ms${r.note ? ` (${r.note})` : ''}`);
}
