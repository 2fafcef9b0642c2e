import type { Proportion } from './types.js';

/** Throws a RangeError unless value is a whole number of 0 or more. */
export function checkCount(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number of 0 or more, got ${value}`);
  }
}

/** Throws a RangeError unless the proportion has whole counts with successes <= trials. */
export function checkProportion(proportion: Proportion, name: string): void {
  checkCount(proportion.successes, `${name}.successes`);
  checkCount(proportion.trials, `${name}.trials`);
  if (proportion.successes > proportion.trials) {
    throw new RangeError(
      `${name}.successes (${proportion.successes}) must not exceed ${name}.trials (${proportion.trials})`,
    );
  }
}

/** Throws a RangeError unless 0 < value < 1. */
export function checkProbability(value: number, name: string): void {
  if (!(value > 0 && value < 1)) {
    throw new RangeError(`${name} must be between 0 and 1 (exclusive), got ${value}`);
  }
}
