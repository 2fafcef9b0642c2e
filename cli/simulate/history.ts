import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import { FactoryTelemetry } from '../../sdk/index.js';
import { localStackHistoryOptions } from '../history/command.js';
import type { HistoryRecorder, HistoryRecorderOptions, HistoryResult } from '../history/recorder.js';
import { prometheusDurationMs } from '../history/rule-levels.js';
import { getStackStatus } from '../stack/index.js';
import { findRepoRoot } from '../stack/options.js';
import type { RunPlan } from './plan.js';
import { recordPlans, ROLES, type RecordOptions, type Role } from './record.js';

/**
 * History mode of the simulator: records run plans in this process through a
 * history recorder instead of a collector. It uses the live mode's three role
 * service names, so the backfilled series carry the same `job` and
 * `service_name` as a live simulation.
 */

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** `service.name` of each role, the same in the live and the history mode. */
export function simulatorServiceName(role: Role): string {
  return `factory-simulator-${role}`;
}

/** Parses a history length such as `12w` or `30d` into milliseconds, or returns an error message. */
export function parseHistoryLength(text: string): number | { error: string } {
  const match = /^([0-9]+)([wd])$/.exec(text);
  const count = match === null ? 0 : Number(match[1]);
  if (match === null || count < 1) return { error: `invalid --history ${JSON.stringify(text)}: expected a whole number of weeks or days, such as 12w or 30d` };
  return count * (match[2] === 'w' ? WEEK_MS : DAY_MS);
}

/** Converts a history length to weeks, as PlanOptions.weeks takes it (fractional for days). */
export function historyWeeks(lengthMs: number): number {
  return lengthMs / WEEK_MS;
}

/** Reads storage.tsdb.out_of_order_time_window from a Prometheus configuration file; 0 when it is not set. */
export function outOfOrderWindowMs(configPath: string = join(findRepoRoot(), 'prometheus', 'prometheus.yml')): number {
  const config = parse(readFileSync(configPath, 'utf8')) as { storage?: { tsdb?: { out_of_order_time_window?: string } } } | null;
  const window = config?.storage?.tsdb?.out_of_order_time_window;
  return window === undefined ? 0 : prometheusDurationMs(window);
}

/**
 * Checks that a history of `lengthMs` ending at `end` fits the out-of-order
 * window of the repository's Prometheus configuration. Returns an error message or undefined.
 */
export function checkHistoryFits(lengthMs: number, end: Date, now: Date = new Date(), windowMs: number = outOfOrderWindowMs()): string | undefined {
  if (end.getTime() > now.getTime()) return `the history ends at ${end.toISOString()}, in the future; give an --end before now`;
  const reach = now.getTime() - end.getTime() + lengthMs;
  if (reach > windowMs) {
    return (
      `the history reaches ${Math.round(reach / DAY_MS)} days into the past, but Prometheus accepts samples only ${Math.floor(windowMs / DAY_MS)} days into the past ` +
      '(storage.tsdb.out_of_order_time_window in prometheus/prometheus.yml); give a shorter --history or a later --end'
    );
  }
  return undefined;
}

/**
 * Returns the recorder options for the running local stack: the one
 * FACTORY_STACK_DIR names, else `<repo>/.stack`. Returns an error message instead
 * when that stack is not running or its Prometheus data directory or promtool is missing.
 */
export function localHistoryTarget(env: NodeJS.ProcessEnv = process.env): Pick<HistoryRecorderOptions, 'prometheusUrl' | 'promtool' | 'prometheusDataDir'> | { error: string } {
  const status = getStackStatus({ env });
  if (status.info === undefined || !status.services.every((service) => service.running)) {
    return {
      error:
        `the local stack in ${status.stateDir} is not running. --history writes into the Prometheus data directory of a local stack: ` +
        'start it with `factory-telemetry stack up` (set FACTORY_STACK_DIR for another state directory), then run this command again',
    };
  }
  const options = localStackHistoryOptions(status.info);
  if (!isLoopback(options.prometheusUrl)) {
    return { error: `the stack's Prometheus at ${options.prometheusUrl} is not on this machine, so its data directory cannot receive the recording-rule blocks; use a local stack` };
  }
  if (!existsSync(options.prometheusDataDir!)) return { error: `the Prometheus data directory ${options.prometheusDataDir} does not exist; restart the stack with \`factory-telemetry stack up\`` };
  if (!existsSync(options.promtool!)) return { error: `promtool is missing at ${options.promtool}, beside the stack's prometheus binary; reinstall the Prometheus release there` };
  return options;
}

/**
 * Records `plans` through `recorder`, one FactoryTelemetry per role whose provider
 * has that role's service name, then writes the history with `recorder.finish()`.
 */
export async function recordHistory(plans: readonly RunPlan[], recorder: HistoryRecorder, options: RecordOptions = {}): Promise<HistoryResult> {
  const telemetry = Object.fromEntries(
    ROLES.map((role) => [role, new FactoryTelemetry({ tracerProvider: recorder.tracerProviderFor(simulatorServiceName(role)) })]),
  ) as Record<Role, FactoryTelemetry>;
  await recordPlans(plans, telemetry, options);
  return recorder.finish();
}

/** Formats a history result as one line per figure, for the simulate and demo commands. */
export function describeHistoryResult(result: HistoryResult): string[] {
  const lines = [
    `backfilled ${result.spans} spans as ${result.series} series (${result.dataPoints} data points in ${result.requests} requests) ` +
      `from ${result.start?.toISOString() ?? '-'} to ${result.end?.toISOString() ?? '-'} in ${result.seconds.push.toFixed(0)} s`,
  ];
  if (result.spansAfterEnd > 0) lines.push(`left out ${result.spansAfterEnd} spans that end after the history's end (runs still in review or awaiting deployment)`);
  if (result.rules !== undefined) {
    lines.push(`backfilled ${result.rules.samples} recording-rule samples at ${result.rules.levels} rule levels in ${result.rules.blocks} TSDB blocks in ${result.seconds.rules.toFixed(0)} s`);
  } else {
    lines.push(`recording rules were not backfilled: ${result.rulesSkipped ?? 'no reason given'}`);
  }
  return lines;
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}
