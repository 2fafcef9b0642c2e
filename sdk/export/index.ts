export { DEFAULT_OTLP_TIMEOUT_MILLIS, DEFAULT_OTLP_TRACES_URL, type OtlpHttpTarget, otlpHttpTargetFromEnv } from './env.js';
export {
  ExitSafeSpanProcessor,
  type ExitSafeSpanProcessorOptions,
  type ExportStats,
} from './processor.js';
