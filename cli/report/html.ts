/**
 * Renders the analysis as one self-contained HTML page: inline CSS and SVG, no
 * scripts, no fonts or images from elsewhere, so that the file can be mailed,
 * attached to a ticket or opened offline. The caller computes every number, and this
 * module only draws them.
 */

export interface HtmlReportData {
  title: string;
  /** Origin of the runs, e.g. "embedded store factory.jsonl" or a Prometheus address. */
  source: string;
  generatedAt: Date;
  /** Funnel stages in order, with the runs that reached each one. */
  funnel: Array<{ stage: string; runs: number }>;
  /** The four metrics over the whole period. Ratios are from 0 to 1, and durations are in seconds. */
  metrics: MetricSummary[];
  /** One point per week, oldest first. */
  weekly: WeeklyPoint[];
  experiments: ExperimentSummary[];
  /** Success of each model within each complexity. */
  models: Array<{ complexity: string; model: string } & Proportion>;
}

export interface MetricSummary {
  name: string;
  kind: 'ratio' | 'duration';
  value: number | undefined;
  /** 95% interval, where the metric has one. */
  lower?: number;
  upper?: number;
  /** Runs the value is computed from. */
  runs: number;
}

export interface WeeklyPoint {
  /** Monday of the week, as YYYY-MM-DD. */
  week: string;
  oneShot: Proportion | undefined;
  autonomous: Proportion | undefined;
  cycleTimeP50Seconds: number | undefined;
  mltcP50Seconds: number | undefined;
}

export interface Proportion {
  successes: number;
  total: number;
  rate: number;
  lower: number;
  upper: number;
}

export interface ExperimentSummary {
  name: string;
  arms: Array<{ arm: string } & Proportion>;
  /** The plain-language verdict, as the analysis worded it. */
  verdict: string;
}

