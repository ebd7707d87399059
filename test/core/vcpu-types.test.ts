/**
 * The QEMU CPU model table (src/formats/snp/vcpu-types.ts), one case per model name.
 *
 * Expected CPUID Fn0000_0001_EAX signatures are worked out by hand from QEMU
 * target/i386/cpu.c `builtin_x86_defs[]` (base models read at qemu/qemu commit
 * 0048035a870312f2fd0f3dd28115398d26e419bb; EPYC-Turin family 26 model 0 stepping 0 from the
 * patch that added it; versions and aliases keep their base model's family/model/stepping):
 *   family > 15 → base family 0xF, extended family = family − 15; model split into
 *   extended model (high nibble) and model (low nibble).
 *   EPYC        23/1/2   → ext fam 8,  ext model 0 → 0x00800F12
 *   EPYC-Rome   23/49/0  → ext fam 8,  model 0x31  → 0x00830F10
 *   EPYC-Milan  25/1/1   → ext fam 10, model 0x01  → 0x00A00F11
 *   EPYC-Genoa  25/17/0  → ext fam 10, model 0x11  → 0x00A10F10
 *   EPYC-Turin  26/0/0   → ext fam 11, model 0x00  → 0x00B00F00
 */
import { describe, expect, it } from 'vitest';
import { VCPU_TYPES, VCPU_TYPE_NAMES, isVcpuType, vcpuTypeSig } from '../../src/formats/snp/vcpu-types.js';
import { VCPU_TYPE_CHOICES } from '../../src/cli/measure-options.js';

const EXPECTED: Record<string, number> = {
  'EPYC': 0x800f12, 'EPYC-v1': 0x800f12, 'EPYC-v2': 0x800f12, 'EPYC-IBPB': 0x800f12, 'EPYC-v3': 0x800f12, 'EPYC-v4': 0x800f12, 'EPYC-v5': 0x800f12,
  'EPYC-Rome': 0x830f10, 'EPYC-Rome-v1': 0x830f10, 'EPYC-Rome-v2': 0x830f10, 'EPYC-Rome-v3': 0x830f10, 'EPYC-Rome-v4': 0x830f10, 'EPYC-Rome-v5': 0x830f10,
  'EPYC-Milan': 0xa00f11, 'EPYC-Milan-v1': 0xa00f11, 'EPYC-Milan-v2': 0xa00f11, 'EPYC-Milan-v3': 0xa00f11, 'EPYC-Milan-v4': 0xa00f11,
  'EPYC-Genoa': 0xa10f10, 'EPYC-Genoa-v1': 0xa10f10, 'EPYC-Genoa-v2': 0xa10f10, 'EPYC-Genoa-v3': 0xa10f10,
  'EPYC-Turin': 0xb00f00, 'EPYC-Turin-v1': 0xb00f00, 'EPYC-Turin-v2': 0xb00f00,
};

describe('QEMU CPU models', () => {
  for (const [name, sig] of Object.entries(EXPECTED)) {
    it(`${name} → 0x${sig.toString(16)}`, () => {
      expect(isVcpuType(name)).toBe(true);
      if (isVcpuType(name)) expect(vcpuTypeSig(name)).toBe(sig);
    });
  }

  it('lists exactly these names, and the CLI offers the same list', () => {
    expect([...VCPU_TYPE_NAMES].sort()).toEqual(Object.keys(EXPECTED).sort());
    expect([...VCPU_TYPE_CHOICES]).toEqual([...VCPU_TYPE_NAMES]);
    expect(Object.keys(VCPU_TYPES)).toEqual(VCPU_TYPE_NAMES);
  });

  it('does not invent versions QEMU does not have', () => {
    for (const name of ['EPYC-v6', 'EPYC-Rome-v6', 'EPYC-Milan-v5', 'EPYC-Genoa-v4', 'EPYC-Turin-v3', 'Dhyana', 'host']) expect(isVcpuType(name)).toBe(false);
  });
});
