/**
 * Overhead benchmark: the time to record one complete run through the SDK,
 * divided by the time to record the same 12 spans through the bare
 * OpenTelemetry API. Both record through one TracerProvider whose span
 * processor only counts ended spans, so that export costs nothing.
 *
 * Both sides run in the same process, interleaved in rounds after warm-up
 * rounds, with a full garbage collection before each timed segment when node
 * runs with --expose-gc. Each round gives one ratio per variant; the result is
 * the median over the rounds, with the minimum and maximum. Each segment is
 * timed twice: by the wall clock, and by the CPU time of this process
 * (process.cpuUsage, user plus system, all threads), which leaves out the time
 * that other processes on a busy machine take from it.
 *
 *   node --expose-gc dist/bench/overhead.js [--rounds 15] [--runs 2000] [--warmup 3] [--skip-gc]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Tracer } from '@opentelemetry/api';
import { TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { FactoryIdGenerator, FactoryTelemetry, failureSignature } from '../sdk/index.js';
import * as sc from '../sdk/semconv.js';
import { canCollectGarbage, collectGarbage, formatTable, isEntryPoint, round, summarize, type Summary } from './format.js';
import { CountingSpanProcessor } from './span-processor.js';
import { barePlan, CI_OUTPUTS, recordBareRun, recordSdkRun, SPANS_PER_RUN, type BarePlan, type VerificationVariant } from './scenario.js';

export interface OverheadOptions {
  /** Timed rounds. Each round times every variant on both sides once. */
  rounds: number;
  /** Runs recorded per side and variant in each round. */
  runsPerRound: number;
  /** Untimed rounds first, so that both sides run optimised code when timing starts. */
  warmupRounds: number;
  /**
   * Whether to skip the full garbage collections before each segment. Default:
   * false. After each full collection V8 deoptimizes the compiled code that
   * referred to objects it freed (`--trace-deopt`: "weak objects"), on both sides.
   */
  skipGarbageCollection?: boolean;
}

export interface VariantResult {
  variant: VerificationVariant;
  /** SDK time / bare time by the wall clock, over the rounds. */
  ratio: Summary;
  /** SDK CPU time / bare CPU time, over the rounds. */
  cpuRatio: Summary;
  /** Microseconds per run through the SDK, over the rounds. */
  sdkMicrosPerRun: Summary;
  /** Microseconds per run through the bare API, over the rounds. */
  bareMicrosPerRun: Summary;
  /** The wall-clock ratio of each round, in order. */
  roundRatios: number[];
  /** The CPU time ratio of each round, in order. */
  roundCpuRatios: number[];
}

export interface OverheadResult {
  options: OverheadOptions;
  /** Whether a garbage collection ran before each timed segment (node --expose-gc). */
  collectedGarbage: boolean;
  /** Byte length of the CI output passed to each verification in the `output` variant. */
  ciOutputBytes: number[];
  variants: VariantResult[];
}

interface Bench {
  processor: CountingSpanProcessor;
  telemetry: FactoryTelemetry;
  tracer: Tracer;
  signatures: string[];
  plans: Record<VerificationVariant, BarePlan>;
  problems: string[];
}

/** A timed block of runs: one side of one variant. */
interface Segment {
  side: 'sdk' | 'bare';
  variant: VerificationVariant;
  recordRun(): void;
}

