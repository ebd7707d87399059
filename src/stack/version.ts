/** Version numbers of host-stack components (QEMU, Linux, libvirt): parsing and comparison. */

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** the text it was read from */
  text: string;
}

/**
 * Read `MAJOR.MINOR[.PATCH]` from the start of a version string as tools print it:
 * `10.1.0`, `9.2.3 (Debian 1:9.2.3+ds-1)`, `QEMU emulator version 10.0.2`, `6.12.48+deb13-amd64`,
 * `6.6.0-rc1-snp-host-5a170ce1a082`. Returns null when there is no version number.
 */
export function parseVersion(text: string): Version | null {
  const m = /^(?:[A-Za-z ]*?version\s+)?v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,6}))?(?=$|[^0-9])/.exec(text.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] !== undefined ? Number(m[3]) : 0, text: text.trim() };
}

/** a < b: negative, a == b: 0, a > b: positive (major, minor, patch). */
export function compareVersion(a: Version, b: string): number {
  const v = parseVersion(b);
  if (!v) throw new RangeError(`not a version: ${b}`);
  return a.major - v.major || a.minor - v.minor || a.patch - v.patch;
}

export const atLeast = (a: Version, b: string): boolean => compareVersion(a, b) >= 0;

export function versionString(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}
