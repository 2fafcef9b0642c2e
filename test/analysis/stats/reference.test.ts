// Compares every function of analysis/stats with values that R computed
// (fixtures/reference.R wrote fixtures/reference.json). The tests need only the
// JSON, not R.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  chiSquareQuantile,
  fisherExactPValue,
  mantelHaenszel,
  minimumDetectableEffect,
  newcombeInterval,
  normalQuantile,
  requiredTrials,
  sampleRatioMismatch,
  twoProportionPower,
  twoProportionZTest,
  wilsonInterval,
  type Proportion,
} from '../../../analysis/stats/index.js';

/**
 * Tolerances. Closed-form values (intervals, statistics, estimates) agree with R
 * to rounding, and the fixture keeps 15 significant digits. P-values and
 * quantiles go through jstat's distribution functions, whose series and
 * Lanczos approximations are accurate to about 1e-10 relative, so they get
 * 1e-7. Root-finding results get the bisection's and uniroot's tolerance.
 */
const CLOSED_FORM = { relative: 1e-9, absolute: 1e-12 };
const DISTRIBUTION = { relative: 1e-7, absolute: 1e-12 };
const ROOT = { relative: 1e-7, absolute: 1e-9 };

interface Tolerance {
  relative: number;
  absolute: number;
}

interface Fixture {
  wilson: Array<{ successes: number; trials: number; confidence: number; lower: number; upper: number }>;
  newcombe: Array<{ first: Proportion; second: Proportion; confidence: number; estimate: number; lower: number; upper: number }>;
  zTest: Array<{ first: Proportion; second: Proportion; chiSquare: number; pValue: number }>;
  fisher: Array<{ first: Proportion; second: Proportion; pValue: number }>;
  sampleRatio: Array<{ observed: number[]; planned: number[]; chiSquare: number; degreesOfFreedom: number; pValue: number }>;
  minimumDetectableEffect: Array<{ trialsPerArm: number; baseline: number; alpha: number; power: number; detectableRate: number }>;
  trialsForEffect: Array<{ baseline: number; target: number; alpha: number; power: number; trialsPerArm: number }>;
  unequalPower: Array<{ p1: number; p2: number; n1: number; n2: number; alpha: number; power: number; powerPropTest: number | null }>;
  mantelHaenszel: Array<{
    strata: Array<{ first: Proportion; second: Proportion }>;
    continuityCorrection: boolean;
    statistic: number;
    pValue: number;
    oddsRatio: { estimate: number; lower: number; upper: number };
    riskDifference: { estimate: number; lower: number; upper: number };
  }>;
  randomPairs: Array<{
    first: Proportion;
    second: Proportion;
    firstWilson: { lower: number; upper: number };
    secondWilson: { lower: number; upper: number };
    newcombe: { estimate: number; lower: number; upper: number };
    fisherPValue: number;
    zTestPValue?: number;
  }>;
  randomStrata: Array<{
    strata: Array<{ first: Proportion; second: Proportion }>;
    statistic: number;
    pValue: number;
    oddsRatio: { estimate: number; lower: number; upper: number };
    riskDifference: { estimate: number; lower: number; upper: number };
  }>;
  quantiles: { normal975: number; normal975Squared: number; chiSquare999: number[] };
}

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'reference.json'), 'utf8'),
) as Fixture;

/** Asserts |actual - expected| <= max(absolute, relative·|expected|), naming the value on failure. */
function expectClose(actual: number, expected: number, tolerance: Tolerance, what: string): void {
  const allowed = Math.max(tolerance.absolute, tolerance.relative * Math.abs(expected));
  const error = Math.abs(actual - expected);
  expect(error <= allowed, `${what}: expected ${expected} within ${allowed}, got ${actual}`).toBe(true);
}

const label = (first: Proportion, second: Proportion): string =>
  `${first.successes}/${first.trials} vs ${second.successes}/${second.trials}`;

describe('wilsonInterval', () => {
  it.each(fixture.wilson)('matches prop.test for $successes/$trials at $confidence', (row) => {
    const interval = wilsonInterval({ successes: row.successes, trials: row.trials }, row.confidence);

    expectClose(interval.lower, row.lower, CLOSED_FORM, 'lower');
    expectClose(interval.upper, row.upper, CLOSED_FORM, 'upper');
  });
});

