import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rename, rm, cp } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { waitUntil } from '../prometheus.js';
import { recordingRuleLevels, type RuleDefinition } from './rule-levels.js';

const execFileAsync = promisify(execFile);

export interface RuleBackfillOptions {
  prometheusUrl: string;
  /** Path of promtool, from the same Prometheus build. */
  promtool: string;
  /** Prometheus's --storage.tsdb.path, where the blocks are moved. */
  dataDir: string;
  rules: RuleDefinition[];
  /** First and last evaluation time in ms, multiples of `evaluationStepMs`. */
  startMs: number;
  endMs: number;
  /** Time between two evaluations; the raw history's step. */
  evaluationStepMs: number;
  /** Time between two written samples; at most Prometheus's lookback delta (5 minutes by default). */
  sampleStepMs: number;
  /** How long to wait for Prometheus to load a level's blocks. Default 3 minutes. */
  loadTimeoutMs?: number;
  log?: (message: string) => void;
}

export interface RuleBackfillResult {
  levels: number;
  rules: number;
  series: number;
  samples: number;
  blocks: number;
}

/**
 * Backfills recording rules over the history, level by level (see
 * recordingRuleLevels). For each level it evaluates every rule with query_range at
 * `evaluationStepMs` and writes the results as OpenMetrics. It turns them into TSDB
 * blocks with `promtool tsdb create-blocks-from openmetrics` and moves the blocks
 * into the data directory. Then it waits until Prometheus has loaded them, so that
 * the next level can read them.
 *
 * Each result is written at every `sampleStepMs` until the next evaluation. The raw
 * history changes only at evaluation steps, so a rule evaluated between two steps
 * returns the same value, and the extra samples keep panels continuous within the
 * lookback delta.
 */
export async function backfillRules(options: RuleBackfillOptions): Promise<RuleBackfillResult> {
  if (options.evaluationStepMs % options.sampleStepMs !== 0) {
    throw new Error(`the history step (${options.evaluationStepMs} ms) must be a multiple of the rule sample step (${options.sampleStepMs} ms).`);
  }
  const log = options.log ?? (() => undefined);
  const levels = recordingRuleLevels(options.rules);
  const result: RuleBackfillResult = { levels: levels.length, rules: 0, series: 0, samples: 0, blocks: 0 };
  // Next to the data directory, so that moving a block is a rename on one file system.
  const work = await mkdtemp(join(dirname(options.dataDir), 'history-rules-'));
  try {
    for (const [index, level] of levels.entries()) {
      const file = join(work, `level-${index}.om`);
      const written = await writeLevel(options, level, file);
      result.rules += level.length;
      result.series += written.series;
      result.samples += written.samples;
      log(`rules level ${index}: ${level.length} rules, ${written.series} series, ${written.samples} samples`);
      if (written.samples === 0) continue;

      const blocks = join(work, `blocks-${index}`);
      await createBlocks(options, file, blocks);
      const moved = await moveBlocks(blocks, options.dataDir);
      result.blocks += moved;
      await waitForSample(options, written.probe!);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return result;
}

interface Probe {
  name: string;
  timeMs: number;
}

// Prometheus returns at most 11,000 points per series in one range query.
const MAX_POINTS_PER_QUERY = 10_000;

async function writeLevel(options: RuleBackfillOptions, rules: RuleDefinition[], path: string): Promise<{ series: number; samples: number; probe?: Probe }> {
  const out = createWriteStream(path);
  let series = 0;
  let samples = 0;
  let probe: Probe | undefined;
  // OpenMetrics wants all samples of one metric family together.
  const byName = new Map<string, RuleDefinition[]>();
  for (const rule of rules) byName.set(rule.name, [...(byName.get(rule.name) ?? []), rule]);

  for (const [name, group] of byName) {
    await write(out, `# TYPE ${name} gauge\n`);
    for (const rule of group) {
      for (let chunkStart = options.startMs; chunkStart <= options.endMs; chunkStart += MAX_POINTS_PER_QUERY * options.evaluationStepMs) {
        const chunkEnd = Math.min(options.endMs, chunkStart + (MAX_POINTS_PER_QUERY - 1) * options.evaluationStepMs);
        const matrix = await queryRange(options.prometheusUrl, rule.expr, chunkStart, chunkEnd, options.evaluationStepMs);
        for (const item of matrix) {
          const labels = { ...item.metric, ...rule.labels };
          delete labels.__name__;
          const prefix = `${name}${formatLabels(labels)} `;
          const lines: string[] = [];
          for (const [seconds, value] of item.values) {
            const at = Math.round(seconds * 1000);
            const holdUntil = Math.min(at + options.evaluationStepMs - options.sampleStepMs, options.endMs);
            for (let time = at; time <= holdUntil; time += options.sampleStepMs) lines.push(`${prefix}${value} ${time / 1000}\n`);
            if (probe === undefined || at > probe.timeMs) probe = { name, timeMs: at };
          }
          samples += lines.length;
          series += 1;
          await write(out, lines.join(''));
        }
      }
    }
  }
  await write(out, '# EOF\n');
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return { series, samples, probe };
}

interface MatrixItem {
  metric: Record<string, string>;
  values: [number, string][];
}

async function queryRange(prometheusUrl: string, query: string, startMs: number, endMs: number, stepMs: number): Promise<MatrixItem[]> {
  const url = new URL('/api/v1/query_range', prometheusUrl);
  const response = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams({ query, start: String(startMs / 1000), end: String(endMs / 1000), step: `${stepMs / 1000}s` }),
    signal: AbortSignal.timeout(600_000),
  });
  const body = (await response.json().catch(() => undefined)) as { status?: string; error?: string; data?: { resultType: string; result: MatrixItem[] } } | undefined;
  if (!response.ok || body?.status !== 'success' || body.data?.resultType !== 'matrix') {
    throw new Error(`Prometheus range query ${JSON.stringify(query)} failed with HTTP ${response.status}: ${body?.error ?? 'no error message'}`);
  }
  return body.data.result;
}

