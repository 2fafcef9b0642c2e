import type { TelemetryStats } from '../sdk/index.js';

/**
 * Prints what the SDK dropped, failed to export or could not record, to stderr.
 * Returns true when every accepted span was exported and nothing was dropped.
 */
export function reportTelemetryStats(stats: TelemetryStats, runs: number): boolean {
  const lines: string[] = [];
  const { problems } = stats;
  if (problems.droppedCalls > 0) lines.push(`${problems.droppedCalls} SDK calls dropped as invalid`);
  if (problems.droppedFields > 0) lines.push(`${problems.droppedFields} invalid fields dropped`);
  if (stats.unrecordedSpans > 0) lines.push(`${stats.unrecordedSpans} spans not recorded by the tracer provider`);

  const exported = stats.export;
  if (exported !== undefined) {
    if (exported.dropped > 0) lines.push(`${exported.dropped} spans dropped because the export queue was full`);
    if (exported.failed > 0) lines.push(`${exported.failed} spans failed to export`);
    if (exported.pending > 0) lines.push(`${exported.pending} spans still pending after shutdown`);
    process.stderr.write(`exported ${exported.exported} of ${exported.accepted} spans for ${runs} runs\n`);
  }
  for (const line of lines) process.stderr.write(`warning: ${line}\n`);
  return lines.length === 0;
}
