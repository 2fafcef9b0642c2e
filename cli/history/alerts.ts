import { prometheusDurationMs, type RuleDefinition } from './rule-levels.js';

export interface AlertHistoryOptions {
  prometheusUrl: string;
  rule: RuleDefinition;
  /** The alert's `for` duration in ms. Default: the rule's own `for`, else 0. */
  forMs?: number;
  startMs: number;
  endMs: number;
  /** Evaluation step in ms: the history step, or the rule sample step for finer edges. */
  stepMs: number;
}

/** When an alert would have fired over the history, per label set of its expression. */
export interface AlertHistory {
  series: {
    labels: Record<string, string>;
    /** Intervals [startMs, endMs] in which the alert would have been firing. */
    firing: { startMs: number; endMs: number }[];
  }[];
}

/**
 * Evaluates an alerting rule's expression over a past range with query_range and
 * returns when it would have fired, after its `for` duration. Prometheus evaluates
 * alerts only at the present, so backfilled history has no ALERTS series; this is
 * how the detection tests check an alert against history. An alert firing is
 * approximated at the step: it starts at the first step at which the expression has
 * held for `forMs`, and a gap of one step resets it.
 */
export async function evaluateAlertOverHistory(options: AlertHistoryOptions): Promise<AlertHistory> {
  if (options.rule.kind !== 'alert') throw new Error(`${options.rule.name} is a recording rule, not an alert.`);
  const url = new URL('/api/v1/query_range', options.prometheusUrl);
  const response = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams({ query: options.rule.expr, start: String(options.startMs / 1000), end: String(options.endMs / 1000), step: `${options.stepMs / 1000}s` }),
    signal: AbortSignal.timeout(600_000),
  });
  const body = (await response.json().catch(() => undefined)) as { status?: string; error?: string; data?: { result: { metric: Record<string, string>; values: [number, string][] }[] } } | undefined;
  if (!response.ok || body?.status !== 'success' || body.data === undefined) {
    throw new Error(`evaluating alert ${options.rule.name} over the history failed with HTTP ${response.status}: ${body?.error ?? 'no error message'}`);
  }

  const forMs = options.forMs ?? (options.rule.for === undefined ? 0 : prometheusDurationMs(options.rule.for));
  return {
    series: body.data.result.map((item) => {
      const firing: { startMs: number; endMs: number }[] = [];
      let activeSince: number | undefined;
      let previous: number | undefined;
      const close = () => {
        if (activeSince !== undefined && previous !== undefined && previous - activeSince >= forMs) firing.push({ startMs: activeSince + forMs, endMs: previous });
      };
      for (const [seconds] of item.values) {
        const time = Math.round(seconds * 1000);
        if (previous === undefined || time - previous > options.stepMs) {
          close();
          activeSince = time;
        }
        previous = time;
      }
      close();
      return { labels: { ...item.metric, ...options.rule.labels, alertname: options.rule.name }, firing };
    }),
  };
}
