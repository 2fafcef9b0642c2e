// Checks of the generated dashboards: each matches its generator, reads recording rules
// (or a raw metric that the allow-list below names for that panel), and refers to data
// sources by the UIDs that provisioning defines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parser as traceqlParser } from '@grafana/lezer-traceql';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { BOARDS } from '../../dashboards/src/boards.js';
import { DELIVERY_DASHBOARD_UID } from '../../dashboards/src/delivery.js';
import { EXPERIMENTS_DASHBOARD_UID } from '../../dashboards/src/experiments.js';
import { HEALTH_DASHBOARD_UID } from '../../dashboards/src/health.js';
import { OVERVIEW_DASHBOARD_UID } from '../../dashboards/src/overview.js';
import { SCAFFOLDING_DASHBOARD_UID } from '../../dashboards/src/scaffolding.js';
import { analyzePromql, expandGrafanaVariables, labelValuesSelector, readRecordingRuleNames } from '../../dashboards/src/promql.js';

interface DataSourceRef {
  type?: string;
  uid?: string;
}

interface Target {
  refId?: string;
  expr?: string;
  query?: string;
  exemplar?: boolean;
  datasource?: DataSourceRef;
}

interface Panel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: DataSourceRef;
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: {
    defaults?: { unit?: string; min?: number; max?: number };
    overrides?: { matcher: { id: string; options: string }; properties: { id: string; value: unknown }[] }[];
  };
  transformations?: { id: string; options: { renameByName?: Record<string, string> } }[];
}

interface Variable {
  name: string;
  type: string;
  query?: string;
  datasource?: DataSourceRef;
}

interface Dashboard {
  uid?: string;
  panels?: Panel[];
  templating?: { list?: Variable[] };
}

/**
 * The recording rules the overview dashboard is built on, as agreed with
 * prometheus/rules/. Used when that folder has no rules yet, and checked against it
 * when it has.
 */
const OVERVIEW_RULES = [
  'factory:one_shot_success:ratio_7d',
  'model:factory_one_shot_success:ratio_7d',
  'model_complexity:factory_one_shot_success:ratio_7d',
  'factory:autonomous_success:ratio_7d',
  'model:factory_autonomous_success:ratio_7d',
  'model_complexity:factory_autonomous_success:ratio_7d',
  'factory:runs_resolved:increase_7d',
  'model_complexity:factory_runs_resolved:increase_7d',
  'factory:cycle_time_seconds:p50_7d',
  'factory:cycle_time_seconds:p90_7d',
  'factory:mltc_seconds:p50_7d',
  'factory:mltc_seconds:p90_7d',
];

/**
 * Raw metrics that specific panels may read, by dashboard UID and panel title. Every
 * other query must read a recording rule. Each entry is here because no recording
 * rule carries what the panel shows.
 */
const RAW_METRIC_PANELS: Record<string, Record<string, string[]>> = {
  [OVERVIEW_DASHBOARD_UID]: {
    // No rule counts spans by stage (span_name).
    'Runs entering each stage': ['factory_span_calls_total'],
    'Runs leaving a stage with success': ['factory_span_calls_total'],
  },
  // Exemplars come only with the raw histogram, not with the rules built on it.
  [DELIVERY_DASHBOARD_UID]: {
    'Cycle time p90 with exemplars': ['factory_span_duration_seconds_bucket'],
    'MLTC p90 with exemplars': ['factory_span_duration_seconds_bucket'],
  },
  [SCAFFOLDING_DASHBOARD_UID]: {
    // No rule keeps the factory_failure_class label.
    'Failed verifications by failure class': ['factory_span_calls_total'],
  },
  // The collector's and the SDK's own counters, which no rule aggregates.
  [HEALTH_DASHBOARD_UID]: {
    'Spans received by the collector': ['otelcol_receiver_accepted_spans', 'otelcol_receiver_refused_spans', 'otelcol_receiver_failed_spans'],
    'Spans exported by the collector': ['otelcol_exporter_sent_spans', 'otelcol_exporter_send_failed_spans'],
    'Spans exported by the SDK': ['factory_sdk_spans_exported_total'],
    'Spans dropped by the SDK': ['factory_sdk_spans_dropped_total'],
    'Spans the SDK failed to export': ['factory_sdk_spans_failed_total'],
    // No rule counts context spans or review spans of any state per 7 days.
    'Resolved runs without a stage, 7 days': ['factory_span_calls_total'],
  },
};

