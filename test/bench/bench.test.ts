import { describe, expect, it } from 'vitest';
import { runMemoryBench } from '../../bench/memory.js';
import { runOverheadBench } from '../../bench/overhead.js';
import { SPANS_PER_RUN } from '../../bench/scenario.js';

// These tests run the benchmark code with tiny counts to show that it works. They
// assert nothing about timing, which depends on the machine.
describe('benchmarks', () => {
  it('overhead bench runs both variants', () => {
    const result = runOverheadBench({ rounds: 2, runsPerRound: 3, warmupRounds: 1 });

    expect(result.variants.map((variant) => variant.variant)).toEqual(['output', 'signature']);
    for (const variant of result.variants) {
      expect(variant.roundRatios).toHaveLength(2);
      expect(variant.roundCpuRatios).toHaveLength(2);
      expect(variant.ratio.median).toBeGreaterThan(0);
      expect(Number.isFinite(variant.ratio.max)).toBe(true);
      expect(variant.cpuRatio.median).toBeGreaterThan(0);
    }
  });

  it('memory bench keeps no listener', async () => {
    const result = await runMemoryBench({ path: 'host', runs: 40, sampleEvery: 20, batchSize: 10 });

    expect(result.spansRecorded).toBe(40 * SPANS_PER_RUN);
    expect(result.problems).toBe(0);
    expect(result.samples.map((sample) => sample.runs)).toEqual([0, 20, 40]);
    // Active handles are not compared, because vitest's own timers come and go.
    const { afterFirstBatch, afterLastRun } = result.resources;
    expect(afterLastRun?.exitListeners).toBe(afterFirstBatch?.exitListeners);
    expect(afterLastRun?.sigtermListeners).toBe(afterFirstBatch?.sigtermListeners);
  });
});
