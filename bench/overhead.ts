/**
 * Overhead benchmark: the time to record one complete run through the SDK,
 * divided by the time to record the same 12 spans through the bare
 * OpenTelemetry API. Both record through one TracerProvider whose span
 * processor only counts ended spans, so that export costs nothing.
 *
 * Both sides run in the same process, interleaved in rounds after warm-up
 * rounds, with a full garbage collection before each timed segment when node
 * runs with --expose-gc. Each round gives one ratio per variant; the result is
 * the median over the rounds, with the minimum and maximum.
 *
 *   node --expose-gc dist/bench/overhead.js [--rounds 15] [--runs 2000] [--warmup 3]
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
}

export interface VariantResult {
  variant: VerificationVariant;
  /** SDK time / bare time, over the rounds. */
  ratio: Summary;
  /** Microseconds per run through the SDK, over the rounds. */
  sdkMicrosPerRun: Summary;
  /** Microseconds per run through the bare API, over the rounds. */
  bareMicrosPerRun: Summary;
  /** The ratio of each round, in order. */
  roundRatios: number[];
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
    for (const segment of segments) timeSegment(bench, segment, options.runsPerRound);
  }

  const millis = new Map<string, number[]>(segments.map((segment) => [key(segment), []]));
  for (let round = 0; round < options.rounds; round += 1) {
    // Every other round runs the segments in reverse order, so that no segment
    // always runs first or last in a round.
    const order = round % 2 === 0 ? segments : [...segments].reverse();
    for (const segment of order) millis.get(key(segment))!.push(timeSegment(bench, segment, options.runsPerRound));
  }

  if (bench.problems.length > 0) {
    throw new Error(`the SDK reported ${bench.problems.length} problems while recording, so it did not record the whole scenario. First: ${bench.problems[0]}`);
  }
  const unrecorded = bench.telemetry.stats().unrecordedSpans;
  if (unrecorded > 0) throw new Error(`the provider did not record ${unrecorded} SDK spans, so the SDK side did less work than the bare side`);

  const variants = VARIANTS.map((variant): VariantResult => {
    const sdk = millis.get(key({ side: 'sdk', variant }))!;
    const bare = millis.get(key({ side: 'bare', variant }))!;
    const roundRatios = sdk.map((time, round) => time / bare[round]!);
    const perRun = (times: number[]) => summarize(times.map((time) => (time * 1000) / options.runsPerRound));
    return { variant, ratio: summarize(roundRatios), sdkMicrosPerRun: perRun(sdk), bareMicrosPerRun: perRun(bare), roundRatios };
  });
  return {
    options,
    collectedGarbage: canCollectGarbage(),
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

// Returns the time in milliseconds that `runs` runs of `segment` took.
function timeSegment(bench: Bench, segment: Segment, runs: number): number {
  collectGarbage();
  const endedBefore = bench.processor.ended;
  const start = performance.now();
  for (let run = 0; run < runs; run += 1) segment.recordRun();
  const elapsed = performance.now() - start;

  const ended = bench.processor.ended - endedBefore;
  if (ended !== runs * SPANS_PER_RUN) {
    throw new Error(`${key(segment)}: ${runs} runs ended ${ended} spans, expected ${runs * SPANS_PER_RUN}`);
  }
  return elapsed;
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
  ]);
  return [
    `Overhead: one run of ${SPANS_PER_RUN} spans, SDK time / bare OpenTelemetry time, ${rounds} rounds of ${runsPerRound} runs after ${warmupRounds} warm-up rounds`,
    `CI output per verification: ${result.ciOutputBytes.join(', ')} bytes. GC before each segment: ${result.collectedGarbage ? 'yes' : 'no (run node with --expose-gc)'}`,
    '',
    formatTable(['variant', 'SDK µs/run', 'bare µs/run', 'ratio median', 'min', 'max'], rows),
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
      sdkMicrosPerRunMedian: round(variant.sdkMicrosPerRun.median, 2),
      bareMicrosPerRunMedian: round(variant.bareMicrosPerRun.median, 2),
      roundRatios: variant.roundRatios.map((ratio) => round(ratio, 3)),
    })),
  };
}

if (isEntryPoint(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '15' },
      runs: { type: 'string', default: '2000' },
      warmup: { type: 'string', default: '3' },
    },
  });
  const options: OverheadOptions = {
    rounds: positiveInteger(values.rounds, '--rounds'),
    runsPerRound: positiveInteger(values.runs, '--runs'),
    warmupRounds: positiveInteger(values.warmup, '--warmup', true),
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
