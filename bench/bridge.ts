/**
 * Bridge throughput benchmark: sustained webhooks per second, counted from the
 * first request until the bridge has responded 2xx to every webhook and
 * exported every span, with signature checks and the SQLite state store on,
 * against a bare node:http handler that only verifies signatures, in the same
 * run. Rounds alternate between the two servers; each server runs in its own
 * process, and the spans go to the stub OTLP receiver (bench/otlp-stub.ts).
 *
 * "Lost" counts webhooks that got no 2xx response plus spans the bridge should have
 * exported and did not (4 per pull request: verification, review, outcome and
 * deployment), read from the bridge's own counts after it drained.
 *
 *   npm run bench:bridge                  (builds first)
 *   node dist/bench/bridge.js [--rounds 3] [--pull-requests 2000] [--concurrency 32]
 *
 * With BRIDGE_BENCH_PROFILE_DIR set, the bridge processes write V8 CPU profiles
 * there, for bench/cpuprofile-summary.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { parseArgs } from 'node:util';
import { benchmarkPhases, SPANS_PER_PULL_REQUEST, type SignedDelivery } from './bridge-payloads.js';
import { formatTable, round, summarize } from './format.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'pull-requests': { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
  },
});
const rounds = Number(values.rounds);
const pullRequests = Number(values['pull-requests']);
const concurrency = Number(values.concurrency);
const SECRET = 'bench-secret-0123456789abcdef';

interface Child {
  process: ChildProcess;
  lines: AsyncIterator<string>;
  reader: Interface;
  port: number;
}

interface RoundResult {
  mode: 'bare' | 'bridge';
  requests: number;
  /** Webhooks per second, from the first request to the last response. */
  respondedPerSecond: number;
  /**
   * Webhooks per second from the first request until every span is exported; the
   * sustained rate. For the bare handler it equals respondedPerSecond.
   */
  perSecond: number;
  non2xx: number;
  spansMissing: number;
}

const stub = await startChild('otlp-stub.js', []);
const results: RoundResult[] = [];
try {
  for (let index = 0; index < rounds; index += 1) {
    for (const mode of ['bare', 'bridge'] as const) results.push(await runRound(mode, index));
  }
} finally {
  stub.process.kill('SIGTERM');
}

const bare = summarize(results.filter((result) => result.mode === 'bare').map((result) => result.perSecond));
const bridge = summarize(results.filter((result) => result.mode === 'bridge').map((result) => result.perSecond));
// Each round pairs a bare and a bridge run made back to back, so their ratio is less affected by other load on the machine.
const pairedRatios = summarize(
  results.filter((result) => result.mode === 'bridge').map((result, index) => result.perSecond / results.filter((other) => other.mode === 'bare')[index]!.perSecond),
);
const lost = results.filter((result) => result.mode === 'bridge').reduce((sum, result) => sum + result.non2xx + result.spansMissing, 0);
console.log(`machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${round(totalmem() / 1024 ** 3, 1)} GiB, Node.js ${process.version}`);
console.log(`${rounds} rounds of ${pullRequests * 5} webhooks (${pullRequests} pull requests x 5 events), ${concurrency} concurrent connections\n`);
console.log(
  formatTable(
    ['server', 'round', 'responded/s', 'sustained/s', 'non-2xx', 'spans missing'],
    results.map((result, index) => [
      result.mode,
      String(Math.floor(index / 2) + 1),
      result.respondedPerSecond.toFixed(0),
      result.perSecond.toFixed(0),
      String(result.non2xx),
      String(result.spansMissing),
    ]),
  ),
);
console.log(`\nmedian sustained webhooks/s: bare ${bare.median.toFixed(0)}, bridge ${bridge.median.toFixed(0)}; bridge/bare ratio ${(bridge.median / bare.median).toFixed(3)}; lost ${lost}`);
console.log(`per-round bridge/bare ratio: median ${pairedRatios.median.toFixed(3)}, min ${pairedRatios.min.toFixed(3)}, max ${pairedRatios.max.toFixed(3)}`);
console.log(
  JSON.stringify({
    bareMedian: round(bare.median, 1),
    bridgeMedian: round(bridge.median, 1),
    ratio: round(bridge.median / bare.median, 4),
    pairedRatioMedian: round(pairedRatios.median, 4),
    lost,
  }),
);

async function runRound(mode: 'bare' | 'bridge', roundIndex: number): Promise<RoundResult> {
  const directory = mkdtempSync(join(tmpdir(), 'bridge-bench-'));
  const server = await startChild('bridge-server.js', ['--mode', mode, '--secret', SECRET, '--otlp-port', String(stub.port), '--db', join(directory, 'state.db')]);
  const phases = benchmarkPhases(pullRequests, SECRET, roundIndex * 2 + (mode === 'bridge' ? 1 : 0));
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    let non2xx = 0;
    const started = performance.now();
    for (const phase of phases) non2xx += await sendAll(server.port, agent, phase);
    const respondedSeconds = (performance.now() - started) / 1000;
    const requests = phases.reduce((sum, phase) => sum + phase.length, 0);

    // After SIGTERM the bridge prints its counts once every pull request is recorded and its outbox is empty.
    server.process.kill('SIGTERM');
    const summary = JSON.parse((await server.lines.next()).value ?? '{}') as { export?: { exported: number } };
    const drainedSeconds = mode === 'bridge' ? (performance.now() - started) / 1000 : respondedSeconds;
    await once(server.process, 'exit');
    const spansMissing = mode === 'bridge' ? pullRequests * SPANS_PER_PULL_REQUEST - (summary.export?.exported ?? 0) : 0;
    return { mode, requests, respondedPerSecond: requests / respondedSeconds, perSecond: requests / drainedSeconds, non2xx, spansMissing };
  } finally {
    agent.destroy();
    if (server.process.exitCode === null) server.process.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  }
}

// Sends every delivery with `concurrency` requests in flight; returns the count of non-2xx answers.
async function sendAll(port: number, agent: Agent, deliveries: SignedDelivery[]): Promise<number> {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next]!;
      next += 1;
      const status = await send(port, agent, delivery);
      if (status < 200 || status > 299) failed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failed;
}

function send(port: number, agent: Agent, delivery: SignedDelivery): Promise<number> {
  return new Promise((resolve) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        path: '/github',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(delivery.body),
          'x-github-event': delivery.event,
          'x-github-delivery': delivery.delivery,
          'x-hub-signature-256': delivery.signature,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on('error', () => resolve(0));
    outgoing.end(delivery.body);
  });
}

async function startChild(script: string, args: string[]): Promise<Child> {
  const profileDirectory = process.env.BRIDGE_BENCH_PROFILE_DIR;
  const profile = profileDirectory !== undefined && script === 'bridge-server.js' ? ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`] : [];
  const child = spawn(process.execPath, [...profile, join(import.meta.dirname, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const reader = createInterface({ input: child.stdout! });
  const lines = reader[Symbol.asyncIterator]();
  const first = await lines.next();
  const match = /^listening (\d+)$/.exec(first.done === true ? '' : first.value);
  if (match === null) {
    child.kill();
    throw new Error(`${script} did not start: expected "listening <port>", got ${JSON.stringify(first.value)}`);
  }
  return { process: child, lines, reader, port: Number(match[1]) };
}
