/**
 * PromQL checks for the dashboard and data source queries, used by test/config/.
 *
 * Parsing uses @prometheus-io/lezer-promql, the grammar of Prometheus's own query
 * editor. It finds syntax errors but does not type-check (for example, it accepts a
 * range vector where an instant vector is required), so a query that passes here can
 * still be rejected by Prometheus at run time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';

/** Result of analyzePromql: the metrics an expression selects and its syntax errors. */
export interface PromqlAnalysis {
  /** Character offsets of syntax errors, empty when the expression parses. */
  errorOffsets: number[];
  /** Metric names of all vector selectors, in order of appearance. */
  metricNames: string[];
  /** Number of vector selectors without a metric name, such as `{job="x"}`. */
  selectorsWithoutName: number;
}

/** Parses `expr` and lists its syntax errors and the metric names it selects. */
export function analyzePromql(expr: string): PromqlAnalysis {
  const analysis: PromqlAnalysis = { errorOffsets: [], metricNames: [], selectorsWithoutName: 0 };
  const tree = parser.parse(expr);

  tree.iterate({
    enter: (node) => {
      if (node.type.isError) {
        analysis.errorOffsets.push(node.from);
        return;
      }
      if (node.name === 'VectorSelector') {
        const identifier = node.node.getChild('Identifier');
        if (identifier === null) {
          analysis.selectorsWithoutName += 1;
        } else {
          analysis.metricNames.push(expr.slice(identifier.from, identifier.to));
        }
      }
    },
  });

  return analysis;
}

/**
 * Extracts the series selector from a Grafana `label_values(SELECTOR, LABEL)` variable
 * query, so that it can be checked like any other PromQL expression.
 */
export function labelValuesSelector(query: string): { selector: string; label: string } | undefined {
  const match = /^\s*label_values\(\s*(.+)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s.exec(query);
  if (match === null || match[1] === undefined || match[2] === undefined) {
    return undefined;
  }
  return { selector: match[1].trim(), label: match[2] };
}

interface RuleFile {
  groups?: { rules?: { record?: unknown }[] }[];
}

/** Reads the names of all recording rules in the `*.yml` and `*.yaml` files of `dir`. */
export function readRecordingRuleNames(dir: string): Set<string> {
  const names = new Set<string>();
  const files = readdirSync(dir).filter((name) => name.endsWith('.yml') || name.endsWith('.yaml'));

  for (const file of files) {
    const content = parseYaml(readFileSync(join(dir, file), 'utf8')) as RuleFile | null;
    for (const group of content?.groups ?? []) {
      for (const rule of group.rules ?? []) {
        if (typeof rule.record === 'string') {
          names.add(rule.record);
        }
      }
    }
  }

  return names;
}

/**
 * Durations that stand in for Grafana's interval variables when a query is parsed or
 * run outside Grafana. Grafana fills them from the time range and the panel width.
 */
export const GRAFANA_INTERVALS: Record<string, string> = {
  $__rate_interval: '5m',
  $__interval: '1m',
  $__range: '7d',
};

/**
 * Replaces Grafana's interval variables with fixed durations and each template
 * variable `$NAME` with `values[NAME]` (by default `.*`, the "All" value), so that
 * the result is plain PromQL.
 */
export function expandGrafanaVariables(expr: string, values: Record<string, string> = {}): string {
  let result = expr;
  for (const [variable, duration] of Object.entries(GRAFANA_INTERVALS)) {
    result = result.replaceAll(variable, duration);
  }
  return result.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_match, name: string) => values[name] ?? '.*');
}
