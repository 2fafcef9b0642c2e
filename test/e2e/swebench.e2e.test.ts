import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSwebenchCsv, resolvedShares } from '../../cli/import/swebench.js';
import { queryInstant, queryScalar, waitUntil } from '../../cli/prometheus.js';
import { isCi } from './ci.js';
import { CLI, SWEBENCH_CSV, startTestStack } from './stack.js';

// Real results of SWE-bench Verified, read from a data folder beside the
// repository, which a user's clone does not have. CI has it, and there a missing
// file fails the test instead of skipping it.
const haveData = existsSync(SWEBENCH_CSV);
if (!haveData && isCi()) throw new Error(`missing ${SWEBENCH_CSV}; CI must run the SWE-bench end-to-end test`);
if (!haveData) console.warn(`skipping the SWE-bench end-to-end test: ${SWEBENCH_CSV} is absent (it ships beside the repository, not in it)`);

const MODELS = ['claude-opus-4-5-20251101', 'gpt-5-mini-2025-08-07', 'Qwen2.5-Coder-32B-Instruct'];

describe.skipIf(!haveData)('SWE-bench import through the collector and Prometheus', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let prometheusUrl: string;
  const runs = haveData ? parseSwebenchCsv(readFileSync(SWEBENCH_CSV, 'utf8')).runs.filter((run) => MODELS.includes(run.model)) : [];
  const expected = [...resolvedShares(runs).values()];

  beforeAll(async () => {
    stack = await startTestStack('swebench');
    prometheusUrl = stack.info.prometheusUrl;

    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'import', 'swebench', SWEBENCH_CSV, '--models', MODELS.join(',')], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: stack.info.otlpHttpEndpoint },
    });
    expect(stdout).toContain(`imported ${runs.length} runs of 3 models`);
    expect(stderr).not.toContain('warning:');
    expect(stderr).not.toContain('skipped');

    const counted = await waitUntil(async () => (await queryScalar(prometheusUrl, 'factory:runs_resolved:increase_7d')) === runs.length, 120_000);
    expect(counted, `factory:runs_resolved:increase_7d never reached ${runs.length}`).toBe(true);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('imports every row of the chosen models', () => {
    expect(runs).toHaveLength(MODELS.length * 500);
  });

  it('accepts every row of the CSV', () => {
    const parsed = parseSwebenchCsv(readFileSync(SWEBENCH_CSV, 'utf8'));
    expect(parsed.rejected).toEqual([]);
    expect(parsed.runs).toHaveLength(parsed.rows);
  });

  it('counts resolved runs per model and complexity exactly', async () => {
    const samples = await queryInstant(prometheusUrl, 'model_complexity:factory_runs_resolved:increase_7d');
    const actual = Object.fromEntries(samples.map((s) => [`${s.labels.model}/${s.labels.complexity}`, s.value]));
    const totals = Object.fromEntries(expected.map((e) => [`${e.model}/${e.complexity}`, e.total]));
    expect(actual).toEqual(totals);
  });

  it('gives each model and complexity its exact one-shot share', async () => {
    const samples = await queryInstant(prometheusUrl, 'model_complexity:factory_one_shot_success:ratio_7d');
    const actual = Object.fromEntries(samples.map((s) => [`${s.labels.model}/${s.labels.complexity}`, s.value.toFixed(3)]));
    const shares = Object.fromEntries(expected.map((e) => [`${e.model}/${e.complexity}`, (e.resolved / e.total).toFixed(3)]));
    expect(actual).toEqual(shares);
  });

  it('gives autonomous success equal to one-shot for single attempts', async () => {
    const oneShot = await queryInstant(prometheusUrl, 'model:factory_one_shot_success:ratio_7d');
    const autonomous = await queryInstant(prometheusUrl, 'model:factory_autonomous_success:ratio_7d');
    const byModel = (samples: typeof oneShot) => Object.fromEntries(samples.map((s) => [s.labels.model, s.value.toFixed(3)]));
    expect(byModel(autonomous)).toEqual(byModel(oneShot));
    expect(Object.keys(byModel(oneShot)).sort()).toEqual([...MODELS].sort());
  });

  it('keeps the factory-wide ratio exact', async () => {
    const resolved = runs.filter((run) => run.resolved).length;
    const ratio = await queryScalar(prometheusUrl, 'factory:one_shot_success:ratio_7d');
    expect(ratio?.toFixed(3)).toBe((resolved / runs.length).toFixed(3));
  });

  it('puts no run id, PR number or SHA into any label', async () => {
    const response = await fetch(new URL('/api/v1/labels', prometheusUrl));
    const labels = ((await response.json()) as { data: string[] }).data;
    expect(labels).toContain('gen_ai_request_model');
    for (const forbidden of ['factory_run_id', 'vcs_change_id', 'vcs_ref_head_revision', 'trace_id', 'span_id']) {
      expect(labels).not.toContain(forbidden);
    }
  });
});
