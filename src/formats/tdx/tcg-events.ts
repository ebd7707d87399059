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
import { bytes, defineLayout, latin1, nested, u16, u32, u64n, u8 } from '../../bytes/layout.js';

/** UEFI_VARIABLE_DATA, up to the name (UTF-16LE) and the data that follow it */
export const UEFI_VARIABLE_DATA = defineLayout('UEFI_VARIABLE_DATA', { variableName: bytes(16), unicodeNameLength: u64n, variableDataLength: u64n });
/** EV_EFI_HANDOFF_TABLES2 as TDVF logs the TD HOB: a 9-byte description "TdxTable\0" and one table */
export const TDX_HANDOFF_TABLES2 = defineLayout('UEFI_HANDOFF_TABLE_POINTERS2 (TdxTable)', {
  tableDescriptionSize: u8, tableDescription: latin1(9), numberOfTables: u64n, vendorGuid: bytes(16), vendorTable: u64n,
});
/** EV_EFI_PLATFORM_FIRMWARE_BLOB2 as TDVF logs the CFV: a 41-byte description "Fv(XXXXXXXX-…)\0" */
export const CFV_FIRMWARE_BLOB2 = defineLayout('UEFI_PLATFORM_FIRMWARE_BLOB2 (CFV)', {
  blobDescriptionSize: u8, blobDescription: latin1(41), blobBase: u64n, blobLength: u64n,
});
/** the size byte that starts a table or blob description */
export const EVENT_DESCRIPTION_SIZE = defineLayout('event description size', { size: u8 });
/** UEFI_HANDOFF_TABLE_POINTERS (EV_EFI_HANDOFF_TABLES), up to its first GUID/pointer pair; also what follows an EV_EFI_HANDOFF_TABLES2 description */
export const HANDOFF_TABLE_POINTERS = defineLayout('UEFI_HANDOFF_TABLE_POINTERS', { numberOfTables: u64n, vendorGuid: bytes(16), vendorTable: u64n });
export const HANDOFF_TABLES2_TAIL = HANDOFF_TABLE_POINTERS;
/** UEFI_PLATFORM_FIRMWARE_BLOB (EV_EFI_PLATFORM_FIRMWARE_BLOB); also what follows an EV_EFI_PLATFORM_FIRMWARE_BLOB2 description */
export const PLATFORM_FIRMWARE_BLOB = defineLayout('UEFI_PLATFORM_FIRMWARE_BLOB', { blobBase: u64n, blobLength: u64n });
export const FIRMWARE_BLOB2_TAIL = PLATFORM_FIRMWARE_BLOB;
/** UEFI_IMAGE_LOAD_EVENT, up to the device path that follows it */
export const UEFI_IMAGE_LOAD_EVENT = defineLayout('UEFI_IMAGE_LOAD_EVENT', {
  imageLocationInMemory: u64n, imageLengthInMemory: u64n, imageLinkTimeAddress: u64n, lengthOfDevicePath: u64n,
});
/** TCG_PCClientTaggedEvent, up to its data */
export const TCG_PCCLIENT_TAGGED_EVENT = defineLayout('TCG_PCClientTaggedEvent', { taggedEventID: u32, taggedEventDataSize: u32 });
/** EFI_DEVICE_PATH_PROTOCOL node header */
export const EFI_DEVICE_PATH = defineLayout('EFI_DEVICE_PATH_PROTOCOL', { type: u8, subType: u8, length: u16 });
/** a vendor-defined or firmware-volume/file device path node: the header and a GUID */
export const GUID_DEVICE_PATH = defineLayout('GUID device path node', { header: nested(EFI_DEVICE_PATH), guid: bytes(16) });
/** EFI_LOAD_OPTION, up to the description and the file path list */
export const EFI_LOAD_OPTION = defineLayout('EFI_LOAD_OPTION', { attributes: u32, filePathListLength: u16 });

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

