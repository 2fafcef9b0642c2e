// Decisions from run counts: the experiment analysis, the model comparison by
// complexity and the retry-loop analysis, each with its uncertainty stated and a
// `significant` flag for a CLI's exit code. Pure functions of the count types
// in types.ts, which the CLI fills from Prometheus or the embedded store.
export type {
  ArmCounts,
  ExperimentInput,
  LoopSliceCounts,
  LoopsInput,
  ModelComparisonInput,
  ModelComplexityCounts,
  RunCounts,
  SuccessMetric,
} from './types.js';
export {
  analyseExperiment,
  type ArmComparison,
  type ArmSummary,
  type ExperimentAnswer,
  type ExperimentVerdictKind,
} from './experiment.js';
export {
  compareModels,
  type ComplexityComparison,
  type ModelComparisonAnswer,
  type ModelPair,
  type ModelRate,
  type RoutingKind,
} from './models.js';
export { analyseLoops, type LoopsAnswer, type LoopSlice, type LoopStatus } from './loops.js';
