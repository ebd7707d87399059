/** Fixture paths for the TDX tests, resolved from this file; ../shared is optional. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(ROOT, '../shared');
export const HAVE_SHARED = fs.existsSync(path.join(SHARED, 'oracles/tdx/reference-values.jsonl'));
export const fw = (name: string): string => path.join(ROOT, 'firmware-samples', name);
export const readBytes = (p: string): Uint8Array => new Uint8Array(fs.readFileSync(p));

export interface TdxVectors {
  mrtd: Array<{ firmwareSha256: string; file: string; order: 'single' | 'two'; value: string; id: string }>;
  tdHob: Array<{ memory: number; value: string; id: string }>;
  cfv: Array<{ firmwareSha256: string; value: string; id: string }>;
  fixedEvents: Array<{ event: string; value: string; id: string }>;
  ccelReplay: { fileSha256: string; events: number; rtmrs: string[] };
  authenticode: { sha384: string };
}
export const VECTORS: TdxVectors = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/vectors/tdx-reference.json'), 'utf8')) as TdxVectors;

/** Committed firmware samples by sha256. */
export const SAMPLES: Record<string, string> = {
  '62c24f6f3b981f3c2c8e3d15596ffbb0d1799c5e2fe969cf2b41ae2f9da2e337': fw('tdx/synthetic-plain.bin'),
  'e932f80be64051b579db079c1dce8745e8bbc1f8395f010038adebc439d86123': fw('tdx/synthetic-pageaug.bin'),
  '7963ce6332b61279ab46072c7e629de951edb758c903d37263681e465c6f607d': fw('tdx/synthetic-rawshort.bin'),
  '7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773': fw('debian/OVMF.fd'),
};
/** Firmware only in ../shared (Debian deb12u1). */
export const SHARED_SAMPLES: Record<string, string> = {
  '0fb6249cc7a38acdbc461df56c2b3553f25ff0cef9d7febfecf3acff0a7c8650': path.join(SHARED, 'oracles/firmware/debian-ovmf-2022.11-6+deb12u1/OVMF.fd'),
};
