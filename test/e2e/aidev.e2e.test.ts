// Imports the AIDev pull requests of four coding agents as history into the local
// stack. Then it checks each agent's merged share and median cycle time in
// Prometheus against figures computed here from the CSV files, by code that
// shares nothing with the importer but the CSV parser.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { queryInstant } from '../../cli/prometheus.js';
import { isCi } from './ci.js';
import { CLI, startTestStack } from './stack.js';

const REPO = join(import.meta.dirname, '..', '..');

// Real pull requests of coding agents, read from a data folder beside the
// repository, which a user's clone does not have. CI has it, and there a missing
// folder fails. FACTORY_AIDEV_DIR points a checkout elsewhere at the same folder.
const AIDEV_DIR = process.env.FACTORY_AIDEV_DIR ?? join(REPO, '..', 'shared', 'data', 'aidev_pop');
const haveData = existsSync(AIDEV_DIR);
if (!haveData && isCi()) throw new Error(`missing ${AIDEV_DIR}; CI must run the AIDev end-to-end test`);
if (!haveData) console.warn(`skipping the AIDev end-to-end test: ${AIDEV_DIR} is absent (it ships beside the repository, not in it; set FACTORY_AIDEV_DIR to its path)`);

const AGENTS = { Claude_Code: 'Claude Code', Copilot: 'Copilot', Cursor: 'Cursor', OpenAI_Codex: 'OpenAI Codex' } as const;
// A history reaches 12 weeks back from its last event (late June 2025), so the
// few older pull requests of Claude Code and Cursor are left out on both sides.
const SINCE = '2025-04-05T00:00:00Z';
// The assertions read whole-history totals, which a daily step leaves unchanged
// while writing a 24th of the samples of the default hourly step.
const STEP = '1d';
// Wide enough to cover the whole moved history at the time of the query.
const RANGE = '13w';

interface Expected {
  resolved: number;
  merged: number;
  /** Cycle times of resolved pull requests, in seconds. */
  durations: number[];
  /** Resolved pull requests with two or more copilot_work_started events. */
  multiSession: number;
}

