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

/** Debian sid's IntelTdx build (edk2 2026.08, Microsoft keys enrolled in its CFV): firmware-samples/debian-sid */
export const SID_TDVF = fw('debian-sid/OVMF.inteltdx.ms.fd');
export const SID_TDVF_SHA256 = 'a265075b4147a096109e501e76196df1ec8a18659c26f7401492c597ec88f312';

/**
 * The same image with its PK variable marked deleted in the CFV varstore (State 0x3F → 0x3C, as
 * edk2 marks a deleted variable): secure boot off (SecureBoot = 0), the other keys unchanged. A
 * test derivative: nothing but one state byte differs from Debian's file.
 */
export function sidWithoutPk(): Uint8Array {
  const img = readBytes(SID_TDVF);
  // CFV section at file offset 0 (TDVF metadata of this build); FV header length at 0x30, store header 28 bytes
  const hdrLen = img[0x30]! | (img[0x31]! << 8);
  let p = (hdrLen + 28 + 3) & ~3;
  for (;;) {
    const v = new DataView(img.buffer, img.byteOffset + p);
    if (v.getUint16(0, true) !== 0x55aa) throw new Error('PK not found in the CFV varstore');
    const nameSize = v.getUint32(0x24, true);
    const dataSize = v.getUint32(0x28, true);
    const name = new TextDecoder('utf-16le').decode(img.subarray(p + 60, p + 60 + nameSize - 2));
    if (name === 'PK' && img[p + 2] === 0x3f) {
      img[p + 2] = 0x3c;
      return img;
    }
    p = (p + 60 + nameSize + dataSize + 3) & ~3;
  }
}