/** Returns the whole page as a string. */
export function renderHtmlReport(data: HtmlReportData): string {
  const sections = [
    section('Funnel', 'Runs that reached each stage, and the share lost since the previous stage.', funnelChart(data.funnel)),
    section('The four metrics', 'Over the whole period, with 95% intervals where the metric has one.', metricTable(data.metrics)),
    section('Success by week', 'One-shot and eventual autonomous success, with 95% Wilson intervals.', ratioLineChart(data.weekly)),
    section('Cycle time and MLTC by week', 'Medians, in hours.', durationLineChart(data.weekly)),
    ...data.experiments.map((experiment) =>
      section(`Experiment ${experiment.name}`, experiment.verdict, intervalChart(experiment.arms.map((arm) => ({ label: arm.arm, ...arm })))),
    ),
    section('Models by complexity', 'One-shot success of each model within each complexity, with 95% Wilson intervals.', modelChart(data.models)),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(data.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escape(data.title)}</h1><p>Source: ${escape(data.source)}. Generated ${escape(data.generatedAt.toISOString())}.</p></header>
<main>
${sections.join('\n')}
</main>
</body>
</html>
`;
}

// Colour-blind-safe pair (Okabe–Ito blue and orange) and neutral greys.
const BLUE = '#0072b2';
const ORANGE = '#e69f00';
const GREY = '#6b7280';
const WIDTH = 720;

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 780px; padding: 1rem; color: #111827; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
section p.note { color: ${GREY}; margin-top: 0; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid #e5e7eb; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
svg { display: block; max-width: 100%; height: auto; } svg text { font-size: 12px; fill: #111827; }
p.empty { color: ${GREY}; font-style: italic; }
`;

function section(title: string, note: string, body: string): string {
  return `<section><h2>${escape(title)}</h2><p class="note">${escape(note)}</p>${body}</section>`;
}

function funnelChart(stages: HtmlReportData['funnel']): string {
  if (stages.length === 0) return empty();
  const max = Math.max(1, ...stages.map((stage) => stage.runs));
  const row = 28;
  const labelWidth = 200;
  const barSpace = WIDTH - labelWidth - 130;
  const bars = stages.map((stage, index) => {
    const y = index * row;
    const width = (stage.runs / max) * barSpace;
    const previous = index === 0 ? undefined : stages[index - 1]!.runs;
    const lost = previous === undefined || previous === 0 ? '' : ` (−${percent(1 - stage.runs / previous)})`;
    return `<text x="0" y="${y + 18}">${escape(stage.stage)}</text>
<rect x="${labelWidth}" y="${y + 4}" width="${width.toFixed(1)}" height="${row - 8}" fill="${BLUE}"><title>${escape(stage.stage)}: ${stage.runs} runs</title></rect>
<text x="${(labelWidth + width + 6).toFixed(1)}" y="${y + 18}">${stage.runs}${lost}</text>`;
  });
  return svg(stages.length * row, bars.join('\n'), 'Funnel: runs per stage');
}

function metricTable(metrics: MetricSummary[]): string {
  if (metrics.length === 0) return empty();
  const rows = metrics.map((metric) => {
    const format = metric.kind === 'ratio' ? percent : duration;
    const value = metric.value === undefined ? 'no data' : format(metric.value);
    const interval = metric.lower === undefined || metric.upper === undefined ? '' : `${format(metric.lower)} to ${format(metric.upper)}`;
    return `<tr><td>${escape(metric.name)}</td><td class="number">${value}</td><td class="number">${interval}</td><td class="number">${metric.runs}</td></tr>`;
  });
  return `<table><thead><tr><th>Metric</th><th>Value</th><th>95% interval</th><th>Runs</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

interface Series {
  name: string;
  colour: string;
  points: Array<{ value: number; lower?: number; upper?: number } | undefined>;
}

function ratioLineChart(weeks: WeeklyPoint[]): string {
  return lineChart(
    weeks.map((week) => week.week),
    [
      { name: 'One-shot success', colour: BLUE, points: weeks.map((week) => proportionPoint(week.oneShot)) },
      { name: 'Eventual autonomous success', colour: ORANGE, points: weeks.map((week) => proportionPoint(week.autonomous)) },
    ],
    { max: 1, format: percent },
  );
}

function durationLineChart(weeks: WeeklyPoint[]): string {
  const hours = (seconds: number | undefined) => (seconds === undefined ? undefined : { value: seconds / 3600 });
  const series = [
    { name: 'Cycle time p50 (h)', colour: BLUE, points: weeks.map((week) => hours(week.cycleTimeP50Seconds)) },
    { name: 'MLTC p50 (h)', colour: ORANGE, points: weeks.map((week) => hours(week.mltcP50Seconds)) },
  ];
  const max = Math.max(1, ...series.flatMap((line) => line.points.map((point) => point?.value ?? 0)));
  return lineChart(weeks.map((week) => week.week), series, { max: max * 1.1, format: (value) => `${value.toFixed(0)} h` });
}

function proportionPoint(proportion: Proportion | undefined): Series['points'][number] {
  if (proportion === undefined || proportion.total === 0) return undefined;
  return { value: proportion.rate, lower: proportion.lower, upper: proportion.upper };
}

// A week with no data leaves a gap in its line rather than a false zero.
function lineChart(labels: string[], series: Series[], axis: { max: number; format: (value: number) => string }): string {
  if (labels.length === 0) return empty();
  const height = 220;
  const left = 56;
  const bottom = 24;
  const plotWidth = WIDTH - left - 30;
  const plotHeight = height - bottom - 10;
  const x = (index: number) => left + (labels.length === 1 ? plotWidth / 2 : (index / (labels.length - 1)) * plotWidth);
  const y = (value: number) => 10 + plotHeight - (Math.min(value, axis.max) / axis.max) * plotHeight;

  const grid = [0, 0.25, 0.5, 0.75, 1].map((share) => {
    const value = share * axis.max;
    return `<line x1="${left}" x2="${left + plotWidth}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="#e5e7eb"/><text x="${left - 6}" y="${(y(value) + 4).toFixed(1)}" text-anchor="end">${escape(axis.format(value))}</text>`;
  });
  const step = Math.max(1, Math.ceil(labels.length / 8));
  const ticks = labels.map((label, index) => (index % step === 0 ? `<text x="${x(index).toFixed(1)}" y="${height - 6}" text-anchor="middle">${escape(label.slice(5))}</text>` : ''));

  const drawn = series.map((line) => {
    const bands = line.points.map((point, index) =>
      point?.lower === undefined || point.upper === undefined
        ? ''
        : `<line x1="${x(index).toFixed(1)}" x2="${x(index).toFixed(1)}" y1="${y(point.lower).toFixed(1)}" y2="${y(point.upper).toFixed(1)}" stroke="${line.colour}" stroke-opacity="0.35" stroke-width="6"/>`,
    );
    const segments: string[] = [];
    let current: string[] = [];
    line.points.forEach((point, index) => {
      if (point === undefined) {
        if (current.length > 0) segments.push(current.join(' '));
        current = [];
      } else current.push(`${x(index).toFixed(1)},${y(point.value).toFixed(1)}`);
    });
    if (current.length > 0) segments.push(current.join(' '));
    const paths = segments.map((points) => `<polyline points="${points}" fill="none" stroke="${line.colour}" stroke-width="2"/>`);
    const dots = line.points.map((point, index) =>
      point === undefined ? '' : `<circle cx="${x(index).toFixed(1)}" cy="${y(point.value).toFixed(1)}" r="3" fill="${line.colour}"><title>${escape(line.name)}, week of ${escape(labels[index]!)}: ${escape(axis.format(point.value))}</title></circle>`,
    );
    return [...bands, ...paths, ...dots].join('');
  });
  const legend = series.map((line, index) => `<rect x="${left + index * 260}" y="0" width="12" height="12" fill="${line.colour}"/><text x="${left + index * 260 + 18}" y="11">${escape(line.name)}</text>`);
  return `${svg(20, legend.join(''), 'Legend')}${svg(height, [...grid, ...ticks, ...drawn].join('\n'), series.map((line) => line.name).join(' and ') + ' by week')}`;
}