describe('newcombeInterval', () => {
  it.each(fixture.newcombe.map((row) => [label(row.first, row.second), row] as const))('matches R for %s', (_name, row) => {
    const interval = newcombeInterval(row.first, row.second, row.confidence);

    expectClose(interval.estimate, row.estimate, CLOSED_FORM, 'estimate');
    expectClose(interval.lower, row.lower, CLOSED_FORM, 'lower');
    expectClose(interval.upper, row.upper, CLOSED_FORM, 'upper');
  });
});

describe('twoProportionZTest', () => {
  it.each(fixture.zTest.map((row) => [label(row.first, row.second), row] as const))('matches prop.test for %s', (_name, row) => {
    const result = twoProportionZTest(row.first, row.second);

    expectClose(result.statistic ** 2, row.chiSquare, CLOSED_FORM, 'z squared');
    expectClose(result.pValue, row.pValue, DISTRIBUTION, 'p-value');
  });
});

describe('fisherExactPValue', () => {
  it.each(fixture.fisher.map((row) => [label(row.first, row.second), row] as const))('matches fisher.test for %s', (_name, row) => {
    expectClose(fisherExactPValue(row.first, row.second), row.pValue, DISTRIBUTION, 'p-value');
  });

  it.each(fixture.fisher.map((row) => [label(row.first, row.second), row] as const))('is symmetric in the arms for %s', (_name, row) => {
    expectClose(fisherExactPValue(row.second, row.first), row.pValue, DISTRIBUTION, 'p-value with arms swapped');
  });
});

describe('sampleRatioMismatch', () => {
  it.each(fixture.sampleRatio.map((row) => [row.observed.join(':'), row.planned.join(':'), row] as const))(
    'matches chisq.test for %s against %s',
    (_observed, _planned, row) => {
      const check = sampleRatioMismatch(row.observed, row.planned);

      expectClose(check.chiSquare, row.chiSquare, CLOSED_FORM, 'chi-square');
      expect(check.degreesOfFreedom).toBe(row.degreesOfFreedom);
      expectClose(check.pValue, row.pValue, DISTRIBUTION, 'p-value');
      expect(check.mismatch).toBe(row.pValue < 0.001);
    },
  );
});

describe('minimumDetectableEffect', () => {
  it.each(fixture.minimumDetectableEffect)(
    'matches power.prop.test for $trialsPerArm per arm at $baseline',
    (row) => {
      const result = minimumDetectableEffect(row.baseline, row.trialsPerArm, row.trialsPerArm, {
        alpha: row.alpha,
        power: row.power,
      });

      expect(result).not.toBeNull();
      expectClose(result?.detectableRate ?? Number.NaN, row.detectableRate, ROOT, 'detectable rate');
      expectClose(result?.effect ?? Number.NaN, row.detectableRate - row.baseline, ROOT, 'effect');
    },
  );
});

describe('requiredTrials', () => {
  it.each(fixture.trialsForEffect)('matches power.prop.test from $baseline to $target', (row) => {
    const total = requiredTrials(row.baseline, row.target - row.baseline, { alpha: row.alpha, power: row.power });

    expectClose(total / 2, row.trialsPerArm, ROOT, 'trials per arm');
  });
});

describe('twoProportionPower', () => {
  it.each(fixture.unequalPower)('matches R for $n1 and $n2 trials', (row) => {
    const power = twoProportionPower(row.p1, row.p2, row.n1, row.n2, row.alpha);

    expectClose(power, row.power, DISTRIBUTION, 'power');
    if (row.powerPropTest !== null) expectClose(power, row.powerPropTest, DISTRIBUTION, 'power.prop.test power');
  });
});

