import type { ArmCounts, LoopSliceCounts, ModelComplexityCounts } from '../../analysis/decisions/index.js';
import { UsageError } from './options.js';
import type { CountSource, DurationStat, FunnelStage, ReportDimension, SliceCounts } from './source.js';

/**
 * Counts from the recording rules of prometheus/rules/, evaluated at one
 * instant. Every query reads recording rules only, never the raw span metrics,
 * and `rulesRead` lists them for the output.
 */

/** One sample of an instant vector. */
interface Sample {
  labels: Record<string, string>;
  value: number;
}

const QUERY_TIMEOUT_MS = 10_000;
const COUNTS = ['resolved', 'one_shot', 'autonomous'] as const;

export class PrometheusSource implements CountSource {
  readonly description: string;
  readonly windowDescription: string;
  readonly rulesRead: string[] = [];

  /** `end`: evaluation time of the queries; undefined for Prometheus's now. */
  constructor(
    private readonly url: string,
    private readonly end: Date | undefined,
  ) {
    this.description = `Prometheus at ${url}`;
    const at = end === undefined ? 'now' : end.toISOString();
    this.windowDescription = `the recording rules' 7 days (14 for experiments) ending ${at}`;
  }

  /** Resolved runs of the last 7 days and the outcome stages the rules count. CI stages have no rule. */
  async funnel(): Promise<FunnelStage[]> {
    const stages: Array<[string, string]> = [
      ['resolved', 'factory:runs_resolved:increase_7d'],
      ['merged', 'factory:runs_merged:increase_7d'],
      ['no human code change', 'factory:runs_autonomous:increase_7d'],
      ['first attempt (one-shot)', 'factory:runs_one_shot:increase_7d'],
    ];
    const result: FunnelStage[] = [];
    for (const [stage, rule] of stages) result.push({ stage, runs: await this.scalar(rule, rule) });
    return result;
  }

  async slices(by: ReportDimension | undefined): Promise<SliceCounts[]> {
    if (by === undefined) return [await this.factorySlice()];

    // The rule family that carries each dimension, and whether it counts merged runs.
    const families: Record<ReportDimension, { rule: string; merged: boolean }> = {
      model: { rule: 'model:factory_runs_%s:increase_7d', merged: true },
      complexity: { rule: 'model_complexity:factory_runs_%s:increase_7d', merged: true },
      team: { rule: 'team_repository:factory_runs_%s:increase_7d', merged: false },
      repository: { rule: 'team_repository:factory_runs_%s:increase_7d', merged: false },
    };
    const family = families[by];
    const names = family.merged ? [...COUNTS, 'merged'] : [...COUNTS];
    const vectors = new Map<string, Sample[]>();
    for (const name of names) {
      const rule = family.rule.replace('%s', name);
      vectors.set(name, await this.vector(`sum by (${by}) (${rule})`, rule));
    }

    const keys = [...new Set((vectors.get('resolved') ?? []).map((sample) => sample.labels[by] ?? ''))].sort();
    const valueOf = (name: string, key: string) => (vectors.get(name) ?? []).find((sample) => (sample.labels[by] ?? '') === key)?.value ?? 0;
    // Of the report's dimensions, only team has cycle time and MLTC rules, and only
    // their medians (the rules of FactoryHiddenBottleneck).
    const cycleTimes = by === 'team' ? await this.teamDurations('cycle_time', 'team:factory_reviews_merged:increase_7d') : new Map<string, DurationStat>();
    const mltcs = by === 'team' ? await this.teamDurations('mltc', 'team:factory_deployments_succeeded:increase_7d') : new Map<string, DurationStat>();
    return keys.map((key) => ({
      labels: { [by]: key },
      resolved: valueOf('resolved', key),
      merged: family.merged ? valueOf('merged', key) : undefined,
      oneShot: valueOf('one_shot', key),
      autonomous: valueOf('autonomous', key),
      cycleTime: cycleTimes.get(key),
      mltc: mltcs.get(key),
    }));
  }

