// Statistics for comparing success rates at low volume: intervals, tests,
// sample-ratio and power calculations, and stratified analysis. Pure functions
// of counts with no I/O. docs/statistics.md gives the formulas and conventions.
export type { Interval, Proportion, ProportionInterval, TestName, TestResult } from './types.js';
export { wilsonInterval } from './wilson.js';
export { newcombeInterval, type DifferenceInterval } from './newcombe.js';
export { fisherExactPValue } from './fisher.js';
export {
  compareProportions,
  MINIMUM_EXPECTED_COUNT,
  smallestExpectedCount,
  twoProportionZTest,
} from './two-proportion.js';
export { SAMPLE_RATIO_ALPHA, sampleRatioMismatch, type SampleRatioCheck } from './sample-ratio.js';
export {
  minimumDetectableEffect,
  requiredTrials,
  twoProportionPower,
  weeksToDetect,
  type DetectableEffect,
  type PowerOptions,
  type WeeksToDetect,
} from './power.js';
export {
  mantelHaenszel,
  type MantelHaenszelResult,
  type PooledEstimate,
  type Stratum,
} from './mantel-haenszel.js';
export { chiSquareQuantile, normalQuantile } from './distributions.js';
