/**
 * Benchmarks the analysis engine on the embedded store: it writes about 1,000,000
 * spans (about 110,000 simulated runs) through the SDK's file sink once, then
 * times, each in a fresh node process, the full analysis (read, group into runs,
 * every recording rule, the four metrics by model and complexity) and a baseline
 * that only reads the lines and JSON.parses them. Reports the median time of
 * each, their ratio, and the peak resident memory of each process.
 *
 *   npm run bench:analysis            (builds first)
 *   node dist/bench/analysis.js [--spans N] [--rounds N] [--file PATH]
 *
 * The generated file is kept in the temporary directory and reused by later runs
 * with the same --spans.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { collectRuns, evaluateRecordingRules, factoryMetrics, readOtlpJsonLines, windowEndingAt } from '../analysis/index.js';
import { simulateSmallFactory } from '../cli/demo/small-factory.js';
import { FactoryTelemetry } from '../sdk/index.js';
import { formatTable, isEntryPoint, round, summarize } from './format.js';

/** Result of one timed child process, printed as its last stdout line. */
interface PhaseResult {
  phase: 'analyse' | 'parse';
  milliseconds: number;
  maxRssMiB: number;
  spans: number;
  runs: number;
  ruleSamples: number;
}

const RUNS_PER_CHUNK = 10_000;

if (isEntryPoint(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      spans: { type: 'string', default: '1000000' },
      rounds: { type: 'string', default: '3' },
      file: { type: 'string' },
      phase: { type: 'string' },
    },
  });
  if (values.phase !== undefined) {
    const result = await runPhase(values.phase, values.file!);
    console.log(JSON.stringify(result));
  } else {
    await main(Number(values.spans), Number(values.rounds), values.file);
  }
}

async function main(spanTarget: number, rounds: number, fileOption: string | undefined): Promise<void> {
  if (!(Number.isInteger(spanTarget) && spanTarget > 0)) throw new Error(`invalid --spans ${spanTarget}: expected a positive whole number`);
  if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error(`invalid --rounds ${rounds}: expected a positive whole number`);
  console.log(`Machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${round(totalmem() / 1024 ** 3, 1)} GiB memory, Node.js ${process.version}`);

  const file = fileOption ?? join(tmpdir(), `factory-telemetry-bench-analysis-${spanTarget}.jsonl`);
  if (!existsSync(file)) {
    const started = Date.now();
    const written = await writeSpans(file, spanTarget);
    console.log(`Wrote ${written.spans} spans of ${written.runs} runs through the file sink in ${round((Date.now() - started) / 1000, 1)} s`);
  }
  console.log(`File: ${file}, ${round(statSync(file).size / 1024 ** 2, 1)} MiB`);

  // Alternate the phases so that a slow moment of the machine hits both.
  const results: PhaseResult[] = [];
  for (let round_ = 0; round_ < rounds; round_ += 1) {
    for (const phase of ['parse', 'analyse'] as const) results.push(await runChild(phase, file));
  }
  const parse = results.filter((result) => result.phase === 'parse');
  const analyse = results.filter((result) => result.phase === 'analyse');
  const parseTime = summarize(parse.map((result) => result.milliseconds));
  const analyseTime = summarize(analyse.map((result) => result.milliseconds));
  const rows = [
    ['parse only (baseline)', ms(parseTime.median), `${ms(parseTime.min)}-${ms(parseTime.max)}`, mib(Math.max(...parse.map((result) => result.maxRssMiB))), String(parse[0]!.spans), '-'],
    ['full analysis', ms(analyseTime.median), `${ms(analyseTime.min)}-${ms(analyseTime.max)}`, mib(Math.max(...analyse.map((result) => result.maxRssMiB))), String(analyse[0]!.spans), String(analyse[0]!.runs)],
  ];
  console.log('');
  console.log(formatTable(['Phase', 'Median', 'Range', 'Peak RSS', 'Spans', 'Runs'], rows));
  console.log(`\nRatio full analysis / parse only (medians): ${round(analyseTime.median / parseTime.median, 2)}`);
  console.log(JSON.stringify({ file, rounds, parse: parseTime, analyse: analyseTime, ratio: round(analyseTime.median / parseTime.median, 3), results }));
}

/** Records simulated runs through the file sink until at least `spanTarget` spans are written. */
async function writeSpans(file: string, spanTarget: number): Promise<{ spans: number; runs: number }> {
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  const telemetry = new FactoryTelemetry({ serviceName: 'bench-analysis', file: { path: partial }, env: {} });
  let runs = 0;
  for (let seed = 1; (telemetry.stats().file?.accepted ?? 0) < spanTarget; seed += 1) {
    await simulateSmallFactory(telemetry, { runs: RUNS_PER_CHUNK, seed, now: new Date() });
    runs += RUNS_PER_CHUNK;
    await telemetry.forceFlush();
  }
  await telemetry.shutdown();
  const stats = telemetry.stats().file!;
  if (stats.exported !== stats.accepted) throw new Error(`the file sink wrote ${stats.exported} of ${stats.accepted} spans: ${JSON.stringify(stats)}`);
  renameSync(partial, file);
  return { spans: stats.exported, runs };
}

function runChild(phase: PhaseResult['phase'], file: string): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--phase', phase, '--file', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = output.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`the ${phase} process exited with ${code}: ${output}`));
      else resolve(JSON.parse(last) as PhaseResult);
    });
  });
}

/** Runs one phase in this process and measures it. */
async function runPhase(phase: string, file: string): Promise<PhaseResult> {
  const started = performance.now();
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  if (phase === 'parse') {
    let spans = 0;
    for await (const line of lines) {
      const request = JSON.parse(line) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> };
      for (const resource of request.resourceSpans) for (const scope of resource.scopeSpans) spans += scope.spans.length;
    }
    return { phase, milliseconds: performance.now() - started, maxRssMiB: maxRssMiB(), spans, runs: 0, ruleSamples: 0 };
  }
  if (phase !== 'analyse') throw new Error(`unknown --phase ${phase}: expected parse or analyse`);

  let spans = 0;
  const counted = async function* () {
    for await (const span of readOtlpJsonLines(lines)) {
      spans += 1;
      yield span;
    }
  };
  const { runs } = await collectRuns(counted());
  // The simulated runs end up to a day after they were written.
  const window = windowEndingAt(new Date(Date.now() + 24 * 3600 * 1000));
  const samples = evaluateRecordingRules(runs.values(), window);
  factoryMetrics(runs.values(), { window, by: ['model', 'complexity'] });
  return { phase: 'analyse', milliseconds: performance.now() - started, maxRssMiB: maxRssMiB(), spans, runs: runs.size, ruleSamples: samples.length };
}

function maxRssMiB(): number {
  // resourceUsage().maxRSS is in kilobytes.
  return process.resourceUsage().maxRSS / 1024;
}

function ms(milliseconds: number): string {
  return `${round(milliseconds / 1000, 2)} s`;
}

function mib(value: number): string {
  return `${round(value, 0)} MiB`;
}
