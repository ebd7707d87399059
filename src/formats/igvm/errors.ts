/**
 * IGVM errors name the header (type, index in the variable-header section, byte offset)
 * and the rule broken. `rule` is the igvm crate's error name for the same fault, so a
 * message can be matched against what igvmmeasure prints.
 */
import { ParseError } from '../../errors.js';
import { headerTypeName } from './defs.js';

/**
 * The rules an IGVM file can break: igvm 0.4.0's `Error` variant names (the crate's
 * `BinaryHeaderError` and `IgvmFile::new` errors), kept as the crate spells them.
 */
export const IGVM_RULES = [
  // fixed header and header section (new_from_binary)
  'InvalidFixedHeader', 'UnsupportedPageSize', 'InvalidChecksum', 'InvalidBinaryVariableHeaderSection',
  'InvalidVariableHeaderType', 'InvalidVariableHeaderSize', 'ValueOutOfRange', 'ReservedNotZero', 'InvalidDataSize',
  'TotalFileSizeTooLarge',
  // platforms
  'NoPlatformHeaders', 'MultiplePlatformHeadersWithSameIsolation', 'InvalidCompatibilityMask', 'InvalidPlatformType',
  'InvalidPlatformVersion', 'InvalidSharedGpaBoundary', 'PlatformArchUnsupported',
  // initialization headers
  'InvalidVtl', 'RelocationSize', 'RelocationAlignment', 'RelocationAddress', 'RelocationRegionsOverlap',
  'UnalignedAddress', 'UnalignedSize', 'InvalidPageTableRegionSize', 'MultiplePageTableRelocationHeaders',
  // CoRIM headers (igvm HEAD, feature "corim": BinaryHeaderError's names), and prelaunch's own
  // checks of their data, which the crate leaves as TODOs (InvalidCorimDocument/Signature)
  'MultipleCorimDocuments', 'MultipleCorimSignatures', 'MissingCorimDocument', 'InvalidCorimDocument', 'InvalidCorimSignature',
  // directives
  'InvalidPageDataType', 'InvalidParameterAreaIndex', 'ParameterInsertInsidePageTableRegion', 'InvalidVpContextPlatformType',
  'NoVbsVpContextRegisters', 'InvalidVbsVpContext', 'UnsupportedX64Register', 'UnsupportedAArch64Register', 'NoMatchingVpContext',
  'InvalidHeaderArch', 'InvalidVmsa', 'InvalidContext', 'InvalidSnpIdBlock', 'InvalidVbsMeasurement',
] as const;
export type IgvmRule = (typeof IGVM_RULES)[number];

export class IgvmFormatError extends ParseError {
  readonly rule: IgvmRule;
  readonly headerType: number | null;
  readonly headerIndex: number | null;
  constructor(
    where: { type: number; index: number; offset: number } | { structure: string; offset: number },
    problem: string,
    rule: IgvmRule,
    opts: { source?: string; truncated?: boolean } = {},
  ) {
    const structure = 'structure' in where ? where.structure : `${headerTypeName(where.type)} header #${where.index}`;
    super(opts.truncated ? 'ERR_TRUNCATED' : 'ERR_MALFORMED', structure, where.offset, `${problem} (rule: ${rule})`, opts.source);
    this.rule = rule;
    this.headerType = 'type' in where ? where.type : null;
    this.headerIndex = 'index' in where ? where.index : null;
  }
}