/**
 * Panels that may select series by a `__name__` regex instead of a metric name, to
 * count series across metrics.
 */
const NAME_REGEX_PANELS: Record<string, string[]> = {
  [HEALTH_DASHBOARD_UID]: ['Factory series', 'Factory series by metric, top 10'],
};

/**
 * Variables that may read a raw metric, for the same reason, with the metric. Every
 * other variable reads a recording rule.
 */
const RAW_VARIABLES: Record<string, string> = {};

/**
 * Recording-rule labels that fill variables named otherwise. Every other variable
 * reads the label of its own name.
 */
const RULE_LABEL_BY_VARIABLE: Record<string, string> = {
  baseline: 'arm',
};

/** Labels of the raw span_metrics series that carry each template variable's value. */
const RAW_VARIABLE_LABELS: Record<string, string> = {
  model: 'gen_ai_request_model',
  complexity: 'factory_task_complexity',
  team: 'factory_team',
  repository: 'vcs_repository_name',
  experiment: 'factory_experiment_name',
  baseline: 'factory_experiment_arm',
};

/** Recording-rule prefixes (the aggregation level) that carry each variable's label. */
const RULE_PREFIXES_BY_VARIABLE: Record<string, RegExp> = {
  model: /^model(_complexity)?:/,
  complexity: /^(model|experiment_arm)_complexity:/,
  team: /^team(_repository)?:/,
  repository: /^(team_)?repository:/,
  experiment: /^experiment(_arm(_complexity)?)?:/,
  baseline: /^experiment_arm(_complexity)?:/,
};

const root = fileURLToPath(new URL('../../', import.meta.url));
const rulesInFiles = readRecordingRuleNames(join(root, 'prometheus/rules'));
const knownRules = rulesInFiles.size > 0 ? rulesInFiles : new Set(OVERVIEW_RULES);
const provisioned = (
  parseYaml(readFileSync(join(root, 'grafana/provisioning/datasources/datasources.yaml'), 'utf8')) as {
    datasources?: { uid?: string; type?: string }[];
  }
).datasources ?? [];

/** Returns every non-row panel, including panels nested in collapsed rows. */
function contentPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => (panel.type === 'row' ? contentPanels(panel.panels ?? []) : [panel]));
}

function promTargets(panel: Panel): Target[] {
  return (panel.targets ?? []).filter((target) => target.datasource?.type === 'prometheus');
}

function metricsOf(panel: Panel): string[] {
  return promTargets(panel).flatMap((target) => analyzePromql(expandGrafanaVariables(target.expr ?? '')).metricNames);
}

/** Returns the character offsets of TraceQL syntax errors, empty when `query` parses. */
function traceqlErrorOffsets(query: string): number[] {
  const offsets: number[] = [];
  traceqlParser.parse(query).iterate({
    enter: (node) => {
      if (node.type.isError) offsets.push(node.from);
    },
  });
  return offsets;
}

