import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { runStackCommand } from '../../cli/stack/command.js';

function captureOutput() {
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  return { stdout, stderr };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('runStackCommand', () => {
  it('prints help on stdout with exit code 0', async () => {
    const output = captureOutput();
    expect(await runStackCommand(['--help'])).toBe(0);
    expect(output.stdout.join('')).toContain('Usage: factory-telemetry stack <up|down|status>');
    expect(output.stdout.join('')).toContain('FACTORY_STACK_PROMETHEUS_PORT');
  });

  it('rejects an invalid port variable as a usage error', async () => {
    vi.stubEnv('FACTORY_STACK_PROMETHEUS_PORT', 'abc');
    const output = captureOutput();
    expect(await runStackCommand(['up'])).toBe(2);
    expect(output.stderr.join('')).toContain('Invalid port "abc" in FACTORY_STACK_PROMETHEUS_PORT');
    vi.unstubAllEnvs();
  });

  it('rejects a missing subcommand', async () => {
    const output = captureOutput();
    expect(await runStackCommand([])).toBe(2);
    expect(output.stderr.join('')).toContain('Missing command.');
  });

  it('rejects an unknown subcommand', async () => {
    const output = captureOutput();
    expect(await runStackCommand(['restart'])).toBe(2);
    expect(output.stderr.join('')).toContain('Invalid arguments: restart.');
  });

  it('rejects an unknown option', async () => {
    const output = captureOutput();
    expect(await runStackCommand(['up', '--verbose'])).toBe(2);
    expect(output.stderr.join('')).toContain("Unknown option '--verbose'");
  });

  it.each(['soon', '0s', '0m0s', '1.5s'])('rejects --interval %s as a usage error', async (interval) => {
    const output = captureOutput();
    expect(await runStackCommand(['up', '--interval', interval, '--state-dir', '/nonexistent/stack'])).toBe(2);
    expect(output.stderr.join('')).toContain(`Invalid interval "${interval}" in --interval`);
    expect(output.stderr.join('')).toContain('Usage: factory-telemetry stack');
  });

  it('says that no stack runs when down finds nothing', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'stack-command-'));
    try {
      const output = captureOutput();
      expect(await runStackCommand(['down', '--state-dir', stateDir])).toBe(0);
      expect(output.stderr.join('')).toBe(`No stack is running in ${stateDir}.\n`);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
