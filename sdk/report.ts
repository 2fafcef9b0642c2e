import { writeSync } from 'node:fs';
import { diag } from '@opentelemetry/api';

/**
 * An invalid call or value, reported to `onError` (or `diag`) and thrown only in
 * strict mode.
 */
export class FactoryTelemetryError extends Error {
  override readonly name = 'FactoryTelemetryError';
}

export type ErrorHandler = (error: FactoryTelemetryError) => void;

/** Counts of problems the SDK corrected or dropped, so that no loss is silent. */
export interface ProblemCounts {
  /** Calls dropped whole because a required value was missing or invalid. */
  droppedCalls: number;
  /** Optional fields removed from otherwise valid calls. */
  droppedFields: number;
  /** Other problems reported: a misconfigured provider, a late call. */
  warnings: number;
}

// Without an onError callback, this many problems are written to stderr. Later
// ones are only counted, so that a loop with a bad value cannot flood stderr.
const DEFAULT_WARNING_LIMIT = 10;

/**
 * Routes the SDK's problem reports: strict mode throws, `onError` gets the error,
 * and without either the first ten are written to stderr as
 * `(factory-telemetry) warning: ...` lines. The write is synchronous, unlike
 * process.emitWarning, so a report made just before process.exit is not lost.
 * A throwing `onError` is caught, because the SDK must never throw into the host.
 */
export class Reporter {
  readonly counts: ProblemCounts = { droppedCalls: 0, droppedFields: 0, warnings: 0 };
  private defaultWarnings = 0;

  constructor(
    private readonly strict: boolean,
    private readonly onError: ErrorHandler | undefined,
  ) {}

  droppedCall(message: string): void {
    this.counts.droppedCalls += 1;
    this.emit(message);
  }

  droppedFields(count: number, message: string): void {
    this.counts.droppedFields += count;
    this.emit(message);
  }

  warn(message: string): void {
    this.counts.warnings += 1;
    this.emit(message);
  }

  /** Reports a problem found where throwing is never right, such as at process exit, even in strict mode. */
  warnAtExit(message: string): void {
    this.counts.warnings += 1;
    this.emit(message, false);
  }

  private emit(message: string, mayThrow = true): void {
    const error = new FactoryTelemetryError(message);
    if (this.strict && mayThrow) throw error;
    if (this.onError === undefined) {
      this.emitProcessWarning(message);
      return;
    }
    try {
      this.onError(error);
    } catch (handlerError) {
      diag.error('factory-telemetry: the onError callback threw', handlerError);
    }
  }

  private emitProcessWarning(message: string): void {
    this.defaultWarnings += 1;
    if (this.defaultWarnings > DEFAULT_WARNING_LIMIT) return;
    const text =
      this.defaultWarnings === DEFAULT_WARNING_LIMIT
        ? `${message} Further problems are only counted in stats(); pass onError to see them all.`
        : message;
    try {
      writeSync(2, `(factory-telemetry) warning: ${text}\n`);
    } catch {
      // stderr may be closed; the problem is still counted.
    }
  }
}
