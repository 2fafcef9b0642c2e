import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { resolvePorts, type StackPorts } from './ports.js';

export const STATE_DIR_ENV = 'FACTORY_STACK_DIR';
export const INTERVAL_ENV = 'FACTORY_STACK_INTERVAL';
export const DEFAULT_INTERVAL = '15s';
const PACKAGE_NAME = 'factory-telemetry';

/** Options of startStack, stopStack and getStackStatus. Unset fields fall back to the environment, then to defaults. */
export interface StackOptions {
  /** Directory for the generated config, logs, pid files and TSDB. Default: FACTORY_STACK_DIR, else `<repo>/.stack`. */
  stateDir?: string;
  /**
   * Span metrics flush interval, which is also the Prometheus scrape and rule
   * evaluation interval, e.g. "15s" or "2s". Default: FACTORY_STACK_INTERVAL, else 15s.
   */
  interval?: string;
  ports?: Partial<StackPorts>;
  /** Keep `<stateDir>/prometheus-data` from the previous run instead of wiping it. */
  keepData?: boolean;
  /** Maximum time in ms to wait for both services to report ready. Default: 60000. */
  readyTimeoutMs?: number;
  /** Maximum time in ms that `down` waits after SIGTERM before it sends SIGKILL. Default: 10000. */
  stopTimeoutMs?: number;
  /** Environment for the variables above and for the child processes. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Receives progress messages. The default writes them to stderr. */
  log?: (message: string) => void;
  /** Repository checkout with collector/ and prometheus/. Default: the checkout that contains this module. */
  repoRoot?: string;
}

/** The settings that `down` and `status` need, with defaults applied. */
export interface StateConfig {
  repoRoot: string;
  stateDir: string;
  stopTimeoutMs: number;
  env: NodeJS.ProcessEnv;
  log: (message: string) => void;
}

/** StackOptions with every default applied and every value validated. */
export interface StackConfig extends StateConfig {
  interval: string;
  ports: StackPorts;
  keepData: boolean;
  readyTimeoutMs: number;
}

/**
 * Validates a duration that both Go (the collector) and Prometheus accept: integers
 * with the units h, m, s and ms in that order, e.g. "15s", "1m30s" or "500ms".
 * Returns the value unchanged, and throws if it is invalid or zero.
 */
export function parseInterval(value: string, source: string): string {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(value.trim());
  const total = match ? match.slice(1).reduce((sum, part) => sum + Number(part ?? 0), 0) : 0;
  if (!match || value.trim() === '' || total === 0) {
    throw new Error(
      `Invalid interval "${value}" in ${source}: expected a duration greater than zero such as 2s, 15s or 1m.`,
    );
  }
  return value.trim();
}

/** Finds the checkout of this package by walking up from this module to its package.json. */
export function findRepoRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (pkg.name === PACKAGE_NAME) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`No package.json of ${PACKAGE_NAME} found in ${start} or above it. Pass the repoRoot option.`);
    }
    dir = parent;
  }
}

function writeToStderr(message: string): void {
  process.stderr.write(`${message}\n`);
}

/**
 * Applies defaults and environment variables to the options that `down` and `status`
 * use. It ignores ports and interval, so an invalid value there cannot block `down`.
 */
export function resolveStateConfig(options: StackOptions = {}): StateConfig {
  const env = options.env ?? process.env;
  const repoRoot = resolve(options.repoRoot ?? findRepoRoot());
  const envStateDir = env[STATE_DIR_ENV]?.trim();
  return {
    repoRoot,
    stateDir: resolve(options.stateDir ?? (envStateDir ? envStateDir : join(repoRoot, '.stack'))),
    stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
    env,
    log: options.log ?? writeToStderr,
  };
}

/** Applies defaults and environment variables to `options` and validates the result. */
export function resolveStackConfig(options: StackOptions = {}): StackConfig {
  const base = resolveStateConfig(options);

  let interval = DEFAULT_INTERVAL;
  const envInterval = base.env[INTERVAL_ENV];
  if (options.interval !== undefined) {
    interval = parseInterval(options.interval, 'option interval');
  } else if (envInterval !== undefined && envInterval.trim() !== '') {
    interval = parseInterval(envInterval, INTERVAL_ENV);
  }

  return {
    ...base,
    interval,
    ports: resolvePorts(options.ports, base.env),
    keepData: options.keepData ?? false,
    readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
  };
}
