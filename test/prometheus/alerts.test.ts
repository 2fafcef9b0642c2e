// Checks of the alerting rules in prometheus/rules/ against docs/runbook.md: labels
// and annotations, runbook links, the thresholds table and the promtool tests that
// cover each alert. test/prometheus/rules.test.ts runs promtool on all rule files.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const runbookPath = 'docs/runbook.md';

/** Alerts that docs/runbook.md documents, so that removing one fails here. */
const REQUIRED_ALERTS = [
  'FactoryHiddenBottleneck',
  'FactoryRetryLoopsAddNothing',
  'FactoryRetriesRepeatFailures',
  'FactoryOneShotSuccessDrop',
  'FactoryRunsStuck',
  'FactoryTelemetryMetricAbsent',
  'FactoryCollectorRefusingData',
];

const SEVERITIES = ['critical', 'warning', 'info'];

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface AlertTestCase {
  alertname: string;
  eval_time: string;
  exp_alerts?: unknown[] | null;
}

interface UnitTestFile {
  tests: Array<{ name?: string; alert_rule_test?: AlertTestCase[] }>;
}

/** Lists the `*.yml` files of a folder as paths relative to the repository root. */
function yamlFiles(folder: string): string[] {
  return readdirSync(join(repoRoot, folder))
    .filter((name) => name.endsWith('.yml'))
    .sort()
    .map((name) => join(folder, name));
}

const alerts: AlertRule[] = yamlFiles('prometheus/rules').flatMap((file) =>
  (parseYaml(readFileSync(join(repoRoot, file), 'utf8')) as { groups: Array<{ rules: AlertRule[] }> }).groups
    .flatMap((group) => group.rules)
    .filter((rule) => rule.alert !== undefined),
);
const alertNames = alerts.map((rule) => rule.alert);

const alertTestCases: AlertTestCase[] = yamlFiles('prometheus/tests').flatMap((file) => {
  const parsed = parseYaml(readFileSync(join(repoRoot, file), 'utf8'), { maxAliasCount: -1 }) as UnitTestFile;
  return parsed.tests.flatMap((group) => group.alert_rule_test ?? []);
});

const runbook = readFileSync(join(repoRoot, runbookPath), 'utf8');

/** Returns the anchor that GitHub gives a Markdown heading: lower case, punctuation removed, spaces as hyphens. */
function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Returns the anchors of all headings of a Markdown text. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of markdown.split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading !== undefined) anchors.add(headingAnchor(heading));
  }
  return anchors;
}

/**
 * Lists the thresholds of an alert expression: its number literals and its range
 * durations, without duplicates and sorted. Numbers inside label values and names
 * (`p50_7d`) and durations after `offset` do not count.
 */
function thresholdsOf(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const ranges = [...withoutStrings.matchAll(/\[\s*([0-9]+[smhdwy])\s*\]/g)].map((match) => match[1] as string);
  const rest = withoutStrings.replace(/\[[^\]]*\]/g, '[]').replace(/\boffset\s+[0-9]+[smhdwy]/g, 'offset');
  const numbers = [...rest.matchAll(/(?<![\w:.])[0-9]+(?:\.[0-9]+)?(?![\w:.])/g)].map((match) => match[0]);
  return [...new Set([...numbers, ...ranges])].sort();
}

/** Reads the rows of the runbook table under `## heading`: first cell (an alert name in backticks) -> the other cells. */
function tableRows(heading: string): Array<[string, string[]]> {
  const start = runbook.indexOf(`\n## ${heading}\n`);
  if (start < 0) return [];
  const end = runbook.indexOf('\n## ', start + 1);
  const section = runbook.slice(start, end < 0 ? undefined : end);

  const rows: Array<[string, string[]]> = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const name = /^`(Factory[A-Za-z]+)`$/.exec(cells[1] ?? '')?.[1];
    if (name !== undefined) rows.push([name, cells.slice(2, -1)]);
  }
  return rows;
}