// A forest plot: one row per label, a dot at the rate and a line across its interval.
function intervalChart(rows: Array<{ label: string } & Proportion>): string {
  if (rows.length === 0) return empty();
  const row = 26;
  const labelWidth = 220;
  const plotWidth = WIDTH - labelWidth - 140;
  const x = (value: number) => labelWidth + value * plotWidth;
  const axis = [0, 0.25, 0.5, 0.75, 1].map(
    (value) => `<line x1="${x(value)}" x2="${x(value)}" y1="0" y2="${rows.length * row}" stroke="#e5e7eb"/><text x="${x(value)}" y="${rows.length * row + 14}" text-anchor="middle">${percent(value)}</text>`,
  );
  const drawn = rows.map((entry, index) => {
    const y = index * row + row / 2;
    const label = entry.label;
    return `<text x="0" y="${y + 4}">${escape(label)}</text>
<line x1="${x(entry.lower).toFixed(1)}" x2="${x(entry.upper).toFixed(1)}" y1="${y}" y2="${y}" stroke="${BLUE}" stroke-width="2"/>
<circle cx="${x(entry.rate).toFixed(1)}" cy="${y}" r="4" fill="${BLUE}"><title>${escape(label)}: ${percent(entry.rate)} (${percent(entry.lower)} to ${percent(entry.upper)}), ${entry.successes} of ${entry.total}</title></circle>
<text x="${WIDTH - 130}" y="${y + 4}">${percent(entry.rate)} of ${entry.total}</text>`;
  });
  return svg(rows.length * row + 20, [...axis, ...drawn].join('\n'), 'Rates with 95% intervals');
}

function modelChart(models: HtmlReportData['models']): string {
  const order = ['trivial', 'standard', 'complex', 'architectural'];
  const rank = (complexity: string) => (order.includes(complexity) ? order.indexOf(complexity) : order.length);
  const rows = [...models].sort((a, b) => rank(a.complexity) - rank(b.complexity) || a.complexity.localeCompare(b.complexity) || a.model.localeCompare(b.model));
  return intervalChart(rows.map(({ complexity, model, ...proportion }) => ({ label: `${complexity} · ${model}`, ...proportion })));
}

function svg(height: number, body: string, label: string): string {
  return `<svg viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${escape(label)}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;
}

function empty(): string {
  return '<p class="empty">No runs in this part of the data.</p>';
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function duration(seconds: number): string {
  if (seconds < 3600) return `${(seconds / 60).toFixed(0)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
