import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { planRuns, type RunPlan } from '../../cli/simulate/plan.js';
import { recordPlans, recordRole } from '../../cli/simulate/record.js';
import { loadScenario } from '../../cli/simulate/scenario.js';
import { deriveRunIds } from '../../sdk/ids.js';
import { memoryTelemetry } from '../sdk/helpers.js';

const REPO = join(import.meta.dirname, '..', '..');
const END = new Date('2026-11-30T00:00:00Z');

// A small slice of two scenarios: one with an experiment, one with repeated failures.
function samplePlans(): RunPlan[] {
  const experiment = loadScenario(join(REPO, 'scenarios', 'context-experiment.yaml'));
  const loop = loadScenario(join(REPO, 'scenarios', 'broken-feedback-loop.yaml'));
  return [...planRuns({ ...experiment, runsPerWeek: 60 }, { seed: 5, end: END }), ...planRuns({ ...loop, runsPerWeek: 30 }, { seed: 5, end: END })];
}

async function recordInMemory(plans: RunPlan[]) {
  const harness = memoryTelemetry({ strict: true });
  const webhook = memoryTelemetry({ strict: true });
  const deploy = memoryTelemetry({ strict: true });
  await recordPlans(plans, { harness: harness.telemetry, webhook: webhook.telemetry, deploy: deploy.telemetry });
  return { harness, webhook, deploy, spans: [...harness.spans(), ...webhook.spans(), ...deploy.spans()] };
}

const attribute = (span: ReadableSpan, key: string) => span.attributes[key];

describe('recordPlans', () => {
  it('splits the stages between the three roles', async () => {
    const { harness, webhook, deploy } = await recordInMemory(samplePlans());
    expect(new Set(harness.spans().map((span) => span.name))).toEqual(new Set(['factory.run', 'factory.context', 'factory.execution', 'factory.attempt', 'factory.verification']));
    expect(new Set(webhook.spans().map((span) => span.name))).toEqual(new Set(['factory.review', 'factory.outcome']));
    expect(new Set(deploy.spans().map((span) => span.name))).toEqual(new Set(['factory.deployment']));
    for (const role of [harness, webhook, deploy]) expect(role.errors).toEqual([]);
  });

  it('puts every span of a run in the trace derived from its id', async () => {
    const plans = samplePlans();
    const { spans } = await recordInMemory(plans);
    const byRun = new Map(plans.map((plan) => [plan.runId, deriveRunIds(plan.runId).traceId]));
    for (const span of spans) expect(span.spanContext().traceId).toBe(byRun.get(attribute(span, 'factory.run.id') as string));
  });

  it('records the planned outcome, review and deployments', async () => {
    const plans = samplePlans();
    const { spans } = await recordInMemory(plans);
    const ofRun = (runId: string, name: string) => spans.filter((span) => span.name === name && attribute(span, 'factory.run.id') === runId);

    for (const plan of plans) {
      const [outcome] = ofRun(plan.runId, 'factory.outcome');
      expect(attribute(outcome!, 'factory.outcome.status')).toBe(plan.outcome.status);
      expect(attribute(outcome!, 'factory.outcome.one_shot')).toBe(plan.outcome.oneShot);
      expect(attribute(outcome!, 'factory.outcome.autonomous')).toBe(plan.outcome.autonomous);
      expect(attribute(outcome!, 'factory.outcome.attempts')).toBe(plan.outcome.attempts);

      const [review] = ofRun(plan.runId, 'factory.review');
      expect(durationMillis(review!)).toBe(plan.review.closedAt - plan.review.openedAt);
      expect(attribute(review!, 'vcs.change.state')).toBe(plan.review.state);

      const deployments = ofRun(plan.runId, 'factory.deployment');
      expect(deployments).toHaveLength(plan.deployments.length);
      const succeeded = deployments.filter((span) => span.status.code !== SpanStatusCode.ERROR);
      expect(succeeded).toHaveLength(plan.deployments.length === 0 ? 0 : 1);

      const verifications = ofRun(plan.runId, 'factory.verification').sort((a, b) => (attribute(a, 'factory.attempt.number') as number) - (attribute(b, 'factory.attempt.number') as number));
      expect(verifications.map((span) => attribute(span, 'factory.failure.repeated'))).toEqual(plan.attempts.map((attempt) => attempt.verification.repeated));
    }
  });

  it('sets every attribute the recording rules select on', async () => {
    const { spans } = await recordInMemory(samplePlans());
    for (const selector of ruleSelectors()) {
      const named = spans.filter((span) => span.name === selector.spanName);
      expect(named.length, `spans named ${selector.spanName}`).toBeGreaterThan(0);
      for (const matcher of selector.matchers) {
        const values = new Set(named.map((span) => String(attribute(span, matcher.attribute))));
        const matching = [...values].filter((value) => matcher.test(value));
        expect(matching.length, `${selector.text}: no ${selector.spanName} span has ${matcher.attribute} matching; values ${[...values].join(', ')}`).toBeGreaterThan(0);
      }
    }
  });

  it('puts the identity dimensions on every span', async () => {
    const { spans } = await recordInMemory(samplePlans());
    const identity = ['vcs.repository.name', 'factory.team', 'gen_ai.request.model', 'gen_ai.provider.name', 'factory.task.complexity'];
    expect(collectorDimensions()).toEqual(expect.arrayContaining(identity));
    for (const span of spans) {
      for (const key of identity) expect(attribute(span, key), `${span.name} ${key}`).toBeTypeOf('string');
      const inExperiment = attribute(span, 'vcs.repository.name') === 'acme/payments';
      expect(attribute(span, 'factory.experiment.arm') !== undefined).toBe(inExperiment);
    }
  });
});

