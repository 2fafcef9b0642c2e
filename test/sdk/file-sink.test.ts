/**
 * The SDK's file sink: OTLP JSON lines that the analysis reader reads back, in the
 * shape the collector's JSON marshaler writes, with write failures counted, and
 * with every span written however the process ends.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { collectRuns, readOtlpJsonLines, type Run } from '../../analysis/index.js';
import { FactoryTelemetry, FileSpanProcessor } from '../../sdk/index.js';
import { memoryTelemetry } from './helpers.js';

const repositoryRoot = join(import.meta.dirname, '..', '..');
let directory = '';
let fixtureScript = '';

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'factory-telemetry-file-sink-'));
  const build = join(directory, 'build');
  execFileSync(
    process.execPath,
    [
      join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--outDir', build,
      '--rootDir', repositoryRoot,
      '--module', 'NodeNext',
      '--moduleResolution', 'NodeNext',
      '--target', 'ES2022',
      '--types', 'node',
      '--strict',
      '--skipLibCheck',
      join(repositoryRoot, 'test', 'sdk', 'file-sink-child.ts'),
    ],
    { cwd: repositoryRoot, stdio: 'pipe' },
  );
  writeFileSync(join(build, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(repositoryRoot, 'node_modules'), join(build, 'node_modules'), 'dir');
  fixtureScript = join(build, 'test', 'sdk', 'file-sink-child.js');
}, 120_000);

afterAll(() => {
  if (directory !== '') rmSync(directory, { recursive: true, force: true });
});

let fileCount = 0;
function newFilePath(): string {
  fileCount += 1;
  return join(directory, `runs-${fileCount}`, 'runs.jsonl');
}

async function readRuns(path: string): Promise<Map<string, Run>> {
  const lines = readFileSync(path, 'utf8').split('\n');
  return (await collectRuns(readOtlpJsonLines(lines))).runs;
}

function recordOneRun(telemetry: FactoryTelemetry, runId: string): void {
  const run = telemetry.startRun({ runId, repository: 'acme/api', model: 'model-a', complexity: 'complex', team: 'core', experiment: { name: 'specs', arm: 'enriched' } });
  run.recordContext({ inputTokens: 900, complete: false });
  const attempt = run.startAttempt({ number: 1 });
  attempt.end({ costUsd: 0.5, inputTokens: 1000, outputTokens: 200 });
  run.recordVerification({ attempt: 1, result: 'failure', failureClass: 'test_failure', signature: 'abcdef0123456789', feedbackSpecific: true });
  run.recordReview({ openedAt: '2026-12-01T09:00:00Z', closedAt: '2026-12-01T12:00:00Z', state: 'merged', humanModified: true });
  run.recordDeployment({ commitAt: '2026-12-01T12:00:00Z', deployedAt: '2026-12-01T13:30:00Z', environment: 'production' });
  run.recordOutcome({ status: 'merged', attempts: 1, firstAttemptPassed: false, humanModified: true });
  run.end();
}

describe('file sink in process', () => {
  it('writes spans the reader turns back into the run', async () => {
    const path = newFilePath();
    const telemetry = new FactoryTelemetry({ file: { path }, env: {}, strict: true });
    recordOneRun(telemetry, 'run-file-1');
    await telemetry.shutdown();

    const run = (await readRuns(path)).get('run-file-1');
    expect(run?.roots).toHaveLength(1);
    expect(run?.labels).toMatchObject({ model: 'model-a', complexity: 'complex', team: 'core', repository: 'acme/api', experiment: 'specs', arm: 'enriched' });
    expect(run?.contexts[0]?.complete).toBe(false);
    expect(run?.attempts[0]?.costUsd).toBe(0.5);
    expect(run?.verifications[0]).toMatchObject({ result: 'failure', failureClass: 'test_failure', feedbackSpecific: true, error: true });
    expect(run?.reviews[0]).toMatchObject({ state: 'merged', humanModified: true, durationSeconds: 3 * 3600 });
    expect(run?.deployments[0]).toMatchObject({ environment: 'production', durationSeconds: 5400, error: false });
    expect(run?.outcomes[0]).toMatchObject({ status: 'merged', oneShot: false, autonomous: false, attempts: 1 });
  });

  it('writes the collector JSON shape', async () => {
    const path = newFilePath();
    const telemetry = new FactoryTelemetry({ file: { path }, env: {} });
    recordOneRun(telemetry, 'run-file-shape');
    await telemetry.shutdown();

    const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line !== '');
    const request = JSON.parse(lines[0]!) as { resourceSpans: Array<{ resource: unknown; scopeSpans: Array<{ scope: unknown; spans: Array<Record<string, unknown>> }> }> };
    const spans = request.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const root = spans.find((span) => span.name === 'factory.run')!;
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(root.startTimeUnixNano).toMatch(/^[0-9]{19}$/);
    expect(root.kind).toBe(1);
    expect(root).not.toHaveProperty('parentSpanId');
    expect(root).not.toHaveProperty('droppedAttributesCount');
    expect(root).not.toHaveProperty('events');
    const outcome = spans.find((span) => span.name === 'factory.outcome')!;
    expect(outcome.parentSpanId).toBe(root.spanId);
    expect(outcome.attributes).toContainEqual({ key: 'factory.outcome.attempts', value: { intValue: '1' } });
    expect(outcome.attributes).toContainEqual({ key: 'factory.outcome.one_shot', value: { boolValue: false } });
    const verification = spans.find((span) => span.name === 'factory.verification')!;
    expect(verification.status).toMatchObject({ code: 2 });
    expect(request.resourceSpans[0]!.resource).toEqual({ attributes: [{ key: 'service.name', value: { stringValue: 'factory-telemetry' } }] });
  });

  it('counts every accepted span as written', async () => {
    const path = newFilePath();
    const telemetry = new FactoryTelemetry({ file: { path }, env: {} });
    recordOneRun(telemetry, 'run-file-stats');
    await telemetry.forceFlush();
    const stats = telemetry.stats();
    expect(stats.file?.accepted).toBeGreaterThanOrEqual(7);
    expect(stats.file?.exported).toBe(stats.file?.accepted);
    expect(stats.file?.failed).toBe(0);
    expect(stats.export).toBeUndefined();
    await telemetry.shutdown();
  });

  it('counts and reports failed writes', async () => {
    const path = newFilePath();
    mkdirSync(path, { recursive: true });
    const errors: Error[] = [];
    const telemetry = new FactoryTelemetry({ file: { path }, env: {}, onError: (error) => errors.push(error) });
    recordOneRun(telemetry, 'run-file-fails');
    await telemetry.shutdown();

    const stats = telemetry.stats().file!;
    expect(stats.exported).toBe(0);
    expect(stats.failed).toBe(stats.accepted);
    expect(stats.failedByErrorType).toEqual({ EISDIR: stats.accepted });
    expect(errors.map((error) => error.message).join('\n')).toContain('run-file-fails');
  });

  it('reports an invalid file option', async () => {
    const errors: Error[] = [];
    const telemetry = new FactoryTelemetry({ file: { path: '' }, env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }, export: { selfMetrics: false }, onError: (error) => errors.push(error) });
    expect(errors.map((error) => error.message)).toContainEqual(expect.stringContaining('invalid file path ""'));
    expect(telemetry.stats().file).toBeUndefined();
    await telemetry.shutdown();
  });

  it('takes the path from FACTORY_TELEMETRY_FILE', async () => {
    const path = newFilePath();
    const telemetry = new FactoryTelemetry({ env: { FACTORY_TELEMETRY_FILE: path } });
    recordOneRun(telemetry, 'run-file-env');
    await telemetry.shutdown();
    expect((await readRuns(path)).has('run-file-env')).toBe(true);
  });

  it('reports the file option under a host provider', async () => {
    const path = newFilePath();
    const { telemetry, errors, spans } = memoryTelemetry({ file: { path } });
    recordOneRun(telemetry, 'run-file-host');
    expect(errors.map((error) => error.message)).toContainEqual(expect.stringContaining(`not writing to ${path}`));
    expect(spans().length).toBeGreaterThan(0);
    expect(telemetry.stats().file).toBeUndefined();
  });

  it('writes a full batch at once', async () => {
    const path = newFilePath();
    const processor = new FileSpanProcessor({ path, maxExportBatchSize: 2, scheduledDelayMillis: 60_000 });
    const telemetry = new FactoryTelemetry({ tracerProvider: new TracerProvider({ spanProcessors: [processor] }) });
    const run = telemetry.startRun({ runId: 'run-file-batch', repository: 'acme/api', model: 'model-a', complexity: 'trivial' });
    run.recordContext({ inputTokens: 1 });
    run.recordContext({ inputTokens: 2 });
    expect(processor.stats()).toMatchObject({ accepted: 2, exported: 2, pending: 0 });
    run.recordContext({ inputTokens: 3 });
    expect(processor.stats()).toMatchObject({ accepted: 3, exported: 2, pending: 1 });
    await processor.shutdown();
    expect(readFileSync(path, 'utf8').split('\n').filter((line) => line !== '')).toHaveLength(2);
  });

  it('keeps the collector export beside a file when an endpoint is set', async () => {
    const path = newFilePath();
    const telemetry = new FactoryTelemetry({
      file: { path },
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' },
      export: { selfMetrics: false, maxRetryDurationMillis: 1 },
      onError: () => undefined,
    });
    expect(telemetry.stats().export).toBeDefined();
    await telemetry.shutdown();
  });
});

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runChild(mode: string, path: string, signal?: NodeJS.Signals): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixtureScript], {
      env: { PATH: process.env.PATH ?? '', FIXTURE_MODE: mode, FACTORY_TELEMETRY_FILE: path },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (signal !== undefined && chunk.toString().includes('ready')) child.kill(signal);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const limit = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, exitSignal) => {
      clearTimeout(limit);
      resolve({ code, signal: exitSignal, stderr });
    });
  });
}

describe('file sink at process exit', () => {
  const cases: Array<{ mode: string; signal?: NodeJS.Signals; code: number | null; exitSignal: NodeJS.Signals | null }> = [
    { mode: 'return', code: 0, exitSignal: null },
    { mode: 'exit-in-finally', code: 3, exitSignal: null },
    { mode: 'throw', code: 1, exitSignal: null },
    { mode: 'wait-for-signal', signal: 'SIGTERM', code: null, exitSignal: 'SIGTERM' },
  ];
  for (const { mode, signal, code, exitSignal } of cases) {
    it(`writes the whole run on ${mode}`, async () => {
      const path = newFilePath();
      const result = await runChild(mode, path, signal);
      expect(result.code, result.stderr).toBe(code);
      expect(result.signal).toBe(exitSignal);

      const run = (await readRuns(path)).get('file-run-1');
      expect(run?.roots).toHaveLength(1);
      expect(run?.attempts).toHaveLength(1);
      expect(run?.verifications).toHaveLength(1);
      expect(run?.outcomes[0]?.oneShot).toBe(true);
    });
  }

  it('writes an open run as interrupted', async () => {
    const path = newFilePath();
    const result = await runChild('open-run', path);
    expect(result.code, result.stderr).toBe(0);
    const run = (await readRuns(path)).get('file-run-1');
    expect(run?.roots[0]?.interrupted).toBe(true);
    expect(run?.roots[0]?.error).toBe(true);
  });
});
