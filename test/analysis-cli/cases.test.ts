import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { collectRuns, readOtlpJsonLines, type Run } from '../../analysis/index.js';
import { sampleCases } from '../../cli/analysis/cases.js';
import { runAnalysisCommand } from '../../cli/commands/analysis.js';
import { captureOutput } from '../cli/capture-output.js';
import { baseFactory, writeRuns } from './fixture.js';

let dir: string;
let file: string;
let runs: Run[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'analysis-cases-'));
  file = join(dir, 'runs.jsonl');
  await writeRuns(file, baseFactory(3));
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  runs = [...(await collectRuns(readOtlpJsonLines(lines))).runs.values()];
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function cases(argv: string[]) {
  const output = captureOutput();
  const code = await runAnalysisCommand('cases', argv);
  vi.restoreAllMocks();
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

async function caseIds(argv: string[]): Promise<string[]> {
  const { code, stdout } = await cases([...argv, '--json']);
  expect(code).toBe(0);
  return (JSON.parse(stdout) as { cases: Array<{ runId: string }> }).cases.map((item) => item.runId);
}

const WHOLE = { startUnixNano: 0n, endUnixNano: 10n ** 19n };

describe('cases', () => {
  it('draws the same sample for the same seed', async () => {
    const first = await caseIds(['--file', file, '--outcome', 'any', '--sample', '5', '--seed', '7']);
    const second = await caseIds(['--file', file, '--outcome', 'any', '--sample', '5', '--seed', '7']);
    expect(first).toHaveLength(5);
    expect(second).toEqual(first);
  });

  it('draws another sample for another seed', async () => {
    const first = await caseIds(['--file', file, '--outcome', 'any', '--sample', '5', '--seed', '7']);
    const other = await caseIds(['--file', file, '--outcome', 'any', '--sample', '5', '--seed', '8']);
    expect(other).not.toEqual(first);
  });

  it('ignores the order of the runs', () => {
    const options = { outcome: 'any' as const, failureClass: undefined, labels: {}, sample: 6, seed: 3, traceUrl: undefined };
    const forward = sampleCases(runs, WHOLE, options);
    const backward = sampleCases([...runs].reverse(), WHOLE, options);
    expect(backward).toEqual(forward);
    expect(forward.matching).toBe(60);
  });

  it('shows every match when the sample is larger', async () => {
    const ids = await caseIds(['--file', file, '--class', 'lint', '--sample', '30']);
    expect(ids).toEqual(['treatment-0-9', 'treatment-1-9', 'treatment-2-9']);
  });

  it('filters by slice and outcome', async () => {
    const ids = await caseIds(['--file', file, '--team', 'red', '--outcome', 'closed', '--sample', '100']);
    expect(ids).toHaveLength(15);
    expect(ids.every((id) => id.startsWith('control-'))).toBe(true);
  });

  it('writes the attempt chain in short form', async () => {
    const { stdout } = await cases(['--file', file, '--class', 'test_failure', '--outcome', 'closed', '--sample', '1', '--json']);
    const [item] = JSON.parse(stdout).cases;
    expect(item.chain).toBe('#1 ci failure test_failure sig=sig-b → #2 ci failure test_failure sig=sig-b (repeated) → review closed → closed');
  });

  it('fills the trace link template', async () => {
    const { stdout } = await cases(['--file', file, '--sample', '1', '--trace-url', 'http://127.0.0.1:3200/api/traces/{traceId}']);
    expect(stdout).toMatch(/trace: http:\/\/127\.0\.0\.1:3200\/api\/traces\/[0-9a-f]{32}\n/);
  });

  it('prints the trace id without a template', async () => {
    const { stdout } = await cases(['--file', file, '--sample', '1']);
    expect(stdout).toMatch(/trace: [0-9a-f]{32}\n/);
  });

  it('rejects a template without {traceId}', async () => {
    const { code, stderr } = await cases(['--file', file, '--trace-url', 'http://127.0.0.1:3000/explore']);
    expect(code).toBe(2);
    expect(stderr).toContain('invalid --trace-url "http://127.0.0.1:3000/explore": it has no {traceId}');
  });

  it('rejects Prometheus and names --file', async () => {
    const { code, stderr } = await cases(['--prometheus', 'http://127.0.0.1:37999']);
    expect(code).toBe(2);
    expect(stderr).toContain('cases needs per-run spans, which Prometheus does not keep: give --file PATH');
  });

  it.each([
    [['--sample', '0'], 'invalid --sample "0": expected a whole number from 1 to 10000'],
    [['--seed', '1.5'], 'invalid --seed "1.5"'],
    [['--outcome', 'failed'], 'invalid --outcome "failed": expected one of not-one-shot, not-autonomous, closed, any'],
    [['--class', 'no_such_class'], 'invalid --class "no_such_class": expected one of requirements_gap, compile_error, test_failure'],
    [['--team', 'nobody'], 'invalid --team "nobody": no run in the file has it; the file has "blue", "red"'],
  ])('rejects %j', async (flags, message) => {
    const { code, stderr } = await cases(['--file', file, ...flags]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
