/**
 * The Linux x86 boot-protocol setup header, and the bytes QEMU writes into it before handing
 * a `-kernel` bzImage to the firmware through fw_cfg (QEMU hw/i386/x86.c `x86_load_linux`).
 * TDVF measures the patched image, so the kernel's Authenticode digest depends on these bytes.
 *
 *   0x1f1  u8   setup_sects           0x1fa  u16  vid_mode (patched for "vga=")
 *   0x202  u32  "HdrS"                0x206  u16  protocol version
 *   0x210  u8   type_of_loader ← 0xB0 (protocol ≥ 0x200)
 *   0x211  u8   loadflags: bit 0 LOADED_HIGH; |= 0x80 CAN_USE_HEAP (protocol ≥ 0x201)
 *   0x218  u32  ramdisk_image ← initrd address    0x21c u32 ramdisk_size ← initrd size
 *   0x224  u16  heap_end_ptr ← cmdline − real − 0x200 (protocol ≥ 0x201)
 *   0x228  u32  cmd_line_ptr ← cmdline address (protocol ≥ 0x202)
 *   0x22c  u32  initrd_addr_max (protocol ≥ 0x203)
 *   0x236  u16  xloadflags: bit 1 XLF_CAN_BE_LOADED_ABOVE_4G (protocol ≥ 0x20c)
 *   old protocols (< 0x202): 0x020 u16 cmd_line_magic ← 0xA33F, 0x022 u16 cmd_line_offset
 *
 * Addresses: protocol < 0x200 or LOADED_HIGH clear → real 0x90000, cmdline 0x9A000 − size;
 * protocol < 0x202 → real 0x90000, cmdline 0x9A000 − size; else real 0x10000, cmdline 0x20000.
 * initrd_max: 0xFFFFFFFF (≥ 0x20c with XLF_CAN_BE_LOADED_ABOVE_4G), u32@0x22c (≥ 0x203) or
 * 0x37FFFFFF, clamped to below4g − acpi_data_size(0x28000) − 1; the initrd goes at
 * (initrd_max − size) & ~0xFFF.
 */
import { at, defineLayout, u16, u32, u8 } from '../../bytes/layout.js';
import { copyBytes } from '../../bytes/source.js';
import { FirmwareError } from '../../errors.js';
import { cmdlineBytes, type KernelCmdline } from './cmdline.js';

export const SETUP_HEADER_END = 0x280;

/**
 * The start of a bzImage as far as QEMU reads and patches it: the old command-line fields of
 * the zero page, then `struct setup_header` (Linux Documentation/arch/x86/boot.rst).
 */
export const LINUX_SETUP_HEADER = defineLayout(
  'Linux setup header',
  {
    cmdLineMagic: at(0x020, u16), cmdLineOffset: at(0x022, u16),
    setupSects: at(0x1f1, u8), vidMode: at(0x1fa, u16), header: at(0x202, u32), version: at(0x206, u16),
    typeOfLoader: at(0x210, u8), loadflags: at(0x211, u8), ramdiskImage: at(0x218, u32), ramdiskSize: at(0x21c, u32),
    heapEndPtr: at(0x224, u16), cmdLinePtr: at(0x228, u32), initrdAddrMax: at(0x22c, u32), xloadflags: at(0x236, u16),
  },
  { size: SETUP_HEADER_END },
);
const F = {
  cmdLineMagic: LINUX_SETUP_HEADER.field('cmdLineMagic'), cmdLineOffset: LINUX_SETUP_HEADER.field('cmdLineOffset'),
  vidMode: LINUX_SETUP_HEADER.field('vidMode'), typeOfLoader: LINUX_SETUP_HEADER.field('typeOfLoader'), loadflags: LINUX_SETUP_HEADER.field('loadflags'),
  ramdiskImage: LINUX_SETUP_HEADER.field('ramdiskImage'), ramdiskSize: LINUX_SETUP_HEADER.field('ramdiskSize'),
  heapEndPtr: LINUX_SETUP_HEADER.field('heapEndPtr'), cmdLinePtr: LINUX_SETUP_HEADER.field('cmdLinePtr'),
};
/** "HdrS" */
const SETUP_HEADER_MAGIC = 0x5372_6448;
const ACPI_DATA_SIZE = 0x20000 + 0x8000;

export interface QemuKernelPatch {
  protocol: number;
  /** the first {@link SETUP_HEADER_END} bytes of the kernel as QEMU hands them over */
  header: Uint8Array;
  initrdAddress: number | null;
}

