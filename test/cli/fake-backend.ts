import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fake collector and Prometheus, as startFakeBackend returns it. */
export interface FakeBackend {
  /** Base URL without a path, as OTEL_EXPORTER_OTLP_ENDPOINT and PROMETHEUS_URL expect it. */
  url: string;
  /** Paths of the OTLP requests received, in order. */
  otlpRequests: string[];
  close: () => Promise<void>;
}

export interface FakeBackendOptions {
  /** HTTP status for POST /v1/traces. Default 200. */
  tracesStatus?: number;
  /** Value of factory:runs_resolved:increase_7d after the first trace request. */
  resolvedRuns?: () => number;
}

/**
 * Starts an HTTP server on 127.0.0.1 that replaces both the collector (OTLP/HTTP
 * POST /v1/traces and /v1/metrics) and the Prometheus query API, for CLI tests
 * that must not start the real stack. It returns `resolvedRuns()` for
 * `factory:runs_resolved:increase_7d` once a trace request arrived, and an empty
 * vector for every other query.
 */
export async function startFakeBackend(options: FakeBackendOptions = {}): Promise<FakeBackend> {
  const otlpRequests: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    request.resume();
    request.on('end', () => {
      if (request.method === 'POST' && url.pathname.startsWith('/v1/')) {
        otlpRequests.push(url.pathname);
        const status = url.pathname === '/v1/traces' ? (options.tracesStatus ?? 200) : 200;
        response.writeHead(status, { 'content-type': 'application/x-protobuf' }).end();
        return;
      }
      if (url.pathname === '/api/v1/query') {
        const query = url.searchParams.get('query');
        const haveTraces = otlpRequests.includes('/v1/traces');
        const result =
          query === 'factory:runs_resolved:increase_7d' && haveTraces && options.resolvedRuns !== undefined
            ? [{ metric: {}, value: [Date.now() / 1000, String(options.resolvedRuns())] }]
            : [];
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
        return;
      }
      response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    otlpRequests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
