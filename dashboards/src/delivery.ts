/**
 * The "Factory delivery" dashboard: cycle time and MLTC percentiles over time, and
 * one-shot success drawn against each of them on a second axis, so that a falling
 * success rate that shows up only as longer reviews or slower deploys is visible.
 * A row compares the cycle time of agent and human pull requests by complexity,
 * and another draws the hidden-bottleneck rules per team.
 */
import { AxisPlacement } from '@grafana/grafana-foundation-sdk/common';
import { DashboardBuilder, DashboardCursorSync, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';
import type { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

import { CYCLE_TIME_DEFINITION, HISTOGRAM_NOTE, MLTC_DEFINITION, ONE_SHOT_RULE, WINDOW_NOTE } from './definitions.js';
import { PROMETHEUS_DATASOURCE, assignPanelIds, instantTableQuery, promQuery, renderDashboardJson, timeseriesPanel } from './shared.js';

export const DELIVERY_DASHBOARD_UID = 'factory-delivery';

const NO_LABELS_NOTE =
  'The factory-wide cycle time and MLTC rules aggregate over all models, complexities, repositories and teams (they keep only the le label), so this dashboard has no model, complexity, repository or team variables; the row "By team" draws one line per team.';
const TEAM_NOTE =
  'team is factory.team; runs recorded without one draw as the line "not set". FactoryHiddenBottleneck compares these three per-team rules with their values 28 days earlier (docs/runbook.md).';
const HUMAN_EXCLUDED_NOTE =
  'Human baseline pull requests (factory.author.kind human, recorded by the webhook bridge for pull requests without a factory run id) are left out.';
const AUTHOR_KIND_NOTE =
  'author_kind is factory.author.kind: agent for a factory run and human for a baseline pull request, both recorded by the webhook bridge (factory-telemetry bridge), which records a pull request without a factory run id as a human baseline with the complexity from its complexity label or its lines changed. Runs recorded through the SDK without the bridge have no factory.author.kind and show as "not set"; they are factory runs. Human rows appear only where the bridge receives the repository\'s pull request webhooks.';

/** Median cycle time by author kind and complexity, with "not set" for runs without factory.author.kind. */
const AUTHOR_KIND_P50 =
  'label_replace(author_kind_complexity:factory_cycle_time_seconds:p50_7d, "author_kind", "not set", "author_kind", "")';
/** Merged pull requests behind each median: the +Inf bucket counts every observation. */
const AUTHOR_KIND_MERGED =
  'label_replace(sum by (author_kind, complexity) (author_kind_complexity_le:factory_cycle_time_seconds_bucket:increase_7d{le="+Inf"}), "author_kind", "not set", "author_kind", "") > 0';

function percentilePanel(title: string, p50: string, p90: string, sample: string, definition: string): TimeseriesPanelBuilder {
  return timeseriesPanel(
    title,
    `Recording rules ${p50} and ${p90} on the left axis, and the sample size ${sample} on the right axis. ${definition} ${HISTOGRAM_NOTE} ${WINDOW_NOTE} ${NO_LABELS_NOTE}`,
    12,
  )
    .unit('s')
    .withTarget(promQuery('A', p50, 'p50'))
    .withTarget(promQuery('B', p90, 'p90'))
    .withTarget(promQuery('C', sample, 'sample size'))
    .overrideByName('sample size', [
      { id: 'unit', value: 'short' },
      { id: 'decimals', value: 0 },
      { id: 'custom.axisPlacement', value: AxisPlacement.Right },
      { id: 'custom.axisLabel', value: 'runs' },
    ]);
}

/**
 * One-shot success on the left axis (0 to 1) against a duration percentile on the
 * right axis. If success falls while the duration rises, the slower stage is where
 * the failed runs now wait.
 */
function successAgainstPanel(title: string, rule: string, label: string, definition: string): TimeseriesPanelBuilder {
  return timeseriesPanel(
    title,
    `Recording rule factory:one_shot_success:ratio_7d (left axis, 0 to 1) against recording rule ${rule} (right axis, seconds). ${ONE_SHOT_RULE} ${definition} A drop in one-shot success that comes with a longer ${label} points to runs that pass only after rework in that stage. ${WINDOW_NOTE} ${NO_LABELS_NOTE}`,
    12,
  )
    .unit('percentunit')
    .min(0)
    .max(1)
    .decimals(1)
    .withTarget(promQuery('A', 'factory:one_shot_success:ratio_7d', 'One-shot success'))
    .withTarget(promQuery('B', rule, `${label} p50`))
    .overrideByName(`${label} p50`, [
      { id: 'unit', value: 's' },
      { id: 'min', value: 0 },
      { id: 'max', value: null },
      { id: 'custom.axisPlacement', value: AxisPlacement.Right },
    ]);
}

/**
 * Builds a panel of one stage's p90 span duration from the raw histogram, with
 * exemplars, so that a point links to the trace of a slow run.
 */
function exemplarPanel(title: string, selector: string, definition: string): TimeseriesPanelBuilder {
  const expr = `histogram_quantile(0.9, sum by (le) (increase(factory_span_duration_seconds_bucket{${selector}}[1d])))`;
  return timeseriesPanel(
    title,
    `histogram_quantile(0.9) over increase(factory_span_duration_seconds_bucket{${selector}}[1d]): the 90th percentile of the spans that ended in the day before each point, read from the raw span_metrics histogram so that Grafana can draw its exemplars. Each exemplar carries the trace_id of one span and opens that run in Tempo. ${definition} ${HISTOGRAM_NOTE} Over 1 day instead of 7 it reacts faster than the recording rules above and is noisier. The raw histogram does carry the model, complexity, repository and team labels, but this board has no variables for them because its other panels read rules that keep only le; use Explore to filter exemplars by those labels.`,
    12,
  )
    .unit('s')
    .withTarget(promQuery('A', expr, 'p90, trailing day').exemplar(true));
}

/** Agent against human pull requests: median cycle time by author kind and complexity. */
function addAuthorKindRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('Cycle time by author kind and complexity'));
  builder.withPanel(
    timeseriesPanel(
      'Cycle time p50 by author kind and complexity',
      `Recording rule author_kind_complexity:factory_cycle_time_seconds:p50_7d: the median cycle time of the pull requests merged in the 7 days before each point, one line per author kind and complexity, so that agent and human pull requests of the same complexity can be compared on review time. Unlike the factory-wide cycle time, it includes the human baseline pull requests. ${AUTHOR_KIND_NOTE} ${CYCLE_TIME_DEFINITION} ${HISTOGRAM_NOTE} A slice with no merged pull request in the window has no value.`,
      12,
    )
      .unit('s')
      .withTarget(promQuery('A', AUTHOR_KIND_P50, '{{author_kind}} {{complexity}}')),
  );
  builder.withPanel(
    new TablePanelBuilder()
      .title('Cycle time by author kind and complexity, now')
      .description(
        `One row per author kind and complexity: the median cycle time over the trailing 7 days, author_kind_complexity:factory_cycle_time_seconds:p50_7d, and the merged pull requests behind it, the le="+Inf" bucket of author_kind_complexity_le:factory_cycle_time_seconds_bucket:increase_7d. A median from a handful of pull requests says little. ${AUTHOR_KIND_NOTE} ${HISTOGRAM_NOTE}`,
      )
      .datasource(PROMETHEUS_DATASOURCE)
      .span(12)
      .height(8)
      .withTarget(instantTableQuery('A', AUTHOR_KIND_P50))
      .withTarget(instantTableQuery('B', AUTHOR_KIND_MERGED))
      .withTransformation({ id: 'merge', options: {} })
      .withTransformation({
        id: 'organize',
        options: {
          excludeByName: { Time: true },
          indexByName: { author_kind: 0, complexity: 1, 'Value #A': 2, 'Value #B': 3 },
          renameByName: { author_kind: 'Author kind', complexity: 'Complexity', 'Value #A': 'Cycle time p50', 'Value #B': 'Merged pull requests' },
        },
      })
      .overrideByName('Cycle time p50', [{ id: 'unit', value: 's' }, { id: 'decimals', value: 1 }])
      .overrideByName('Merged pull requests', [{ id: 'decimals', value: 0 }]),
  );
}

