import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it, vi } from 'vitest';

import { runStackCommand } from '../../cli/stack/command.js';
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

describe('a running stack', () => {
  it('rejects up naming the way to a second stack, and down stops it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-running-'));
    // A process whose executable is named otelcol-factory counts as the collector.
    const executable = join(dir, 'otelcol-factory');
    symlinkSync(process.execPath, executable);
    const child = spawn(executable, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    writeFileSync(join(dir, 'collector.pid'), `${child.pid}\n`);

    try {
      const started = startStack({ stateDir: dir, env: {}, log: () => {} });
      await expect(started).rejects.toThrow(`The stack in ${dir} is already running (collector pid ${child.pid}).`);
      await expect(started).rejects.toThrow('Run `npm run stack -- down` first.');
      await expect(started).rejects.toThrow(/set both FACTORY_STACK_DIR to another directory and the port variables \(FACTORY_STACK_OTLP_HTTP_PORT, .*FACTORY_STACK_PROMETHEUS_PORT\) to free ports/);

      const stderr: string[] = [];
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        stderr.push(String(chunk));
        return true;
      });
      expect(await runStackCommand(['down', '--state-dir', dir])).toBe(0);
      vi.restoreAllMocks();
      expect(stderr.join('')).toContain('Stack stopped.');
      await exited;
    } finally {
      vi.restoreAllMocks();
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stopStack', () => {
  it('succeeds when nothing was started', async () => {
    await expect(stopStack({ stateDir, env: {}, log: () => {} })).resolves.toBeUndefined();
  });
});
