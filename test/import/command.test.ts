import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runImportCommand } from '../../cli/commands/import.js';

describe('import github and aidev arguments', () => {
  let stderr: string;
  beforeEach(() => {
    stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints every source for --help', async () => {
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    expect(await runImportCommand(['--help'])).toBe(0);
    expect(stdout).toContain('import swebench <csv>');
    expect(stdout).toContain('aidev <dir>');
  });

  it('requires an agent login for github', async () => {
    expect(await runImportCommand(['github', '/nonexistent'])).toBe(2);
    expect(stderr).toContain('import github needs at least one --agent-login');
  });

  it('rejects an agent login for aidev', async () => {
    expect(await runImportCommand(['aidev', '/nonexistent', '--agent-login', 'Copilot'])).toBe(2);
    expect(stderr).toContain('--agent-login applies to import github only');
  });

  it('rejects since without history', async () => {
    expect(await runImportCommand(['aidev', '/nonexistent', '--since', '2025-04-01T00:00:00Z'])).toBe(2);
    expect(stderr).toContain('--since applies to --history only');
  });

  it('rejects an invalid since', async () => {
    expect(await runImportCommand(['aidev', '/nonexistent', '--history', '--since', 'April'])).toBe(2);
    expect(stderr).toContain('invalid --since "April"');
  });

  it.each(['0h', '90m', '8d', 'daily'])('rejects the step %s', async (step) => {
    expect(await runImportCommand(['aidev', '/nonexistent', '--history', '--step', step])).toBe(2);
    expect(stderr).toContain(`invalid --step "${step}": expected whole hours or days from 1h to 7d`);
  });

  it('rejects a step without history', async () => {
    expect(await runImportCommand(['aidev', '/nonexistent', '--step', '1d'])).toBe(2);
    expect(stderr).toContain('--step applies to --history only');
  });

  it('names a folder without AIDev files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aidev-empty-'));
    expect(await runImportCommand(['aidev', dir])).toBe(1);
    expect(stderr).toContain(`${dir} is not an AIDev folder`);
  });

  it('names a directory without pulls.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'github-empty-'));
    expect(await runImportCommand(['github', dir, '--agent-login', 'Copilot'])).toBe(1);
    expect(stderr).toContain(`${dir} has no pulls.json`);
  });

  it('lists the new sources for an unknown one', async () => {
    expect(await runImportCommand(['gitlab'])).toBe(2);
    expect(stderr).toContain('expected swebench, github or aidev');
  });
});
