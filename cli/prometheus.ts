/**
 * A minimal client for the Prometheus HTTP query API, for the CLI and the tests.
 */

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Evaluates `query` at the current time and returns the instant vector. */
export async function queryInstant(prometheusUrl: string, query: string): Promise<Sample[]> {
  const url = new URL('/api/v1/query', prometheusUrl);
  url.searchParams.set('query', query);

  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new Error(`cannot reach Prometheus at ${prometheusUrl}: ${(error as Error).message}. Is it running? Check PROMETHEUS_URL.`);
  }
  const body = (await response.json().catch(() => undefined)) as
    | { status: string; error?: string; data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } }
    | undefined;
  if (!response.ok || body?.status !== 'success' || body.data === undefined) {
    throw new Error(`Prometheus query ${JSON.stringify(query)} failed with HTTP ${response.status}: ${body?.error ?? 'no error message'}`);
  }
  if (body.data.resultType !== 'vector') {
    throw new Error(`Prometheus query ${JSON.stringify(query)} returned a ${body.data.resultType}, expected a vector`);
  }
  return body.data.result.map((item) => ({ labels: item.metric, value: Number(item.value[1]) }));
}

/** Returns the single value of `query`, or undefined when the vector is empty. */
export async function queryScalar(prometheusUrl: string, query: string): Promise<number | undefined> {
  const samples = await queryInstant(prometheusUrl, query);
  if (samples.length > 1) throw new Error(`Prometheus query ${JSON.stringify(query)} returned ${samples.length} series, expected at most one`);
  return samples[0]?.value;
}

/**
 * Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes.
 * Returns whether it succeeded; errors from `check` count as "not yet".
 */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 1000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // Prometheus may still be starting or evaluating its first rules.
    }
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