/** Runs the benchmark and returns its results. Throws when the two sides record different spans. */
export function runOverheadBench(options: OverheadOptions): OverheadResult {
  const bench = setUp();
  for (const variant of VARIANTS) checkEquivalence(bench, variant);

  const segments: Segment[] = VARIANTS.flatMap((variant) => [
    { side: 'sdk', variant, recordRun: () => recordSdkRun(bench.telemetry, variant, bench.signatures) },
    { side: 'bare', variant, recordRun: () => recordBareRun(bench.tracer, bench.plans[variant]) },
  ]);

  for (let round = 0; round < options.warmupRounds; round += 1) {
    for (const segment of segments) timeSegment(bench, segment, options);
  }

  const times = new Map<string, SegmentTime[]>(segments.map((segment) => [key(segment), []]));
  for (let round = 0; round < options.rounds; round += 1) {
    // Every other round runs the segments in reverse order, so that no segment
    // always runs first or last in a round.
    const order = round % 2 === 0 ? segments : [...segments].reverse();
    for (const segment of order) times.get(key(segment))!.push(timeSegment(bench, segment, options));
  }

  if (bench.problems.length > 0) {
    throw new Error(`the SDK reported ${bench.problems.length} problems while recording, so it did not record the whole scenario. First: ${bench.problems[0]}`);
  }
  const unrecorded = bench.telemetry.stats().unrecordedSpans;
  if (unrecorded > 0) throw new Error(`the provider did not record ${unrecorded} SDK spans, so the SDK side did less work than the bare side`);

  const variants = VARIANTS.map((variant): VariantResult => {
    const sdk = times.get(key({ side: 'sdk', variant }))!;
    const bare = times.get(key({ side: 'bare', variant }))!;
    const roundRatios = sdk.map((time, round) => time.wallMillis / bare[round]!.wallMillis);
    const roundCpuRatios = sdk.map((time, round) => time.cpuMillis / bare[round]!.cpuMillis);
    const perRun = (segmentTimes: SegmentTime[]) => summarize(segmentTimes.map((time) => (time.wallMillis * 1000) / options.runsPerRound));
    return {
      variant,
      ratio: summarize(roundRatios),
      cpuRatio: summarize(roundCpuRatios),
      sdkMicrosPerRun: perRun(sdk),
      bareMicrosPerRun: perRun(bare),
      roundRatios,
      roundCpuRatios,
    };
  });
  return {
    options,
    collectedGarbage: canCollectGarbage() && options.skipGarbageCollection !== true,
    ciOutputBytes: CI_OUTPUTS.map((output) => Buffer.byteLength(output)),
    variants,
  };
}

const VARIANTS: readonly VerificationVariant[] = ['output', 'signature'];

function key(segment: Pick<Segment, 'side' | 'variant'>): string {
  return `${segment.side}/${segment.variant}`;
}

function setUp(): Bench {
  const processor = new CountingSpanProcessor();
  const provider = new TracerProvider({ idGenerator: new FactoryIdGenerator(), spanProcessors: [processor] });
  const problems: string[] = [];
  const telemetry = new FactoryTelemetry({ tracerProvider: provider, onError: (error) => problems.push(error.message), env: {} });
  const signatures = CI_OUTPUTS.map((output) => failureSignature(output).signature);
  return {
    processor,
    telemetry,
    tracer: provider.getTracer('factory-telemetry-bench-bare'),
    signatures,
    plans: { output: barePlan('output', signatures), signature: barePlan('signature', signatures) },
    problems,
  };
}

/** Milliseconds that one segment took. */
interface SegmentTime {
  wallMillis: number;
  /** User plus system CPU time of the process, all threads. */
  cpuMillis: number;
}

// Returns the time that `options.runsPerRound` runs of `segment` took.
function timeSegment(bench: Bench, segment: Segment, options: OverheadOptions): SegmentTime {
  const runs = options.runsPerRound;
  if (options.skipGarbageCollection !== true) collectGarbage();
  const endedBefore = bench.processor.ended;
  const startCpu = process.cpuUsage();
  const start = performance.now();
  for (let run = 0; run < runs; run += 1) segment.recordRun();
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(startCpu);

  const ended = bench.processor.ended - endedBefore;
  if (ended !== runs * SPANS_PER_RUN) {
    throw new Error(`${key(segment)}: ${runs} runs ended ${ended} spans, expected ${runs * SPANS_PER_RUN}`);
  }
  return { wallMillis: elapsed, cpuMillis: (cpu.user + cpu.system) / 1000 };
}

/**
 * Records one run on each side and throws unless both recorded the same spans:
 * same names, parents, statuses and attributes, with the run id the only
 * attribute value allowed to differ.
 */
function checkEquivalence(bench: Bench, variant: VerificationVariant): void {
  const capture = (record: () => void): string[] => {
    const spans: ReadableSpan[] = [];
    bench.processor.stored = spans;
    record();
    bench.processor.stored = undefined;
    return describeSpans(spans);
  };
  const sdk = capture(() => recordSdkRun(bench.telemetry, variant, bench.signatures));
  const bare = capture(() => recordBareRun(bench.tracer, bench.plans[variant]));

  if (sdk.length !== SPANS_PER_RUN) throw new Error(`${variant}: the SDK recorded ${sdk.length} spans, expected ${SPANS_PER_RUN}`);
  for (let index = 0; index < Math.max(sdk.length, bare.length); index += 1) {
    if (sdk[index] !== bare[index]) {
      throw new Error(`${variant}: the bare side recorded different spans than the SDK.\n  SDK:  ${sdk[index]}\n  bare: ${bare[index]}`);
    }
  }
  if (bench.problems.length > 0) throw new Error(`${variant}: the SDK reported a problem: ${bench.problems[0]}`);
}

