import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSimulateArgs } from '../../cli/commands/simulate.js';
import { checkHistoryFits, historyWeeks, localHistoryTarget, outOfOrderWindowMs, parseHistoryLength } from '../../cli/simulate/history.js';

const DAY = 86_400_000;
const NOW = new Date('2026-12-04T10:00:00Z');

describe('parseHistoryLength', () => {
  it('reads weeks and days', () => {
    expect(parseHistoryLength('12w')).toBe(84 * DAY);
    expect(parseHistoryLength('30d')).toBe(30 * DAY);
    expect(historyWeeks(parseHistoryLength('3d') as number)).toBeCloseTo(3 / 7, 12);
  });

  it.each(['0w', '12', '1.5w', '2m', 'w'])('rejects %j', (value) => {
    expect(parseHistoryLength(value)).toEqual({ error: `invalid --history ${JSON.stringify(value)}: expected a whole number of weeks or days, such as 12w or 30d` });
  });
});

describe('simulate --history arguments', () => {
  it('sets the weeks and the history length', () => {
    expect(parseSimulateArgs(['a.yaml', '--history', '2w'], NOW)).toMatchObject({ weeks: 2, historyMs: 14 * DAY, end: NOW });
  });

  it('rejects --history with --weeks', () => {
    expect(parseSimulateArgs(['a.yaml', '--history', '2w', '--weeks', '2'], NOW)).toEqual({ error: '--history and --weeks both set the simulated range; give one of them' });
  });
});

describe('checkHistoryFits', () => {
  it('reads the window of prometheus/prometheus.yml', () => {
    expect(outOfOrderWindowMs()).toBe(91 * DAY);
  });

  it('accepts a history within the window', () => {
    expect(checkHistoryFits(84 * DAY, NOW, NOW, 91 * DAY)).toBeUndefined();
  });

  it('rejects a history that reaches past the window', () => {
    expect(checkHistoryFits(84 * DAY, new Date(NOW.getTime() - 10 * DAY), NOW, 91 * DAY)).toMatch(/reaches 94 days into the past, but Prometheus accepts samples only 91 days/);
  });

  it('rejects an end in the future', () => {
    expect(checkHistoryFits(DAY, new Date(NOW.getTime() + DAY), NOW, 91 * DAY)).toMatch(/in the future/);
  });

  it('reads a configuration without a window as 0', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'history-')), 'prometheus.yml');
    writeFileSync(path, 'global:\n  scrape_interval: 15s\n');
    expect(outOfOrderWindowMs(path)).toBe(0);
  });
});

describe('localHistoryTarget', () => {
  it('names a stack that is not running', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'no-stack-'));
    const target = localHistoryTarget({ FACTORY_STACK_DIR: stateDir });
    expect(target).toEqual({ error: expect.stringContaining(`the local stack in ${stateDir} is not running`) });
  });
});
