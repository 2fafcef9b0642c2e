// Evaluates every recording rule and alert expression in prometheus/rules/*.yml
// against the real collector and Prometheus, after the demo factory's runs were
// recorded through the SDK. Recording rules must return data unless MAY_BE_EMPTY
// names them. Alert expressions need only evaluate without an error, because an
// alert that is not firing returns nothing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { queryInstant, waitUntil } from '../../cli/prometheus.js';
import { recordDemoRuns } from './demo-runs.js';
import { startTestStack } from './stack.js';

const RULES_DIR = join(import.meta.dirname, '..', '..', 'prometheus', 'rules');
const RUNS = 80;

interface RuleFile {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string }[] }[];
}

interface Rule {
  file: string;
  group: string;
  kind: 'record' | 'alert';
  name: string;
  expr: string;
}

/**
 * Recording rules that return nothing on a fresh test stack, by rule name, with the
 * reason (for example a rule that reads `offset 28d`, or one whose input series
 * exists only after a failure). The test checks only that Prometheus evaluates them
 * without an error. None is listed: every recording rule in prometheus/rules/ has
 * data after the demo runs. The offsets of up to 28 days and the failure counters
 * appear only in alert expressions, which may be empty anyway.
 */
const MAY_BE_EMPTY: Record<string, string> = {};

function loadRules(): Rule[] {
  const rules: Rule[] = [];
  const files = readdirSync(RULES_DIR).filter((file) => file.endsWith('.rules.yml')).sort();
  for (const file of files) {
    const parsed = parseYaml(readFileSync(join(RULES_DIR, file), 'utf8')) as RuleFile;
    for (const group of parsed.groups) {
      for (const rule of group.rules) {
        const kind = rule.record !== undefined ? 'record' : 'alert';
        rules.push({ file, group: group.name, kind, name: rule.record ?? rule.alert ?? '', expr: rule.expr });
      }
    }
  }
  return rules;
}

/** Prometheus's view of one rule, from /api/v1/rules. */
interface LoadedRule {
  name: string;
  health: string;
  lastError?: string;
  lastEvaluation: string;
}

async function loadedRules(prometheusUrl: string): Promise<LoadedRule[]> {
  const response = await fetch(new URL('/api/v1/rules', prometheusUrl), { signal: AbortSignal.timeout(10_000) });
  expect(response.ok, `GET /api/v1/rules returned HTTP ${response.status}`).toBe(true);
  const body = (await response.json()) as { data: { groups: { rules: LoadedRule[] }[] } };
  return body.data.groups.flatMap((group) => group.rules);
}

const rules = loadRules();
const recordingRules = rules.filter((rule) => rule.kind === 'record');
const alertRules = rules.filter((rule) => rule.kind === 'alert');

describe('rule expressions against the real collector and Prometheus', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;

  beforeAll(async () => {
    stack = await startTestStack('rules');
    await recordDemoRuns({
      otlpEndpoint: stack.info.otlpHttpEndpoint,
      prometheusUrl: stack.info.prometheusUrl,
      serviceName: 'factory-telemetry-rules-e2e',
      runs: RUNS,
      seed: 11,
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('finds recording and alerting rules', () => {
    expect(recordingRules.length).toBeGreaterThan(0);
    expect(alertRules.length).toBeGreaterThan(0);
  });

  it('lists only existing rules as may be empty', () => {
    const names = new Set(recordingRules.map((rule) => rule.name));
    for (const name of Object.keys(MAY_BE_EMPTY)) {
      expect(names.has(name), `MAY_BE_EMPTY names ${name}, which is no recording rule`).toBe(true);
    }
  });

  it('loads every rule in Prometheus with health ok', async () => {
    const loaded = await loadedRules(stack.info.prometheusUrl);
    const loadedNames = new Set(loaded.map((rule) => rule.name));
    for (const rule of rules) {
      expect(loadedNames.has(rule.name), `Prometheus did not load ${rule.kind} ${rule.name}`).toBe(true);
    }
    for (const rule of loaded) {
      expect(rule.lastError ?? '', `last evaluation of ${rule.name} failed`).toBe('');
      expect(rule.health, `health of ${rule.name}`).toBe('ok');
    }
  });

  it.each(recordingRules.map((rule) => [`${rule.file} / ${rule.name}`, rule] as const))('record %s', async (_name, rule) => {
    // queryInstant throws when Prometheus returns an error.
    let samples = await queryInstant(stack.info.prometheusUrl, rule.expr);
    if (rule.name in MAY_BE_EMPTY) return;

    // A rule that reads another group's recording rules has data only after that
    // group's next evaluation, which runs every 2 s but on its own schedule.
    await waitUntil(async () => {
      samples = await queryInstant(stack.info.prometheusUrl, rule.expr);
      return samples.length > 0;
    }, 30_000);

    expect(samples.length, `no data for the expression of ${rule.name}`).toBeGreaterThan(0);
    for (const sample of samples) {
      expect(Number.isNaN(sample.value), `NaN in ${rule.name} for ${JSON.stringify(sample.labels)}`).toBe(false);
    }

    // Prometheus evaluates the rules every 2 s, so the recorded series follows soon.
    const recorded = await waitUntil(async () => (await queryInstant(stack.info.prometheusUrl, rule.name)).length > 0, 30_000);
    expect(recorded, `Prometheus stored no series named ${rule.name}`).toBe(true);
  });

  it.each(alertRules.map((rule) => [`${rule.file} / ${rule.name}`, rule] as const))('alert %s', async (_name, rule) => {
    // An alert that is not firing returns an empty vector, so only errors fail.
    const samples = await queryInstant(stack.info.prometheusUrl, rule.expr);
    expect(Array.isArray(samples)).toBe(true);
  });
});
