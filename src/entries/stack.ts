/**
 * `prelaunch/stack`: the host stack (QEMU, kernel, libvirt) as input — the stack model and its
 * named rules, QEMU command-line and libvirt domain parsers, firmware descriptors, the host
 * probe (reads through a caller-supplied {@link ProbeHost}). See docs/api.md, docs/stack.md.
 */
export { resolveStack, stackJson, DEFAULT_STACK, type HostStack, type StackInputs, type StackVmm } from '../stack/model.js';
export { deriveSev, deriveTdx, STACK_RULES, ruleJson, type RuleHit, type RuleId, type StackRule } from '../stack/rules.js';
export { resolveLaunch, type LaunchDescription, type ResolvedLaunch, type GuestCpu } from '../stack/launch.js';
export { parseQemuCommandLine, type QemuParseOptions } from '../stack/qemu-cmdline.js';
export { parseLibvirtDomain, type LibvirtParseOptions } from '../stack/libvirt-domain.js';
export { parseFirmwareDescriptor, selectFirmware, type FirmwareDescriptor, type FirmwareRequest } from '../stack/firmware-descriptors.js';
export { probeHost, type ProbeHost, type ProbeResult } from '../stack/probe.js';
