// Checks of the recording rules in prometheus/rules/: promtool's syntax check and
// unit tests (prometheus/tests/), and the rule names, labels, comments and docs.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const docsPath = join(repoRoot, 'docs', 'metrics.md');

/** Prometheus's recommended `level:metric:operations` form, in lower case. */
const RULE_NAME = /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/;

/** Labels that a rule keeps, by the level part of its name. */
const LEVEL_LABELS: Record<string, string[]> = {
  factory: [],
  model: ['model'],
  model_complexity: ['model', 'complexity'],
  le: ['le'],
  author_kind_complexity: ['author_kind', 'complexity'],
  author_kind_complexity_le: ['author_kind', 'complexity', 'le'],
  team_le: ['team', 'le'],
  team: ['team'],
  repository: ['repository'],
  team_repository: ['team', 'repository'],
  context_complete: ['context_complete'],
  experiment: ['experiment'],
  experiment_arm: ['experiment', 'arm'],
  experiment_arm_complexity: ['experiment', 'arm', 'complexity'],
};

/**
 * Delta series of the signal_to_metrics connector. Each sample is the change of one
 * collector batch, so rules add them up with sum_over_time(). increase() and rate()
 * would read them as counters.
 */
const DELTA_SERIES = new Set([
  'factory_run_cost_usd_total',
  'factory_run_attempts_bucket',
  'factory_run_attempts_sum',
  'factory_run_attempts_count',
]);

/** A range selector and the function call around it: `function(metric{matchers}[range] modifier`. */
const RANGE_CALL = /([a-z_]+)\s*\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{[^{}]*\})?\s*\[([^\]]*)\](\s*anchored)?/g;

/** Rules that dashboards and users depend on, with the labels docs/metrics.md gives them. */
const REQUIRED_RULES: Array<[string, string[]]> = [
  ['factory:one_shot_success:ratio_7d', []],
  ['model:factory_one_shot_success:ratio_7d', ['model']],
  ['model_complexity:factory_one_shot_success:ratio_7d', ['model', 'complexity']],
  ['factory:autonomous_success:ratio_7d', []],
  ['model:factory_autonomous_success:ratio_7d', ['model']],
  ['model_complexity:factory_autonomous_success:ratio_7d', ['model', 'complexity']],
  ['factory:runs_resolved:increase_7d', []],
  ['model_complexity:factory_runs_resolved:increase_7d', ['model', 'complexity']],
  ['factory:cycle_time_seconds:p50_7d', []],
  ['factory:cycle_time_seconds:p90_7d', []],
  ['factory:mltc_seconds:p50_7d', []],
  ['factory:mltc_seconds:p90_7d', []],
  ['factory:retry_repeated_failure:ratio_7d', []],
  ['team:factory_retry_repeated_failure:ratio_7d', ['team']],
  ['repository:factory_retry_repeated_failure:ratio_7d', ['repository']],
  ['factory:verification_failures_specific:ratio_7d', []],
  ['model:factory_run_cost_usd:sum_7d', ['model']],
  ['model:factory_cost_per_merged_run_usd:ratio_7d', ['model']],
  ['factory:cost_per_merged_run_usd:ratio_7d', []],
  ['factory:run_attempts:p50_7d', []],
  ['factory:run_attempts:p90_7d', []],
  ['factory:run_attempts:mean_7d', []],
  ['context_complete:factory_one_shot_success:ratio_7d', ['context_complete']],
];

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
}

interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

interface PromqlTestCase {
  expr: string;
  eval_time: string;
  exp_samples?: Array<{ labels: string; value: number }> | null;
}

interface UnitTestFile {
  tests: Array<{ name?: string; promql_expr_test?: PromqlTestCase[] }>;
}

/** Lists the `*.yml` files of a folder as paths relative to the repository root. */
function yamlFiles(folder: string): string[] {
  return readdirSync(join(repoRoot, folder))
    .filter((name) => name.endsWith('.yml'))
    .sort()
    .map((name) => join(folder, name));
}

const ruleFiles = yamlFiles('prometheus/rules');
const unitTestFiles = yamlFiles('prometheus/tests');

const groups: RuleGroup[] = ruleFiles.flatMap(
  (file) => (parseYaml(readFileSync(join(repoRoot, file), 'utf8')) as { groups: RuleGroup[] }).groups,
);
const records: Rule[] = groups.flatMap((group) => group.rules).filter((rule) => rule.record !== undefined);
const recordNames = records.map((rule) => rule.record as string);

/** Returns the labels that a rule keeps, from the level part of its name, or undefined for an unknown level. */
function labelsOfLevel(name: string): string[] | undefined {
  return LEVEL_LABELS[name.split(':')[0] ?? ''];
}

/**
 * Lists what is wrong with the range selectors of a rule expression: each must read a
 * counter as `increase(counter[<window>] anchored)` or a delta series as
 * `sum_over_time(delta[<window>])`, where the window is the one the rule's name
 * gives. A delta series may appear nowhere else.
 */
