import type { TaskComplexity } from '../../sdk/semconv.js';
import type { Behaviour, Rule, Scenario, When } from './scenario.js';

/**
 * Resolves the behaviour of one run: the scenario's `behaviour`, then every
 * rule whose `when` matches the run, in file order, so a later rule wins.
 */

/** Behaviour with every field decided, `retryPass` included. */
export type ResolvedBehaviour = Omit<Behaviour, 'retryPass'> & { retryPass: number };

export interface RunKey {
  team: string;
  repository: string;
  model: string;
  complexity: TaskComplexity;
  arm: string | undefined;
  /** The run's start, epoch milliseconds. */
  time: number;
}

const WEEK = 7 * 24 * 3600 * 1000;

/** Converts a scenario time to epoch milliseconds; week N starts N-1 weeks after `rangeStart`. */
export function toMillis(value: When, rangeStart: number): number {
  if (typeof value === 'number') return rangeStart + (value - 1) * WEEK;
  return Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
}

export function resolveBehaviour(scenario: Scenario, run: RunKey, rangeStart: number): ResolvedBehaviour {
  let current: Behaviour = scenario.behaviour;
  for (const rule of scenario.rules) {
    if (!matches(rule, run, rangeStart)) continue;
    current = apply(current, rule, rampFraction(rule, run.time, rangeStart));
  }
  return { ...current, retryPass: current.retryPass ?? current.pass };
}

/** Returns whether all selectors of a rule's `when` (or an expectation's `where`) hold for the run. */
export function matches(rule: { when?: Rule['when']; where?: Rule['when'] }, run: RunKey, rangeStart: number): boolean {
  const when = rule.when ?? rule.where ?? {};
  if (!selects(when.team, run.team)) return false;
  if (!selects(when.repository, run.repository)) return false;
  if (!selects(when.model, run.model)) return false;
  if (!selects(when.complexity, run.complexity)) return false;
  if (when.arm !== undefined && (run.arm === undefined || !selects(when.arm, run.arm))) return false;
  if (when.from !== undefined && run.time < toMillis(when.from, rangeStart)) return false;
  if (when.until !== undefined && run.time >= toMillis(when.until, rangeStart)) return false;
  return true;
}

function selects(selector: string | readonly string[] | undefined, value: string): boolean {
  if (selector === undefined) return true;
  return typeof selector === 'string' ? selector === value : selector.includes(value);
}

function rampFraction(rule: Rule, time: number, rangeStart: number): number {
  if (rule.ramp === undefined) return 1;
  const from = toMillis(rule.ramp.from, rangeStart);
  const to = toMillis(rule.ramp.to, rangeStart);
  if (to <= from) return time >= to ? 1 : 0;
  return Math.min(1, Math.max(0, (time - from) / (to - from)));
}

// Numbers (and the weights of a mix) move by `fraction` toward the rule's value;
// maxAttempts is rounded, since attempts are whole.
function apply(current: Behaviour, rule: Rule, fraction: number): Behaviour {
  const next: Record<string, unknown> = { ...current };
  for (const [key, target] of Object.entries(rule.set)) {
    if (target === undefined) continue;
    // An unset retryPass follows pass, so a ramp of retryPass starts from pass.
    const before = key === 'retryPass' ? (current.retryPass ?? current.pass) : (current as Record<string, unknown>)[key];
    next[key] = interpolate(before, target, fraction);
  }
  next.maxAttempts = Math.round(next.maxAttempts as number);
  return next as Behaviour;
}

function interpolate(before: unknown, target: unknown, fraction: number): unknown {
  if (fraction >= 1) return target;
  if (typeof target === 'number') return (typeof before === 'number' ? before : target) + fraction * (target - (typeof before === 'number' ? before : target));
  if (target !== null && typeof target === 'object') {
    const from = (before ?? {}) as Record<string, number>;
    const to = target as Record<string, number>;
    const result: Record<string, number> = {};
    for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) result[key] = (from[key] ?? 0) + fraction * ((to[key] ?? 0) - (from[key] ?? 0));
    return result;
  }
  return fraction > 0 ? target : before;
}
