/**
 * Simulator throughput benchmark: runs per second that `factory-telemetry
 * simulate` records into the local stack (the real collector and Prometheus on
 * 127.0.0.1), against a bare OpenTelemetry span loop that sends the same spans
 * through the same collector.
 *
 * The bare loop replays the same run plans as raw spans through a plain
 * TracerProvider and the SDK's own OTLP/HTTP span processor. Both sides pay
 * for the same export, so they differ only in what the simulator adds: the
 * SDK's validation and attributes, and the split into three roles. Each side
 * is timed from its first span to the collector's acknowledgement of its last.
 * The sides alternate over several rounds; the result is the median ratio.
 *
 *   npm run bench:simulate -- [--weeks 2] [--rounds 3] [--runs-per-week 3500]
 *   node dist/bench/simulate.js --weeks 12 --rounds 1    (12 weeks x 3,500 runs)
 *
 * Ports: 34317, 34318, 34133, 34888 and 34090 on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SpanKind, type Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { planRuns, type RunPlan } from '../cli/simulate/plan.js';
import { recordPlans } from '../cli/simulate/record.js';
import { loadScenario, type Scenario } from '../cli/simulate/scenario.js';
import { startStack, stopStack, type StackOptions } from '../cli/stack/index.js';
import { ExitSafeSpanProcessor, FactoryIdGenerator, FactoryTelemetry, otlpHttpMetricsTargetFromEnv, otlpHttpTargetFromEnv } from '../sdk/index.js';
import { formatTable, round, summarize } from './format.js';
import { CountingSpanProcessor } from './span-processor.js';

const REPO = join(import.meta.dirname, '..', '..');
const END = new Date('2026-11-30T00:00:00Z');
const MAX_PENDING = 4000;

const { values } = parseArgs({
  options: {
    weeks: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    'runs-per-week': { type: 'string', default: '3500' },
  },
});
const weeks = Number(values.weeks);
const rounds = Number(values.rounds);
const runsPerWeek = Number(values['runs-per-week']);

const stackOptions: StackOptions = {
  stateDir: join(REPO, '.stack', 'bench-simulate'),
  interval: '2s',
  ports: { otlpHttp: 34318, otlpGrpc: 34317, health: 34133, collectorTelemetry: 34888, prometheus: 34090 },
  log: (message) => process.stderr.write(`[stack] ${message}\n`),
};

// The hidden-bottleneck scenario, at the requested volume.
const scenario: Scenario = { ...loadScenario(join(REPO, 'scenarios', 'hidden-bottleneck.yaml')), runsPerWeek };
const scenarioFile = join(mkdtempSync(join(tmpdir(), 'bench-simulate-')), 'scenario.json');
writeFileSync(scenarioFile, JSON.stringify(scenario));

const info = await startStack(stackOptions);
const endpoint = info.otlpHttpEndpoint;
try {
  const plans = planRuns(scenario, { seed: 1, end: END, weeks });
  const spansPerRun = countSpans(plans) / plans.length;
  console.log(`${plans.length} runs (${weeks} weeks x ${runsPerWeek}), ${round(spansPerRun, 2)} spans per run, collector at ${endpoint}`);

  const rows: Array<{ bareNoExport: number; inProcessNoExport: number; bare: number; inProcess: number; live: number }> = [];
  for (let round_ = 1; round_ <= rounds; round_ += 1) {
    const rate = (seconds: number) => plans.length / seconds;
    const row = {
      bareNoExport: rate(await bareLoop(plans, undefined)),
      inProcessNoExport: rate(await simulatorInProcess(plans, undefined)),
      bare: rate(await bareLoop(plans, endpoint)),
      inProcess: rate(await simulatorInProcess(plans, endpoint)),
      live: rate(await simulatorLive(endpoint)),
    };
    rows.push(row);
    console.log(`round ${round_}: ${Object.entries(row).map(([name, value]) => `${name} ${Math.round(value)}`).join(', ')} runs/s`);
  }

  const summary = (pick: (row: (typeof rows)[number]) => number) => summarize(rows.map(pick));
  const table = [
    ['bare span loop, no export', summary((row) => row.bareNoExport), undefined],
    ['simulator in one process, no export', summary((row) => row.inProcessNoExport), summarize(rows.map((row) => row.inProcessNoExport / row.bareNoExport))],
    ['bare span loop -> collector', summary((row) => row.bare), undefined],
    ['simulator in one process -> collector', summary((row) => row.inProcess), summarize(rows.map((row) => row.inProcess / row.bare))],
    ['simulator, three processes (CLI) -> collector', summary((row) => row.live), summarize(rows.map((row) => row.live / row.bare))],
  ] as const;
  console.log('');
  console.log(
    formatTable(
      ['path', 'runs/s median', 'min', 'max', 'ratio to bare (median)'],
      table.map(([name, runs, ratio]) => [name, String(Math.round(runs.median)), String(Math.round(runs.min)), String(Math.round(runs.max)), ratio === undefined ? '1' : String(round(ratio.median, 2))]),
    ),
  );
  console.log(JSON.stringify({ runs: plans.length, spansPerRun: round(spansPerRun, 2), rounds: rows }));
} finally {
  await stopStack(stackOptions);
}

function countSpans(plans: readonly RunPlan[]): number {
  // Root, context, execution, outcome, review; two per attempt; one per deployment.
  return plans.reduce((sum, plan) => sum + 5 + 2 * plan.attempts.length + plan.deployments.length, 0);
}

/**
 * The same spans as raw OpenTelemetry calls; returns seconds until all were
 * exported. Without a URL the spans go to a processor that only counts them.
 */