function rangeViolations(expr: string, window = '7d'): string[] {
  const violations: string[] = [];
  const ranges = [...expr.matchAll(/\[[^\]]*\]/g)];
  const calls = [...expr.matchAll(RANGE_CALL)];
  if (calls.length !== ranges.length) {
    violations.push(`${ranges.length} range(s) but ${calls.length} of the form function(metric{...}[range])`);
  }

  for (const [text, fn, metric, range, anchored] of calls) {
    const found = `${fn}(${metric}[${range}]${anchored === undefined ? '' : ' anchored'})`;
    const expected = DELTA_SERIES.has(metric as string)
      ? `sum_over_time(${metric}[${window}])`
      : `increase(${metric}[${window}] anchored)`;
    if (found !== expected) violations.push(`${text.replace(/\s+/g, ' ')}: expected ${expected}`);
  }

  for (const metric of DELTA_SERIES) {
    // No name character may touch the match, so the rule name `le:factory_run_attempts_bucket:sum_7d` is not a use.
    const uses = expr.match(new RegExp(`(?<![\\w:])${metric}(?![\\w:])`, 'g'))?.length ?? 0;
    const summed = calls.filter((call) => call[1] === 'sum_over_time' && call[2] === metric).length;
    if (uses !== summed) violations.push(`${metric} is used ${uses} time(s), but only ${summed} inside sum_over_time()`);
  }
  return violations;
}

/** Returns the label names of a sample written as `name{a="x", b="y"}`. */
function labelNamesOf(sample: string): string[] {
  return [...sample.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/g)].map((match) => match[1] as string).sort();
}