/** QEMU's `-append` "vga=" handling (x86_load_linux). Returns null when there is no vga=. */
function vgaMode(bytes: Uint8Array): number | null {
  // QEMU scans the C string byte by byte; only ASCII matters, and windows-1252 keeps one character per byte
  const cmdline = new TextDecoder('windows-1252').decode(bytes);
  const at = cmdline.indexOf('vga=');
  if (at < 0) return null;
  const v = cmdline.slice(at + 4);
  if (v.startsWith('normal')) return 0xffff;
  if (v.startsWith('ext')) return 0xfffe;
  if (v.startsWith('ask')) return 0xfffd;
  // strtol(vmode, NULL, 0): optional sign, 0x… hex, 0… octal, decimal; stops at the first non-digit
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?/.exec(v)!;
  const digits = m[2];
  if (!digits) return 0;
  const n = digits.startsWith('0x') || digits.startsWith('0X') ? parseInt(digits.slice(2), 16) : digits.startsWith('0') ? parseInt(digits, 8) || 0 : parseInt(digits, 10);
  return (m[1] === '-' ? -n : n) & 0xffff;
}

/**
 * Patch the setup header as QEMU does. `head` is the start of the kernel file (at least
 * {@link SETUP_HEADER_END} bytes, or the whole file if shorter); `below4g` is the guest RAM below
 * 4 GiB. Throws when the kernel is not a bzImage QEMU would load.
 */
export function qemuPatchSetupHeader(head: Uint8Array, kernelSize: number, cmdlineArg: KernelCmdline, initrdSize: number | null, below4g: number): QemuKernelPatch {
  if (head.length < SETUP_HEADER_END) throw new FirmwareError(`the kernel is ${kernelSize} bytes, too small for a Linux bzImage`);
  const h = copyBytes(head, 0, SETUP_HEADER_END); // never the caller's bytes: the fields are patched in place
  const v = new DataView(h.buffer);
  const hdr = LINUX_SETUP_HEADER.decode(h);
  if (hdr.header !== SETUP_HEADER_MAGIC) throw new FirmwareError('the kernel has no "HdrS" setup-header signature: not a Linux bzImage (QEMU direct boot needs one)');
  const protocol = hdr.version;
  const cmdline = cmdlineBytes(cmdlineArg, '--append');
  const cmdlineSize = cmdline.length + 1;
  let real: number;
  let cmdAddr: number;
  if (protocol < 0x200 || !(hdr.loadflags & 0x01)) {
    real = 0x90000;
    cmdAddr = 0x9a000 - cmdlineSize;
  } else if (protocol < 0x202) {
    real = 0x90000;
    cmdAddr = 0x9a000 - cmdlineSize;
  } else {
    real = 0x10000;
    cmdAddr = 0x20000;
  }
  let initrdMax: number;
  if (protocol >= 0x20c && hdr.xloadflags & 0x2) initrdMax = 0xffff_ffff;
  else if (protocol >= 0x203) initrdMax = hdr.initrdAddrMax;
  else initrdMax = 0x37ff_ffff;
  if (initrdMax >= below4g - ACPI_DATA_SIZE) initrdMax = below4g - ACPI_DATA_SIZE - 1;

  if (protocol >= 0x202) F.cmdLinePtr.write(v, 0, cmdAddr);
  else {
    F.cmdLineMagic.write(v, 0, 0xa33f);
    F.cmdLineOffset.write(v, 0, cmdAddr - real);
  }
  const vga = vgaMode(cmdline);
  if (vga !== null) F.vidMode.write(v, 0, vga);
  if (protocol >= 0x200) F.typeOfLoader.write(v, 0, 0xb0);
  if (protocol >= 0x201) {
    F.loadflags.write(v, 0, hdr.loadflags | 0x80);
    F.heapEndPtr.write(v, 0, cmdAddr - real - 0x200);
  }
  let initrdAddress: number | null = null;
  if (initrdSize !== null) {
    if (initrdSize >= initrdMax) throw new FirmwareError(`the initrd (${initrdSize} bytes) is too large for this kernel and memory size (QEMU: max 0x${initrdMax.toString(16)})`);
    initrdAddress = (initrdMax - initrdSize) & ~0xfff;
    initrdAddress >>>= 0;
    F.ramdiskImage.write(v, 0, initrdAddress);
    F.ramdiskSize.write(v, 0, initrdSize);
  }
  let setupSects = hdr.setupSects;
  if (setupSects === 0) setupSects = 4;
  if ((setupSects + 1) * 512 > kernelSize) throw new FirmwareError(`the kernel's setup (${(setupSects + 1) * 512} bytes) is larger than the file (QEMU: "invalid kernel header")`);
  return { protocol, header: h, initrdAddress };
}