/** one UTF-16LE code unit of a name or description */
const UTF16_UNIT = defineLayout('UTF-16 code unit', { unit: u16 }).field('unit');

function utf16(text: string, nul: boolean): Uint8Array {
  const n = text.length + (nul ? 1 : 0);
  const out = new Uint8Array(n * 2);
  const v = new DataView(out.buffer);
  for (let i = 0; i < text.length; i++) UTF16_UNIT.write(v, i * 2, text.charCodeAt(i));
  return out;
}
export { utf16 as encodeUtf16 };

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
export { ascii as encodeAscii };

/** `head` encoded at the start of `size` bytes, then `tail` after it. */
function withTail(head: Uint8Array, ...tail: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(head.length + tail.reduce((n, t) => n + t.length, 0));
  out.set(head);
  let p = head.length;
  for (const t of tail) {
    out.set(t, p);
    p += t.length;
  }
  return out;
}

export function uefiVariableData(guid: string, name: string, data: Uint8Array): Uint8Array {
  const head = UEFI_VARIABLE_DATA.encode({ variableName: guidToBytes(guid), unicodeNameLength: name.length, variableDataLength: data.length });
  return withTail(head, utf16(name, false), data);
}

export function tdxHandoffTablesData(hobGpa: number): Uint8Array {
  return TDX_HANDOFF_TABLES2.encode({ tableDescriptionSize: 9, tableDescription: 'TdxTable\0', numberOfTables: 1, vendorGuid: guidToBytes(TDX_HOB_LIST_GUID), vendorTable: hobGpa });
}

export function firmwareBlob2Data(base: number, length: number): Uint8Array {
  const desc = 'Fv(XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX)\0';
  return CFV_FIRMWARE_BLOB2.encode({ blobDescriptionSize: desc.length, blobDescription: desc, blobBase: base, blobLength: length });
}

const node = (type: number, subType: number, length: number) => ({ type, subType, length });
const END_OF_DEVICE_PATH = EFI_DEVICE_PATH.encode(node(0x7f, 0xff, EFI_DEVICE_PATH.size));

/** Vendor(QEMU kernel loader FS) / File(name) / End: the path OVMF loads the direct-boot kernel from. */
export function qemuKernelDevicePath(file = 'kernel'): Uint8Array {
  const name = utf16(file, true);
  return withTail(
    GUID_DEVICE_PATH.encode({ header: node(0x04, 0x03, GUID_DEVICE_PATH.size), guid: guidToBytes(QEMU_KERNEL_LOADER_FS_GUID) }),
    EFI_DEVICE_PATH.encode(node(0x04, 0x04, EFI_DEVICE_PATH.size + name.length)), name,
    END_OF_DEVICE_PATH,
  );
}

export function imageLoadEventData(location: number, length: number, devicePath: Uint8Array): Uint8Array {
  const head = UEFI_IMAGE_LOAD_EVENT.encode({ imageLocationInMemory: location, imageLengthInMemory: length, imageLinkTimeAddress: 0, lengthOfDevicePath: devicePath.length });
  return withTail(head, devicePath);
}

export function taggedEventData(id: number, description: string): Uint8Array {
  const d = ascii(description + '\0');
  return withTail(TCG_PCCLIENT_TAGGED_EVENT.encode({ taggedEventID: id, taggedEventDataSize: d.length }), d);
}

/** OvmfPkg's DXEFV (FvNameGuid in OvmfPkgX64.fdf and IntelTdx/IntelTdxX64.fdf) */
export const OVMF_DXEFV_NAME_GUID = '7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1';
/** MdeModulePkg UiApp (FILE_GUID) */
export const UI_APP_FILE_GUID = '462caa21-7614-4503-836e-8ab6f4662331';
/** MdeModulePkg BootManagerMenuApp (FILE_GUID) */
export const BOOT_MANAGER_MENU_APP_FILE_GUID = 'eec25bdc-67f2-4d95-b1d5-f81b2039d11d';
/** EFI_LOAD_OPTION Attributes: LOAD_OPTION_ACTIVE 0x1, LOAD_OPTION_HIDDEN 0x8, LOAD_OPTION_CATEGORY_APP 0x100 */
export const LOAD_OPTION = { active: 0x1, hidden: 0x8, categoryApp: 0x100 } as const;

