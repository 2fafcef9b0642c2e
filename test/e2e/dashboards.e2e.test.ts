// Runs every PromQL query of every generated dashboard against the real collector and
// Prometheus, after the demo factory's runs were recorded through the SDK and one agent
// and one human pull request through the webhook bridge's recorder, and checks that
// each query returns data without an error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Recorder } from '../../bridge/recorder.js';
import type { Recording } from '../../bridge/recording.js';
import { HUMAN_MODEL } from '../../bridge/resolution.js';
import { demoExportTargets } from '../../cli/commands/demo.js';
import { DEMO_ARMS } from '../../cli/demo/small-factory.js';
import { queryInstant, queryScalar, waitUntil } from '../../cli/prometheus.js';
import { BOARDS } from '../../dashboards/src/boards.js';
import { expandGrafanaVariables } from '../../dashboards/src/promql.js';
import { wilsonBound, wilsonBoundValue } from '../../dashboards/src/shared.js';
import { recordDemoRuns, type DemoRuns } from './demo-runs.js';
import { startTestStack } from './stack.js';

const REPO = join(import.meta.dirname, '..', '..');
const RUNS = 80;

/**
 * Values for template variables that must name one value. Every other variable is
 * set to `.*`, its "All" value.
 */
const VARIABLE_VALUES: Record<string, string> = { baseline: DEMO_ARMS[0] };

interface Panel {
  type: string;
  title?: string;
  panels?: Panel[];
  targets?: { refId?: string; expr?: string; datasource?: { type?: string } }[];
}

interface Query {
  board: string;
  panel: string;
  refId: string;
  expr: string;
}

/**
 * Queries that can return nothing on a fresh test stack, with the reason. The test
 * checks only that Prometheus accepts them.
 */
const MAY_BE_EMPTY: [RegExp, string][] = [
  // The test stack has minutes of history, not the 14 days an `offset 7d` comparison needs.
  [/\boffset 7d\b/, 'compares with the 7 days before the current window'],
  // The local stack sends spans only to the span_metrics connector, and the collector
  // creates these series only for exporters that send spans (Tempo in the compose stack).
  [/\botelcol_exporter_(sent|send_failed)_spans\b/, 'needs a span exporter'],
  // The SDK sends this counter only once a span has failed to export.
  [/\bfactory_sdk_spans_failed_total\b/, 'needs a failed export'],
];

/**
 * Records one merged agent pull request and one merged human baseline pull request of
 * the same complexity, as the webhook bridge records them (spans with factory.author.kind),
 * so that the author-kind cycle time panels have both kinds. The demo factory records
 * through the SDK alone, so its reviews have no author kind.
 */
async function recordBridgePullRequests(otlpEndpoint: string, now: number): Promise<void> {
  const targets = demoExportTargets(otlpEndpoint, process.env);
  const problems: string[] = [];
  const recorder = new Recorder({
    target: targets.target,
    metricsTarget: targets.metricsTarget,
    serviceName: 'factory-telemetry-dashboards-e2e-bridge',
    onProblem: (message) => problems.push(message),
    maxRetryDurationMillis: 10_000,
  });
  const hour = 3_600_000;
  const agent = { runId: 'e2e-agent-pull-request', authorKind: 'agent' as const, identity: { repository: 'demo/api', changeId: '901', complexity: 'standard' as const } };
  const human = {
    runId: 'github:demo/api/pull/902',
    authorKind: 'human' as const,
    identity: { repository: 'demo/api', changeId: '902', model: HUMAN_MODEL, complexity: 'standard' as const },
  };
  const review = { kind: 'review' as const, closedAt: now, state: 'merged' as const, humanModified: false, rounds: 1, approvals: 1 };
  const recordings: Recording[] = [
    { ...agent, ...review, openedAt: now - hour },
    { ...human, kind: 'run', startTime: now - 3 * hour, endTime: now },
    { ...human, ...review, openedAt: now - 3 * hour, humanModified: true },
  ];

  for (const recording of recordings) {
    expect(recorder.record(recording), `spans of the ${recording.authorKind} ${recording.kind}`).toBeGreaterThan(0);
  }
  await recorder.flush();
  await recorder.shutdown();
  expect(problems).toEqual([]);
}

function contentPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => (panel.type === 'row' ? contentPanels(panel.panels ?? []) : [panel]));
}

