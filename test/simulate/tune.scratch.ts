import { loadScenario } from '../../cli/simulate/scenario.js';
import { planRuns, planRange } from '../../cli/simulate/plan.js';
import { measureExpectations } from '../../cli/simulate/measure.js';
const file = process.argv[2]!;
const scenario = loadScenario(file);
for (const seed of [1, 2, 3]) {
  const options = { seed, end: new Date('2026-12-01T00:00:00Z') };
  const plans = planRuns(scenario, options);
  const range = planRange(scenario, options);
  console.log('seed', seed, 'runs', plans.length);
  for (const m of measureExpectations(scenario, plans, range.start)) console.log(`  ${m.withinTolerance ? 'ok ' : 'MISS'} ${m.expectation.finding}: ${m.measured.toFixed(3)} n=${m.sampleSize} tol=${m.tolerance.toFixed(3)}`);
}
