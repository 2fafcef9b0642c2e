// Checks of the generated overview dashboard: it matches its generator, reads only the
// recording rules, and refers to data sources by the UIDs that provisioning defines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { OVERVIEW_DASHBOARD_UID, renderOverviewJson } from '../../dashboards/src/overview.js';
import { analyzePromql, labelValuesSelector, readRecordingRuleNames } from '../../dashboards/src/promql.js';

interface DataSourceRef {
  type?: string;
  uid?: string;
}

interface Target {
  refId?: string;
  expr?: string;
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
 * The recording rules the dashboard is built on, as agreed with prometheus/rules/.
 * Used when that folder has no rules yet, and checked against it when it has.
 */
const DASHBOARD_RULES = [
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

const root = fileURLToPath(new URL('../../', import.meta.url));
const jsonPath = join(root, 'dashboards/factory-overview.json');
const committedJson = readFileSync(jsonPath, 'utf8');
const dashboard = JSON.parse(committedJson) as Dashboard;
const rulesInFiles = readRecordingRuleNames(join(root, 'prometheus/rules'));
const knownRules = rulesInFiles.size > 0 ? rulesInFiles : new Set(DASHBOARD_RULES);
const provisionedUids = (
  (parseYaml(readFileSync(join(root, 'grafana/provisioning/datasources/datasources.yaml'), 'utf8')) as {
    datasources?: { uid?: string }[];
  }).datasources ?? []
).map((entry) => entry.uid);

/** Returns every non-row panel, including panels nested in collapsed rows. */
function contentPanels(panels: Panel[] = dashboard.panels ?? []): Panel[] {
  return panels.flatMap((panel) => (panel.type === 'row' ? contentPanels(panel.panels ?? []) : [panel]));
}

function metricsOf(panel: Panel): string[] {
  return (panel.targets ?? []).flatMap((target) => analyzePromql(target.expr ?? '').metricNames);
}

function variables(): Variable[] {
  return dashboard.templating?.list ?? [];
}

describe('dashboards/factory-overview.json', () => {
  it('matches the output of the generator', () => {
    // On failure, run `npm run dashboards` and commit the regenerated JSON.
    expect(committedJson).toBe(renderOverviewJson());
  });

  it('has fixed UID, no import inputs', () => {
    expect(dashboard.uid).toBe(OVERVIEW_DASHBOARD_UID);
    expect(committedJson).not.toContain('${DS_');
    expect(committedJson).not.toContain('__inputs');
  });

  it('describes every panel', () => {
    const panels = contentPanels();

    expect(panels.length).toBeGreaterThan(0);
    for (const panel of panels) {
      expect(panel.description?.trim().length ?? 0, `${panel.title}: description`).toBeGreaterThan(40);
    }
  });

  it('names queried rules in descriptions', () => {
    for (const panel of contentPanels()) {
      for (const metric of metricsOf(panel)) {
        expect(panel.description, `${panel.title}: description does not name ${metric}`).toContain(metric);
      }
    }
  });

  it('uses provisioned data sources by UID', () => {
    const refs: [string, DataSourceRef | undefined][] = [];
    for (const panel of contentPanels()) {
      refs.push([`panel ${panel.title}`, panel.datasource]);
      for (const target of panel.targets ?? []) {
        refs.push([`panel ${panel.title} query ${target.refId}`, target.datasource]);
      }
    }
    for (const variable of variables().filter((v) => v.type === 'query')) {
      refs.push([`variable ${variable.name}`, variable.datasource]);
    }

    for (const [where, ref] of refs) {
      expect(ref?.type, `${where}: data source type`).toBe('prometheus');
      expect(provisionedUids, `${where}: data source UID ${ref?.uid}`).toContain(ref?.uid);
    }
  });

  it('has parseable PromQL in every query', () => {
    for (const panel of contentPanels()) {
      expect(panel.targets?.length ?? 0, `${panel.title}: no queries`).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        const analysis = analyzePromql(target.expr ?? '');
        expect(analysis.errorOffsets, `${panel.title} ${target.refId}: syntax errors in ${target.expr}`).toEqual([]);
        expect(analysis.selectorsWithoutName, `${panel.title} ${target.refId}: selector without metric name`).toBe(0);
      }
    }
  });

  it('reads only recording rules', () => {
    for (const panel of contentPanels()) {
      for (const metric of metricsOf(panel)) {
        expect(knownRules.has(metric), `${panel.title}: ${metric} is not a recording rule`).toBe(true);
      }
    }
  });

  it('shows all metrics and run volume', () => {
    const used = new Set(contentPanels().flatMap(metricsOf));

    expect([...used].sort()).toEqual([...DASHBOARD_RULES].sort());
  });

  it('uses rules defined in prometheus/rules', () => {
    if (rulesInFiles.size === 0) {
      console.warn('prometheus/rules/ has no rules yet, so the dashboard was checked against DASHBOARD_RULES only');
      return;
    }
    for (const rule of DASHBOARD_RULES) {
      expect(rulesInFiles.has(rule), `${rule} is not defined in prometheus/rules/`).toBe(true);
    }
  });

  it('filters only on existing labels', () => {
    for (const panel of contentPanels()) {
      for (const target of panel.targets ?? []) {
        const metrics = analyzePromql(target.expr ?? '').metricNames;
        if (target.expr?.includes('$model')) {
          for (const metric of metrics) {
            expect(metric, `${panel.title}: $model on ${metric}`).toMatch(/^model(_complexity)?:/);
          }
        }
        if (target.expr?.includes('$complexity')) {
          for (const metric of metrics) {
            expect(metric, `${panel.title}: $complexity on ${metric}`).toMatch(/^model_complexity:/);
          }
        }
      }
    }
  });

  it('fills variables from a recording rule', () => {
    const byName = new Map(variables().map((variable) => [variable.name, variable]));

    for (const [name, label] of [
      ['model', 'model'],
      ['complexity', 'complexity'],
    ] as const) {
      const variable = byName.get(name);
      expect(variable?.type, `variable ${name}`).toBe('query');

      const parsed = labelValuesSelector(variable?.query ?? '');
      expect(parsed?.label, `variable ${name}: label_values(...) label`).toBe(label);

      const analysis = analyzePromql(parsed?.selector ?? '');
      expect(analysis.errorOffsets, `variable ${name}: syntax errors`).toEqual([]);
      expect(analysis.metricNames, `variable ${name}: metrics`).toEqual(['model_complexity:factory_runs_resolved:increase_7d']);
    }
  });

  it('shows ratios as percentages from 0 to 1', () => {
    for (const panel of contentPanels()) {
      const ratioMetrics = metricsOf(panel).filter((metric) => metric.endsWith(':ratio_7d'));
      if (ratioMetrics.length === 0) continue;

      if (panel.type === 'table') {
        // Ratio columns get the unit by override, after the organize transformation
        // renames them.
        const percentColumns = (panel.fieldConfig?.overrides ?? [])
          .filter((override) => override.properties.some((p) => p.id === 'unit' && p.value === 'percentunit'))
          .map((override) => override.matcher.options);
        expect(percentColumns, `${panel.title}: percent columns`).toHaveLength(ratioMetrics.length);
        continue;
      }

      expect(panel.fieldConfig?.defaults?.unit, `${panel.title}: unit`).toBe('percentunit');
      expect(panel.fieldConfig?.defaults?.min, `${panel.title}: min`).toBe(0);
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
});
