/**
 * The three fw_cfg ACPI blobs QEMU hands a TD's firmware (`etc/table-loader`, `etc/acpi/rsdp`,
 * `etc/acpi/tables`) from a directory: flat names, or a copy of /sys/firmware/qemu_fw_cfg/by_name.
 * Read by `prelaunch tdx --acpi-dir` and a golden manifest's `matrix.tdx.shapes[].acpiDir`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OptionError } from '../errors.js';
import type { AcpiBlobs } from '../measure/rtmr.js';
import { resolvePath } from './context.js';
import { LIMITS, readInput } from './io.js';

const ACPI_FILES: Record<keyof AcpiBlobs, string[]> = {
  tableLoader: ['table-loader', 'etc/table-loader', 'etc/table-loader/raw'],
  rsdp: ['rsdp', 'etc/acpi/rsdp', 'etc/acpi/rsdp/raw'],
  tables: ['tables', 'etc/acpi/tables', 'etc/acpi/tables/raw'],
};

/** `where` names the flag or manifest key in errors. */
export function readAcpiDir(dir: string, where: string): AcpiBlobs {
  const pick = (key: keyof AcpiBlobs): Uint8Array => {
    for (const rel of ACPI_FILES[key]) {
      const p = path.join(dir, rel);
      let isFile = false;
      try {
        isFile = fs.statSync(resolvePath(p)).isFile();
      } catch {
        /* try the next name */
      }
      if (isFile) return readInput(p, where, LIMITS.acpiBlob, 'an ACPI fw_cfg blob', { regularOnly: true });
    }
    throw new OptionError(where, `${dir} has none of ${ACPI_FILES[key].join(', ')}`);
  };
  return { tableLoader: pick('tableLoader'), rsdp: pick('rsdp'), tables: pick('tables') };
}