/** An EFI_LOAD_OPTION for an application in OVMF's DXE volume: Fv(DXEFV)/FvFile(file)/End. */
export function fvAppBootOption(description: string, fileGuid: string, attributes: number): Uint8Array {
  const desc = utf16(description, true);
  const path = withTail(
    GUID_DEVICE_PATH.encode({ header: node(0x04, 0x07, GUID_DEVICE_PATH.size), guid: guidToBytes(OVMF_DXEFV_NAME_GUID) }),
    GUID_DEVICE_PATH.encode({ header: node(0x04, 0x06, GUID_DEVICE_PATH.size), guid: guidToBytes(fileGuid) }),
    END_OF_DEVICE_PATH,
  );
  return withTail(EFI_LOAD_OPTION.encode({ attributes, filePathListLength: path.length }), desc, path);
}

/** The OVMF UiApp load option (Boot0000 with QEMU direct boot, edk2 ≤ 2025.02): active, hidden, an application. */
export function uiAppBootOption(): Uint8Array {
  return fvAppBootOption('UiApp', UI_APP_FILE_GUID, LOAD_OPTION.active | LOAD_OPTION.hidden | LOAD_OPTION.categoryApp);
}

/**
 * edk2 ≥ 2025.05: Boot0000 is the boot manager menu (MdeModulePkg UefiBootManagerLib
 * EfiBootManagerGetBootManagerMenu: BootManagerMenuApp, active | hidden | app) and Boot0001 the
 * firmware setup (OvmfPkg PlatformBootManagerLib BdsPlatform.c PlatformRegisterFvBootOption
 * (UiApp, L"EFI Firmware Setup", LOAD_OPTION_ACTIVE), category app). Checked against the
 * EV_EFI_VARIABLE_BOOT event data of a real edk2 2026.08 boot (test/vectors/measured-boot/sid-q11-quiet).
 */
export function bootManagerMenuBootOption(): Uint8Array {
  return fvAppBootOption('BootManagerMenuApp', BOOT_MANAGER_MENU_APP_FILE_GUID, LOAD_OPTION.active | LOAD_OPTION.hidden | LOAD_OPTION.categoryApp);
}
export function firmwareSetupBootOption(): Uint8Array {
  return fvAppBootOption('EFI Firmware Setup', UI_APP_FILE_GUID, LOAD_OPTION.active | LOAD_OPTION.categoryApp);
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
  for (let i = 0; i < chars && i * 2 + 1 < b.length; i++) s += String.fromCharCode(UTF16_UNIT.read(v, i * 2));
  return s;
}