describe.skipIf(!haveData)('AIDev import through the history path into Prometheus', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let prometheusUrl: string;
  let output: { stdout: string; stderr: string };
  const expected = haveData ? expectedFromCsv() : new Map<string, Expected>();
  const buckets = reviewBuckets();

  beforeAll(async () => {
    stack = await startTestStack('aidev');
    prometheusUrl = stack.info.prometheusUrl;
    output = await promisify(execFile)(process.execPath, [CLI, 'import', 'aidev', AIDEV_DIR, '--history', '--since', SINCE, '--step', STEP], {
      env: { ...process.env, FACTORY_STACK_DIR: stack.info.stateDir },
      maxBuffer: 64 * 1024 * 1024,
    });
    process.stderr.write(`[import aidev] ${output.stdout}`);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('accepts every pull request row', () => {
    expect(output.stderr).not.toMatch(/^skipped /m);
    expect(output.stderr).not.toContain('warning:');
    expect(output.stdout).not.toContain('warning:');
    expect(output.stdout).toContain('durations are unchanged');
  });

  it('gives each agent its merged share', async () => {
    const samples = await queryInstant(
      prometheusUrl,
      `sum by (gen_ai_agent_name, factory_outcome_status) (last_over_time(factory_span_calls_total{span_name="factory.outcome"}[${RANGE}]))`,
    );
    for (const [agent, want] of expected) {
      const count = (status: string) => samples.find((s) => s.labels.gen_ai_agent_name === agent && s.labels.factory_outcome_status === status)?.value ?? 0;
      const merged = count('merged');
      const resolved = merged + count('closed');
      expect(resolved, `${agent} resolved`).toBe(want.resolved);
      expect(merged, `${agent} merged`).toBe(want.merged);
      expect((merged / resolved).toFixed(4), `${agent} merged share`).toBe((want.merged / want.resolved).toFixed(4));
    }
  });

  it('gives each agent its median cycle time', async () => {
    for (const [agent, want] of expected) {
      const [sample] = await queryInstant(
        prometheusUrl,
        `histogram_quantile(0.5, sum by (le) (last_over_time(factory_span_duration_seconds_bucket{span_name="factory.review", gen_ai_agent_name="${agent}"}[${RANGE}])))`,
      );
      const fromCsv = interpolatedQuantile(0.5, want.durations, buckets);
      expect(sample?.value.toFixed(3), `${agent} interpolated median`).toBe(fromCsv.toFixed(3));
      expect(bucketOf(sample!.value, buckets), `${agent} bucket of the exact median`).toBe(bucketOf(exactMedian(want.durations), buckets));
    }
  });

  it('counts Copilot runs with several sessions as multi-attempt', async () => {
    const want = expected.get('Copilot')!;
    expect(want.multiSession).toBeGreaterThan(0);
    const selector = `gen_ai_agent_name="Copilot"`;
    const [total] = await queryInstant(prometheusUrl, `sum(sum_over_time(factory_run_attempts_count{${selector}}[${RANGE}]))`);
    const [single] = await queryInstant(prometheusUrl, `sum(sum_over_time(factory_run_attempts_bucket{${selector}, le=~"1(\\\\.0)?"}[${RANGE}]))`);
    expect(total?.value).toBe(want.resolved);
    expect(total!.value - single!.value).toBe(want.multiSession);
  });

  it('keeps agent runs apart from human ones', async () => {
    const samples = await queryInstant(prometheusUrl, `count by (factory_author_kind) (last_over_time(factory_span_calls_total{span_name="factory.review"}[${RANGE}]))`);
    expect(samples.map((s) => s.labels.factory_author_kind)).toEqual(['agent']);
  });
});

// Reads each agent's pull requests and timelines and computes the expected figures.
function expectedFromCsv(): Map<string, Expected> {
  const sinceMs = Date.parse(SINCE);
  const result = new Map<string, Expected>();
  for (const [folder, agent] of Object.entries(AGENTS)) {
    const dir = join(AIDEV_DIR, folder);
    const prsFile = existsSync(join(dir, 'prs.csv')) ? 'prs.csv' : 'prs_no_body.csv';
    const prs = parse(readFileSync(join(dir, prsFile), 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    const timeline = parse(readFileSync(join(dir, 'pr_timelines.csv'), 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    const starts = new Map<string, number>();
    for (const row of timeline) if (row.event === 'copilot_work_started') starts.set(row.pr_id!, (starts.get(row.pr_id!) ?? 0) + 1);

    const entry: Expected = { resolved: 0, merged: 0, durations: [], multiSession: 0 };
    for (const pr of prs) {
      if (Date.parse(pr.created_at!) < sinceMs) continue;
      const end = pr.merged_at || pr.closed_at;
      if (!end) continue;
      entry.resolved += 1;
      if (pr.merged_at) entry.merged += 1;
      entry.durations.push((Date.parse(end) - Date.parse(pr.created_at!)) / 1000);
      if ((starts.get(pr.id!) ?? 0) >= 2) entry.multiSession += 1;
    }
    result.set(agent, entry);
  }
  return result;
}

// The span_metrics histogram bounds of collector/config.yaml, in seconds.
function reviewBuckets(): number[] {
  const config = parseYaml(readFileSync(join(REPO, 'collector', 'config.yaml'), 'utf8'));
  return (config.connectors.span_metrics.histogram.explicit.buckets as string[]).map((bound) => {
    const match = /^(\d+)s$/.exec(bound);
    if (match === null) throw new Error(`bucket ${bound} is not in seconds; extend reviewBuckets`);
    return Number(match[1]);
  });
}

// Prometheus's histogram_quantile on cumulative buckets: linear interpolation
// inside the bucket that contains rank q·n, from 0 for the first bucket. A rank in
// the +Inf bucket gives the highest finite bound.
function interpolatedQuantile(q: number, values: number[], bounds: number[]): number {
  const cumulative = bounds.map((bound) => values.filter((value) => value <= bound).length);
  const rank = q * values.length;
  const index = cumulative.findIndex((count) => count >= rank);
  if (index === -1) return bounds[bounds.length - 1]!;
  const lower = index === 0 ? 0 : bounds[index - 1]!;
  const below = index === 0 ? 0 : cumulative[index - 1]!;
  return lower + ((bounds[index]! - lower) * (rank - below)) / (cumulative[index]! - below);
}

function exactMedian(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// Index of the bucket whose range (previous bound, bound] contains the value.
function bucketOf(value: number, bounds: number[]): number {
  const index = bounds.findIndex((bound) => value <= bound);
  return index === -1 ? bounds.length : index;
}