describe('recordRole', () => {
  it('records only its own role', async () => {
    const deploy = memoryTelemetry({ strict: true });
    const plans = samplePlans();
    await recordRole('deploy', plans, deploy.telemetry);
    expect(deploy.spans()).toHaveLength(plans.reduce((sum, plan) => sum + plan.deployments.length, 0));
  });
});

function durationMillis(span: ReadableSpan): number {
  return (span.endTime[0] - span.startTime[0]) * 1000 + (span.endTime[1] - span.startTime[1]) / 1e6;
}

// The collector's span_metrics dimensions, as attribute names.
function collectorDimensions(): string[] {
  const config = parseYaml(readFileSync(join(REPO, 'collector', 'config.yaml'), 'utf8'));
  const spanMetrics = config.connectors.span_metrics;
  return [...spanMetrics.dimensions, ...spanMetrics.calls_dimensions, ...spanMetrics.histogram.dimensions].map((dimension: { name: string }) => dimension.name);
}

interface Selector {
  text: string;
  spanName: string;
  matchers: Array<{ attribute: string; test: (value: string) => boolean }>;
}

// Every factory_span_* selector in the rule files, with its label matchers
// turned back into span attributes through the collector's dimensions.
function ruleSelectors(): Selector[] {
  const byLabel = new Map(collectorDimensions().map((name) => [name.replace(/\./g, '_'), name]));
  const selectors: Selector[] = [];
  for (const file of ['factory-metrics.rules.yml', 'factory-alerts.rules.yml']) {
    const text = readFileSync(join(REPO, 'prometheus', 'rules', file), 'utf8');
    for (const match of text.matchAll(/factory_span_\w+\{([^}]*)\}/g)) {
      const matchers = [...match[1]!.matchAll(/(\w+)\s*(=~|!=|=)\s*"([^"]*)"/g)];
      const spanName = matchers.find(([, label]) => label === 'span_name')?.[3];
      if (spanName === undefined) continue;
      const selector: Selector = { text: match[0], spanName, matchers: [] };
      for (const [, label, operator, value] of matchers) {
        const attributeName = byLabel.get(label!);
        if (attributeName === undefined || operator === '!=') continue;
        const pattern = new RegExp(`^(?:${operator === '=~' ? value : value!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})$`);
        selector.matchers.push({ attribute: attributeName, test: (found) => pattern.test(found) });
      }
      selectors.push(selector);
    }
  }
  expect(selectors.length).toBeGreaterThan(10);
  return selectors;
}
