/**
 * The "Factory experiments" dashboard: one-shot and autonomous success of each arm of
 * an experiment over the trailing 14 days, with 95% Wilson intervals, the difference
 * from a baseline arm, the runs and share of each arm, a "not enough runs yet" state,
 * a sample-ratio-mismatch check and the arms by complexity.
 *
 * Every query reads the experiment_arm, experiment_arm_complexity and experiment rules
 * of prometheus/rules/factory-experiments.rules.yml. They keep no model label, so the
 * board has no model variable.
 */
import { BarGaugeDisplayMode, BigValueColorMode, BigValueGraphMode, BigValueTextMode } from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as BarGaugePanelBuilder } from '@grafana/grafana-foundation-sdk/bargauge';
import {
  DashboardBuilder,
  DashboardCursorSync,
  MappingType,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';

import { AUTONOMOUS_RULE, ONE_SHOT_RULE, RESOLVED_RUN } from './definitions.js';
import {
  PROMETHEUS_DATASOURCE,
  assignPanelIds,
  instantQuery,
  instantTableQuery,
  labelVariable,
  neutralThresholds,
  ratioTimeseries,
  renderDashboardJson,
  statPanel,
  promQuery,
} from './shared.js';

export const EXPERIMENTS_DASHBOARD_UID = 'factory-experiments';

/**
 * Resolved runs an arm needs before its numbers are shown as a result. With 100
 * runs and a success rate near 50%, the 95% Wilson interval is about ±10
 * percentage points wide, the coarsest that still separates most arms worth testing.
 */
export const MIN_RUNS_PER_ARM = 100;

const ARM_SELECTOR = 'experiment=~"$experiment"';
const COMPLEXITY_SELECTOR = 'experiment=~"$experiment", complexity=~"$complexity"';

const RESOLVED = `experiment_arm:factory_runs_resolved:increase_14d{${ARM_SELECTOR}}`;

const RULES_NOTE =
  'The experiment_arm rules count factory.outcome spans that ended in the trailing 14 days and carry factory.experiment.name and factory.experiment.arm (labels experiment and arm), with the exact anchored increase() of the other recording rules. They keep no model label, so no model variable applies.';
const WILSON_NOTE =
  'Each 95% Wilson score interval is (x + z²/2 ± z·sqrt(x(n - x)/n + z²/4)) / (n + z²) for x successes in n resolved runs, z = 1.959964, as recorded by the rules.';
const SPLIT_NOTE =
  'The check assumes that the experiment planned an equal split between the arms that have runs in the window. For an unequal planned split, such as 70:30, the flag is wrong: test the split with `factory-telemetry experiment --split` and the planned weights.';

const PERCENT = [
  { id: 'unit', value: 'percentunit' },
  { id: 'decimals', value: 1 },
  { id: 'min', value: 0 },
  { id: 'max', value: 1 },
];

/**
 * Builds a table of instant queries merged into one row per label set, with the labels
 * first and each query as a named column. Columns whose name ends in "success" or
 * "bound" show percentages, the others whole runs.
 */
function mergedTable(title: string, description: string, labels: [string, string][], columns: [string, string][]): TablePanelBuilder {
  const refIds = columns.map((_column, index) => String.fromCharCode(65 + index));
  let table = new TablePanelBuilder()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS_DATASOURCE)
    .span(24)
    .height(8)
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true },
        indexByName: Object.fromEntries([
          ...labels.map(([label], index) => [label, index]),
          ...refIds.map((refId, index) => [`Value #${refId}`, index + labels.length]),
        ]),
        renameByName: Object.fromEntries([...labels, ...columns.map(([name], index) => [`Value #${refIds[index]}`, name])]),
      },
    });
  columns.forEach(([name, expr], index) => {
    table = table.withTarget(instantTableQuery(refIds[index]!, expr));
    table = /(success|bound)$/.test(name) ? table.overrideByName(name, PERCENT) : table.overrideByName(name, [{ id: 'decimals', value: 0 }]);
  });
  return table;
}

function armTable(): TablePanelBuilder {
  const rule = (name: string) => `experiment_arm:${name}{${ARM_SELECTOR}}`;
  return mergedTable(
    'Arms, trailing 14 days',
    `One row per experiment arm: recording rules experiment_arm:factory_runs_resolved:increase_14d (resolved runs), experiment_arm:factory_one_shot_success:ratio_14d and experiment_arm:factory_autonomous_success:ratio_14d, each with its bounds from experiment_arm:factory_one_shot_success:wilson_lower95_14d, experiment_arm:factory_one_shot_success:wilson_upper95_14d, experiment_arm:factory_autonomous_success:wilson_lower95_14d and experiment_arm:factory_autonomous_success:wilson_upper95_14d. ${RULES_NOTE} ${WILSON_NOTE} ${ONE_SHOT_RULE} ${AUTONOMOUS_RULE} ${RESOLVED_RUN}`,
    [
      ['experiment', 'Experiment'],
      ['arm', 'Arm'],
    ],
    [
      ['Resolved runs', RESOLVED],
      ['One-shot success', rule('factory_one_shot_success:ratio_14d')],
      ['One-shot lower bound', rule('factory_one_shot_success:wilson_lower95_14d')],
      ['One-shot upper bound', rule('factory_one_shot_success:wilson_upper95_14d')],
      ['Autonomous success', rule('factory_autonomous_success:ratio_14d')],
      ['Autonomous lower bound', rule('factory_autonomous_success:wilson_lower95_14d')],
      ['Autonomous upper bound', rule('factory_autonomous_success:wilson_upper95_14d')],
    ],
  );
}

