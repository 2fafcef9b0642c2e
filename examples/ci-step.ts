/**
 * A CI step that records its own verification run into an existing run, knowing
 * only the run id (for example from the pull request's branch name or body).
 *
 *   RUN_ID=... ATTEMPT=1 CI_RESULT=failure CI_OUTPUT_FILE=ci.log \
 *     OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:14318 node dist/examples/ci-step.js
 *
 * In your own project, import from 'factory-telemetry' instead of '../sdk/index.js'.
 */
import { readFileSync } from 'node:fs';
import { FactoryTelemetry } from '../sdk/index.js';

const runId = process.env.RUN_ID;
if (runId === undefined || runId === '') {
  process.stderr.write('RUN_ID is missing: set it to the run id the agent harness printed\n');
  process.exit(2);
}

const startedAt = Date.now();
// The CI log stays in this process: the SDK records only its signature, class
// and whether it names what was checked.
const output = process.env.CI_OUTPUT_FILE ? readFileSync(process.env.CI_OUTPUT_FILE, 'utf8') : undefined;

const telemetry = new FactoryTelemetry({
  serviceName: 'example-ci-step',
  onError: (error) => process.stderr.write(`factory-telemetry: ${error.message}\n`),
});
// GitHub Actions sets GITHUB_REPOSITORY; the metrics slice retries by repository.
telemetry.resumeRun(runId, { repository: process.env.GITHUB_REPOSITORY }).recordVerification({
  attempt: Number(process.env.ATTEMPT ?? '1'),
  result: process.env.CI_RESULT === 'success' ? 'success' : 'failure',
  output,
  pipelineName: 'ci',
  startTime: startedAt,
  endTime: Date.now(),
});
// No shutdown needed: the SDK delivers the span before the process exits.