async function bareLoop(plans: readonly RunPlan[], url: string | undefined): Promise<number> {
  const processor = url === undefined ? undefined : new ExitSafeSpanProcessor({ ...targets(url), serviceName: 'bench-bare', maxRetryDurationMillis: 60_000 });
  const counting = new CountingSpanProcessor();
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench-bare' }), idGenerator: new FactoryIdGenerator(), spanProcessors: [processor ?? counting] });
  const tracer = provider.getTracer('bench-bare');
  const started = performance.now();
  for (let index = 0; index < plans.length; index += 1) {
    const plan = plans[index]!;
    const identity: Attributes = {
      'factory.run.id': plan.runId,
      'vcs.repository.name': plan.repository,
      'vcs.change.id': String(plan.changeId),
      'gen_ai.request.model': plan.model,
      'gen_ai.provider.name': plan.provider,
      'factory.task.complexity': plan.complexity,
      'factory.team': plan.team,
    };
    const span = (name: string, start: number, end: number, extra: Attributes = {}) =>
      tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: start, attributes: { ...identity, ...extra } }).end(end);
    span('factory.run', plan.startTime, plan.harnessEnd);
    span('factory.context', plan.context.startTime, plan.context.endTime, { 'factory.context.complete': plan.context.complete });
    span('factory.execution', plan.attempts[0]!.startTime, plan.harnessEnd);
    for (const attempt of plan.attempts) {
      span('factory.attempt', attempt.startTime, attempt.endTime, { 'factory.attempt.number': attempt.number, 'factory.attempt.trigger': attempt.trigger });
      span('factory.verification', attempt.verification.startTime, attempt.verification.endTime, { 'cicd.pipeline.result': attempt.verification.result });
    }
    span('factory.review', plan.review.openedAt, plan.review.closedAt, { 'vcs.change.state': plan.review.state });
    for (const deployment of plan.deployments) span('factory.deployment', deployment.commitAt, deployment.deployedAt, { 'deployment.environment.name': 'production' });
    span('factory.outcome', plan.outcome.at, plan.outcome.at, { 'factory.outcome.status': plan.outcome.status, 'factory.outcome.one_shot': plan.outcome.oneShot });
    // The same back-pressure as the simulator, so that neither side drops spans.
    if ((index + 1) % 200 === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      while (processor !== undefined && processor.stats().pending > MAX_PENDING) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  await provider.shutdown();
  const seconds = (performance.now() - started) / 1000;
  if (processor !== undefined) checkExported('bare', processor.stats());
  else if (counting.ended !== countSpans(plans)) throw new Error(`bare: ${counting.ended} spans ended, expected ${countSpans(plans)}`);
  return seconds;
}

/**
 * recordPlans with one FactoryTelemetry per role in this process; returns
 * seconds until all were exported. Without a URL the three record through one
 * provider whose processor only counts the spans.
 */
async function simulatorInProcess(plans: readonly RunPlan[], url: string | undefined): Promise<number> {
  const counting = new CountingSpanProcessor();
  const provider = new TracerProvider({ idGenerator: new FactoryIdGenerator(), spanProcessors: [counting] });
  const make = (role: string) =>
    url === undefined
      ? new FactoryTelemetry({ tracerProvider: provider })
      : new FactoryTelemetry({ serviceName: `bench-simulator-${role}`, export: { ...targets(url), maxRetryDurationMillis: 60_000 } });
  const roles = { harness: make('harness'), webhook: make('webhook'), deploy: make('deploy') };
  const started = performance.now();
  await recordPlans(plans, roles, { maxPendingSpans: MAX_PENDING });
  await Promise.all(Object.values(roles).map((telemetry) => telemetry.shutdown()));
  const seconds = (performance.now() - started) / 1000;
  if (url === undefined && counting.ended !== countSpans(plans)) throw new Error(`simulator: ${counting.ended} spans ended, expected ${countSpans(plans)}`);
  if (url !== undefined) for (const [role, telemetry] of Object.entries(roles)) checkExported(role, telemetry.stats().export!);
  return seconds;
}

/** Runs the CLI's live mode (three child processes, one per role); returns its seconds. */
async function simulatorLive(url: string): Promise<number> {
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), 'simulate', scenarioFile, '--seed', '1', '--end', END.toISOString(), '--weeks', String(weeks)], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: url },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`simulate exited with code ${code}`);
  return (performance.now() - started) / 1000;
}

// Both targets explicitly: with an unreachable self-metrics endpoint (the
// default localhost:4318 when no variable is set) the processor's forceFlush
// waits about 15 s, which would swamp the timing.
function targets(url: string) {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: url };
  return { target: otlpHttpTargetFromEnv(env).target, metricsTarget: otlpHttpMetricsTargetFromEnv(env).target };
}

function checkExported(name: string, stats: { accepted: number; exported: number; dropped: number; failed: number }): void {
  if (stats.exported !== stats.accepted || stats.dropped + stats.failed > 0) {
    throw new Error(`${name}: exported ${stats.exported} of ${stats.accepted} spans (${stats.dropped} dropped, ${stats.failed} failed); the timing would be wrong`);
  }
}
