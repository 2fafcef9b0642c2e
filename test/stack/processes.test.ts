import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { isProcessRunning, readPidFile, spawnDetached, stopProcess } from '../../cli/stack/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'stack-processes-'));
const started: number[] = [];

async function startSleep(script: string): Promise<number> {
  const child = await spawnDetached({
    command: 'bash',
    args: ['-c', script],
    env: process.env,
    logFile: join(dir, 'sleep.log'),
    pidFile: join(dir, 'sleep.pid'),
  });
  const pid = child.pid!;
  started.push(pid);
  // bash replaces itself with sleep through exec; wait until it has.
  for (let i = 0; i < 50 && !isProcessRunning(pid, 'sleep'); i++) await sleep(20);
  return pid;
}

afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('spawnDetached', () => {
  it('writes the pid file and the log', async () => {
    const pid = await startSleep('echo started; exec sleep 30');
    expect(readPidFile(join(dir, 'sleep.pid'))).toBe(pid);
    expect(isProcessRunning(pid, 'sleep')).toBe(true);
    expect(readFileSync(join(dir, 'sleep.log'), 'utf8')).toBe('started\n');
  });

  it('rejects a missing executable', async () => {
    await expect(
      spawnDetached({
        command: join(dir, 'missing-binary'),
        args: [],
        env: process.env,
        logFile: join(dir, 'missing.log'),
        pidFile: join(dir, 'missing.pid'),
      }),
    ).rejects.toThrow('Failed to start');
  });
});

describe('readPidFile', () => {
  it('returns undefined for a missing or invalid file', () => {
    expect(readPidFile(join(dir, 'none.pid'))).toBeUndefined();
    writeFileSync(join(dir, 'bad.pid'), 'abc\n');
    expect(readPidFile(join(dir, 'bad.pid'))).toBeUndefined();
  });
});

describe('stopProcess', () => {
  it('terminates a process with SIGTERM', async () => {
    const pid = await startSleep('exec sleep 30');
    expect(await stopProcess(pid, 'sleep', 5_000)).toBe('terminated');
    expect(isProcessRunning(pid, 'sleep')).toBe(false);
  });

  it('kills a process that ignores SIGTERM', async () => {
    const pid = await startSleep('trap "" TERM; exec sleep 30');
    expect(await stopProcess(pid, 'sleep', 300)).toBe('killed');
    expect(isProcessRunning(pid, 'sleep')).toBe(false);
  });

  it('leaves a process with another executable name alone', async () => {
    const pid = await startSleep('exec sleep 30');
    expect(await stopProcess(pid, 'prometheus', 300)).toBe('not-running');
    expect(isProcessRunning(pid, 'sleep')).toBe(true);
  });

  it('reports a pid that has exited as not running', async () => {
    const pid = await startSleep('exec sleep 30');
    await stopProcess(pid, 'sleep', 5_000);
    expect(await stopProcess(pid, 'sleep', 300)).toBe('not-running');
  });
});