function notEnoughRunsStat() {
  return statPanel(
    'Runs per arm',
    `Recording rule experiment_arm:factory_runs_resolved:increase_14d: resolved runs of each arm over the trailing 14 days. ${RULES_NOTE} The panel reads "Not enough runs yet" and turns orange while an arm has fewer than ${MIN_RUNS_PER_ARM} resolved runs: with 100 runs and a success rate near 50% the 95% interval is still about ±10 percentage points, so smaller differences between arms are noise.`,
  )
    .span(8)
    .height(6)
    .unit('short')
    .decimals(0)
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Background)
    .textMode(BigValueTextMode.ValueAndName)
    .thresholds(
      new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
        { value: null, color: 'orange' },
        { value: MIN_RUNS_PER_ARM, color: 'green' },
      ]),
    )
    .mappings([
      {
        type: MappingType.RangeToText,
        options: { from: 0, to: MIN_RUNS_PER_ARM - 0.001, result: { text: 'Not enough runs yet', color: 'orange', index: 0 } },
      },
    ])
    .withTarget(instantQuery('A', RESOLVED, '{{experiment}} {{arm}}'));
}

function sampleRatioGauge(): BarGaugePanelBuilder {
  return new BarGaugePanelBuilder()
    .title('Sample ratio: arm share of runs')
    .description(
      `Each arm's resolved runs, experiment_arm:factory_runs_resolved:increase_14d, divided by all resolved runs of its experiment, experiment:factory_runs_resolved:increase_14d, over the trailing 14 days. ${RULES_NOTE} Compare the shares with the split the experiment was designed for: a clear mismatch (sample ratio mismatch) means that the assignment or the telemetry loses runs of one arm, and the success numbers of the arms are then not comparable.`,
    )
    .datasource(PROMETHEUS_DATASOURCE)
    .span(8)
    .height(6)
    .unit('percentunit')
    .min(0)
    .max(1)
    .decimals(1)
    .displayMode(BarGaugeDisplayMode.Basic)
    .thresholds(neutralThresholds())
    .withTarget(
      instantQuery(
        'A',
        `${RESOLVED} / on (experiment) group_left () experiment:factory_runs_resolved:increase_14d{${ARM_SELECTOR}}`,
        '{{experiment}} {{arm}}',
      ),
    );
}

/**
 * Builds a stat of the sample-ratio-mismatch flag, red at 1, with the chi-square
 * statistic beside it. An override keeps the flag's colours and value texts off the
 * statistic.
 */
function sampleRatioMismatchStat() {
  return statPanel(
    'Sample ratio mismatch',
    `Recording rule experiment:factory_arm_split_mismatch:flag_14d: 1 (red, "Mismatch") when Pearson's chi-square test rejects an equal split of the resolved runs between the arms at p < 0.001, 0 ("Equal split") otherwise, per experiment over the trailing 14 days. Beside it, the statistic experiment:factory_arm_split:chi_square_14d, Σ (n_arm - N/k)² / (N/k) for N runs over k arms with k - 1 degrees of freedom; the flag is 1 when it exceeds qchisq(0.999, k - 1), for example 10.83 with 2 arms. ${SPLIT_NOTE} A mismatch means that assignment to arms or recording of runs is broken, and no comparison of the arms can be trusted until the cause is found. No value for an experiment with fewer than 2 arms or no resolved run, and no flag with more than 6 arms.`,
  )
    .span(8)
    .height(6)
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Background)
    .textMode(BigValueTextMode.ValueAndName)
    .thresholds(
      new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
        { value: null, color: 'green' },
        { value: 1, color: 'red' },
      ]),
    )
    .mappings([
      {
        type: MappingType.ValueToText,
        options: {
          '0': { text: 'Equal split', color: 'green', index: 0 },
          '1': { text: 'Mismatch', color: 'red', index: 1 },
        },
      },
    ])
    .withTarget(instantQuery('A', `experiment:factory_arm_split_mismatch:flag_14d{${ARM_SELECTOR}}`, '{{experiment}} mismatch'))
    .withTarget(instantQuery('B', `experiment:factory_arm_split:chi_square_14d{${ARM_SELECTOR}}`, '{{experiment}} chi-square'))
    .withOverride({
      matcher: { id: 'byRegexp', options: '.* chi-square$' },
      properties: [
        { id: 'decimals', value: 2 },
        { id: 'mappings', value: [] },
        { id: 'color', value: { mode: 'fixed', fixedColor: 'text' } },
      ],
    });
}