/** Reads the rows of docs/metrics.md tables whose first cell is a rule name: name -> labels. */
function documentedRules(): Map<string, string[]> {
  const documented = new Map<string, string[]>();
  for (const line of readFileSync(docsPath, 'utf8').split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const name = /^`([^`]+)`$/.exec(cells[1] ?? '')?.[1];
    if (name === undefined || !RULE_NAME.test(name)) continue;

    const labelCell = cells[2] ?? '';
    const labels = labelCell === 'none' ? [] : [...labelCell.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);
    documented.set(name, labels.sort());
  }
  return documented;
}

/** Returns the comment lines directly above each `- record:` line of the rule files: name -> comment. */
function ruleComments(): Map<string, string> {
  const comments = new Map<string, string>();
  for (const file of ruleFiles) {
    const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n');
    lines.forEach((line, index) => {
      const name = /^\s*- record:\s*(\S+)/.exec(line)?.[1];
      if (name === undefined) return;

      const above: string[] = [];
      for (let i = index - 1; i >= 0 && /^\s*#/.test(lines[i] ?? ''); i--) above.unshift(lines[i] ?? '');
      comments.set(name, above.join('\n'));
    });
  }
  return comments;
}

/** Collects the promql_expr_test cases of prometheus/tests/ whose expression selects only `name`. */
function unitTestsOf(name: string): PromqlTestCase[] {
  return unitTestFiles.flatMap((file) => {
    const parsed = parseYaml(readFileSync(join(repoRoot, file), 'utf8')) as UnitTestFile;
    return parsed.tests
      .flatMap((group) => group.promql_expr_test ?? [])
      .filter((testCase) => testCase.expr === name || testCase.expr.startsWith(`${name}{`));
  });
}

/** Finds promtool: $PROMTOOL, or the build directory that prometheus/build.sh prints last. */
function findPromtool(): string {
  const fromEnv = process.env.PROMTOOL;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;

  const build = spawnSync('bash', [join(repoRoot, 'prometheus', 'build.sh')], { cwd: repoRoot, encoding: 'utf8' });
  const directory = build.stdout?.trim().split('\n').at(-1);
  if (build.status !== 0 || directory === undefined || directory === '') {
    throw new Error(
      `prometheus/build.sh failed (exit code ${build.status}), so promtool was not found. ` +
        `Set PROMTOOL to a promtool of Prometheus 3.16 or later, or fix the build.\n${build.stderr ?? ''}`,
    );
  }
  return join(directory, 'promtool');
}

/** Runs promtool in the repository root and returns its exit code and output. */
function runPromtool(promtool: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(promtool, args, { cwd: repoRoot, encoding: 'utf8' });
  if (result.error !== undefined) {
    return { status: null, output: `failed to run ${promtool}: ${result.error.message}` };
  }
  return { status: result.status, output: `stdout:\n${result.stdout}\nstderr:\n${result.stderr}` };
}

describe('promtool', () => {
  let promtool = '';

  beforeAll(() => {
    promtool = findPromtool();
  }, 1_800_000);

  it('accepts the rule files', () => {
    const result = runPromtool(promtool, ['check', 'rules', ...ruleFiles]);

    expect(result.status, `promtool check rules ${ruleFiles.join(' ')}\n${result.output}`).toBe(0);
  }, 120_000);

  // One test per file, so that each gets its own timeout and a failure names its file.
  it.each(unitTestFiles)('passes the rule unit tests in %s', (file) => {
    const result = runPromtool(promtool, ['test', 'rules', file]);

    expect(result.status, `promtool test rules ${file}\n${result.output}`).toBe(0);
  }, 300_000);
});

describe('recording rules', () => {
  it('exist in prometheus/rules/', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    expect(recordNames.length).toBeGreaterThan(0);
  });

  it.each(recordNames)('%s has a level:metric:operations name', (name) => {
    expect(name).toMatch(RULE_NAME);
    expect(labelsOfLevel(name), `unknown level in ${name}`).toBeDefined();
  });

  it('have unique names', () => {
    expect(new Set(recordNames).size).toBe(recordNames.length);
  });

  it.each(REQUIRED_RULES)('include %s with labels %j', (name, labels) => {
    expect(recordNames).toContain(name);
    expect(labelsOfLevel(name)).toEqual(labels);
  });

  it('inherit the global evaluation interval', () => {
    for (const group of groups) {
      expect(group.interval, `group ${group.name} sets interval`).toBeUndefined();
    }
  });

  it.each(records)('$record reads the window its name gives', (rule) => {
    // The operation part ends in the window, for example `increase_7d` or `ratio_14d`.
    const window = /_(\d+d)$/.exec(rule.record ?? '')?.[1] ?? '7d';

    expect(rangeViolations(rule.expr, window)).toEqual([]);
  });

  it.each(recordNames)('%s has a comment with its unit', (name) => {
    expect(ruleComments().get(name) ?? '').toMatch(/# Unit: \S/);
  });
});

describe('range check', () => {
  it.each([
    'increase(factory_span_calls_total{span_name="factory.outcome"}[7d] anchored)',
    'sum_over_time(factory_run_cost_usd_total[7d])',
    'sum by (le) (sum_over_time(factory_run_attempts_bucket{factory_outcome_status="merged"}[7d]))',
    'sum_over_time(factory_run_attempts_sum[7d]) / sum_over_time(factory_run_attempts_count[7d])',
  ])('accepts %s', (expr) => {
    expect(rangeViolations(expr)).toEqual([]);
  });

  it.each([
    ['increase on a delta series', 'increase(factory_run_cost_usd_total[7d] anchored)'],
    ['rate on a delta series', 'rate(factory_run_attempts_count[7d])'],
    ['anchored sum_over_time', 'sum_over_time(factory_run_cost_usd_total[7d] anchored)'],
    ['a delta series outside sum_over_time', 'factory_run_cost_usd_total'],
    ['a delta series over another range', 'sum_over_time(factory_run_attempts_bucket[1d])'],
    ['sum_over_time on a counter', 'sum_over_time(factory_span_calls_total[7d])'],
    ['sum_over_time on a histogram counter', 'sum_over_time(factory_span_duration_seconds_bucket[7d])'],
    ['rate on a counter', 'rate(factory_span_calls_total[7d] anchored)'],
    ['plain increase on a counter', 'increase(factory_span_calls_total[7d])'],
    ['a counter over another range', 'increase(factory_span_calls_total[1d] anchored)'],
    ['a subquery', 'max_over_time(factory:runs_resolved:increase_7d[7d:1h])'],
  ])('rejects %s', (_case, expr) => {
    expect(rangeViolations(expr)).not.toEqual([]);
  });
});

describe('docs/metrics.md', () => {
  const documented = documentedRules();

  it.each(recordNames)('documents %s with its labels', (name) => {
    expect(documented.has(name), `${name} has no table row in docs/metrics.md`).toBe(true);
    expect(documented.get(name)).toEqual([...(labelsOfLevel(name) ?? [])].sort());
  });

  it('documents no rule that does not exist', () => {
    const unknown = [...documented.keys()].filter((name) => !recordNames.includes(name));

    expect(unknown).toEqual([]);
  });
});

describe('rule unit tests', () => {
  it.each(recordNames)('cover %s with its labels', (name) => {
    const samples = unitTestsOf(name).flatMap((testCase) => testCase.exp_samples ?? []);
    const expectedLabels = [...(labelsOfLevel(name) ?? [])].sort();

    expect(samples.length, `no promql_expr_test in prometheus/tests/ expects a sample of ${name}`).toBeGreaterThan(0);
    for (const sample of samples) {
      // A run recorded without a model or complexity gives a sample without that label.
      for (const label of labelNamesOf(sample.labels)) {
        expect(expectedLabels, `${sample.labels}`).toContain(label);
      }
    }
    expect(samples.map((sample) => labelNamesOf(sample.labels))).toContainEqual(expectedLabels);
  });
});
