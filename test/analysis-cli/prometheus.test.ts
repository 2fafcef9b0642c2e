import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runAnalysisCommand } from '../../cli/commands/analysis.js';
import { captureOutput } from '../cli/capture-output.js';
import { baseFactory, EXPERIMENT, writeRuns } from './fixture.js';

/**
 * The Prometheus path against a stub of the query API on 127.0.0.1 that
 * returns the rule vectors Prometheus holds for baseFactory(1), with the small
 * float errors of increase(). The same runs in a file must give the same answers.
 */

type Vector = Array<[Record<string, string>, number]>;

const arm = (name: string, complexity: string, experiment = EXPERIMENT): Record<string, string> => ({ experiment, arm: name, complexity });
const team = (name: string) => ({ team: name });
const repository = (name: string) => ({ repository: name });

const VECTORS: Record<string, Vector> = {
  'factory:runs_resolved:increase_7d': [[{}, 20.000001]],
  'factory:runs_merged:increase_7d': [[{}, 14]],
  'factory:runs_autonomous:increase_7d': [[{}, 12.999999]],
  'factory:runs_one_shot:increase_7d': [[{}, 11]],
  'factory:reviews_merged:increase_7d': [[{}, 14]],
  'factory:cycle_time_seconds:p50_7d': [[{}, 18_000]],
  'factory:cycle_time_seconds:p90_7d': [[{}, 30_000]],
  'factory:deployments_succeeded:increase_7d': [[{}, 14]],
  'factory:mltc_seconds:p50_7d': [[{}, 7200]],
  'factory:mltc_seconds:p90_7d': [[{}, 7200]],
  'sum by (team) (team_repository:factory_runs_resolved:increase_7d)': [[team('red'), 10], [team('blue'), 10]],
  'sum by (team) (team_repository:factory_runs_one_shot:increase_7d)': [[team('red'), 3], [team('blue'), 8]],
  'sum by (team) (team_repository:factory_runs_autonomous:increase_7d)': [[team('red'), 5], [team('blue'), 8]],
  'sum by (repository) (team_repository:factory_runs_resolved:increase_7d)': [[repository('acme/red'), 10], [repository('acme/blue'), 10]],
  'sum by (repository) (team_repository:factory_runs_one_shot:increase_7d)': [[repository('acme/red'), 3], [repository('acme/blue'), 8]],
  'sum by (repository) (team_repository:factory_runs_autonomous:increase_7d)': [[repository('acme/red'), 5], [repository('acme/blue'), 8]],
  'team:factory_reviews_merged:increase_7d': [[team('red'), 6], [team('blue'), 8]],
  'team:factory_cycle_time_seconds:p50_7d': [[team('red'), 14_400], [team('blue'), 21_600]],
  'team:factory_deployments_succeeded:increase_7d': [[team('red'), 0], [team('blue'), 8]],
  'team:factory_mltc_seconds:p50_7d': [[team('blue'), 3600]],
  'team:factory_retries_verified:increase_7d': [[team('red'), 7]],
  'team:factory_retries_repeated:increase_7d': [[team('red'), 5]],
  'repository:factory_retries_verified:increase_7d': [[repository('acme/red'), 7]],
  'repository:factory_retries_repeated:increase_7d': [[repository('acme/red'), 5]],
  [`experiment_arm_complexity:factory_runs_resolved:increase_14d{experiment="${EXPERIMENT}"}`]: [
    [arm('control', 'standard'), 5],
    [arm('control', 'complex'), 5],
    [arm('treatment', 'standard'), 4],
    [arm('treatment', 'complex'), 6],
  ],
  [`experiment_arm_complexity:factory_runs_one_shot:increase_14d{experiment="${EXPERIMENT}"}`]: [
    [arm('control', 'standard'), 3],
    [arm('control', 'complex'), 0],
    [arm('treatment', 'standard'), 4],
    [arm('treatment', 'complex'), 4],
  ],
  [`experiment_arm_complexity:factory_runs_autonomous:increase_14d{experiment="${EXPERIMENT}"}`]: [
    [arm('control', 'standard'), 5],
    [arm('control', 'complex'), 0],
    [arm('treatment', 'standard'), 4],
    [arm('treatment', 'complex'), 4],
  ],
  'experiment:factory_runs_resolved:increase_14d': [[{ experiment: EXPERIMENT }, 20], [{ experiment: 'ended' }, 0]],
  'experiment_arm_complexity:factory_runs_resolved:increase_14d{experiment="ended"}': [[arm('control', 'standard', 'ended'), 0]],
  'model_complexity:factory_runs_resolved:increase_7d': [
    [{ model: 'm1', complexity: 'standard' }, 5],
    [{ model: 'm1', complexity: 'complex' }, 5],
    [{ model: 'm2', complexity: 'standard' }, 4],
    [{ model: 'm2', complexity: 'complex' }, 6],
  ],
  'model_complexity:factory_runs_one_shot:increase_7d': [
    [{ model: 'm1', complexity: 'standard' }, 3],
    [{ model: 'm1', complexity: 'complex' }, 0],
    [{ model: 'm2', complexity: 'standard' }, 4],
    [{ model: 'm2', complexity: 'complex' }, 4],
  ],
  'model_complexity:factory_runs_autonomous:increase_7d': [
    [{ model: 'm1', complexity: 'standard' }, 5],
    [{ model: 'm1', complexity: 'complex' }, 0],
    [{ model: 'm2', complexity: 'standard' }, 4],
    [{ model: 'm2', complexity: 'complex' }, 4],
  ],
  'model:factory_run_cost_usd:sum_7d / model:factory_runs_resolved:increase_7d': [
    [{ model: 'm1' }, 0.85],
    [{ model: 'm2' }, 0.1],
  ],
};

