/**
 * TCG event types and the event-data layouts TDVF (OVMF) and the Linux EFI stub log in the
 * CCEL during a QEMU direct boot. All integers little-endian; GUIDs in EFI byte order.
 *
 * UEFI_VARIABLE_DATA (EV_EFI_VARIABLE_DRIVER_CONFIG, EV_EFI_VARIABLE_BOOT):
 *   0x00 16  VariableName GUID         0x10  8  UnicodeNameLength (characters, no NUL)
 *   0x18  8  VariableDataLength        0x20  …  UTF-16LE name, then the data
 *
 * EV_EFI_HANDOFF_TABLES2 "TdxTable":
 *   u8 9 ‖ "TdxTable\0" ‖ u64 NumberOfTables 1 ‖ GUID 93bb96af-b9f2-4eb8-9462-e0ba74564236 ‖ u64 TD HOB GPA
 *
 * EV_EFI_PLATFORM_FIRMWARE_BLOB2 (the CFV):
 *   u8 0x29 ‖ "Fv(XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX)\0" ‖ u64 base GPA ‖ u64 length
 *
 * EFI_IMAGE_LOAD_EVENT (EV_EFI_BOOT_SERVICES_APPLICATION):
 *   u64 ImageLocationInMemory ‖ u64 ImageLengthInMemory ‖ u64 ImageLinkTimeAddress ‖
 *   u64 LengthOfDevicePath ‖ device path
 *
 * TCG_PCClientTaggedEvent (EV_EVENT_TAG, Linux EFI stub): u32 taggedEventID ‖ u32 size ‖ data
 *
 * EFI load option (Boot####): u32 Attributes ‖ u16 FilePathListLength ‖ UTF-16 description\0 ‖ device path
 */
import { guidFromBytes, guidToBytes } from '../../bytes/guid.js';
import { StructWriter } from '../../bytes/writer.js';

export const EV = {
  EV_PREBOOT_CERT: 0x0,
  EV_POST_CODE: 0x1,
  EV_NO_ACTION: 0x3,
  EV_SEPARATOR: 0x4,
  EV_ACTION: 0x5,
  EV_EVENT_TAG: 0x6,
  EV_S_CRTM_CONTENTS: 0x7,
  EV_S_CRTM_VERSION: 0x8,
  EV_CPU_MICROCODE: 0x9,
  EV_PLATFORM_CONFIG_FLAGS: 0xa,
  EV_TABLE_OF_DEVICES: 0xb,
  EV_COMPACT_HASH: 0xc,
  EV_IPL: 0xd,
  EV_IPL_PARTITION_DATA: 0xe,
  EV_NONHOST_CODE: 0xf,
  EV_NONHOST_CONFIG: 0x10,
  EV_NONHOST_INFO: 0x11,
  EV_OMIT_BOOT_DEVICE_EVENTS: 0x12,
  EV_EFI_VARIABLE_DRIVER_CONFIG: 0x80000001,
  EV_EFI_VARIABLE_BOOT: 0x80000002,
  EV_EFI_BOOT_SERVICES_APPLICATION: 0x80000003,
  EV_EFI_BOOT_SERVICES_DRIVER: 0x80000004,
  EV_EFI_RUNTIME_SERVICES_DRIVER: 0x80000005,
  EV_EFI_GPT_EVENT: 0x80000006,
  EV_EFI_ACTION: 0x80000007,
  EV_EFI_PLATFORM_FIRMWARE_BLOB: 0x80000008,
  EV_EFI_HANDOFF_TABLES: 0x80000009,
  EV_EFI_PLATFORM_FIRMWARE_BLOB2: 0x8000000a,
  EV_EFI_HANDOFF_TABLES2: 0x8000000b,
  EV_EFI_VARIABLE_BOOT2: 0x8000000c,
  EV_EFI_HCRTM_EVENT: 0x80000010,
  EV_EFI_VARIABLE_AUTHORITY: 0x800000e0,
  EV_EFI_SPDM_FIRMWARE_BLOB: 0x800000e1,
  EV_EFI_SPDM_FIRMWARE_CONFIG: 0x800000e2,
} as const;

