// Ctrl-C during `demo --stack` stops the collector and Prometheus that the demo
// started: they run in their own process group, so SIGINT reaches only the CLI.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { stopStack } from '../../cli/stack/index.js';
import { CLI, portOffset } from './stack.js';

// Ports of this file, shifted like the other end-to-end stacks. No other test uses them.
const offset = portOffset();
const stateDir = mkdtempSync(join(tmpdir(), 'factory-demo-interrupt-'));
const env = {
  ...process.env,
  FACTORY_STACK_DIR: stateDir,
  FACTORY_STACK_OTLP_HTTP_PORT: String(25318 + offset),
  FACTORY_STACK_OTLP_GRPC_PORT: String(25317 + offset),
  FACTORY_STACK_HEALTH_PORT: String(25133 + offset),
  FACTORY_STACK_COLLECTOR_TELEMETRY_PORT: String(25888 + offset),
  FACTORY_STACK_PROMETHEUS_PORT: String(29190 + offset),
};

afterAll(async () => {
  // Stops what a failed assertion left running.
  await stopStack({ stateDir });
  rmSync(stateDir, { recursive: true, force: true });
});

// A process that exited but is not reaped yet (a zombie, state Z) counts as stopped.
function isAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

async function stillAliveAfter(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return pids.filter(isAlive);
}

describe('demo --stack interrupted', () => {
  it('stops the stack it started', async () => {
    const child = spawn(process.execPath, [CLI, 'demo', '--stack'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        // Once the demo pushes the history to Prometheus, which the interrupt cuts off.
        if (/pushing \d+ series from/.test(stderr)) resolve();
      });
      child.once('exit', () => reject(new Error(`demo exited before it pushed the history:\n${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    await ready;
    const pids = ['collector', 'prometheus'].map((service) => Number(readFileSync(join(stateDir, `${service}.pid`), 'utf8').trim()));
    expect(pids.every(isAlive), `pids ${pids.join(', ')}`).toBe(true);

    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain('interrupted: stopping the local stack that this demo started');
    expect(stderr).not.toContain('giving the stack its history failed');
    // stopStack waited for both to exit, but a reparented process may take a moment to be reaped.
    expect(await stillAliveAfter(pids, 5_000), 'servers still running').toEqual([]);
    expect(existsSync(join(stateDir, 'collector.pid'))).toBe(false);
    expect(existsSync(join(stateDir, 'prometheus.pid'))).toBe(false);
  }, 180_000);
});