/** Lists every Prometheus query of the committed dashboards, with variables set to "All". */
function dashboardQueries(): Query[] {
  const queries: Query[] = [];
  for (const board of BOARDS) {
    const dashboard = JSON.parse(readFileSync(join(REPO, board.file), 'utf8')) as { panels?: Panel[] };
    for (const panel of contentPanels(dashboard.panels ?? [])) {
      for (const target of panel.targets ?? []) {
        if (target.datasource?.type !== 'prometheus' || target.expr === undefined) continue;
        queries.push({ board: board.file, panel: panel.title ?? '', refId: target.refId ?? '', expr: expandGrafanaVariables(target.expr, VARIABLE_VALUES) });
      }
    }
  }
  return queries;
}

const queries = dashboardQueries();

describe('dashboard queries against the real collector and Prometheus', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let runs: DemoRuns;

  beforeAll(async () => {
    stack = await startTestStack('dashboards');
    runs = await recordDemoRuns({
      otlpEndpoint: stack.info.otlpHttpEndpoint,
      prometheusUrl: stack.info.prometheusUrl,
      serviceName: 'factory-telemetry-dashboards-e2e',
      runs: RUNS,
      seed: 11,
    });
    await recordBridgePullRequests(stack.info.otlpHttpEndpoint, Date.now());

    const bothKinds = await waitUntil(
      async () => (await queryInstant(stack.info.prometheusUrl, 'author_kind_complexity:factory_cycle_time_seconds:p50_7d{author_kind=~"agent|human"}')).length === 2,
      60_000,
    );
    expect(bothKinds, 'the agent and human pull requests did not reach the author-kind cycle time rule').toBe(true);

    // rate() of the collector's own counters needs two scrapes after the spans arrived.
    const scraped = await waitUntil(async () => (await queryInstant(stack.info.prometheusUrl, 'rate(otelcol_receiver_accepted_spans[5m])')).length > 0, 60_000);
    expect(scraped, 'Prometheus did not scrape the collector twice after the spans arrived').toBe(true);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('finds queries in every dashboard', () => {
    for (const board of BOARDS) {
      expect(queries.filter((query) => query.board === board.file).length, board.file).toBeGreaterThan(0);
    }
  });

  it('computes Wilson bounds like the formula', async () => {
    const oneShot = runs.filter((run) => run.oneShot).length;
    for (const bound of ['lower', 'upper'] as const) {
      const expr = wilsonBound('factory:runs_one_shot:increase_7d', 'factory:runs_resolved:increase_7d', bound);
      const value = await queryScalar(stack.info.prometheusUrl, expr);
      expect(value, `${bound} bound`).toBeCloseTo(wilsonBoundValue(oneShot, RUNS, bound), 6);
    }
  });

  it('shows agent and human cycle time', async () => {
    const query = queries.find((entry) => entry.panel === 'Cycle time by author kind and complexity, now' && entry.refId === 'A');
    expect(query, 'author-kind cycle time table').toBeDefined();

    const samples = await queryInstant(stack.info.prometheusUrl, query!.expr);
    const kinds = samples.filter((sample) => sample.labels.complexity === 'standard').map((sample) => sample.labels.author_kind);
    expect(kinds.sort()).toEqual(['agent', 'human', 'not set']);
  });

  it('keeps human pull requests out of factory cycle time', async () => {
    const merged = await queryScalar(stack.info.prometheusUrl, 'factory:reviews_merged:increase_7d');
    const mergedByKind = await queryScalar(stack.info.prometheusUrl, 'sum(author_kind_complexity_le:factory_cycle_time_seconds_bucket:increase_7d{le="+Inf", author_kind!="human"})');
    expect(merged).toBe(runs.filter((run) => run.merged).length + 1);
    expect(mergedByKind).toBe(merged);
  });

  it.each(queries.map((query) => [`${query.board} / ${query.panel} / ${query.refId}`, query] as const))('%s', async (_name, query) => {
    const samples = await queryInstant(stack.info.prometheusUrl, query.expr);
    if (MAY_BE_EMPTY.some(([pattern]) => pattern.test(query.expr))) return;

    expect(samples.length, `no data for ${query.expr}`).toBeGreaterThan(0);
    for (const sample of samples) {
      expect(Number.isNaN(sample.value), `NaN in ${query.expr} for ${JSON.stringify(sample.labels)}`).toBe(false);
    }
  });
});
