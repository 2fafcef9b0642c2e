import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { wilsonInterval } from '../../analysis/stats/index.js';
import { readFileRuns } from '../../cli/analysis/file-runs.js';
import { runAnalysisCommand } from '../../cli/commands/analysis.js';
import { captureOutput } from '../cli/capture-output.js';
import { baseFactory, EXPERIMENT, writeRuns } from './fixture.js';

let dir: string;
let small: string;
let large: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'analysis-cli-'));
  small = join(dir, 'small.jsonl');
  large = join(dir, 'large.jsonl');
  await writeRuns(small, baseFactory(1));
  await writeRuns(large, baseFactory(3));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function run(command: Parameters<typeof runAnalysisCommand>[0], argv: string[]) {
  const output = captureOutput();
  const code = await runAnalysisCommand(command, argv);
  vi.restoreAllMocks();
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

async function json(command: Parameters<typeof runAnalysisCommand>[0], argv: string[]) {
  const result = await run(command, [...argv, '--json']);
  return { ...result, body: JSON.parse(result.stdout) };
}

describe('report', () => {
  it('counts the funnel stage by stage', async () => {
    const { code, body } = await json('report', ['--file', small]);
    expect(code).toBe(0);
    expect(body.funnel).toEqual([
      { stage: 'resolved', runs: 20, dropped: 0 },
      { stage: 'AI attempt recorded', runs: 20, dropped: 0 },
      { stage: 'CI passed', runs: 13, dropped: 7 },
      { stage: 'merged', runs: 13, dropped: 0 },
      { stage: 'no human code change', runs: 13, dropped: 0 },
      { stage: 'first attempt (one-shot)', runs: 11, dropped: 2 },
    ]);
  });

  it('gives the rates with Wilson intervals', async () => {
    const { body } = await json('report', ['--file', small]);
    const oneShot = wilsonInterval({ successes: 11, trials: 20 });
    expect(body.factory.resolved).toBe(20);
    expect(body.factory.merged).toBe(14);
    expect(body.factory.oneShot).toEqual({ successes: 11, runs: 20, rate: 0.55, lower: oneShot.lower, upper: oneShot.upper });
    expect(body.factory.autonomous.successes).toBe(13);
    expect(body.rules).toEqual([]);
    expect(body.window).toContain('the whole file');
  });

  it('gives durations with order-statistic intervals', async () => {
    const { body } = await json('report', ['--file', small]);
    // 14 merged reviews of 1 to 10 hours, and 14 deployments of exactly 2 hours.
    expect(body.factory.cycleTime.count).toBe(14);
    expect(body.factory.cycleTime.estimated).toBe(false);
    expect(body.factory.cycleTime.p50.lower).toBeLessThanOrEqual(body.factory.cycleTime.p50.value);
    expect(body.factory.cycleTime.p50.upper).toBeGreaterThanOrEqual(body.factory.cycleTime.p50.value);
    expect(body.factory.mltc.p50).toEqual({ value: 7200, lower: 7200, upper: 7200 });
  });

  it('slices by team', async () => {
    const { body } = await json('report', ['--file', small, '--by', 'team']);
    expect(body.slices.map((slice: { labels: { team: string }; resolved: number; oneShot: { successes: number } }) => [slice.labels.team, slice.resolved, slice.oneShot.successes])).toEqual([
      ['blue', 10, 8],
      ['red', 10, 3],
    ]);
  });

  it('prints tables by default', async () => {
    const { code, stdout } = await run('report', ['--file', small]);
    expect(code).toBe(0);
    expect(stdout).toContain('one-shot success');
    expect(stdout).toMatch(/one-shot success\s+55\.0%/);
    expect(stdout).toMatch(/CI passed\s+13\s+7\s+35\.0%/);
  });

  it('reads only the window it is given', async () => {
    // The runs end between 6 and 5 days before 2026-11-30T12:00Z, so a day that ends 3 days before has none.
    const { body } = await json('report', ['--file', small, '--window', '1d', '--end', '2026-11-27T12:00:00Z']);
    expect(body.factory.resolved).toBe(0);
    expect(body.factory.oneShot.rate).toBeNull();
    expect(body.window).toBe('1 days ending at 2026-11-27T12:00:00.000Z');
  });
});

describe('experiment', () => {
  it('exits 3 when the difference is not significant', async () => {
    const { code, body } = await json('experiment', [EXPERIMENT, '--file', small]);
    expect(code).toBe(3);
    expect(body.answer.significant).toBe(false);
    expect(body.answer.arms.map((arm: { arm: string; resolved: number }) => [arm.arm, arm.resolved])).toEqual([
      ['control', 10],
      ['treatment', 10],
    ]);
    expect(body.answer.comparisons[0].test.test).toBe('fisher-exact');
    expect(body.answer.comparisons[0].stratified).not.toBeNull();
  });

  it('exits 0 when the difference is significant', async () => {
    const { code, body } = await json('experiment', [EXPERIMENT, '--file', large]);
    expect(code).toBe(0);
    expect(body.answer.verdict.kind).toBe('significant');
    expect(body.arms[0].byComplexity.complex).toEqual({ resolved: 15, oneShot: 0, autonomous: 0 });
  });

  it('checks the planned split', async () => {
    const { code, body } = await json('experiment', [EXPERIMENT, '--file', large, '--split', 'control=9,treatment=1']);
    expect(code).toBe(3);
    expect(body.answer.verdict.kind).toBe('sample_ratio_mismatch');
  });

  it('keeps a planned arm without runs', async () => {
    const { body } = await json('experiment', [EXPERIMENT, '--file', small, '--split', 'control=1,treatment=1,fresh=1']);
    expect(body.answer.verdict.kind).toBe('empty_arm');
  });

  it('takes the control and the effect', async () => {
    const { body } = await json('experiment', [EXPERIMENT, '--file', large, '--control', 'treatment', '--effect', '0.2']);
    expect(body.answer.control).toBe('treatment');
    expect(body.answer.targetEffect).toBe(0.2);
  });

  it.each([
    [['--split', 'control=1'], 'invalid --split', 'no weight for arm treatment'],
    [['--split', 'control'], 'invalid --split "control"', 'control=50,treatment=50'],
    [['--effect', '10'], 'invalid --effect "10"', '0.1 for 10 points'],
    [['--control', 'nobody'], 'invalid --control "nobody"', 'arms: control, treatment'],
    [['--metric', 'speed'], 'invalid --metric "speed"', 'one_shot, autonomous'],
  ])('rejects %j', async (flags, message, fix) => {
    const { code, stderr } = await run('experiment', [EXPERIMENT, '--file', small, ...flags]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain(fix);
  });

  it('rates runs over the experiment, not the window', async () => {
    const { body } = await json('experiment', [EXPERIMENT, '--file', small, '--window', '30d', '--end', '2026-11-30T13:00:00Z']);
    // The fixture's runs resolve within 6 days, so a 30-day window must not dilute the weekly rate.
    expect(body.weeks).toBeLessThan(1);
    expect(body.answer.weeklyRuns).toBeCloseTo(20 / body.weeks, 6);
  });

  it('names the experiments when one is unknown', async () => {
    const { code, stderr } = await run('experiment', ['other', '--file', small]);
    expect(code).toBe(2);
    expect(stderr).toContain(`experiments with runs: ${EXPERIMENT}`);
  });

  it('needs a name', async () => {
    const { code, stderr } = await run('experiment', ['--file', small]);
    expect(code).toBe(2);
    expect(stderr).toContain('exactly one experiment name');
  });
});

describe('compare', () => {
  it('compares models within complexity', async () => {
    const { code, body } = await json('compare', ['--file', large]);
    expect(code).toBe(0);
    const complex = body.answer.complexities.find((group: { complexity: string }) => group.complexity === 'complex');
    expect(complex.models.map((model: { model: string; resolved: number }) => [model.model, model.resolved])).toEqual([
      ['m2', 18],
      ['m1', 15],
    ]);
    expect(complex.routing.kind).toBe('prefer');
    expect(body.costPerRun.m1).toBeCloseTo(0.5 * (3 + 2 * 2 + 5 * 2) / 10, 9);
  });

  it('exits 3 without a supported routing', async () => {
    const { code, body } = await json('compare', ['--file', small]);
    expect(code).toBe(3);
    expect(body.answer.suggestion).toBeNull();
  });

  it.each([
    [['--by', 'team'], 'invalid --by "team": expected one of model'],
    [['--within', 'arm'], 'invalid --within "arm": expected one of complexity'],
    [['--by', 'model', '--within', 'model'], 'invalid --within "model": expected one of complexity'],
  ])('rejects the slice %j', async (flags, message) => {
    const { code, stderr } = await run('compare', ['--file', small, ...flags]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});

describe('loops', () => {
  it('finds the team whose retries repeat', async () => {
    const { code, body } = await json('loops', ['--file', large]);
    expect(code).toBe(0);
    const red = body.answer.slices.find((slice: { kind: string; name: string }) => slice.kind === 'team' && slice.name === 'red');
    // Each copy: 2 retries after sig-a that passed, 5 that failed again with sig-b.
    expect(red.repeated.estimate).toBeCloseTo(15 / 21, 9);
    expect(body.answer.notLearning).toContain('team:red');
  });
});

describe('shared flags', () => {
  it.each([
    [[], 'missing data source: give --file PATH'],
    [['--file', 'a', '--prometheus', 'http://127.0.0.1:1'], 'either --file or --prometheus'],
    [['--prometheus', 'localhost:9090'], 'invalid --prometheus "localhost:9090"'],
    [['--file', '/nonexistent/runs.jsonl'], 'cannot read --file "/nonexistent/runs.jsonl"'],
    [['--file', 'x', '--window', '0d'], 'invalid --window "0d"'],
    [['--file', 'x', '--end', '30/11/2026'], 'invalid --end "30/11/2026"'],
    [['--file', 'x', '--by', 'colour'], 'invalid --by "colour": expected one of team, repository, model, complexity'],
    [['--file', 'x', '--sample', '3'], 'report does not take --sample'],
    [['--file', 'x', '--verbose'], "Unknown option '--verbose'"],
    [['--prometheus', 'http://127.0.0.1:1', '--window', '7d'], '--window applies to --file only'],
    [['--prometheus', 'http://127.0.0.1:1', '--html', 'x.html'], '--html needs per-run data'],
  ])('report rejects %j', async (flags, message) => {
    const { code, stderr } = await run('report', flags);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it.each([
    ['empty', '', 'no spans in --file', 'it holds no OTLP spans'],
    ['garbage', 'not json\n{"resourceSpans": [\n', 'no spans in --file', '2 lines were skipped (line 1: invalid JSON'],
    ['wrong shape', '{"a": 1}\n', 'no spans in --file', 'OTLP JSON lines file'],
  ])('report rejects a file with no spans: %s', async (name, content, message, detail) => {
    const file = join(dir, `${name.replace(' ', '-')}.jsonl`);
    writeFileSync(file, content);
    const { code, stderr } = await run('report', ['--file', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain(detail);
  });

  it('exits 1 when Prometheus is unreachable', async () => {
    const { code, stderr } = await run('report', ['--prometheus', 'http://127.0.0.1:37999']);
    expect(code).toBe(1);
    expect(stderr).toContain('cannot reach Prometheus at http://127.0.0.1:37999');
  });

  it('prints the usage for --help', async () => {
    const { code, stdout } = await run('loops', ['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Exit codes: 0 answered');
  });
});

describe('report --html', () => {
  it('writes the page from the file', async () => {
    mkdirSync(join(dir, 'html'), { recursive: true });
    const out = join(dir, 'html', 'report.html');
    const { code, stderr } = await run('report', ['--file', small, '--html', out]);
    expect(code).toBe(0);
    expect(stderr).toContain(`wrote the HTML report to ${out}`);
    const page = readFileSync(out, 'utf8');
    expect(page).toContain('<h2>Experiment spec-context</h2>');
    expect(page).toContain('<td>One-shot success</td><td class="number">55.0%</td>');
  });

  it('rejects a missing folder', async () => {
    const out = join(dir, 'no-such-folder', 'report.html');
    const { code, stderr } = await run('report', ['--file', small, '--html', out]);
    expect(code).toBe(2);
    expect(stderr).toContain(`invalid --html ${JSON.stringify(out)}: the folder ${JSON.stringify(join(dir, 'no-such-folder'))} does not exist`);
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
  });
});

describe('progress display', () => {
  function stream(isTTY: boolean) {
    const writes: string[] = [];
    return { writes, stream: { isTTY, write: (chunk: string) => writes.push(chunk) } as unknown as NodeJS.WriteStream };
  }

  it('shows the share read on a terminal', async () => {
    const terminal = stream(true);
    const file = await readFileRuns(small, terminal.stream);
    expect(file.runs).toHaveLength(20);
    expect(terminal.writes[0]).toMatch(/^\rreading .*small\.jsonl: \d+% of \d+\.\d MB$/);
    expect(terminal.writes.at(-1)).toBe('\r\x1b[K');
  });

  it('stays silent elsewhere', async () => {
    const pipe = stream(false);
    await readFileRuns(small, pipe.stream);
    expect(pipe.writes).toEqual([]);
  });
});
