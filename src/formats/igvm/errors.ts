/**
 * IGVM errors name the header (type, index in the variable-header section, byte offset)
 * and the rule broken. `rule` is the igvm crate's error name for the same fault, so a
 * message can be matched against what igvmmeasure prints.
 */
import { ParseError } from '../../errors.js';
import { headerTypeName } from './defs.js';

export class IgvmFormatError extends ParseError {
  readonly rule: string;
  readonly headerType: number | null;
  readonly headerIndex: number | null;
  constructor(
    where: { type: number; index: number; offset: number } | { structure: string; offset: number },
    problem: string,
    rule: string,
    opts: { source?: string; truncated?: boolean } = {},
  ) {
    const structure = 'structure' in where ? where.structure : `${headerTypeName(where.type)} header #${where.index}`;
    super(opts.truncated ? 'ERR_TRUNCATED' : 'ERR_MALFORMED', structure, where.offset, `${problem} (rule: ${rule})`, opts.source);
    this.rule = rule;
    this.headerType = 'type' in where ? where.type : null;
    this.headerIndex = 'index' in where ? where.index : null;
  }
}
