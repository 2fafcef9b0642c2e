import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

/** One recording or alerting rule of a Prometheus rule file. */
export interface RuleDefinition {
  file: string;
  group: string;
  kind: 'record' | 'alert';
  /** The record name or the alert name. */
  name: string;
  expr: string;
  labels: Record<string, string>;
  /** An alert's `for` duration as written, for example `30m`. */
  for?: string;
}

/**
 * Reads every rule of the `*.yml` files in `directory`, in file name order.
 * Throws with the file name when a file is not a rule file.
 */
export function readRuleFiles(directory: string): RuleDefinition[] {
  const rules: RuleDefinition[] = [];
  const files = readdirSync(directory).filter((file) => file.endsWith('.yml') || file.endsWith('.yaml')).sort();
  for (const file of files) {
    const path = join(directory, file);
    const document = parse(readFileSync(path, 'utf8')) as { groups?: { name?: string; rules?: Record<string, unknown>[] }[] } | null;
    if (!document || !Array.isArray(document.groups)) throw new Error(`${path} has no groups list; it is not a Prometheus rule file.`);
    for (const group of document.groups) {
      for (const rule of group.rules ?? []) {
        const kind = typeof rule.record === 'string' ? 'record' : 'alert';
        const name = String(rule.record ?? rule.alert ?? '');
        if (name === '' || typeof rule.expr !== 'string') throw new Error(`${path}: group ${String(group.name)} has a rule without record or alert name, or without expr.`);
        rules.push({ file, group: String(group.name), kind, name, expr: rule.expr, labels: (rule.labels ?? {}) as Record<string, string>, for: typeof rule.for === 'string' ? rule.for : undefined });
      }
    }
  }
  return rules;
}

/**
 * Orders recording rules into levels: level 0 reads only series that are not
 * recording rules, and level n reads rules of levels below n and at least one of
 * level n-1. Backfilling level by level gives every rule its inputs. Several rules
 * may record the same name (one per label set); they share a level. Throws on a
 * cycle, which Prometheus allows but history cannot be built for.
 */
export function recordingRuleLevels(rules: RuleDefinition[]): RuleDefinition[][] {
  const recording = rules.filter((rule) => rule.kind === 'record');
  const names = new Set(recording.map((rule) => rule.name));
  const inputs = new Map<string, Set<string>>();
  for (const rule of recording) {
    const set = inputs.get(rule.name) ?? new Set<string>();
    for (const name of referencedNames(rule.expr)) if (names.has(name) && name !== rule.name) set.add(name);
    inputs.set(rule.name, set);
  }

  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const levelOf = (name: string): number => {
    const known = level.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) throw new Error(`recording rule ${name} reads itself through other rules; a cycle cannot be backfilled.`);
    visiting.add(name);
    let result = 0;
    for (const input of inputs.get(name) ?? []) result = Math.max(result, levelOf(input) + 1);
    visiting.delete(name);
    level.set(name, result);
    return result;
  };

  const levels: RuleDefinition[][] = [];
  for (const rule of recording) {
    const index = levelOf(rule.name);
    while (levels.length <= index) levels.push([]);
    levels[index]!.push(rule);
  }
  return levels;
}

/**
 * Returns the metric names an expression may read: every identifier outside string
 * literals, label matchers and grouping clauses. It returns function names and
 * keywords too, which never match a recording rule name because those contain colons
 * or are reserved.
 */
export function referencedNames(expr: string): Set<string> {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  const withoutMatchers = withoutStrings.replace(/\{[^}]*\}/g, '{}');
  const withoutClauses = withoutMatchers.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const withoutComments = withoutClauses.replace(/#[^\n]*/g, '');
  return new Set(withoutComments.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []);
}

const PROMETHEUS_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Converts a Prometheus duration such as `13w` or `1d12h` to milliseconds. */
export function prometheusDurationMs(text: string): number {
  const parts = [...text.matchAll(/([0-9]+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    throw new Error(`invalid Prometheus duration ${JSON.stringify(text)}: expected a number and a unit such as 30m, 7d or 13w.`);
  }
  return parts.reduce((total, part) => total + Number(part[1]) * PROMETHEUS_UNITS[part[2]!]!, 0);
}
