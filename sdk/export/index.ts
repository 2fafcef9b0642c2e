export {
  DEFAULT_OTLP_METRICS_URL,
  DEFAULT_OTLP_TIMEOUT_MILLIS,
  DEFAULT_OTLP_TRACES_URL,
  type OtlpHttpTarget,
  otlpHttpMetricsTargetFromEnv,
  otlpHttpTargetFromEnv,
} from './env.js';
export {
  ExitSafeSpanProcessor,
  type ExitSafeSpanProcessorOptions,
  type ExportStats,
} from './processor.js';
export { METRIC_SPANS_DROPPED, METRIC_SPANS_EXPORTED, METRIC_SPANS_FAILED } from './self-metrics.js';
export {
  FACTORY_TELEMETRY_FILE,
  FileSpanProcessor,
  type FileSinkOptions,
  type FileSpanProcessorOptions,
  fileSinkPath,
  otlpEndpointConfigured,
} from './file-processor.js';
export { encodeSpansAsOtlpJsonLine } from './file-format.js';