/** A one-line human description of an event's data. */
export function describeEventData(type: number, data: Uint8Array): string {
  try {
    switch (type) {
      // the PCR0/PCR1 events of a TPM log (a CCEL has none of them)
      case EV.EV_S_CRTM_VERSION: {
        if (data.length % 2 !== 0) break;
        const s = readUtf16(data, data.length / 2).split('\0')[0]!;
        return `firmware version ${s ? JSON.stringify(s) : '(empty)'}`;
      }
      case EV.EV_EFI_PLATFORM_FIRMWARE_BLOB: {
        if (data.length !== PLATFORM_FIRMWARE_BLOB.size) break;
        const b = PLATFORM_FIRMWARE_BLOB.decode(data);
        return `firmware volume at 0x${b.blobBase.toString(16)}, 0x${b.blobLength.toString(16)} bytes`;
      }
      case EV.EV_EFI_HANDOFF_TABLES: {
        if (data.length < HANDOFF_TABLE_POINTERS.size) break;
        const t = HANDOFF_TABLE_POINTERS.decode(data);
        return `${t.numberOfTables} handoff table(s): ${guidFromBytes(t.vendorGuid)} at 0x${t.vendorTable.toString(16)}`;
      }
      case EV.EV_EFI_VARIABLE_DRIVER_CONFIG:
      case EV.EV_EFI_VARIABLE_BOOT:
      case EV.EV_EFI_VARIABLE_BOOT2:
      case EV.EV_EFI_VARIABLE_AUTHORITY: {
        if (data.length < UEFI_VARIABLE_DATA.size) break;
        const h = UEFI_VARIABLE_DATA.decode(data);
        const chars = Number(h.unicodeNameLength);
        const size = Number(h.variableDataLength);
        return `variable ${readUtf16(data.subarray(UEFI_VARIABLE_DATA.size), chars)} (${guidFromBytes(h.variableName)}), ${size} data bytes`;
      }
      case EV.EV_EFI_HANDOFF_TABLES2:
      case EV.EV_EFI_PLATFORM_FIRMWARE_BLOB2: {
        const n = data.length > 0 ? EVENT_DESCRIPTION_SIZE.decode(data).size : 0;
        const desc = readAscii(data.subarray(1, 1 + n));
        const rest = 1 + n;
        if (type === EV.EV_EFI_HANDOFF_TABLES2 && data.length >= rest + HANDOFF_TABLES2_TAIL.size) {
          const t = HANDOFF_TABLES2_TAIL.decode(data, rest);
          return `${desc}: ${guidFromBytes(t.vendorGuid)} at 0x${t.vendorTable.toString(16)}`;
        }
        if (type === EV.EV_EFI_PLATFORM_FIRMWARE_BLOB2 && data.length >= rest + FIRMWARE_BLOB2_TAIL.size) {
          const t = FIRMWARE_BLOB2_TAIL.decode(data, rest);
          return `${desc} at 0x${t.blobBase.toString(16)}, 0x${t.blobLength.toString(16)} bytes`;
        }
        return desc;
      }
      case EV.EV_EFI_BOOT_SERVICES_APPLICATION:
      case EV.EV_EFI_BOOT_SERVICES_DRIVER:
      case EV.EV_EFI_RUNTIME_SERVICES_DRIVER: {
        if (data.length < UEFI_IMAGE_LOAD_EVENT.size) break;
        const len = Number(UEFI_IMAGE_LOAD_EVENT.decode(data).imageLengthInMemory);
        const dp = data.subarray(UEFI_IMAGE_LOAD_EVENT.size);
        const files: string[] = [];
        for (let p = 0; p + EFI_DEVICE_PATH.size <= dp.length; ) {
          const n = EFI_DEVICE_PATH.decode(dp, p);
          if (n.length < 4) break;
          if (n.type === 0x04 && n.subType === 0x04) files.push(readUtf16(dp.subarray(p + 4, p + n.length), (n.length - 4) / 2).replace(/\0+$/, ''));
          if (n.type === 0x04 && n.subType === 0x03 && n.length >= GUID_DEVICE_PATH.size && guidFromBytes(GUID_DEVICE_PATH.decode(dp, p).guid) === QEMU_KERNEL_LOADER_FS_GUID) files.push('QEMU kernel loader:');
          p += n.length;
        }
        return `PE image ${files.join(' ') || '(no file path)'}, ${len} bytes in memory`;
      }
      case EV.EV_EVENT_TAG: {
        if (data.length < TCG_PCCLIENT_TAGGED_EVENT.size) break;
        const t = TCG_PCCLIENT_TAGGED_EVENT.decode(data);
        const id = t.taggedEventID;
        const name = id === LINUX_LOAD_OPTIONS_EVENT_TAG_ID ? 'kernel command line' : id === LINUX_INITRD_EVENT_TAG_ID ? 'initrd' : `tag 0x${id.toString(16)}`;
        return `${name} (${readAscii(data.subarray(8, 8 + t.taggedEventDataSize))})`;
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
