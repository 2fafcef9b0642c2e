import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { readLogTail, waitUntilReady } from '../../cli/stack/readiness.js';

const dir = mkdtempSync(join(tmpdir(), 'stack-readiness-'));
const logFile = join(dir, 'service.log');
let server: Server | undefined;

/** Starts a server that responds 503 to the first `failures` requests and 200 after. */
async function serve(failures: number): Promise<string> {
  let requests = 0;
  server = createServer((_request, response) => {
    requests += 1;
    response.statusCode = requests > failures ? 200 : 503;
    response.end();
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return `http://127.0.0.1:${address.port}/ready`;
}

afterEach(async () => {
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('waitUntilReady', () => {
  it('waits until the URL returns 200', async () => {
    const url = await serve(3);
    await expect(
      waitUntilReady({ name: 'svc', url, logFile, isAlive: () => true, timeoutMs: 10_000 }),
    ).resolves.toBeUndefined();
  });

  it('fails with the log tail when the process exits', async () => {
    writeFileSync(logFile, 'line one\nerror: bad config\n');
    const url = await serve(Infinity);
    const error = await waitUntilReady({ name: 'svc', url, logFile, isAlive: () => false, timeoutMs: 10_000 }).then(
      () => undefined,
      (caught: Error) => caught,
    );
    expect(error?.message).toContain('svc exited during startup');
    expect(error?.message).toContain(`See ${logFile}`);
    expect(error?.message).toContain('error: bad config');
  });

  it('fails after the timeout', async () => {
    const url = await serve(Infinity);
    await expect(
      waitUntilReady({ name: 'svc', url, logFile, isAlive: () => true, timeoutMs: 500 }),
    ).rejects.toThrow(`svc did not return 200 at ${url} within 0.5s`);
  });

  it('retries while nothing listens yet', async () => {
    await expect(
      waitUntilReady({ name: 'svc', url: 'http://127.0.0.1:1/', logFile, isAlive: () => true, timeoutMs: 300 }),
    ).rejects.toThrow('did not return 200');
  });
});

describe('readLogTail', () => {
  it('returns the last lines, indented', () => {
    writeFileSync(logFile, 'a\nb\nc\n');
    expect(readLogTail(logFile, 2)).toBe('    b\n    c');
  });

  it('returns an empty string for a missing log', () => {
    expect(readLogTail(join(dir, 'none.log'))).toBe('');
  });
});