const EV_NAMES: Record<number, string> = Object.fromEntries(Object.entries(EV).map(([k, v]) => [v, k]));
export function eventTypeName(type: number): string {
  return EV_NAMES[type] ?? `0x${type.toString(16).padStart(8, '0')}`;
}

export const EFI_GLOBAL_VARIABLE_GUID = '8be4df61-93ca-11d2-aa0d-00e098032b8c';
export const EFI_IMAGE_SECURITY_DATABASE_GUID = 'd719b2cb-3d3a-4596-a3bc-dad00e67656f';
export const TDX_HOB_LIST_GUID = '93bb96af-b9f2-4eb8-9462-e0ba74564236';
/** QEMU's kernel loader file system (OVMF QemuKernelLoaderFsDxe) vendor device path */
export const QEMU_KERNEL_LOADER_FS_GUID = '1428f772-b64a-441e-b8c3-9ebdd7f893c7';
/** Linux EFI stub tagged-event IDs (drivers/firmware/efi/libstub) */
export const LINUX_INITRD_EVENT_TAG_ID = 0x8f3b22ec;
export const LINUX_LOAD_OPTIONS_EVENT_TAG_ID = 0x8f3b22ed;

function utf16(text: string, nul: boolean): Uint8Array {
  const n = text.length + (nul ? 1 : 0);
  const out = new Uint8Array(n * 2);
  const v = new DataView(out.buffer);
  for (let i = 0; i < text.length; i++) v.setUint16(i * 2, text.charCodeAt(i), true);
  return out;
}
export { utf16 as encodeUtf16 };

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
export { ascii as encodeAscii };

export function uefiVariableData(guid: string, name: string, data: Uint8Array): Uint8Array {
  const nameBytes = utf16(name, false);
  return new StructWriter(32 + nameBytes.length + data.length)
    .put(0, guidToBytes(guid)).u64(16, name.length).u64(24, data.length).put(32, nameBytes).put(32 + nameBytes.length, data).bytes;
}

export function tdxHandoffTablesData(hobGpa: number): Uint8Array {
  return new StructWriter(42).u8(0, 9).put(1, ascii('TdxTable\0')).u64(10, 1).put(18, guidToBytes(TDX_HOB_LIST_GUID)).u64(34, hobGpa).bytes;
}

export function firmwareBlob2Data(base: number, length: number): Uint8Array {
  const desc = ascii('Fv(XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX)\0');
  return new StructWriter(1 + desc.length + 16).u8(0, desc.length).put(1, desc).u64(1 + desc.length, base).u64(9 + desc.length, length).bytes;
}

/** Vendor(QEMU kernel loader FS) / File(name) / End: the path OVMF loads the direct-boot kernel from. */
export function qemuKernelDevicePath(file = 'kernel'): Uint8Array {
  const name = utf16(file, true);
  return new StructWriter(20 + 4 + name.length + 4)
    .u8(0, 0x04).u8(1, 0x03).u16(2, 20).put(4, guidToBytes(QEMU_KERNEL_LOADER_FS_GUID))
    .u8(20, 0x04).u8(21, 0x04).u16(22, 4 + name.length).put(24, name)
    .u8(24 + name.length, 0x7f).u8(25 + name.length, 0xff).u16(26 + name.length, 4).bytes;
}

export function imageLoadEventData(location: number, length: number, devicePath: Uint8Array): Uint8Array {
  return new StructWriter(32 + devicePath.length).u64(0, location).u64(8, length).u64(16, 0).u64(24, devicePath.length).put(32, devicePath).bytes;
}

export function taggedEventData(id: number, description: string): Uint8Array {
  const d = ascii(description + '\0');
  return new StructWriter(8 + d.length).u32(0, id).u32(4, d.length).put(8, d).bytes;
}

/** The OVMF UiApp load option (Boot0000 with QEMU direct boot). */
export function uiAppBootOption(): Uint8Array {
  const desc = utf16('UiApp', true);
  const path = new StructWriter(44)
    .u8(0, 0x04).u8(1, 0x07).u16(2, 20).put(4, guidToBytes('7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1'))
    .u8(20, 0x04).u8(21, 0x06).u16(22, 20).put(24, guidToBytes('462caa21-7614-4503-836e-8ab6f4662331'))
    .u8(40, 0x7f).u8(41, 0xff).u16(42, 4).bytes;
  return new StructWriter(6 + desc.length + path.length).u32(0, 0x109).u16(4, path.length).put(6, desc).put(6 + desc.length, path).bytes;
}