let server: Server;
let url: string;
let dir: string;
let file: string;
const requests: URLSearchParams[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const params = new URL(request.url ?? '/', 'http://stub').searchParams;
    requests.push(params);
    const vector = VECTORS[params.get('query') ?? ''] ?? [];
    response.setHeader('content-type', 'application/json');
    if (params.get('query')?.includes('broken') === true) {
      response.statusCode = 400;
      response.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": parse error' }));
      return;
    }
    response.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: vector.map(([metric, value]) => ({ metric, value: [1764504000, String(value)] })) } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  url = `http://127.0.0.1:${address.port}`;

  dir = mkdtempSync(join(tmpdir(), 'analysis-prometheus-'));
  file = join(dir, 'runs.jsonl');
  await writeRuns(file, baseFactory(1));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
  requests.length = 0;
});

async function json(command: Parameters<typeof runAnalysisCommand>[0], argv: string[]) {
  const output = captureOutput();
  const code = await runAnalysisCommand(command, [...argv, '--json']);
  vi.restoreAllMocks();
  expect(output.stderr()).toBe('');
  return { code, body: JSON.parse(output.stdout()) };
}

describe('Prometheus source', () => {
  it('reports the rules it read', async () => {
    const { code, body } = await json('report', ['--prometheus', url]);
    expect(code).toBe(0);
    expect(body.rules).toEqual([
      'factory:runs_resolved:increase_7d',
      'factory:runs_merged:increase_7d',
      'factory:runs_autonomous:increase_7d',
      'factory:runs_one_shot:increase_7d',
      'factory:reviews_merged:increase_7d',
      'factory:cycle_time_seconds:p50_7d',
      'factory:cycle_time_seconds:p90_7d',
      'factory:deployments_succeeded:increase_7d',
      'factory:mltc_seconds:p50_7d',
      'factory:mltc_seconds:p90_7d',
    ]);
    expect(body.funnel.map((stage: { runs: number }) => stage.runs)).toEqual([20, 14, 13, 11]);
    expect(body.factory.cycleTime).toEqual({ count: 14, p50: { value: 18_000 }, p90: { value: 30_000 }, estimated: true });
  });

  it('gives the rates the file gives', async () => {
    const fromRules = await json('report', ['--prometheus', url, '--by', 'team']);
    const fromFile = await json('report', ['--file', file, '--by', 'team']);
    expect(fromRules.body.factory.oneShot).toEqual(fromFile.body.factory.oneShot);
    expect(fromRules.body.factory.autonomous).toEqual(fromFile.body.factory.autonomous);
    const rates = (body: { slices: Array<{ labels: { team: string }; oneShot: unknown; autonomous: unknown }> }) =>
      body.slices.map((slice) => [slice.labels.team, slice.oneShot, slice.autonomous]);
    expect(rates(fromRules.body)).toEqual(rates(fromFile.body));
  });

  it('reads team cycle time and MLTC', async () => {
    const { body } = await json('report', ['--prometheus', url, '--by', 'team']);
    const slice = (name: string) => body.slices.find((candidate: { labels: { team: string } }) => candidate.labels.team === name);
    expect(slice('red').cycleTime).toEqual({ count: 6, p50: { value: 14_400 }, p90: undefined, estimated: true });
    expect(slice('blue').cycleTime).toEqual({ count: 8, p50: { value: 21_600 }, p90: undefined, estimated: true });
    // Red had no successful production deployment in the window.
    expect(slice('red').mltc).toBeNull();
    expect(slice('blue').mltc).toEqual({ count: 8, p50: { value: 3600 }, p90: undefined, estimated: true });
    expect(body.notes).toContain('The recording rules keep only the median cycle time and MLTC per team (no p90); use --file for more.');
    expect(body.rules).toContain('team:factory_cycle_time_seconds:p50_7d');
  });

  it('answers the experiment as the file does', async () => {
    const fromRules = await json('experiment', [EXPERIMENT, '--prometheus', url]);
    const fromFile = await json('experiment', [EXPERIMENT, '--file', file]);
    expect(fromRules.code).toBe(3);
    expect(fromRules.body.weeks).toBe(2);
    expect(fromRules.body.arms).toEqual(fromFile.body.arms);
    expect(fromRules.body.answer.comparisons[0].test).toEqual(fromFile.body.answer.comparisons[0].test);
    expect(fromRules.body.answer.comparisons[0].stratified).toEqual(fromFile.body.answer.comparisons[0].stratified);
    expect(fromRules.body.rules).toEqual([
      'experiment_arm_complexity:factory_runs_resolved:increase_14d',
      'experiment_arm_complexity:factory_runs_one_shot:increase_14d',
      'experiment_arm_complexity:factory_runs_autonomous:increase_14d',
    ]);
  });

  it('treats an experiment whose counts are 0 as without runs', async () => {
    const output = captureOutput();
    const code = await runAnalysisCommand('experiment', ['ended', '--prometheus', url]);
    vi.restoreAllMocks();
    expect(code).toBe(2);
    expect(output.stderr()).toContain(`experiment "ended" has no resolved runs in the window; experiments with runs: ${EXPERIMENT}. `);
    expect(output.stderr()).toContain('give --end DATE within 14 days after its last run');
  });

  it('compares models within complexity', async () => {
    const fromRules = await json('compare', ['--prometheus', url]);
    const fromFile = await json('compare', ['--file', file]);
    expect(fromRules.body.answer).toEqual(fromFile.body.answer);
    expect(fromRules.body.costPerRun).toEqual({ m1: 0.85, m2: 0.1 });
  });

  it('reads the retry rules for loops', async () => {
    const fromRules = await json('loops', ['--prometheus', url]);
    const fromFile = await json('loops', ['--file', file]);
    expect(fromRules.body.answer.slices).toEqual(fromFile.body.answer.slices);
    expect(fromRules.body.rules).toContain('team:factory_retries_repeated:increase_7d');
  });

  it('evaluates the rules at --end', async () => {
    await json('report', ['--prometheus', url, '--end', '2026-11-30T12:00:00Z']);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((params) => params.get('time') === String(Date.parse('2026-11-30T12:00:00Z') / 1000))).toBe(true);
  });

  it('rejects other compare slices', async () => {
    const output = captureOutput();
    const code = await runAnalysisCommand('compare', ['--prometheus', url, '--by', 'team']);
    vi.restoreAllMocks();
    expect(code).toBe(2);
    expect(output.stderr()).toContain('invalid --by "team": expected one of model');
  });

  it('fails on an error response', async () => {
    const output = captureOutput();
    const code = await runAnalysisCommand('experiment', ['broken', '--prometheus', url]);
    vi.restoreAllMocks();
    expect(code).toBe(1);
    expect(output.stderr()).toContain('failed with HTTP 400: invalid parameter "query": parse error');
  });
});
