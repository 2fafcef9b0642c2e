import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { getStackStatus, startStack, stopStack } from '../../cli/stack/stack.js';

const stateDir = mkdtempSync(join(tmpdir(), 'stack-unit-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describe('startStack', () => {
  it('rejects a busy port before building or starting anything', async () => {
    const server: Server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');

    try {
      await expect(
        startStack({ stateDir, env: {}, ports: { prometheus: address.port }, log: () => {} }),
      ).rejects.toThrow(`Port ${address.port} on 127.0.0.1 (Prometheus HTTP API and OTLP receiver) is already in use`);
    } finally {
      await new Promise((done) => server.close(done));
    }
    expect(getStackStatus({ stateDir, env: {} }).services.every((service) => service.pid === undefined)).toBe(true);
  });
});

describe('stopStack', () => {
  it('succeeds when nothing was started', async () => {
    await expect(stopStack({ stateDir, env: {}, log: () => {} })).resolves.toBeUndefined();
  });
});
