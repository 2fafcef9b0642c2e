// Number formats of the verdict texts: rates as percentages, differences in
// percentage points, p-values with two significant digits.
import type { Interval } from '../stats/index.js';

/** Formats a rate from 0 to 1 as a percentage with one decimal, for example "52.0%". */
export function percent(rate: number): string {
  return Number.isNaN(rate) ? 'n/a' : `${(rate * 100).toFixed(1)}%`;
}

/** Formats a difference of rates in signed percentage points, for example "+21.0 points". */
export function points(difference: number): string {
  const value = (difference * 100).toFixed(1);
  return `${difference >= 0 ? '+' : ''}${value} points`;
}

/** Formats an interval of rates, for example "42.3% to 61.5%". */
export function percentInterval(interval: Interval): string {
  return `${percent(interval.lower)} to ${percent(interval.upper)}`;
}

/** Formats an interval of differences, for example "+7.5 to +33.6 points". */
export function pointsInterval(interval: Interval): string {
  return `${points(interval.lower).replace(' points', '')} to ${points(interval.upper)}`;
}

/** Formats a p-value, for example "p = 0.0031" or "p < 0.0001". */
export function pValueText(pValue: number): string {
  return pValue < 0.0001 ? 'p < 0.0001' : `p = ${Number(pValue.toPrecision(2))}`;
}
