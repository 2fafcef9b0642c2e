/**
 * The time window of a metric. The recording rules count what reached Prometheus
 * in the 7 days before their evaluation, with the sample at the window start left
 * out. The engine has no arrival times, so it counts spans by their end time in
 * the same half-open interval (start, end].
 */

/** Length of the recording rules' window: 7 days, in nanoseconds. */
export const SEVEN_DAYS_NANOS = 7n * 24n * 3600n * 1_000_000_000n;

/** A half-open interval of span end times: after `startUnixNano`, up to and including `endUnixNano`. */
export interface TimeWindow {
  startUnixNano: bigint;
  endUnixNano: bigint;
}

/** Returns the window of `lengthNanos` (default 7 days) that ends at `end`. */
export function windowEndingAt(end: Date | bigint, lengthNanos: bigint = SEVEN_DAYS_NANOS): TimeWindow {
  const endUnixNano = typeof end === 'bigint' ? end : BigInt(end.getTime()) * 1_000_000n;
  if (lengthNanos <= 0n) throw new RangeError(`invalid window length ${lengthNanos} ns: expected a positive length such as SEVEN_DAYS_NANOS`);
  return { startUnixNano: endUnixNano - lengthNanos, endUnixNano };
}

/** Whether a span that ended at `endTimeUnixNano` counts in `window`. */
export function inWindow(window: TimeWindow, endTimeUnixNano: bigint): boolean {
  return endTimeUnixNano > window.startUnixNano && endTimeUnixNano <= window.endUnixNano;
}
