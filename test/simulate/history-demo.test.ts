import { describe, expect, it } from 'vitest';
import { loadDemoScenarios, planDemoHistory } from '../../cli/demo/history-demo.js';
import { outOfOrderWindowMs } from '../../cli/simulate/history.js';

const DAY = 86_400_000;
const END = Date.parse('2026-12-04T10:00:00Z');

describe('planDemoHistory', () => {
  const scenarios = loadDemoScenarios();
  const { plans, layout } = planDemoHistory(scenarios, 1, END);
  const starts = (name: string) => plans.filter((plan) => plan.scenario === name).map((plan) => plan.startTime);

  it('plans every scenario at its own volume', () => {
    for (const scenario of Object.values(scenarios)) expect(starts(scenario.name)).toHaveLength(scenario.runsPerWeek * scenario.weeks);
  });

  it('keeps the model swap, context experiment and broken loop apart', () => {
    expect(Math.max(...starts('model-swap'))).toBeLessThan(layout.modelEnd);
    expect(Math.min(...starts('context-experiment'))).toBeGreaterThanOrEqual(layout.modelEnd + 3 * DAY);
    expect(Math.max(...starts('context-experiment'))).toBeLessThan(layout.contextEnd);
    expect(Math.min(...starts('broken-feedback-loop'))).toBeGreaterThanOrEqual(layout.contextEnd + DAY);
  });

  it('fits the out-of-order window', () => {
    expect(END - Math.min(...plans.map((plan) => plan.startTime))).toBeLessThan(outOfOrderWindowMs());
  });
});
