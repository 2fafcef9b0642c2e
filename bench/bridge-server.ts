/**
 * The server side of the bridge benchmark (bench/bridge.ts), run as its own
 * process so that the load generator's work is not measured with it.
 *
 *   node dist/bench/bridge-server.js --mode bare|bridge --secret S --otlp-port N [--db PATH]
 *
 * - `bare`: a node:http handler that reads the body, verifies X-Hub-Signature-256
 *   with @octokit/webhooks and responds 200. It stores and records nothing.
 * - `bridge`: the full bridge with its SQLite state file, exporting to the stub
 *   OTLP receiver on --otlp-port; the request rate limit is lifted.
 *
 * Prints `listening <port>`. On SIGTERM the bridge first waits until every pull
 * request is resolved and the outbox is empty (at most 60 s), then prints one
 * JSON line with its counts and exits.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Webhooks } from '@octokit/webhooks';
import { createLogger, startBridge } from '../bridge/index.js';

const { values } = parseArgs({
  options: { mode: { type: 'string' }, secret: { type: 'string' }, 'otlp-port': { type: 'string' }, db: { type: 'string' } },
});
const secret = values.secret ?? '';

if (values.mode === 'bare') {
  const webhooks = new Webhooks({ secret });
  let responses = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const signature = String(request.headers['x-hub-signature-256'] ?? '');
      void webhooks.verify(Buffer.concat(chunks).toString('utf8'), signature).then(
        (valid) => {
          responses += 1;
          response.writeHead(valid ? 200 : 401, { 'content-type': 'application/json' }).end('{}');
        },
        () => response.writeHead(401).end(),
      );
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
  process.on('SIGTERM', () => {
    console.log(JSON.stringify({ responses }));
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
} else if (values.mode === 'bridge') {
  const otlp = `http://127.0.0.1:${values['otlp-port']}`;
  const target = (path: string) => ({ url: `${otlp}${path}`, headers: {}, protocol: 'http/protobuf' as const, timeoutMillis: 10_000, compression: 'none' as const });
  const bridge = await startBridge({
    secret,
    database: values.db ?? ':memory:',
    port: 0,
    settleMillis: 0,
    sweepIntervalMillis: 200,
    maxRequestsPerSecond: 1_000_000,
    burstRequests: 1_000_000,
    target: target('/v1/traces'),
    metricsTarget: target('/v1/metrics'),
    logger: createLogger({ level: 'warn' }),
  });
  console.log(`listening ${bridge.port}`);
  process.on('SIGTERM', async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      bridge.sweep();
      await bridge.drained();
      const { store } = bridge.stats();
      if ((store.outbox === 0 && store.openPullRequests === 0) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console.log(JSON.stringify(bridge.stats()));
    await bridge.close();
    process.exit(0);
  });
} else {
  console.error(`invalid --mode ${JSON.stringify(values.mode)}: expected bare or bridge`);
  process.exit(2);
}
