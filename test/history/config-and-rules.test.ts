import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { durationIn, readConnectorDefinitions } from '../../cli/history/collector-config.js';
import { prometheusDurationMs, readRuleFiles, recordingRuleLevels, referencedNames, type RuleDefinition } from '../../cli/history/rule-levels.js';

const REPO = join(import.meta.dirname, '..', '..');

function writeTemp(name: string, text: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'history-test-'));
  writeFileSync(join(directory, name), text);
  return join(directory, name);
}

describe('readConnectorDefinitions', () => {
  const definitions = readConnectorDefinitions(join(REPO, 'collector', 'config.yaml'));

  it('reads span_metrics from the collector file', () => {
    expect(definitions.spanMetrics.namespace).toBe('factory.span');
    expect(definitions.spanMetrics.dimensions).toContain('gen_ai.request.model');
    expect(definitions.spanMetrics.callsDimensions).toContain('factory.outcome.one_shot');
    expect(definitions.spanMetrics.histogramDimensions).toEqual(['vcs.change.state', 'deployment.environment.name']);
    expect(definitions.spanMetrics.histogramUnit).toBe('s');
    expect(definitions.spanMetrics.histogramBounds[0]).toBe(60);
    expect(definitions.spanMetrics.histogramBounds.at(-1)).toBe(2419200);
  });

  it('reads signal_to_metrics from the collector file', () => {
    const cost = definitions.signalToMetrics.find((definition) => definition.name === 'factory.run.cost_usd');
    expect(cost).toMatchObject({ kind: 'sum', unit: '{USD}', spanName: 'factory.outcome', valueAttribute: 'factory.outcome.cost_usd', requiredAttributes: ['factory.outcome.cost_usd'] });
    expect(cost!.attributes.map((attribute) => attribute.key)).toContain('factory.experiment.arm');
  });

  it('matches every dimension of the file', () => {
    const raw = parse(readFileSync(join(REPO, 'collector', 'config.yaml'), 'utf8')) as { connectors: { span_metrics: { dimensions: { name: string }[] } } };
    expect(definitions.spanMetrics.dimensions).toEqual(raw.connectors.span_metrics.dimensions.map((dimension) => dimension.name));
  });

  it('rejects a condition it cannot evaluate', () => {
    const path = writeTemp(
      'config.yaml',
      `connectors:
  span_metrics:
    histogram: { unit: s, explicit: { buckets: [1s] } }
  signal_to_metrics:
    spans:
      - name: x
        conditions: ['span.kind == 1']
        sum: { value: 'Double(span.attributes["a"])', monotonic: true }
`,
    );
    expect(() => readConnectorDefinitions(path)).toThrow(/signal_to_metrics metric x has the condition "span.kind == 1"/);
  });

  it('converts collector durations', () => {
    expect(durationIn('1h30m', 's', 'f')).toBe(5400);
    expect(durationIn('250ms', 'ms', 'f')).toBe(250);
    expect(() => durationIn('60', 's', 'f')).toThrow(/invalid duration "60"/);
  });
});

describe('recordingRuleLevels', () => {
  const rule = (name: string, expr: string): RuleDefinition => ({ file: 'f', group: 'g', kind: 'record', name, expr, labels: {} });

  it('orders rules after the rules they read', () => {
    const levels = recordingRuleLevels([rule('a:c:ratio', 'a:x:sum / a:y:sum'), rule('a:x:sum', 'sum(raw_total)'), rule('a:y:sum', 'sum(a:x:sum)')]);
    expect(levels.map((level) => level.map((item) => item.name))).toEqual([['a:x:sum'], ['a:y:sum'], ['a:c:ratio']]);
  });

  it('ignores names inside label values', () => {
    const levels = recordingRuleLevels([rule('a:x:sum', 'sum(raw_total{job="a:y:sum"})'), rule('a:y:sum', 'sum(raw_total)')]);
    expect(levels).toHaveLength(1);
  });

  it('rejects a cycle', () => {
    expect(() => recordingRuleLevels([rule('a:x:sum', 'a:y:sum'), rule('a:y:sum', 'a:x:sum')])).toThrow(/cycle/);
  });

  it('levels the repository rules with inputs first', () => {
    const rules = readRuleFiles(join(REPO, 'prometheus', 'rules'));
    const levels = recordingRuleLevels(rules);
    const levelOf = new Map(levels.flatMap((level, index) => level.map((item) => [item.name, index] as const)));
    expect(levels.length).toBeGreaterThan(1);
    for (const item of levels.flat()) {
      for (const name of referencedNames(item.expr)) {
        const input = levelOf.get(name);
        if (input !== undefined && name !== item.name) expect(input, `${item.name} reads ${name}`).toBeLessThan(levelOf.get(item.name)!);
      }
    }
  });

  it('reads alert for durations', () => {
    const alerts = readRuleFiles(join(REPO, 'prometheus', 'rules')).filter((item) => item.kind === 'alert');
    expect(alerts.some((item) => item.for !== undefined)).toBe(true);
  });
});

describe('prometheusDurationMs', () => {
  it('converts weeks and combined units', () => {
    expect(prometheusDurationMs('13w')).toBe(13 * 7 * 86_400_000);
    expect(prometheusDurationMs('1d12h')).toBe(36 * 3_600_000);
  });

  it('rejects a bare number', () => {
    expect(() => prometheusDurationMs('90')).toThrow(/invalid Prometheus duration "90"/);
  });
});
