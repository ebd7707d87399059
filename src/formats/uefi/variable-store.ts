/**
 * The edk2 non-volatile variable store (MdeModulePkg VariableFormat.h), as in OVMF_VARS.fd: a
 * firmware volume (FileSystemGuid EFI_SYSTEM_NV_DATA_FV_GUID) whose body, at HeaderLength,
 * is a variable store. All integers little-endian.
 *
 * VARIABLE_STORE_HEADER (28 bytes):
 *   0x00 16  Signature: gEfiAuthenticatedVariableGuid aaf32c78-… (authenticated variables)
 *            or gEfiVariableGuid ddcf3616-… (plain)
 *   0x10  4  Size     0x14 1 Format (0x5A formatted)     0x15 1 State (0xFE healthy)
 *   0x16  2  Reserved 0x18 4 Reserved1
 *
 * Then variables, each 4-byte aligned, until a header whose StartId is not 0x55AA:
 * AUTHENTICATED_VARIABLE_HEADER (60 bytes):
 *   0x00 2 StartId 0x55AA  0x02 1 State  0x03 1 Reserved  0x04 4 Attributes
 *   0x08 8 MonotonicCount  0x10 16 TimeStamp (EFI_TIME)  0x20 4 PubKeyIndex
 *   0x24 4 NameSize        0x28 4 DataSize               0x2c 16 VendorGuid
 * VARIABLE_HEADER (plain, 32 bytes): StartId, State, Reserved, Attributes, NameSize, DataSize, VendorGuid.
 * Then NameSize bytes of UTF-16 name (with its NUL) and DataSize bytes of data.
 * State: VAR_ADDED 0x3F is live; VAR_ADDED & VAR_IN_DELETED_TRANSITION (0x3E) is live too
 * (edk2 keeps it until the new copy is written); anything else is deleted or incomplete.
 */
import { guidFromBytes } from '../../bytes/guid.js';
import { bytes, defineLayout, u16, u32, u64, u8, type LayoutValue } from '../../bytes/layout.js';
import { ParseError } from '../../errors.js';
import { EFI_FIRMWARE_VOLUME_HEADER, NV_DATA_FV_GUID } from './firmware-volume.js';

export const AUTHENTICATED_VARIABLE_GUID = 'aaf32c78-947b-439a-a180-2e144ec37792';
export const VARIABLE_GUID = 'ddcf3616-3275-4164-98b6-fe85707ffe7d';

export const VARIABLE_STORE_HEADER = defineLayout('VARIABLE_STORE_HEADER', { signature: bytes(16), size: u32, format: u8, state: u8, reserved: u16, reserved1: u32 }, {
  check: (v) => (v.format !== 0x5a ? `Format 0x${v.format.toString(16)} is not 0x5A (not formatted)` : null),
});
export const AUTHENTICATED_VARIABLE_HEADER = defineLayout('AUTHENTICATED_VARIABLE_HEADER', {
  startId: u16, state: u8, reserved: u8, attributes: u32, monotonicCount: u64, timeStamp: bytes(16), pubKeyIndex: u32, nameSize: u32, dataSize: u32, vendorGuid: bytes(16),
});
export const VARIABLE_HEADER = defineLayout('VARIABLE_HEADER', { startId: u16, state: u8, reserved: u8, attributes: u32, nameSize: u32, dataSize: u32, vendorGuid: bytes(16) });
type VariableHeader = LayoutValue<typeof VARIABLE_HEADER>;

export interface UefiVariable { guid: string; name: string; attributes: number; data: Uint8Array; offset: number }

export interface VariableStore { authenticated: boolean; variables: UefiVariable[] }

const VAR_ADDED = 0x3f;
const VAR_ADDED_IN_DELETE = 0x3e;

/** Parse the variable store at the start of `vars` (an OVMF_VARS image, or the NV volume of a unified image). */
export function parseVariableStore(vars: Uint8Array, source?: string): VariableStore {
  const ctx = source !== undefined ? { source } : {};
  const fv = EFI_FIRMWARE_VOLUME_HEADER.decode(vars, 0, ctx);
  const fsGuid = guidFromBytes(fv.fsGuid, 0);
  if (fsGuid !== NV_DATA_FV_GUID) throw new ParseError('ERR_MALFORMED', 'EFI_FIRMWARE_VOLUME_HEADER', 0, `FileSystemGuid ${fsGuid} is not the NV variable store's (${NV_DATA_FV_GUID}): not an OVMF varstore`, source);
  const at = fv.headerLength;
  const store = VARIABLE_STORE_HEADER.decode(vars, at, ctx);
  const sig = guidFromBytes(store.signature, 0);
  const authenticated = sig === AUTHENTICATED_VARIABLE_GUID;
  if (!authenticated && sig !== VARIABLE_GUID) throw new ParseError('ERR_MALFORMED', 'VARIABLE_STORE_HEADER', at, `signature ${sig} is neither the authenticated nor the plain variable store GUID`, source);
  const end = at + store.size;
  if (store.size < VARIABLE_STORE_HEADER.size || end > vars.length) throw new ParseError('ERR_MALFORMED', 'VARIABLE_STORE_HEADER', at, `Size 0x${store.size.toString(16)} does not fit in the ${vars.length}-byte file`, source);
  const region = vars.subarray(0, end);
  const hdr: { name: string; size: number; decode(b: Uint8Array, o: number, c: object): VariableHeader } = authenticated ? AUTHENTICATED_VARIABLE_HEADER : VARIABLE_HEADER;
  const variables: UefiVariable[] = [];
  let p = (at + VARIABLE_STORE_HEADER.size + 3) & ~3;
  while (p + hdr.size <= end) {
    if ((region[p]! | (region[p + 1]! << 8)) !== 0x55aa) break;
    const v = hdr.decode(region, p, ctx);
    const nameAt = p + hdr.size;
    if (v.nameSize > end - nameAt || v.dataSize > end - nameAt - v.nameSize) {
      throw new ParseError('ERR_MALFORMED', hdr.name, p, `NameSize ${v.nameSize} + DataSize ${v.dataSize} run past the variable store`, source);
    }
    if (v.nameSize % 2 !== 0) throw new ParseError('ERR_MALFORMED', hdr.name, p, `NameSize ${v.nameSize} is odd (the name is UTF-16)`, source);
    if (v.state === VAR_ADDED || v.state === VAR_ADDED_IN_DELETE) {
      let name = '';
      for (let i = 0; i + 1 < v.nameSize; i += 2) {
        const c = region[nameAt + i]! | (region[nameAt + i + 1]! << 8);
        if (c === 0) break;
        name += String.fromCharCode(c);
      }
      const dataAt = nameAt + v.nameSize;
      variables.push({ guid: guidFromBytes(v.vendorGuid, 0), name, attributes: v.attributes, data: region.slice(dataAt, dataAt + v.dataSize), offset: p });
    }
    p = (nameAt + v.nameSize + v.dataSize + 3) & ~3;
  }
  return { authenticated, variables };
}

export function findVariable(store: VariableStore, guid: string, name: string): UefiVariable | null {
  // the last live copy wins (a variable being rewritten can appear twice)
  let found: UefiVariable | null = null;
  for (const v of store.variables) if (v.guid === guid && v.name === name) found = v;
  return found;
}