/** Adds a row with the rules of FactoryHiddenBottleneck, one line per team. */
function addTeamRow(builder: DashboardBuilder): void {
  const byTeam = (rule: string) => `label_replace(${rule}, "team", "not set", "team", "")`;
  builder.withRow(new RowBuilder('By team'));
  builder.withPanel(
    timeseriesPanel(
      'One-shot success by team',
      `Recording rule team:factory_one_shot_success:ratio_7d: the one-shot share of the runs resolved in the 7 days before each point, per team. ${ONE_SHOT_RULE} ${TEAM_NOTE}`,
      8,
    )
      .unit('percentunit')
      .min(0)
      .max(1)
      .decimals(1)
      .withTarget(promQuery('A', byTeam('team:factory_one_shot_success:ratio_7d'), '{{team}}')),
  );
  builder.withPanel(
    timeseriesPanel(
      'Cycle time p50 by team',
      `Recording rule team:factory_cycle_time_seconds:p50_7d: the median cycle time of each team's pull requests merged in the 7 days before each point. A team whose reviews slow down can stay hidden in the factory-wide median when other teams merge more. ${CYCLE_TIME_DEFINITION} ${HUMAN_EXCLUDED_NOTE} ${HISTOGRAM_NOTE} ${TEAM_NOTE}`,
      8,
    )
      .unit('s')
      .withTarget(promQuery('A', byTeam('team:factory_cycle_time_seconds:p50_7d'), '{{team}}')),
  );
  builder.withPanel(
    timeseriesPanel(
      'MLTC p50 by team',
      `Recording rule team:factory_mltc_seconds:p50_7d: the median MLTC of each team's successful production deployments in the 7 days before each point. ${MLTC_DEFINITION} ${HUMAN_EXCLUDED_NOTE} ${HISTOGRAM_NOTE} ${TEAM_NOTE}`,
      8,
    )
      .unit('s')
      .withTarget(promQuery('A', byTeam('team:factory_mltc_seconds:p50_7d'), '{{team}}')),
  );
}

