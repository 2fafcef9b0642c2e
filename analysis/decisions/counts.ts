import type { Proportion } from '../stats/index.js';
import type { RunCounts, SuccessMetric } from './types.js';

/** Throws a RangeError unless the counts are whole numbers with oneShot <= autonomous <= resolved. */
export function checkRunCounts(counts: RunCounts, name: string): void {
  for (const field of ['resolved', 'oneShot', 'autonomous'] as const) {
    const value = counts[field];
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`${name}.${field} must be a whole number of 0 or more, got ${value}`);
    }
  }
  if (counts.oneShot > counts.autonomous || counts.autonomous > counts.resolved) {
    throw new RangeError(
      `${name} needs oneShot <= autonomous <= resolved, got ${counts.oneShot}, ${counts.autonomous} and ` +
        `${counts.resolved}; every one-shot run is also autonomous`,
    );
  }
}

/** Returns the successes of a metric among the resolved runs. */
export function proportionOf(counts: RunCounts, metric: SuccessMetric): Proportion {
  return { successes: metric === 'one_shot' ? counts.oneShot : counts.autonomous, trials: counts.resolved };
}

/** Returns the metric's name for text, for example "one-shot success". */
export function metricName(metric: SuccessMetric): string {
  return metric === 'one_shot' ? 'one-shot success' : 'autonomous success';
}
