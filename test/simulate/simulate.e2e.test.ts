import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryInstant, queryScalar, waitUntil } from '../../cli/prometheus.js';
import { measureExpectations } from '../../cli/simulate/measure.js';
import { planRange, planRuns, type RunPlan } from '../../cli/simulate/plan.js';
import { loadScenario } from '../../cli/simulate/scenario.js';
import { CLI, startTestStack } from '../e2e/stack.js';

// The model-swap scenario through the three-process live mode into the real
// collector and Prometheus. The recording rules count spans exactly, so each
// ratio must equal the planned runs' ratio, and that ratio must meet the
// scenario's known answer.
const run = promisify(execFile);
const FILE = join(import.meta.dirname, '..', '..', 'scenarios', 'model-swap.yaml');
const SEED = 31;

describe('simulate into the local stack', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let plans: RunPlan[];
  let output: { stdout: string; stderr: string };

  beforeAll(async () => {
    stack = await startTestStack('simulate');
    const end = new Date();
    const scenario = loadScenario(FILE);
    plans = planRuns(scenario, { seed: SEED, end });
    const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: stack.info.otlpHttpEndpoint };
    output = await run(process.execPath, [CLI, 'simulate', FILE, '--seed', String(SEED), '--end', end.toISOString()], { env });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('records every run from three processes', async () => {
    expect(output.stdout).toContain(`recorded ${plans.length} runs`);
    const counted = await waitUntil(async () => (await queryScalar(stack.info.prometheusUrl, 'factory:runs_resolved:increase_7d')) === plans.length, 120_000);
    expect(counted, `factory:runs_resolved:increase_7d never reached ${plans.length}`).toBe(true);

    const services = await queryInstant(stack.info.prometheusUrl, 'sum by (service_name) (factory_span_calls_total)');
    expect(services.map((sample) => sample.labels.service_name).sort()).toEqual(['factory-simulator-deploy', 'factory-simulator-harness', 'factory-simulator-webhook']);
  });

  it('reproduces the planned one-shot success per model', async () => {
    const samples = await queryInstant(stack.info.prometheusUrl, 'model:factory_one_shot_success:ratio_7d');
    for (const model of ['frontier-model', 'open-weight-model']) {
      const own = plans.filter((plan) => plan.model === model);
      const planned = own.filter((plan) => plan.outcome.oneShot).length / own.length;
      const measured = samples.find((sample) => sample.labels.model === model)?.value;
      expect(measured, model).toBeCloseTo(planned, 9);
    }
  });

  it('reproduces the planned one-shot success per model and complexity', async () => {
    const samples = await queryInstant(stack.info.prometheusUrl, 'model_complexity:factory_one_shot_success:ratio_7d');
    for (const sample of samples) {
      const own = plans.filter((plan) => plan.model === sample.labels.model && plan.complexity === sample.labels.complexity);
      expect(sample.value, `${sample.labels.model} ${sample.labels.complexity}`).toBeCloseTo(own.filter((plan) => plan.outcome.oneShot).length / own.length, 9);
    }
    expect(samples).toHaveLength(8);
  });

  it('meets the known answers on these plans', () => {
    const scenario = loadScenario(FILE);
    const start = planRange(scenario, { seed: SEED, end: new Date(plans.at(-1)!.startTime) }).start;
    // Expectations of model-swap select by model and complexity, not by time, so the range start does not matter.
    for (const result of measureExpectations(scenario, plans, start)) {
      expect(result.withinTolerance, `${result.expectation.finding}: ${result.measured} on ${result.sampleSize}`).toBe(true);
    }
  });
});