export function buildDeliveryDashboard(): Dashboard {
  const builder = new DashboardBuilder('Factory delivery')
    .uid(DELIVERY_DASHBOARD_UID)
    .description('Cycle time and MLTC of AI coding runs over time, and one-shot success beside them.')
    .tags(['factory-telemetry'])
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-30d', to: 'now' })
    .refresh('5m')
    .timezone('browser');

  builder.withRow(new RowBuilder('Delivery times, trailing 7 days at each point'));
  builder.withPanel(
    percentilePanel(
      'Cycle time p50 and p90',
      'factory:cycle_time_seconds:p50_7d',
      'factory:cycle_time_seconds:p90_7d',
      'factory:reviews_merged:increase_7d',
      `${CYCLE_TIME_DEFINITION} ${HUMAN_EXCLUDED_NOTE}`,
    ),
  );
  builder.withPanel(
    percentilePanel(
      'MLTC p50 and p90',
      'factory:mltc_seconds:p50_7d',
      'factory:mltc_seconds:p90_7d',
      'factory:deployments_succeeded:increase_7d',
      `${MLTC_DEFINITION} ${HUMAN_EXCLUDED_NOTE}`,
    ),
  );

  addTeamRow(builder);

  addAuthorKindRow(builder);

  builder.withRow(new RowBuilder('One-shot success against delivery times'));
  builder.withPanel(
    successAgainstPanel('One-shot success and cycle time', 'factory:cycle_time_seconds:p50_7d', 'Cycle time', CYCLE_TIME_DEFINITION),
  );
  builder.withPanel(successAgainstPanel('One-shot success and MLTC', 'factory:mltc_seconds:p50_7d', 'MLTC', MLTC_DEFINITION));

  builder.withRow(new RowBuilder('Slow runs, with traces'));
  builder.withPanel(exemplarPanel(
      'Cycle time p90 with exemplars',
      'span_name="factory.review", vcs_change_state="merged", factory_author_kind!="human"',
      `${CYCLE_TIME_DEFINITION} ${HUMAN_EXCLUDED_NOTE}`,
    ));
  builder.withPanel(
    exemplarPanel(
      'MLTC p90 with exemplars',
      'span_name="factory.deployment", deployment_environment_name="production", status_code!="STATUS_CODE_ERROR", factory_author_kind!="human"',
      `${MLTC_DEFINITION} ${HUMAN_EXCLUDED_NOTE}`,
    ),
  );

  return assignPanelIds(builder.build());
}

export function renderDeliveryJson(): string {
  return renderDashboardJson(buildDeliveryDashboard());
}
