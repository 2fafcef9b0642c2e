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

  it('reports an invalid interval with exit code 1', async () => {
    const output = captureOutput();
    expect(await runStackCommand(['up', '--interval', 'soon', '--state-dir', '/nonexistent/stack'])).toBe(1);
    expect(output.stderr.join('')).toContain('stack up failed: Invalid interval "soon" in option interval');
  });
});
