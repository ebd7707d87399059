import { expect } from 'vitest';
import { PrelaunchError } from '../../src/errors.js';

/** The PrelaunchError `fn` throws (fails the test if it returns or throws anything else). */
export function thrownPrelaunchError(fn: () => unknown): PrelaunchError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PrelaunchError);
    return e as PrelaunchError;
  }
  throw new Error('expected a PrelaunchError');
}
