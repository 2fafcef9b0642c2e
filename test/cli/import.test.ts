import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

import { recordSwebenchRuns, runImportCommand } from '../../cli/commands/import.js';
import type { SwebenchRun } from '../../cli/import/swebench.js';
import { FactoryIdGenerator } from '../../sdk/id-generator.js';
import { FactoryTelemetry } from '../../sdk/index.js';
import { captureOutput } from './capture-output.js';
import { startFakeBackend } from './fake-backend.js';

const HEADER = 'board,folder,model,instance_id,resolved,cost,api_calls,difficulty';
const scratch = mkdtempSync(join(tmpdir(), 'import-command-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});


function writeCsv(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

/** Creates a FactoryTelemetry that records into memory instead of exporting. */
function memoryTelemetry() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ idGenerator: new FactoryIdGenerator(), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const errors: string[] = [];
  const telemetry = new FactoryTelemetry({ tracerProvider: provider, onError: (error) => errors.push(error.message) });
  return { telemetry, exporter, errors };
}

function swebenchRun(index: number, overrides: Partial<SwebenchRun> = {}): SwebenchRun {
  return {
    runId: `swebench/f/a__b-${index}`,
    model: 'm',
    repository: 'a/b',
    changeId: String(index),
    complexity: 'trivial',
    resolved: index % 2 === 0,
    costUsd: undefined,
    apiCalls: undefined,
    ...overrides,
  };
}

describe('runImportCommand', () => {
  it('fails on a missing file with exit code 1, as docs/import.md lists', async () => {
    const output = captureOutput();
    expect(await runImportCommand(['swebench', '/nonexistent/leaderboard.csv'])).toBe(1);
    expect(output.stderr()).toContain('cannot read /nonexistent/leaderboard.csv: ENOENT');
  });

  it.each([
    ['an empty file', ''],
    ['a header-only file', `${HEADER}\r\n`],
  ])('fails on %s with "no rows"', async (_, text) => {
    const file = writeCsv('empty.csv', text);
    const output = captureOutput();
    expect(await runImportCommand(['swebench', file])).toBe(1);
    expect(output.stderr()).toContain(`no rows in ${file}`);
    expect(output.stdout()).toBe('');
  });

  it('counts only the runs it recorded in the summary', async () => {
    const collector = await startFakeBackend();
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', collector.url);
    const file = writeCsv(
      'duplicate.csv',
      `\uFEFF${HEADER}\r\nb,f,m,a__b-1,True,,,<15 min fix\r\nb,f,m,a__b-2,False,,,1-4 hours\nb,f,m,a__b-1,True,,,<15 min fix\n`,
    );
    const output = captureOutput();

    try {
      expect(await runImportCommand(['swebench', file])).toBe(0);
    } finally {
      await collector.close();
    }
    expect(output.stdout()).toBe(`imported 2 runs of 1 models from ${file}\n`);
    expect(output.stderr()).toContain(`skipped ${file} line 4: duplicate run swebench/f/a__b-1`);
    expect(output.stderr()).not.toContain('warning:');
    expect(collector.otlpRequests).toContain('/v1/traces');
  });

  it('fails when every row is skipped', async () => {
    const file = writeCsv('invalid.csv', `${HEADER}\nb,f,m,a__b-1,maybe,,,<15 min fix\n`);
    const output = captureOutput();
    expect(await runImportCommand(['swebench', file])).toBe(1);
    expect(output.stderr()).toContain(`skipped ${file} line 2: invalid resolved "maybe"`);
    expect(output.stderr()).toContain(`no valid rows in ${file}: all 1 rows were skipped`);
    expect(output.stdout()).toBe('');
  });

  it('documents that a second import counts the runs again', async () => {
    const output = captureOutput();
    expect(await runImportCommand(['swebench', '--help'])).toBe(0);
    expect(output.stdout()).toContain('Importing the same file twice records its runs twice');
    expect(output.stdout()).toContain('Re-import only into a fresh stack');
  });
});

describe('recordSwebenchRuns', () => {
  it('returns only the runs that the SDK recorded', async () => {
    const { telemetry, exporter, errors } = memoryTelemetry();
    const runs = [swebenchRun(1), swebenchRun(2, { model: '' }), swebenchRun(3)];

    const recorded = await recordSwebenchRuns(telemetry, runs);

    expect(recorded.map((run) => run.runId)).toEqual(['swebench/f/a__b-1', 'swebench/f/a__b-3']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('invalid model');
    const roots = exporter.getFinishedSpans().filter((span) => span.parentSpanContext === undefined);
    expect(roots).toHaveLength(2);
  });

  it.each([
    [499, [499]],
    [500, [500]],
    [501, [500, 501]],
    [1000, [500, 1000]],
    [0, []],
  ])('reports progress for %i runs once per count', async (count, expected) => {
    const { telemetry } = memoryTelemetry();
    const runs = Array.from({ length: count }, (_, index) => swebenchRun(index));
    const progress: number[] = [];

    await recordSwebenchRuns(telemetry, runs, (done) => progress.push(done));

    expect(progress).toEqual(expected);
  });
});