// ---------------------------------------------------------------------------------------
// Descriptions of logged events (for replay listings and diffs)

function readAscii(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : c === 0 ? '' : '.';
  return s;
}
function readUtf16(b: Uint8Array, chars: number): string {
  let s = '';
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < chars && i * 2 + 1 < b.length; i++) s += String.fromCharCode(v.getUint16(i * 2, true));
  return s;
}

/** A one-line human description of an event's data. */
export function describeEventData(type: number, data: Uint8Array): string {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  try {
    switch (type) {
      case EV.EV_EFI_VARIABLE_DRIVER_CONFIG:
      case EV.EV_EFI_VARIABLE_BOOT:
      case EV.EV_EFI_VARIABLE_BOOT2:
      case EV.EV_EFI_VARIABLE_AUTHORITY: {
        if (data.length < 32) break;
        const chars = Number(v.getBigUint64(16, true));
        const size = Number(v.getBigUint64(24, true));
        return `variable ${readUtf16(data.subarray(32), chars)} (${guidFromBytes(data, 0)}), ${size} data bytes`;
      }
      case EV.EV_EFI_HANDOFF_TABLES2:
      case EV.EV_EFI_PLATFORM_FIRMWARE_BLOB2: {
        const n = data[0] ?? 0;
        const desc = readAscii(data.subarray(1, 1 + n));
        const rest = 1 + n;
        if (type === EV.EV_EFI_HANDOFF_TABLES2 && data.length >= rest + 8 + 24) return `${desc}: ${guidFromBytes(data, rest + 8)} at 0x${v.getBigUint64(rest + 24, true).toString(16)}`;
        if (type === EV.EV_EFI_PLATFORM_FIRMWARE_BLOB2 && data.length >= rest + 16) return `${desc} at 0x${v.getBigUint64(rest, true).toString(16)}, 0x${v.getBigUint64(rest + 8, true).toString(16)} bytes`;
        return desc;
      }
      case EV.EV_EFI_BOOT_SERVICES_APPLICATION:
      case EV.EV_EFI_BOOT_SERVICES_DRIVER:
      case EV.EV_EFI_RUNTIME_SERVICES_DRIVER: {
        if (data.length < 32) break;
        const len = Number(v.getBigUint64(8, true));
        const dp = data.subarray(32);
        const files: string[] = [];
        for (let p = 0; p + 4 <= dp.length; ) {
          const nodeLen = dp[p + 2]! | (dp[p + 3]! << 8);
          if (nodeLen < 4) break;
          if (dp[p] === 0x04 && dp[p + 1] === 0x04) files.push(readUtf16(dp.subarray(p + 4, p + nodeLen), (nodeLen - 4) / 2).replace(/\0+$/, ''));
          if (dp[p] === 0x04 && dp[p + 1] === 0x03 && nodeLen >= 20 && guidFromBytes(dp, p + 4) === QEMU_KERNEL_LOADER_FS_GUID) files.push('QEMU kernel loader:');
          p += nodeLen;
        }
        return `PE image ${files.join(' ') || '(no file path)'}, ${len} bytes in memory`;
      }
      case EV.EV_EVENT_TAG: {
        if (data.length < 8) break;
        const id = v.getUint32(0, true);
        const name = id === LINUX_LOAD_OPTIONS_EVENT_TAG_ID ? 'kernel command line' : id === LINUX_INITRD_EVENT_TAG_ID ? 'initrd' : `tag 0x${id.toString(16)}`;
        return `${name} (${readAscii(data.subarray(8, 8 + v.getUint32(4, true)))})`;
      }
      case EV.EV_SEPARATOR:
        return 'separator';
      default:
        break;
    }
  } catch {
    /* fall through to the generic description */
  }
  const text = readAscii(data.subarray(0, 64));
  return text.length >= Math.min(4, data.length) && data.length > 0 ? JSON.stringify(text) : `${data.length} bytes`;
}