describe('mantelHaenszel', () => {
  const cases = fixture.mantelHaenszel.map((row) => {
    const name = row.strata.map((stratum) => label(stratum.first, stratum.second)).join(', ');
    return [`${name}${row.continuityCorrection ? ' with correction' : ''}`, row] as const;
  });

  it.each(cases)('matches mantelhaen.test and epiR for %s', (_name, row) => {
    const strata = row.strata.map((stratum, index) => ({ name: `s${index}`, ...stratum }));
    const result = mantelHaenszel(strata, { continuityCorrection: row.continuityCorrection });

    expectClose(result.statistic, row.statistic, CLOSED_FORM, 'statistic');
    expectClose(result.pValue, row.pValue, DISTRIBUTION, 'p-value');
    expect(result.oddsRatio).not.toBeNull();
    expectClose(result.oddsRatio?.estimate ?? Number.NaN, row.oddsRatio.estimate, CLOSED_FORM, 'odds ratio');
    expectClose(result.oddsRatio?.lower ?? Number.NaN, row.oddsRatio.lower, DISTRIBUTION, 'odds ratio lower');
    expectClose(result.oddsRatio?.upper ?? Number.NaN, row.oddsRatio.upper, DISTRIBUTION, 'odds ratio upper');
    expect(result.riskDifference).not.toBeNull();
    expectClose(result.riskDifference?.estimate ?? Number.NaN, row.riskDifference.estimate, CLOSED_FORM, 'risk difference');
    expectClose(result.riskDifference?.lower ?? Number.NaN, row.riskDifference.lower, DISTRIBUTION, 'risk difference lower');
    expectClose(result.riskDifference?.upper ?? Number.NaN, row.riskDifference.upper, DISTRIBUTION, 'risk difference upper');
  });
});

describe('random pairs', () => {
  it.each(fixture.randomPairs.map((row) => [label(row.first, row.second), row] as const))('match R for %s', (_name, row) => {
    const first = wilsonInterval(row.first);
    const second = wilsonInterval(row.second);
    const difference = newcombeInterval(row.first, row.second);

    expectClose(first.lower, row.firstWilson.lower, CLOSED_FORM, 'first Wilson lower');
    expectClose(first.upper, row.firstWilson.upper, CLOSED_FORM, 'first Wilson upper');
    expectClose(second.lower, row.secondWilson.lower, CLOSED_FORM, 'second Wilson lower');
    expectClose(second.upper, row.secondWilson.upper, CLOSED_FORM, 'second Wilson upper');
    expectClose(difference.lower, row.newcombe.lower, CLOSED_FORM, 'Newcombe lower');
    expectClose(difference.upper, row.newcombe.upper, CLOSED_FORM, 'Newcombe upper');
    expectClose(fisherExactPValue(row.first, row.second), row.fisherPValue, DISTRIBUTION, 'Fisher p-value');
    if (row.zTestPValue !== undefined) {
      expectClose(twoProportionZTest(row.first, row.second).pValue, row.zTestPValue, DISTRIBUTION, 'z-test p-value');
    }
  });
});

describe('random strata', () => {
  it.each(fixture.randomStrata.map((row, index) => [index, row] as const))('table %i matches R', (_index, row) => {
    const strata = row.strata.map((stratum, index) => ({ name: `s${index}`, ...stratum }));
    const result = mantelHaenszel(strata);

    expectClose(result.statistic, row.statistic, CLOSED_FORM, 'statistic');
    expectClose(result.pValue, row.pValue, DISTRIBUTION, 'p-value');
    expectClose(result.oddsRatio?.estimate ?? Number.NaN, row.oddsRatio.estimate, CLOSED_FORM, 'odds ratio');
    expectClose(result.oddsRatio?.lower ?? Number.NaN, row.oddsRatio.lower, DISTRIBUTION, 'odds ratio lower');
    expectClose(result.oddsRatio?.upper ?? Number.NaN, row.oddsRatio.upper, DISTRIBUTION, 'odds ratio upper');
    expectClose(result.riskDifference?.estimate ?? Number.NaN, row.riskDifference.estimate, CLOSED_FORM, 'risk difference');
    expectClose(result.riskDifference?.lower ?? Number.NaN, row.riskDifference.lower, DISTRIBUTION, 'risk difference lower');
    expectClose(result.riskDifference?.upper ?? Number.NaN, row.riskDifference.upper, DISTRIBUTION, 'risk difference upper');
  });
});

describe('quantiles', () => {
  it('match qnorm at 0.975', () => {
    expectClose(normalQuantile(0.975), fixture.quantiles.normal975, DISTRIBUTION, 'qnorm(0.975)');
  });

  it.each(fixture.quantiles.chiSquare999.map((value, index) => [index + 1, value] as const))(
    'match qchisq at 0.999 with %i degrees of freedom',
    (degreesOfFreedom, value) => {
      expectClose(chiSquareQuantile(0.999, degreesOfFreedom), value, DISTRIBUTION, `qchisq(0.999, ${degreesOfFreedom})`);
    },
  );
});