/** Returns the thresholds that the runbook's Thresholds table lists for an alert, sorted. */
function documentedThresholds(alert: string): string[] {
  return tableRows('Thresholds')
    .filter(([name]) => name === alert)
    .map(([, cells]) => /^`([^`]+)`$/.exec(cells[0] ?? '')?.[1] ?? `invalid cell ${cells[0]}`)
    .sort();
}

describe('alerting rules', () => {
  it.each(REQUIRED_ALERTS)('include %s', (name) => {
    expect(alertNames).toContain(name);
  });

  it('have unique names with the Factory prefix', () => {
    expect(new Set(alertNames).size).toBe(alertNames.length);
    for (const name of alertNames) expect(name).toMatch(/^Factory[A-Z][A-Za-z]+$/);
  });

  it.each(alerts)('$alert has a documented severity and a for period', (rule) => {
    expect(SEVERITIES).toContain(rule.labels?.severity);
    expect(rule.for).toMatch(/^[0-9]+[smhd]$/);
  });

  it.each(alerts)('$alert has a static summary', (rule) => {
    const summary = rule.annotations?.summary ?? '';

    expect(summary.length).toBeGreaterThan(0);
    expect(summary).not.toContain('{{');
  });

  // The value of FactoryTelemetryMetricAbsent is always 1, so its description uses only labels.
  it.each(alerts)('$alert has a description built from its labels or value', (rule) => {
    expect(rule.annotations?.description ?? '').toMatch(/\{\{[^}]*\$(value|labels\.[a-z_]+)[^}]*\}\}/);
  });

  it.each(alerts)('$alert links to its runbook heading', (rule) => {
    const url = rule.annotations?.runbook_url ?? '';
    const anchor = /^docs\/runbook\.md#(.+)$/.exec(url)?.[1];

    expect(anchor, `runbook_url ${url} is not docs/runbook.md#<anchor>`).toBeDefined();
    expect(anchor).toBe(rule.alert.toLowerCase());
    expect([...anchorsOf(runbook)]).toContain(anchor);
  });
});

describe('docs/runbook.md', () => {
  it('lists every severity', () => {
    const severities = runbook
      .slice(runbook.indexOf('\n## Severity\n'), runbook.indexOf('\n## Alerts\n'))
      .split('\n')
      .map((line) => /^\| `([a-z]+)` \|/.exec(line)?.[1])
      .filter((severity) => severity !== undefined);

    expect(severities).toEqual(SEVERITIES);
  });

  it.each(alerts)('lists $alert with its severity and for period', (rule) => {
    const rows = tableRows('Alerts').filter(([name]) => name === rule.alert);

    expect(rows).toHaveLength(1);
    expect(rows[0]?.[1][0]).toBe(`\`${rule.labels?.severity}\``);
    expect(rows[0]?.[1][1]).toBe(`\`${rule.for}\``);
  });

  it('lists no alert that does not exist', () => {
    const listed = [...tableRows('Alerts'), ...tableRows('Thresholds')].map(([name]) => name);

    expect(listed.filter((name) => !alertNames.includes(name))).toEqual([]);
  });

  it.each(alerts)('lists the thresholds of $alert', (rule) => {
    expect(documentedThresholds(rule.alert)).toEqual(thresholdsOf(rule.expr));
  });
});

describe('threshold extraction', () => {
  it.each([
    ['a comparison', 'factory:runs_resolved:increase_7d >= 30', ['30']],
    ['a decimal and a factor', 'a:b:c > 0.9 * a:b:c offset 28d', ['0.9']],
    ['a range', 'absent_over_time(factory_span_calls_total[1h])', ['1h']],
    ['a label value', 'x{le="3600", span_name="factory.run"} > 0', ['0']],
    ['a duplicate', 'a:b:c >= 20 and d:e:f >= 20', ['20']],
    ['digits in rule names', 'factory:cycle_time_seconds:p50_7d', []],
  ])('reads %s', (_case, expr, expected) => {
    expect(thresholdsOf(expr)).toEqual(expected);
  });
});

describe('alert unit tests', () => {
  it.each(alertNames)('cover %s firing', (name) => {
    const firing = alertTestCases.filter((testCase) => testCase.alertname === name && (testCase.exp_alerts ?? []).length > 0);

    expect(firing.length, `no alert_rule_test in prometheus/tests/ expects ${name} to fire`).toBeGreaterThan(0);
  });

  it.each(alertNames)('cover %s silent', (name) => {
    const silent = alertTestCases.filter((testCase) => testCase.alertname === name && (testCase.exp_alerts ?? []).length === 0);

    expect(silent.length, `no alert_rule_test in prometheus/tests/ expects ${name} to stay silent`).toBeGreaterThan(0);
  });
});
