import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planScenarios } from '../../cli/simulate/plan.js';
import { parseScenario } from '../../cli/simulate/scenario.js';
import { deriveRunIds } from '../../sdk/ids.js';

// The live mode end to end, without the real collector: the CLI starts three
// role processes that export OTLP/HTTP JSON to a stub receiver on 127.0.0.1.
// It runs the compiled CLI, which `npm test` builds first.
const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

const SCENARIO = `
name: live
weeks: 1
runsPerWeek: 150
teams:
  - name: web
    repositories: [{ name: acme/web }]
models:
  - { name: model-a, provider: lab-a }
behaviour:
  pass: 0.5
  deployFailure: 0.1
`;

interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  runId: string;
}

let server: Server;
let url: string;
const received: ReceivedSpan[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      if (request.url === '/v1/traces') collect(JSON.parse(body));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('simulate live mode', () => {
  it('records each role from its own process', async () => {
    expect(existsSync(CLI), `${CLI} is missing; run npm run build first`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'simulate-live-'));
    const file = join(dir, 'live.yaml');
    writeFileSync(file, SCENARIO);

    const { code, stdout, stderr } = await run(['simulate', file, '--seed', '9', '--end', '2026-11-30'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/recorded 150 runs \(\d+ spans\) in [\d.]+ s: \d+ runs\/s/);

    const plans = planScenarios([parseScenario(SCENARIO)], { seed: 9, end: new Date('2026-11-30T00:00:00Z') });
    const names = (service: string) => new Set(received.filter((span) => span.service === service).map((span) => span.name));
    expect(names('factory-simulator-harness')).toEqual(new Set(['factory.run', 'factory.context', 'factory.execution', 'factory.attempt', 'factory.verification']));
    expect(names('factory-simulator-webhook')).toEqual(new Set(['factory.review', 'factory.outcome']));
    expect(names('factory-simulator-deploy')).toEqual(new Set(['factory.deployment']));

    const count = (name: string) => received.filter((span) => span.name === name).length;
    expect(count('factory.run')).toBe(plans.length);
    expect(count('factory.outcome')).toBe(plans.length);
    expect(count('factory.attempt')).toBe(plans.reduce((sum, plan) => sum + plan.attempts.length, 0));
    expect(count('factory.deployment')).toBe(plans.reduce((sum, plan) => sum + plan.deployments.length, 0));

    // The webhook and deploy processes resumed the runs by id, so their spans join the harness's traces.
    for (const span of received) expect(span.traceId).toBe(deriveRunIds(span.runId).traceId);
  });
});

function collect(body: { resourceSpans?: Array<{ resource?: { attributes?: Attribute[] }; scopeSpans?: Array<{ spans?: Array<{ name: string; traceId: string; attributes?: Attribute[] }> }> }> }): void {
  for (const resourceSpans of body.resourceSpans ?? []) {
    const service = valueOf(resourceSpans.resource?.attributes, 'service.name');
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) received.push({ service, name: span.name, traceId: span.traceId, runId: valueOf(span.attributes, 'factory.run.id') });
    }
  }
}

interface Attribute {
  key: string;
  value: { stringValue?: string };
}

function valueOf(attributes: Attribute[] | undefined, key: string): string {
  return attributes?.find((attribute) => attribute.key === key)?.value.stringValue ?? '';
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
