/**
 * Exact quantiles of durations, and the estimate that Prometheus's
 * histogram_quantile() gives from the span_metrics connector's buckets, so that
 * the two can be set side by side.
 */

/**
 * Duration bucket bounds in seconds of the span_metrics connector
 * (collector/config.yaml, `histogram.explicit.buckets`): 60 s to 28 days.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 64800, 86400, 129600, 172800, 345600, 604800, 1209600, 2419200,
];

/** Bucket bounds of the attempts histogram of the signal_to_metrics connector (collector/config.yaml). */
export const ATTEMPT_BUCKETS: readonly number[] = [0, 1, 2, 3, 4, 5, 7, 10];

/** One cumulative bucket: observations of at most `le`; the last bucket has `le` Infinity. */
export interface HistogramBucket {
  le: number;
  count: number;
}

/**
 * Counts `values` into cumulative buckets with the given finite upper bounds
 * and a final +Inf bucket. A value equal to a bound falls into that bound's
 * bucket, as in the connectors and Prometheus's `le`.
 */
export function cumulativeBuckets(values: Iterable<number>, bounds: readonly number[]): HistogramBucket[] {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  for (const value of values) {
    let index = 0;
    while (index < bounds.length && value > bounds[index]!) index += 1;
    counts[index]! += 1;
  }
  const buckets: HistogramBucket[] = [];
  let total = 0;
  for (let index = 0; index <= bounds.length; index += 1) {
    total += counts[index]!;
    buckets.push({ le: index < bounds.length ? bounds[index]! : Number.POSITIVE_INFINITY, count: total });
  }
  return buckets;
}

/**
 * The quantile `q` (0 to 1) of cumulative buckets as Prometheus's
 * histogram_quantile() computes it (promql/quantile.go, Prometheus 3.x): linear
 * interpolation inside the bucket that holds the rank, from 0 for the first
 * bucket; the highest finite bound when the rank falls in the +Inf bucket. NaN
 * without observations.
 */
export function histogramQuantile(q: number, buckets: readonly HistogramBucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  if (buckets.length < 2 || buckets[buckets.length - 1]!.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return Number.NaN;

  const rank = q * observations;
  let index = 0;
  while (index < buckets.length - 1 && buckets[index]!.count < rank) index += 1;
  if (index === buckets.length - 1) return buckets[buckets.length - 2]!.le;
  if (index === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;

  const bucketEnd = buckets[index]!.le;
  const bucketStart = index === 0 ? 0 : buckets[index - 1]!.le;
  const below = index === 0 ? 0 : buckets[index - 1]!.count;
  return bucketStart + (bucketEnd - bucketStart) * ((rank - below) / (buckets[index]!.count - below));
}

/**
 * The exact quantile `q` (0 to 1) of `sorted` (ascending), by linear
 * interpolation between the two nearest ranks: Hyndman and Fan's type 7, the
 * default of R's quantile() and NumPy's percentile(). NaN for no values.
 */
export function exactQuantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0 || !(q >= 0 && q <= 1)) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

/** Median and 90th percentile of durations, exact and as Prometheus estimates them. */
export interface DurationSummary {
  /** Observations: merged reviews or successful production deployments. */
  count: number;
  /** Exact quantiles in seconds. */
  p50: number;
  p90: number;
  /** histogram_quantile() over the connector's buckets, in seconds. */
  p50Estimate: number;
  p90Estimate: number;
  buckets: HistogramBucket[];
}

/** Summarises durations in seconds, or returns undefined for none (the rules then write no sample). */
export function summarizeDurations(values: readonly number[], bounds: readonly number[] = DURATION_BUCKETS_SECONDS): DurationSummary | undefined {
  if (values.length === 0) return undefined;
  const sorted = Float64Array.from(values).sort();
  const buckets = cumulativeBuckets(sorted, bounds);
  return {
    count: sorted.length,
    p50: exactQuantile(sorted, 0.5),
    p90: exactQuantile(sorted, 0.9),
    p50Estimate: histogramQuantile(0.5, buckets),
    p90Estimate: histogramQuantile(0.9, buckets),
    buckets,
  };
}
