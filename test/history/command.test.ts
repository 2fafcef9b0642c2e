import { describe, expect, it } from 'vitest';

import { localStackHistoryOptions, parseHistoryArgs } from '../../cli/history/command.js';
import type { StackInfo } from '../../cli/stack/index.js';

describe('parseHistoryArgs', () => {
  it('applies the defaults', () => {
    expect(parseHistoryArgs([])).toEqual({ weeks: 4, runsPerWeek: 500, seed: 1 });
  });

  it('reads every option', () => {
    expect(parseHistoryArgs(['--weeks', '12', '--runs-per-week', '3500', '--seed=-3'])).toEqual({ weeks: 12, runsPerWeek: 3500, seed: -3 });
  });

  it.each([
    [['--weeks', '13'], 'invalid --weeks "13"'],
    [['--weeks', '1.5'], 'invalid --weeks "1.5"'],
    [['--runs-per-week', '0'], 'invalid --runs-per-week "0"'],
    [['--seed', 'x'], 'invalid --seed "x"'],
    [['--days', '3'], "Unknown option '--days'"],
  ])('rejects %j', (argv, message) => {
    const parsed = parseHistoryArgs(argv);
    expect(typeof parsed === 'object' && 'error' in parsed ? parsed.error : '').toContain(message);
  });
});

describe('localStackHistoryOptions', () => {
  it('points at the stack data and promtool', () => {
    const info = { prometheusUrl: 'http://127.0.0.1:19090', stateDir: '/state', binaries: { prometheus: '/cache/prometheus-3.16.0/prometheus', collector: '/c' } } as unknown as StackInfo;
    expect(localStackHistoryOptions(info)).toEqual({
      prometheusUrl: 'http://127.0.0.1:19090',
      promtool: '/cache/prometheus-3.16.0/promtool',
      prometheusDataDir: '/state/prometheus-data',
    });
  });
});
