/**
 * A minimal agent-harness loop: one run, attempts until CI passes (at most
 * three), each attempt's usage, change and CI result recorded through the SDK.
 *
 * The "agent" and the "CI" are stand-ins that fail the first attempt with a
 * specific assertion and pass the second. Replace them with your own.
 *
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:14318 node dist/examples/agent-harness.js
 *
 * In your own project, import from 'factory-telemetry' instead of '../sdk/index.js'.
 */
import { createHash } from 'node:crypto';
import { FactoryTelemetry } from '../sdk/index.js';

const MAX_ATTEMPTS = 3;

const telemetry = new FactoryTelemetry({ serviceName: 'example-agent-harness' });
const run = telemetry.startRun({
  runId: process.env.RUN_ID,
  repository: 'acme/payments',
  changeId: 1234,
  model: 'example-model',
  provider: 'example-provider',
  complexity: 'standard',
  team: 'checkout',
});
run.recordContext({ sources: { story: 800, code_search: 2400 }, complete: true });

let passed = false;
for (let number = 1; number <= MAX_ATTEMPTS && !passed; number += 1) {
  passed = await run.attempt(
    async (attempt) => {
      const change = await fakeAgent(number);
      attempt.setUsage({ inputTokens: 12_000, outputTokens: 1_500, cacheReadInputTokens: 8_000, costUsd: 0.09 });
      attempt.setChange({ files: change.files.map((file) => ({ path: file.path, hash: sha256(file.content), bytes: file.content.length })) });

      const ci = await fakeCi(number);
      attempt.recordVerification({ result: ci.ok ? 'success' : 'failure', output: ci.output });
      return ci.ok;
    },
    { trigger: number === 1 ? 'initial' : 'ci_failure' },
  );
}
run.end();

// The review, deployment and outcome come later, from the webhook handler and
// the deploy job; they call telemetry.resumeRun(run.runId, ...).
process.stdout.write(`${run.runId} ${passed ? 'passed' : 'failed'}\n`);
await telemetry.shutdown();

async function fakeAgent(attempt: number) {
  return { files: [{ path: 'src/refund.ts', content: `export const refundLimit = ${attempt === 1 ? 100 : 500};\n` }] };
}

async function fakeCi(attempt: number) {
  if (attempt > 1) return { ok: true, output: 'Tests  12 passed (12)' };
  return {
    ok: false,
    output: [
      ' FAIL  src/refund.test.ts > refunds > caps the refund at the order total',
      'AssertionError: expected 100 to be 500 // Object.is equality',
      '- Expected: 500',
      '+ Received: 100',
      ' Tests  1 failed | 11 passed (12)',
    ].join('\n'),
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
