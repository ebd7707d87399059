/** `prelaunch host probe`: write the host's stack file (src/stack/probe.ts). */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { probeHost, type ProbeHost } from '../../stack/probe.js';
import { Outputs, writeStdout } from '../io.js';
import { resolvePath } from '../context.js';

export interface HostProbeFlags {
  json?: boolean;
  output?: string;
  root?: string;
}

export function nodeProbeHost(root: string | undefined): ProbeHost {
  const at = (p: string): string => (root ? resolvePath(root, p.replace(/^\/+/, '')) : p);
  return {
    readFile(p) {
      try {
        const fd = fs.openSync(at(p), 'r');
        try {
          const buf = Buffer.alloc(1 << 20);
          const n = fs.readSync(fd, buf, 0, buf.length, 0);
          return buf.subarray(0, n).toString('utf8');
        } finally {
          fs.closeSync(fd);
        }
      } catch {
        return null;
      }
    },
    readDir(p) {
      try {
        return fs.readdirSync(at(p));
      } catch {
        return null;
      }
    },
    run(command, args) {
      if (root) return null; // a fixture root: nothing on it can be run
      try {
        return execFileSync(command, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 8 << 20 });
      } catch {
        return null;
      }
    },
  };
}

export async function runHostProbe(f: HostProbeFlags): Promise<void> {
  const r = probeHost(nodeProbeHost(f.root));
  const doc = JSON.stringify(r.stack, null, 2) + '\n';
  if (f.output !== undefined) {
    const out = new Outputs();
    try {
      out.add(f.output, '--output');
      out.write(f.output, doc, '--output');
      out.commit();
    } finally {
      out.abort();
    }
  }
  if (f.json) writeStdout(doc);
  else writeStdout(r.notes.map((n) => `${n}\n`).join('') + (f.output !== undefined ? `stack file: ${f.output} (use with prelaunch measure --stack ${f.output})\n` : 'write the stack file with -o FILE (or --json)\n'));
}