// One line per span, with its parent's name, sorted, and with the run id replaced.
function describeSpans(spans: readonly ReadableSpan[]): string[] {
  const names = new Map(spans.map((span) => [span.spanContext().spanId, span.name]));
  return spans
    .map((span) => {
      const parentId = span.parentSpanContext?.spanId;
      const parent = parentId === undefined ? '(none)' : (names.get(parentId) ?? '(outside the run)');
      const attributes = Object.entries({ ...span.attributes, [sc.ATTR_FACTORY_RUN_ID]: '<run id>' }).sort(([a], [b]) => a.localeCompare(b));
      return `${span.name} parent=${parent} status=${JSON.stringify(span.status)} ${JSON.stringify(attributes)}`;
    })
    .sort();
}

/** Formats the result as a table. */
export function formatOverhead(result: OverheadResult): string {
  const { rounds, runsPerRound, warmupRounds } = result.options;
  const label: Record<VerificationVariant, string> = {
    output: 'CI output given (SDK computes signature)',
    signature: 'signature given, no CI output',
  };
  const rows = result.variants.map((variant) => [
    label[variant.variant],
    variant.sdkMicrosPerRun.median.toFixed(1),
    variant.bareMicrosPerRun.median.toFixed(1),
    variant.ratio.median.toFixed(2),
    variant.ratio.min.toFixed(2),
    variant.ratio.max.toFixed(2),
    variant.cpuRatio.median.toFixed(2),
    variant.cpuRatio.min.toFixed(2),
    variant.cpuRatio.max.toFixed(2),
  ]);
  return [
    `Overhead: one run of ${SPANS_PER_RUN} spans, SDK time / bare OpenTelemetry time, ${rounds} rounds of ${runsPerRound} runs after ${warmupRounds} warm-up rounds`,
    `CI output per verification: ${result.ciOutputBytes.join(', ')} bytes. GC before each segment: ${result.collectedGarbage ? 'yes' : 'no (--skip-gc, or node without --expose-gc)'}`,
    '',
    formatTable(['variant', 'SDK µs/run', 'bare µs/run', 'ratio median', 'min', 'max', 'CPU ratio median', 'min', 'max'], rows),
  ].join('\n');
}

/** Reduces the result to what the final JSON line reports. */
export function overheadJson(result: OverheadResult): object {
  return {
    ...result.options,
    collectedGarbage: result.collectedGarbage,
    ciOutputBytes: result.ciOutputBytes,
    variants: result.variants.map((variant) => ({
      variant: variant.variant,
      ratioMedian: round(variant.ratio.median, 3),
      ratioMin: round(variant.ratio.min, 3),
      ratioMax: round(variant.ratio.max, 3),
      cpuRatioMedian: round(variant.cpuRatio.median, 3),
      cpuRatioMin: round(variant.cpuRatio.min, 3),
      cpuRatioMax: round(variant.cpuRatio.max, 3),
      sdkMicrosPerRunMedian: round(variant.sdkMicrosPerRun.median, 2),
      bareMicrosPerRunMedian: round(variant.bareMicrosPerRun.median, 2),
      roundRatios: variant.roundRatios.map((ratio) => round(ratio, 3)),
      roundCpuRatios: variant.roundCpuRatios.map((ratio) => round(ratio, 3)),
    })),
  };
}

if (isEntryPoint(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '15' },
      runs: { type: 'string', default: '2000' },
      warmup: { type: 'string', default: '3' },
      'skip-gc': { type: 'boolean', default: false },
    },
  });
  const options: OverheadOptions = {
    rounds: positiveInteger(values.rounds, '--rounds'),
    runsPerRound: positiveInteger(values.runs, '--runs'),
    warmupRounds: positiveInteger(values.warmup, '--warmup', true),
    skipGarbageCollection: values['skip-gc'],
  };
  const result = runOverheadBench(options);
  console.log(formatOverhead(result));
  console.log(JSON.stringify({ bench: 'overhead', ...overheadJson(result) }));
}

function positiveInteger(text: string, option: string, allowZero = false): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(`invalid ${option} ${text}: expected an integer of ${allowZero ? 0 : 1} or more`);
  }
  return value;
}
