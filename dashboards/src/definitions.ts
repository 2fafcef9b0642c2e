/**
 * Panel description sentences shared by several dashboards, so that every board
 * defines the metrics with the same words.
 */
/** Shared wording: outcome definitions from sdk/outcome.ts and prometheus/rules/. */
export const RESOLVED_RUN =
  'A run counts as resolved when its factory.outcome span ended in the window, whatever its status (merged, closed or abandoned).';
export const ONE_SHOT_RULE =
  'A run is one-shot when it was merged after exactly one AI attempt, that attempt passed verification (CI), and no human changed the code.';
export const AUTONOMOUS_RULE =
  'A run is autonomous when it was merged and no human changed the code, after any number of AI attempts.';
export const NO_RUNS_NOTE = 'With no resolved run in the window the rule has no sample, and the panel shows no value.';
export const HISTOGRAM_NOTE =
  'histogram_quantile() interpolates inside the span-duration histogram buckets (60 s up to 28 days, collector/config.yaml), so a value is an estimate within its bucket, and a duration beyond 28 days reads as 28 days.';
export const CYCLE_TIME_DEFINITION =
  'Cycle time is the time from pull request opened to merged: the duration of merged factory.review spans that ended in the trailing 7 days.';
export const MLTC_DEFINITION =
  'MLTC is the lead time from merged commit to production: the duration of factory.deployment spans in deployment.environment.name production, without error status, that ended in the trailing 7 days.';
export const WINDOW_NOTE =
  'Each point covers the 7 days before it, so the value moves slowly and a day of bad runs shows as a gradual change.';