describe.each(BOARDS)('$file', (board) => {
  const committedJson = readFileSync(join(root, board.file), 'utf8');
  const dashboard = JSON.parse(committedJson) as Dashboard;
  const panels = contentPanels(dashboard.panels ?? []);
  const variables = dashboard.templating?.list ?? [];
  const rawAllowed = RAW_METRIC_PANELS[board.uid] ?? {};

  it('matches the output of the generator', () => {
    // On failure, run `npm run dashboards` and commit the regenerated JSON.
    expect(committedJson).toBe(board.render());
  });

  it('has fixed UID, no import inputs', () => {
    expect(dashboard.uid).toBe(board.uid);
    expect(committedJson).not.toContain('${DS_');
    expect(committedJson).not.toContain('__inputs');
  });

  it('describes every panel', () => {
    expect(panels.length).toBeGreaterThan(0);
    for (const panel of panels) {
      expect(panel.description?.trim().length ?? 0, `${panel.title}: description`).toBeGreaterThan(40);
    }
  });

  it('names queried metrics in descriptions', () => {
    for (const panel of panels) {
      for (const metric of metricsOf(panel)) {
        expect(panel.description, `${panel.title}: description does not name ${metric}`).toContain(metric);
      }
    }
  });

  it('uses provisioned data sources by UID', () => {
    const refs: [string, DataSourceRef | undefined][] = [];
    for (const panel of panels) {
      refs.push([`panel ${panel.title}`, panel.datasource]);
      for (const target of panel.targets ?? []) {
        refs.push([`panel ${panel.title} query ${target.refId}`, target.datasource]);
      }
    }
    for (const variable of variables.filter((v) => v.type === 'query')) {
      refs.push([`variable ${variable.name}`, variable.datasource]);
    }

    for (const [where, ref] of refs) {
      const match = provisioned.find((entry) => entry.uid === ref?.uid);
      expect(match, `${where}: data source UID ${ref?.uid}`).toBeDefined();
      expect(ref?.type, `${where}: data source type`).toBe(match?.type);
    }
  });

  it('has parseable PromQL in every query', () => {
    for (const panel of panels) {
      expect(panel.targets?.length ?? 0, `${panel.title}: no queries`).toBeGreaterThan(0);
      for (const target of promTargets(panel)) {
        const analysis = analyzePromql(expandGrafanaVariables(target.expr ?? ''));
        expect(analysis.errorOffsets, `${panel.title} ${target.refId}: syntax errors in ${target.expr}`).toEqual([]);
        if (NAME_REGEX_PANELS[board.uid]?.includes(panel.title ?? '')) {
          expect(target.expr, `${panel.title} ${target.refId}: nameless selector`).toContain('{__name__=~"factory_.*"}');
          continue;
        }
        expect(analysis.selectorsWithoutName, `${panel.title} ${target.refId}: selector without metric name`).toBe(0);
      }
    }
  });

  it('has parseable TraceQL in every Tempo query', () => {
    for (const panel of panels) {
      for (const target of (panel.targets ?? []).filter((t) => t.datasource?.type === 'tempo')) {
        expect(target.query?.trim().length ?? 0, `${panel.title} ${target.refId}: empty TraceQL`).toBeGreaterThan(0);
        expect(traceqlErrorOffsets(target.query ?? ''), `${panel.title} ${target.refId}: ${target.query}`).toEqual([]);
      }
    }
  });

  it('reads recording rules or allow-listed raw metrics', () => {
    for (const panel of panels) {
      const allowed = rawAllowed[panel.title ?? ''] ?? [];
      for (const metric of metricsOf(panel)) {
        const ok = knownRules.has(metric) || allowed.includes(metric);
        expect(ok, `${panel.title}: ${metric} is neither a recording rule nor allow-listed for this panel`).toBe(true);
      }
    }
  });

  it('allow-lists only panels that exist', () => {
    const titles = panels.map((panel) => panel.title);
    for (const title of Object.keys(rawAllowed)) {
      expect(titles, `allow-listed panel ${title}`).toContain(title);
    }
  });

  it('filters only on existing labels', () => {
    for (const panel of panels) {
      for (const target of promTargets(panel)) {
        const expr = target.expr ?? '';
        const metrics = analyzePromql(expr).metricNames;
        for (const [name, rawLabel] of Object.entries(RAW_VARIABLE_LABELS)) {
          if (!expr.includes(`$${name}`)) continue;
          for (const metric of metrics) {
            const isRule = metric.includes(':');
            if (isRule) {
              expect(metric, `${panel.title}: $${name} on ${metric}`).toMatch(RULE_PREFIXES_BY_VARIABLE[name]!);
            } else {
              expect(expr, `${panel.title}: $${name} on raw ${metric}`).toContain(`${rawLabel}=~"$${name}"`);
            }
          }
        }
      }
    }
  });

  it('fills variables from allowed metrics', () => {
    for (const variable of variables) {
      expect(variable.type, `variable ${variable.name}`).toBe('query');

      const parsed = labelValuesSelector(variable.query ?? '');
      const rawMetric = RAW_VARIABLES[variable.name];
      const expectedLabel = rawMetric === undefined ? (RULE_LABEL_BY_VARIABLE[variable.name] ?? variable.name) : RAW_VARIABLE_LABELS[variable.name];
      expect(parsed?.label, `variable ${variable.name}: label_values(...) label`).toBe(expectedLabel);

      const analysis = analyzePromql(parsed?.selector ?? '');
      expect(analysis.errorOffsets, `variable ${variable.name}: syntax errors`).toEqual([]);
      if (rawMetric !== undefined) {
        expect(analysis.metricNames, `variable ${variable.name}: metrics`).toEqual([rawMetric]);
        continue;
      }
      for (const metric of analysis.metricNames) {
        expect(knownRules.has(metric), `variable ${variable.name}: ${metric} is not a recording rule`).toBe(true);
        expect(metric, `variable ${variable.name}: ${metric} lacks the label`).toMatch(RULE_PREFIXES_BY_VARIABLE[variable.name]!);
      }
    }
  });

  it('shows ratios as percentages from 0 to 1', () => {
    for (const panel of panels) {
      const ratioMetrics = metricsOf(panel).filter((metric) => /:ratio_(7|14)d$/.test(metric) && !metric.includes('_usd:'));
      if (ratioMetrics.length === 0) continue;

      if (panel.type === 'table') {
        // Ratio columns get the unit by override, after the organize transformation
        // renames them.
        const percentColumns = (panel.fieldConfig?.overrides ?? []).filter((override) =>
          override.properties.some((p) => p.id === 'unit' && p.value === 'percentunit'),
        );
        expect(percentColumns.length, `${panel.title}: percent columns`).toBeGreaterThan(0);
        continue;
      }

      expect(panel.fieldConfig?.defaults?.unit, `${panel.title}: unit`).toBe('percentunit');
      // A difference of two ratios runs from -1 to 1.
      const isDifference = panel.title?.includes('difference') ?? false;
      expect(panel.fieldConfig?.defaults?.min, `${panel.title}: min`).toBe(isDifference ? -1 : 0);
      expect(panel.fieldConfig?.defaults?.max, `${panel.title}: max`).toBe(1);
    }
  });

  it('lays out panels without overlap', () => {
    const cells = new Map<string, string>();

    for (const panel of dashboard.panels ?? []) {
      const { x, y, w, h } = panel.gridPos ?? { x: 0, y: 0, w: 0, h: 0 };
      expect(w, `${panel.title}: width`).toBeGreaterThan(0);
      expect(x + w, `${panel.title}: right edge`).toBeLessThanOrEqual(24);
      for (let row = y; row < y + h; row += 1) {
        for (let column = x; column < x + w; column += 1) {
          const key = `${column},${row}`;
          expect(cells.get(key), `${panel.title} overlaps ${cells.get(key)} at ${key}`).toBeUndefined();
          cells.set(key, panel.title ?? '');
        }
      }
    }
  });

  it('gives every panel a unique id', () => {
    const ids = (dashboard.panels ?? []).map((panel) => panel.id);

    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('enables exemplars on raw histogram queries', () => {
    for (const panel of panels) {
      for (const target of promTargets(panel)) {
        const raw = analyzePromql(target.expr ?? '').metricNames.filter((m) => !m.includes(':') && m.endsWith('_bucket'));
        if (raw.length === 0) continue;
        expect(target.exemplar, `${panel.title} ${target.refId}: exemplars`).toBe(true);
      }
    }
  });
});

/**
 * Recording rules that a given dashboard must show, beyond the overview's. Each rule
 * here was added for a board, so a board that drops it loses what it was for.
 */
const RULES_BY_BOARD: Record<string, string[]> = {
  [EXPERIMENTS_DASHBOARD_UID]: [
    'experiment_arm:factory_runs_resolved:increase_14d',
    'experiment_arm:factory_one_shot_success:ratio_14d',
    'experiment_arm:factory_one_shot_success:wilson_lower95_14d',
    'experiment_arm:factory_one_shot_success:wilson_upper95_14d',
    'experiment_arm:factory_autonomous_success:ratio_14d',
    'experiment_arm:factory_autonomous_success:wilson_lower95_14d',
    'experiment_arm:factory_autonomous_success:wilson_upper95_14d',
    'experiment_arm_complexity:factory_runs_resolved:increase_14d',
    'experiment_arm_complexity:factory_runs_one_shot:increase_14d',
    'experiment_arm_complexity:factory_runs_autonomous:increase_14d',
    'experiment:factory_arm_split:chi_square_14d',
    'experiment:factory_arm_split_mismatch:flag_14d',
  ],
  [DELIVERY_DASHBOARD_UID]: [
    'author_kind_complexity:factory_cycle_time_seconds:p50_7d',
    'author_kind_complexity_le:factory_cycle_time_seconds_bucket:increase_7d',
  ],
  [SCAFFOLDING_DASHBOARD_UID]: [
    'team:factory_one_shot_success:ratio_7d',
    'team:factory_autonomous_success:ratio_7d',
    'repository:factory_one_shot_success:ratio_7d',
    'repository:factory_autonomous_success:ratio_7d',
  ],
};

describe.each(Object.entries(RULES_BY_BOARD))('dashboard %s rules', (uid, rules) => {
  const board = BOARDS.find((entry) => entry.uid === uid)!;
  const dashboard = JSON.parse(readFileSync(join(root, board.file), 'utf8')) as Dashboard;
  const used = new Set(contentPanels(dashboard.panels ?? []).flatMap(metricsOf));

  it.each(rules)('shows %s', (rule) => {
    expect(rulesInFiles.has(rule), `${rule} is not defined in prometheus/rules/`).toBe(true);
    expect(used.has(rule), `${board.file} does not show ${rule}`).toBe(true);
  });
});

describe('dashboards/factory-experiments.json sample ratio mismatch', () => {
  const board = BOARDS.find((entry) => entry.uid === EXPERIMENTS_DASHBOARD_UID)!;
  const dashboard = JSON.parse(readFileSync(join(root, board.file), 'utf8')) as Dashboard;
  const panel = contentPanels(dashboard.panels ?? []).find((entry) => entry.title === 'Sample ratio mismatch');

  it('turns red at flag 1', () => {
    const steps = (panel?.fieldConfig?.defaults as { thresholds?: { steps?: { value: number | null; color: string }[] } } | undefined)?.thresholds?.steps;

    expect(steps).toEqual([
      { value: null, color: 'green' },
      { value: 1, color: 'red' },
    ]);
  });

  it('names the equal split and --split', () => {
    expect(panel?.description).toContain('equal split');
    expect(panel?.description).toContain('factory-telemetry experiment --split');
  });
});

describe('dashboards/factory-overview.json rules', () => {
  const board = BOARDS.find((entry) => entry.uid === OVERVIEW_DASHBOARD_UID)!;
  const dashboard = JSON.parse(readFileSync(join(root, board.file), 'utf8')) as Dashboard;

  it('shows all metrics and run volume', () => {
    const used = new Set(contentPanels(dashboard.panels ?? []).flatMap(metricsOf));

    for (const rule of OVERVIEW_RULES) {
      expect(used.has(rule), `overview does not show ${rule}`).toBe(true);
    }
  });

  it('uses rules defined in prometheus/rules', () => {
    if (rulesInFiles.size === 0) {
      console.warn('prometheus/rules/ has no rules yet, so the dashboard was checked against OVERVIEW_RULES only');
      return;
    }
    for (const rule of OVERVIEW_RULES) {
      expect(rulesInFiles.has(rule), `${rule} is not defined in prometheus/rules/`).toBe(true);
    }
  });

  it('offers model and complexity variables', () => {
    const names = (dashboard.templating?.list ?? []).map((variable) => variable.name);

    expect(names).toEqual(['model', 'complexity']);
  });
});
