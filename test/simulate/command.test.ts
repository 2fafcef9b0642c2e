import { describe, expect, it } from 'vitest';
import { parseSimulateArgs } from '../../cli/commands/simulate.js';

const NOW = new Date('2026-12-04T10:00:00Z');

describe('parseSimulateArgs', () => {
  it('applies the defaults', () => {
    expect(parseSimulateArgs(['a.yaml'], NOW)).toEqual({ files: ['a.yaml'], seed: 1, weeks: undefined, end: NOW, planOnly: false, role: undefined });
  });

  it('reads every option', () => {
    const args = parseSimulateArgs(['a.yaml', 'b.yaml', '--seed', '-4', '--weeks', '12', '--end', '2026-12-01', '--plan-only'], NOW);
    expect(args).toEqual({ files: ['a.yaml', 'b.yaml'], seed: -4, weeks: 12, end: new Date('2026-12-01T00:00:00Z'), planOnly: true, role: undefined });
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
