/**
 * Records runs of one side of the overhead benchmark in a loop, for a CPU
 * profile of just that side:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/profile dist/bench/profile.js --side sdk --variant output
 *   node dist/bench/cpuprofile-summary.js /tmp/profile/<file>.cpuprofile
 *
 * Uses the same TracerProvider and span processor as bench/overhead.ts.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { FactoryIdGenerator, FactoryTelemetry, failureSignature } from '../sdk/index.js';
import { CountingSpanProcessor } from './span-processor.js';
import { barePlan, CI_OUTPUTS, recordBareRun, recordSdkRun, type VerificationVariant } from './scenario.js';

const { values } = parseArgs({
  options: {
    side: { type: 'string', default: 'sdk' },
    variant: { type: 'string', default: 'output' },
    runs: { type: 'string', default: '20000' },
  },
});
if (values.side !== 'sdk' && values.side !== 'bare') throw new Error(`invalid --side ${values.side}: expected sdk or bare`);
if (values.variant !== 'output' && values.variant !== 'signature') throw new Error(`invalid --variant ${values.variant}: expected output or signature`);
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`invalid --runs ${values.runs}: expected a positive integer`);
const variant: VerificationVariant = values.variant;

const provider = new TracerProvider({ idGenerator: new FactoryIdGenerator(), spanProcessors: [new CountingSpanProcessor()] });
const telemetry = new FactoryTelemetry({ tracerProvider: provider, strict: true, env: {} });
const tracer = provider.getTracer('factory-telemetry-bench-bare');
const signatures = CI_OUTPUTS.map((output) => failureSignature(output).signature);
const plan = barePlan(variant, signatures);
const recordRun = values.side === 'sdk' ? () => recordSdkRun(telemetry, variant, signatures) : () => recordBareRun(tracer, plan);

const start = performance.now();
for (let run = 0; run < runs; run += 1) recordRun();
const micros = ((performance.now() - start) * 1000) / runs;
console.log(`${values.side} side, ${variant} variant: ${runs} runs, ${micros.toFixed(1)} µs per run (profiler on)`);