  async experiment(name: string): Promise<{ arms: ArmCounts[]; weeks: number; windowDescription: string }> {
    const selector = `{experiment=${promqlString(name)}}`;
    const vectors = new Map<string, Sample[]>();
    for (const count of COUNTS) {
      const rule = `experiment_arm_complexity:factory_runs_${count}:increase_14d`;
      vectors.set(count, await this.vector(`${rule}${selector}`, rule));
    }
    const arms = new Map<string, ArmCounts>();
    for (const sample of vectors.get('resolved') ?? []) {
      const armName = sample.labels.arm ?? '';
      const complexity = sample.labels.complexity ?? '';
      const match = (count: string) =>
        (vectors.get(count) ?? []).find((other) => (other.labels.arm ?? '') === armName && (other.labels.complexity ?? '') === complexity)?.value ?? 0;
      const counts = { resolved: whole(sample.value), oneShot: whole(match('one_shot')), autonomous: whole(match('autonomous')) };
      const arm = arms.get(armName) ?? { arm: armName, resolved: 0, oneShot: 0, autonomous: 0, byComplexity: {} };
      arm.resolved += counts.resolved;
      arm.oneShot += counts.oneShot;
      arm.autonomous += counts.autonomous;
      arm.byComplexity![complexity] = counts;
      arms.set(armName, arm);
    }
    // NOTE: the rate assumes the experiment ran the whole 14 days. One that started
    // later gets a lower weekly rate, and so more weeks to its target effect, than it has.
    return { arms: [...arms.values()].sort((a, b) => a.arm.localeCompare(b.arm)), weeks: 2, windowDescription: this.windowDescription.replace(/7 days \(14 for experiments\)/, '14 days') };
  }

  async experimentNames(): Promise<string[]> {
    const rule = 'experiment:factory_runs_resolved:increase_14d';
    // The rule keeps a 0 sample while its input series exist, long after the experiment's last run.
    return (await this.vector(rule, rule))
      .filter((sample) => sample.value > 0)
      .map((sample) => sample.labels.experiment ?? '')
      .filter((name) => name !== '');
  }

  async modelCounts(by: string, within: string): Promise<{ counts: ModelComplexityCounts[]; costPerRun: Record<string, number> | undefined }> {
    if (by !== 'model' || within !== 'complexity') {
      throw new UsageError(`invalid --by ${by} --within ${within} with --prometheus: the recording rules slice only by model within complexity; use --file for other slices`);
    }
    const vectors = new Map<string, Sample[]>();
    for (const count of COUNTS) {
      const rule = `model_complexity:factory_runs_${count}:increase_7d`;
      vectors.set(count, await this.vector(rule, rule));
    }
    const counts = (vectors.get('resolved') ?? []).map((sample) => {
      const model = sample.labels.model ?? '';
      const complexity = sample.labels.complexity ?? '';
      const match = (count: string) =>
        (vectors.get(count) ?? []).find((other) => (other.labels.model ?? '') === model && (other.labels.complexity ?? '') === complexity)?.value ?? 0;
      return { model, complexity, resolved: whole(sample.value), oneShot: whole(match('one_shot')), autonomous: whole(match('autonomous')) };
    });

    const costRule = 'model:factory_run_cost_usd:sum_7d';
    const resolvedRule = 'model:factory_runs_resolved:increase_7d';
    this.noteRule(resolvedRule);
    const cost = await this.vector(`${costRule} / ${resolvedRule}`, costRule);
    const costPerRun = cost.length === 0 ? undefined : Object.fromEntries(cost.map((sample) => [sample.labels.model ?? '', sample.value]));
    return { counts, costPerRun };
  }

  async loopCounts(): Promise<LoopSliceCounts[]> {
    const result: LoopSliceCounts[] = [];
    for (const kind of ['team', 'repository'] as const) {
      const vectors = new Map<string, Sample[]>();
      for (const count of COUNTS) {
        const rule = `team_repository:factory_runs_${count}:increase_7d`;
        vectors.set(count, await this.vector(`sum by (${kind}) (${rule})`, rule));
      }
      for (const retries of ['verified', 'repeated']) {
        const rule = `${kind}:factory_retries_${retries}:increase_7d`;
        vectors.set(retries, await this.vector(rule, rule));
      }
      const valueOf = (name: string, key: string) => whole((vectors.get(name) ?? []).find((sample) => (sample.labels[kind] ?? '') === key)?.value ?? 0);
      for (const sample of vectors.get('resolved') ?? []) {
        const name = sample.labels[kind] ?? '';
        result.push({
          kind,
          name,
          resolved: whole(sample.value),
          oneShot: valueOf('one_shot', name),
          autonomous: valueOf('autonomous', name),
          retriesVerified: valueOf('verified', name),
          retriesRepeated: valueOf('repeated', name),
        });
      }
    }
    // Teams first, then repositories, each by name, as the file source orders them.
    const kindOrder = (kind: string) => (kind === 'team' ? 0 : 1);
    const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return result.sort((a, b) => kindOrder(a.kind) - kindOrder(b.kind) || byName(a.name, b.name));
  }

