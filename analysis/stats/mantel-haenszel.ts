import { chiSquareUpperTail, normalQuantile } from './distributions.js';
import type { Interval, Proportion } from './types.js';
import { checkProbability, checkProportion } from './validate.js';

/** The two arms' counts in one stratum, for example one task complexity. */
export interface Stratum {
  /** Name of the stratum, for example `standard`. */
  name: string;
  first: Proportion;
  second: Proportion;
}

/** A pooled estimate over strata with its interval. */
export interface PooledEstimate extends Interval {
  estimate: number;
}

/** Result of a Cochran–Mantel–Haenszel analysis of 2x2 tables over strata. */
export interface MantelHaenszelResult {
  /** The CMH chi-square statistic, 1 degree of freedom. */
  statistic: number;
  pValue: number;
  continuityCorrection: boolean;
  /** Names of the strata used. */
  strata: string[];
  /** Names of strata left out because they hold fewer than 2 trials, which carry no information. */
  skippedStrata: string[];
  /**
   * Mantel–Haenszel common odds ratio of success, first arm against second, with
   * the Robins–Breslow–Greenland interval. Null when it is 0 or infinite,
   * because then no stratum has a success in one arm with a failure in the other.
   */
  oddsRatio: PooledEstimate | null;
  /**
   * Mantel–Haenszel risk difference p1 - p2, weighted by n1·n2/n per stratum,
   * with Sato's variance. Null when no stratum has trials in both arms.
   */
  riskDifference: PooledEstimate | null;
}

/**
 * Runs the Cochran–Mantel–Haenszel test of no association between arm and
 * success, controlling for the strata, and computes the Mantel–Haenszel common
 * odds ratio and risk difference. The statistic, p-value and odds ratio
 * interval follow R's `mantelhaen.test` for 2x2xK tables. R's default applies
 * a continuity correction; this function applies it only when asked.
 */
export function mantelHaenszel(
  strata: readonly Stratum[],
  options: { confidence?: number; continuityCorrection?: boolean } = {},
): MantelHaenszelResult {
  const confidence = options.confidence ?? 0.95;
  const continuityCorrection = options.continuityCorrection ?? false;
  checkProbability(confidence, 'confidence');
  strata.forEach((stratum, index) => {
    checkProportion(stratum.first, `strata[${index}].first`);
    checkProportion(stratum.second, `strata[${index}].second`);
  });

  const used = strata.filter((stratum) => stratum.first.trials + stratum.second.trials >= 2);
  const skippedStrata = strata.filter((stratum) => !used.includes(stratum)).map((stratum) => stratum.name);
  const tables = used.map(toTable);
  const z = normalQuantile(1 - (1 - confidence) / 2);

  const { statistic, pValue } = cochranMantelHaenszelTest(tables, continuityCorrection);
  return {
    statistic,
    pValue,
    continuityCorrection,
    strata: used.map((stratum) => stratum.name),
    skippedStrata,
    oddsRatio: commonOddsRatio(tables, z, confidence),
    riskDifference: commonRiskDifference(tables, z, confidence),
  };
}

/** One stratum as a 2x2 table: a, b = first arm's successes and failures; c, d = the second's. */
interface Table {
  a: number;
  b: number;
  c: number;
  d: number;
  n1: number;
  n2: number;
  n: number;
}

function toTable(stratum: Stratum): Table {
  const { first, second } = stratum;
  return {
    a: first.successes,
    b: first.trials - first.successes,
    c: second.successes,
    d: second.trials - second.successes,
    n1: first.trials,
    n2: second.trials,
    n: first.trials + second.trials,
  };
}

function cochranMantelHaenszelTest(tables: Table[], correct: boolean): { statistic: number; pValue: number } {
  // Observed minus expected first-arm successes, and the hypergeometric variance, summed over strata.
  let deviation = 0;
  let variance = 0;
  for (const { a, c, n1, n2, n } of tables) {
    const successes = a + c;
    deviation += a - (n1 * successes) / n;
    variance += (n1 * n2 * successes * (n - successes)) / (n * n * (n - 1));
  }
  // No stratum has both arms and both outcomes, so the data cannot show an association.
  if (variance === 0) return { statistic: 0, pValue: 1 };

  const correction = correct && Math.abs(deviation) >= 0.5 ? 0.5 : 0;
  const statistic = (Math.abs(deviation) - correction) ** 2 / variance;
  return { statistic, pValue: chiSquareUpperTail(statistic, 1) };
}

function commonOddsRatio(tables: Table[], z: number, confidence: number): PooledEstimate | null {
  // R = Σ ad/n and S = Σ bc/n. The Robins–Breslow–Greenland variance of ln(R/S)
  // is Σ PR/(2R²) + Σ (PS + QR)/(2RS) + Σ QS/(2S²), with P = (a+d)/n, Q = (b+c)/n.
  let r = 0;
  let s = 0;
  let pr = 0;
  let psQr = 0;
  let qs = 0;
  for (const { a, b, c, d, n } of tables) {
    const rk = (a * d) / n;
    const sk = (b * c) / n;
    const pk = (a + d) / n;
    const qk = (b + c) / n;
    r += rk;
    s += sk;
    pr += pk * rk;
    psQr += pk * sk + qk * rk;
    qs += qk * sk;
  }
  if (r === 0 || s === 0) return null;

  const estimate = r / s;
  const standardError = Math.sqrt(pr / (2 * r * r) + psQr / (2 * r * s) + qs / (2 * s * s));
  return {
    estimate,
    lower: estimate * Math.exp(-z * standardError),
    upper: estimate * Math.exp(z * standardError),
    confidence,
  };
}

function commonRiskDifference(tables: Table[], z: number, confidence: number): PooledEstimate | null {
  // Weights w = n1·n2/n. Sato (Biometrics 45, 1989): Var = (RD·ΣP + ΣQ) / (Σw)², with
  // P = (n1²c − n2²a + n1·n2·(n2 − n1)/2) / n² and Q = (a(n2 − c) + c(n1 − a)) / (2n).
  let weightSum = 0;
  let numerator = 0;
  let pSum = 0;
  let qSum = 0;
  for (const { a, c, n1, n2, n } of tables) {
    weightSum += (n1 * n2) / n;
    numerator += (a * n2 - c * n1) / n;
    pSum += (n1 * n1 * c - n2 * n2 * a + (n1 * n2 * (n2 - n1)) / 2) / (n * n);
    qSum += (a * (n2 - c) + c * (n1 - a)) / (2 * n);
  }
  if (weightSum === 0) return null;

  const estimate = numerator / weightSum;
  const standardError = Math.sqrt(Math.max(0, estimate * pSum + qSum)) / weightSum;
  return {
    estimate,
    lower: Math.max(-1, estimate - z * standardError),
    upper: Math.min(1, estimate + z * standardError),
    confidence,
  };
}