function differencePanel(kind: 'one_shot' | 'autonomous', title: string, definition: string) {
  const rule = `experiment_arm:factory_${kind}_success:ratio_14d`;
  return ratioTimeseries(
    title,
    `Recording rule ${rule} of each arm minus that of the baseline arm chosen in the baseline variable, over the 14 days before each point; the baseline itself is the 0 line. ${definition} ${RULES_NOTE} No interval is drawn for the difference: if the arms' intervals in the table overlap, the difference is not yet clear. \`factory-telemetry experiment\` computes the difference with its interval and p-value.`,
    12,
  )
    .min(-1)
    .withTarget(
      promQuery(
        'A',
        `${rule}{${ARM_SELECTOR}} - on (experiment) group_left () ${rule}{${ARM_SELECTOR}, arm=~"$baseline"}`,
        '{{experiment}} {{arm}}',
      ),
    );
}

function complexityTable(): TablePanelBuilder {
  const rule = (name: string) => `experiment_arm_complexity:${name}{${COMPLEXITY_SELECTOR}}`;
  const resolved = rule('factory_runs_resolved:increase_14d');
  return mergedTable(
    'Arms by complexity, trailing 14 days',
    `One row per experiment arm and task complexity: recording rule experiment_arm_complexity:factory_runs_resolved:increase_14d (resolved runs), and one-shot and autonomous success computed in the query as experiment_arm_complexity:factory_runs_one_shot:increase_14d and experiment_arm_complexity:factory_runs_autonomous:increase_14d divided by the resolved runs (no value without resolved runs). A run recorded without factory.task.complexity has an empty complexity. An arm that got more complex tasks than another can look worse for that reason alone; compare arms within one complexity, or use the stratified (Cochran-Mantel-Haenszel) analysis of \`factory-telemetry experiment\`, which reads these counts. The slices are small, so no intervals are shown. ${RULES_NOTE} ${ONE_SHOT_RULE} ${AUTONOMOUS_RULE}`,
    [
      ['experiment', 'Experiment'],
      ['arm', 'Arm'],
      ['complexity', 'Complexity'],
    ],
    [
      ['Resolved runs', resolved],
      ['One-shot success', `${rule('factory_runs_one_shot:increase_14d')} / (${resolved} > 0)`],
      ['Autonomous success', `${rule('factory_runs_autonomous:increase_14d')} / (${resolved} > 0)`],
    ],
  ).height(10);
}

export function buildExperimentsDashboard(): Dashboard {
  const arms = 'experiment_arm:factory_runs_resolved:increase_14d';
  const builder = new DashboardBuilder('Factory experiments')
    .uid(EXPERIMENTS_DASHBOARD_UID)
    .description('One-shot and autonomous success of each experiment arm over 14 days with 95% Wilson intervals, sample sizes, sample-ratio check and complexity.')
    .tags(['factory-telemetry'])
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-14d', to: 'now' })
    .refresh('5m')
    .timezone('browser')
    .withVariable(labelVariable('experiment', 'experiment', arms, 'factory.experiment.name of the runs, from the labels of the per-arm resolved-run recording rule.'))
    .withVariable(
      labelVariable(
        'baseline',
        'arm',
        `${arms}{${ARM_SELECTOR}}`,
        'The arm the difference panels subtract from every arm. Choose one arm of one experiment.',
      )
        .multi(false)
        .includeAll(false)
        .current({ selected: false, text: '', value: '' }),
    )
    .withVariable(
      labelVariable(
        'complexity',
        'complexity',
        `experiment_arm_complexity:factory_runs_resolved:increase_14d{${ARM_SELECTOR}}`,
        'factory.task.complexity of the runs, limited to the selected experiments. Applies only to the table by complexity.',
      ),
    );

  builder.withRow(new RowBuilder('Arms, trailing 14 days'));
  builder.withPanel(armTable());
  builder.withPanel(notEnoughRunsStat());
  builder.withPanel(sampleRatioGauge());
  builder.withPanel(sampleRatioMismatchStat());

  builder.withRow(new RowBuilder('Difference from the baseline arm'));
  builder.withPanel(differencePanel('one_shot', 'One-shot success, difference from baseline', ONE_SHOT_RULE));
  builder.withPanel(differencePanel('autonomous', 'Autonomous success, difference from baseline', AUTONOMOUS_RULE));

  builder.withRow(new RowBuilder('Arms by complexity'));
  builder.withPanel(complexityTable());

  return assignPanelIds(builder.build());
}

export function renderExperimentsJson(): string {
  return renderDashboardJson(buildExperimentsDashboard());
}