async function createBlocks(options: RuleBackfillOptions, file: string, outputDir: string): Promise<void> {
  // promtool rounds this down to a compaction range (at most about 20 days for a
  // 12-week history), and reads the whole input once per block range.
  const spanHours = Math.ceil((options.endMs - options.startMs) / 3_600_000) + 2;
  try {
    await execFileAsync(options.promtool, ['tsdb', 'create-blocks-from', `--max-block-duration=${spanHours}h`, '--quiet', 'openmetrics', file, outputDir], { maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`promtool could not create blocks from ${file}: ${stderr || (error as Error).message}`);
  }
}

async function moveBlocks(from: string, dataDir: string): Promise<number> {
  const entries = await readdir(from, { withFileTypes: true });
  let moved = 0;
  for (const entry of entries) {
    // Block directories are ULIDs; promtool leaves nothing else but a possible wal.
    if (!entry.isDirectory() || !/^[0-9A-HJKMNP-TV-Z]{26}$/.test(entry.name)) continue;
    const target = join(dataDir, entry.name);
    try {
      await rename(join(from, entry.name), target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      // A block must appear whole, so copy it under a temporary name first.
      await cp(join(from, entry.name), `${target}.tmp-history`, { recursive: true });
      await rename(`${target}.tmp-history`, target);
    }
    moved += 1;
  }
  return moved;
}

// Prometheus loads new block directories at its next block reload
// (--storage.tsdb.block-reload-interval, 1 minute by default).
async function waitForSample(options: RuleBackfillOptions, probe: Probe): Promise<void> {
  const loaded = await waitUntil(
    async () => {
      const url = new URL('/api/v1/query', options.prometheusUrl);
      url.searchParams.set('query', `count(${probe.name})`);
      url.searchParams.set('time', String(probe.timeMs / 1000));
      const body = (await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).json()) as { data?: { result?: unknown[] } };
      return (body.data?.result?.length ?? 0) > 0;
    },
    options.loadTimeoutMs ?? 180_000,
    500,
  );
  if (!loaded) {
    throw new Error(
      `Prometheus did not load the backfilled blocks of ${probe.name} within ${Math.round((options.loadTimeoutMs ?? 180_000) / 1000)} s. ` +
        `Check that ${options.dataDir} is its --storage.tsdb.path and that its retention keeps the history.`,
    );
  }
}

function formatLabels(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return '';
  return `{${names.map((name) => `${name}="${labels[name]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (text !== '' && !stream.write(text)) await once(stream, 'drain');
}
