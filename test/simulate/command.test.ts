import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSimulateArgs, runSimulateCommand } from '../../cli/commands/simulate.js';
import { captureOutput } from '../cli/capture-output.js';

const NOW = new Date('2026-12-04T10:00:00Z');

describe('parseSimulateArgs', () => {
  it('applies the defaults', () => {
    expect(parseSimulateArgs(['a.yaml'], NOW)).toEqual({ files: ['a.yaml'], seed: 1, weeks: undefined, end: NOW, planOnly: false, historyMs: undefined, role: undefined });
  });

  it('reads every option', () => {
    const args = parseSimulateArgs(['a.yaml', 'b.yaml', '--seed', '-4', '--weeks', '12', '--end', '2026-12-01', '--plan-only'], NOW);
    expect(args).toEqual({ files: ['a.yaml', 'b.yaml'], seed: -4, weeks: 12, end: new Date('2026-12-01T00:00:00Z'), planOnly: true, historyMs: undefined, role: undefined });
  });

  it('reads a date-time end with an offset', () => {
    expect(parseSimulateArgs(['a.yaml', '--end', '2026-12-01T09:30:00+02:00'], NOW)).toMatchObject({ end: new Date('2026-12-01T07:30:00Z') });
  });

  it('requires a scenario file', () => {
    expect(parseSimulateArgs([], NOW)).toEqual({ error: 'missing scenario file: give one or more, e.g. scenarios/context-experiment.yaml' });
  });

  it.each(['0', '105', '1.5', 'two'])('rejects --weeks %j', (value) => {
    expect(parseSimulateArgs(['a.yaml', '--weeks', value], NOW)).toEqual({ error: `invalid --weeks ${JSON.stringify(value)}: expected an integer from 1 to 104` });
  });

  it.each(['1e3', '1.5', 'x'])('rejects --seed %j', (value) => {
    expect(parseSimulateArgs(['a.yaml', `--seed=${value}`], NOW)).toEqual({ error: `invalid --seed ${JSON.stringify(value)}: expected an integer (digits, optionally after a minus sign)` });
  });

  it.each(['2026-13-01', 'yesterday', '2026-12-01T09:00:00'])('rejects --end %j', (value) => {
    expect(parseSimulateArgs(['a.yaml', '--end', value], NOW)).toEqual({
      error: `invalid --end ${JSON.stringify(value)}: expected a date such as 2026-12-01 or a date-time with a time zone such as 2026-12-01T09:00:00Z`,
    });
  });

  it('rejects an unknown role', () => {
    expect(parseSimulateArgs(['a.yaml', '--role', 'ci'], NOW)).toEqual({ error: 'invalid --role "ci": expected one of harness, webhook, deploy' });
  });
});

describe('runSimulateCommand', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function scenarioFile(value: number): string {
    const file = join(mkdtempSync(join(tmpdir(), 'simulate-command-')), 's.yaml');
    writeFileSync(
      file,
      `name: check\nweeks: 1\nrunsPerWeek: 2000\nteams: [{ name: t, repositories: [{ name: a/b }] }]\nmodels: [{ name: m, provider: p }]\n` +
        `behaviour: { pass: 0.5, reviewFailure: 0, humanModification: 0 }\n` +
        `expect: [{ finding: one-shot is about half, metric: oneShot, value: ${value} }]\n`,
    );
    return file;
  }

  it('plan-only exits 0 when answers hold', async () => {
    const output = captureOutput();
    expect(await runSimulateCommand([scenarioFile(0.5), '--plan-only', '--end', '2026-11-30'])).toBe(0);
    expect(output.stdout()).toContain('ok   one-shot is about half');
  });

  it('plan-only exits 1 on a missed answer', async () => {
    const output = captureOutput();
    expect(await runSimulateCommand([scenarioFile(0.8), '--plan-only', '--end', '2026-11-30'])).toBe(1);
    expect(output.stdout()).toContain('MISS one-shot is about half');
  });

  it('prints the scenario errors and exits 2', async () => {
    const output = captureOutput();
    const file = join(mkdtempSync(join(tmpdir(), 'simulate-command-')), 'bad.yaml');
    writeFileSync(file, 'name: Bad Name\n');
    expect(await runSimulateCommand([file, '--plan-only'])).toBe(2);
    expect(output.stderr()).toContain(`invalid scenario ${file}:`);
    expect(output.stderr()).toContain('name: expected lowercase letters');
  });
});
