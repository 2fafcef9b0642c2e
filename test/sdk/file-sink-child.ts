/**
 * Child process for file-sink.test.ts. It records one run through FactoryTelemetry
 * with only the file sink (FACTORY_TELEMETRY_FILE) and ends as FIXTURE_MODE selects:
 *
 * - return: the script returns.
 * - exit-in-finally: a task throws and its `finally` block calls process.exit(3).
 * - throw: an uncaught exception.
 * - wait-for-signal: prints "ready" and runs until a signal ends it.
 * - open-run: like return, but the run is never ended, so the SDK ends its root
 *   span at exit and marks it interrupted.
 *
 * file-sink.test.ts compiles this file with tsc and runs the JavaScript under node.
 */
import { FactoryTelemetry } from '../../sdk/index.js';

const mode = process.env.FIXTURE_MODE ?? 'return';
const telemetry = new FactoryTelemetry({ serviceName: 'file-fixture' });
const run = telemetry.startRun({ runId: 'file-run-1', repository: 'acme/api', model: 'model-a', complexity: 'standard', team: 'core' });
run.recordContext({ inputTokens: 1200, complete: true });
const attempt = run.startAttempt({ number: 1 });
attempt.end({ costUsd: 0.25 });
run.recordVerification({ attempt: 1, result: 'success' });
run.recordOutcome({ status: 'merged', attempts: 1, firstAttemptPassed: true, humanModified: false });
if (mode !== 'open-run') run.end();

if (mode === 'exit-in-finally') {
  void (async () => {
    try {
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error('task failed');
    } finally {
      process.exit(3);
    }
  })();
} else if (mode === 'throw') {
  setTimeout(() => {
    throw new Error('uncaught in the fixture');
  }, 10);
} else if (mode === 'wait-for-signal') {
  process.stdout.write('ready\n');
  setInterval(() => undefined, 1000);
}