  private async factorySlice(): Promise<SliceCounts> {
    const count = async (name: string) => {
      const rule = `factory:runs_${name}:increase_7d`;
      return this.scalar(rule, rule);
    };
    return {
      labels: {},
      resolved: await count('resolved'),
      merged: await count('merged'),
      oneShot: await count('one_shot'),
      autonomous: await count('autonomous'),
      cycleTime: await this.duration('cycle_time', 'factory:reviews_merged:increase_7d'),
      mltc: await this.duration('mltc', 'factory:deployments_succeeded:increase_7d'),
    };
  }

  private async duration(metric: string, countRule: string): Promise<DurationStat | undefined> {
    const count = await this.scalar(countRule, countRule);
    if (count === 0) return undefined;
    const quantile = async (name: string) => {
      const rule = `factory:${metric}_seconds:${name}_7d`;
      const samples = await this.vector(rule, rule);
      return samples[0] === undefined || Number.isNaN(samples[0].value) ? undefined : { value: samples[0].value };
    };
    return { count, p50: await quantile('p50'), p90: await quantile('p90'), estimated: true };
  }

  /** Reads a team duration rule's count and median per team; teams without a merged review or deployment are left out. */
  private async teamDurations(metric: string, countRule: string): Promise<Map<string, DurationStat>> {
    const counts = await this.vector(countRule, countRule);
    const medianRule = `team:factory_${metric}_seconds:p50_7d`;
    const medians = await this.vector(medianRule, medianRule);
    const result = new Map<string, DurationStat>();
    for (const sample of counts) {
      const count = whole(sample.value);
      if (count === 0) continue;
      const team = sample.labels.team ?? '';
      const median = medians.find((other) => (other.labels.team ?? '') === team);
      const p50 = median === undefined || Number.isNaN(median.value) ? undefined : { value: median.value };
      result.set(team, { count, p50, p90: undefined, estimated: true });
    }
    return result;
  }

  private async scalar(query: string, rule: string): Promise<number> {
    const samples = await this.vector(query, rule);
    return whole(samples[0]?.value ?? 0);
  }

  private noteRule(rule: string): void {
    if (!this.rulesRead.includes(rule)) this.rulesRead.push(rule);
  }

  private async vector(query: string, rule: string): Promise<Sample[]> {
    this.noteRule(rule);
    const url = new URL('/api/v1/query', this.url);
    url.searchParams.set('query', query);
    if (this.end !== undefined) url.searchParams.set('time', (this.end.getTime() / 1000).toString());

    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
    } catch (error) {
      throw new Error(`cannot reach Prometheus at ${this.url}: ${(error as Error).message}. Check --prometheus and that Prometheus runs.`);
    }
    const body = (await response.json().catch(() => undefined)) as
      | { status?: string; error?: string; data?: { resultType?: string; result?: Array<{ metric: Record<string, string>; value: [number, string] }> } }
      | undefined;
    if (!response.ok || body?.status !== 'success' || body.data?.resultType !== 'vector' || !Array.isArray(body.data.result)) {
      throw new Error(`Prometheus query ${JSON.stringify(query)} failed with HTTP ${response.status}: ${body?.error ?? 'no instant vector in the response'}`);
    }
    return body.data.result.map((item) => ({ labels: item.metric, value: Number(item.value[1]) }));
  }
}

// increase() over counters can return 41.99999 for 42 runs; the decision functions need whole counts.
function whole(value: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.round(value)) : 0;
}

function promqlString(text: string): string {
  return JSON.stringify(text);
}
