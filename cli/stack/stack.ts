import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ensureBinaries } from './binaries.js';
import { collectorLaunch, prometheusLaunch, type LaunchSpec } from './launch.js';
import {
  resolveStackConfig,
  resolveStateConfig,
  type StackConfig,
  type StackOptions,
  type StateConfig,
} from './options.js';
import { assertPortsFree, PORT_NAMES, PORT_SPECS } from './ports.js';
import { isProcessRunning, readPidFile, removeFile, spawnDetached, stopProcess } from './processes.js';
import { renderLocalPrometheusConfig } from './prometheus-config.js';
import { waitUntilReady } from './readiness.js';
import {
  SERVICES,
  readStackInfo,
  statePaths,
  writeStackInfo,
  type ServiceName,
  type StackInfo,
  type StatePaths,
} from './state.js';

/** Services in start order. They stop in reverse order, so the collector stops before the Prometheus it sends to. */
const START_ORDER: ServiceName[] = ['prometheus', 'collector'];

export interface ServiceStatus {
  service: ServiceName;
  /** Pid from the pid file, if there is one. */
  pid: number | undefined;
  running: boolean;
  logFile: string;
}

export interface StackStatus {
  stateDir: string;
  services: ServiceStatus[];
  /** Endpoints of the last successful `up`, if its processes may still run. */
  info: StackInfo | undefined;
}

function serviceStatus(paths: StatePaths, service: ServiceName): ServiceStatus {
  const pid = readPidFile(paths.pidFile(service));
  const running = pid !== undefined && isProcessRunning(pid, SERVICES[service].executable);
  return { service, pid, running, logFile: paths.logFile(service) };
}

/** Reports which stack processes run from the state directory. */
export function getStackStatus(options: StackOptions = {}): StackStatus {
  const config = resolveStateConfig(options);
  const paths = statePaths(config.stateDir);
  return {
    stateDir: config.stateDir,
    services: START_ORDER.map((service) => serviceStatus(paths, service)),
    info: readStackInfo(paths),
  };
}

/** Stops the stack's processes and removes their pid files. Does nothing if none runs. */
export async function stopStack(options: StackOptions = {}): Promise<void> {
  const config = resolveStateConfig(options);
  await stopServices(config, statePaths(config.stateDir));
}

/** Stops every service, even after one fails to stop, and then throws the first error. */
async function stopServices(config: StateConfig, paths: StatePaths): Promise<void> {
  const errors: unknown[] = [];
  for (const service of [...START_ORDER].reverse()) {
    const pid = readPidFile(paths.pidFile(service));
    if (pid === undefined) continue;

    try {
      const result = await stopProcess(pid, SERVICES[service].executable, config.stopTimeoutMs);
      if (result === 'killed') {
        config.log(`${service} (pid ${pid}) ignored SIGTERM for ${config.stopTimeoutMs} ms and was killed.`);
      } else if (result === 'terminated') {
        config.log(`Stopped ${service} (pid ${pid}).`);
      }
      removeFile(paths.pidFile(service));
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
  removeFile(paths.info);
}

function rejectIfRunning(paths: StatePaths): void {
  for (const service of START_ORDER) {
    const status = serviceStatus(paths, service);
    if (status.running) {
      throw new Error(
        `The stack in ${paths.stateDir} is already running (${service} pid ${status.pid}). ` +
          'Run `npm run stack -- down` first. To run a second stack beside it, set both FACTORY_STACK_DIR ' +
          `to another directory and the port variables (${PORT_NAMES.map((name) => PORT_SPECS[name].envVar).join(', ')}) to free ports.`,
      );
    }
    // A pid file of a process that has exited is stale.
    removeFile(paths.pidFile(service));
  }
}

function preparePrometheusFiles(config: StackConfig, paths: StatePaths): void {
  const template = readFileSync(join(config.repoRoot, 'prometheus', 'prometheus.yml'), 'utf8');
  const rendered = renderLocalPrometheusConfig({
    template,
    repoRoot: config.repoRoot,
    interval: config.interval,
    ports: config.ports,
  });
  for (const job of rendered.droppedJobs) {
    config.log(`Skipping scrape job "${job}": the local stack does not run its target.`);
  }
  writeFileSync(paths.prometheusConfig, rendered.text);

  if (!config.keepData) rmSync(paths.prometheusData, { recursive: true, force: true });
  mkdirSync(paths.prometheusData, { recursive: true });
}

function readinessUrl(service: ServiceName, config: StackConfig): string {
  return service === 'collector'
    ? `http://127.0.0.1:${config.ports.health}/`
    : `http://127.0.0.1:${config.ports.prometheus}/-/ready`;
}

function pidOf(children: Map<ServiceName, ChildProcess>, service: ServiceName): number {
  const pid = children.get(service)?.pid;
  if (pid === undefined) throw new Error(`${service} has no pid.`);
  return pid;
}

function stackInfo(
  config: StackConfig,
  paths: StatePaths,
  children: Map<ServiceName, ChildProcess>,
  launches: Record<ServiceName, LaunchSpec>,
): StackInfo {
  const { ports } = config;
  return {
    otlpHttpEndpoint: `http://127.0.0.1:${ports.otlpHttp}`,
    otlpGrpcEndpoint: `http://127.0.0.1:${ports.otlpGrpc}`,
    prometheusUrl: `http://127.0.0.1:${ports.prometheus}`,
    collectorHealthUrl: readinessUrl('collector', config),
    collectorTelemetryUrl: `http://127.0.0.1:${ports.collectorTelemetry}/metrics`,
    interval: config.interval,
    ports,
    stateDir: config.stateDir,
    pids: { collector: pidOf(children, 'collector'), prometheus: pidOf(children, 'prometheus') },
    logs: { collector: paths.logFile('collector'), prometheus: paths.logFile('prometheus') },
    binaries: { collector: launches.collector.command, prometheus: launches.prometheus.command },
  };
}

/**
 * Builds the binaries if they are missing, starts Prometheus and the collector as
 * detached processes on 127.0.0.1, and waits until both report ready. On failure it
 * stops what it started and throws. The processes keep running after this Node
 * process exits, until stopStack or `npm run stack -- down`.
 */
export async function startStack(options: StackOptions = {}): Promise<StackInfo> {
  const config = resolveStackConfig(options);
  const paths = statePaths(config.stateDir);
  mkdirSync(config.stateDir, { recursive: true });
  rejectIfRunning(paths);

  // Checked before a build that can take minutes, and again right before the start.
  await assertPortsFree(config.ports);
  const binaries = await ensureBinaries(config.repoRoot, config.env, config.log);
  await assertPortsFree(config.ports);

  preparePrometheusFiles(config, paths);
  const launches: Record<ServiceName, LaunchSpec> = {
    prometheus: prometheusLaunch(binaries.prometheus, paths, config.ports, config.env),
    collector: collectorLaunch(binaries.collector, config.repoRoot, config.ports, config.interval, config.env),
  };

  const children = new Map<ServiceName, ChildProcess>();
  try {
    for (const service of START_ORDER) {
      config.log(`Starting ${service} (log: ${paths.logFile(service)}).`);
      const child = await spawnDetached({
        ...launches[service],
        logFile: paths.logFile(service),
        pidFile: paths.pidFile(service),
      });
      children.set(service, child);
    }

    await Promise.all(
      START_ORDER.map((service) =>
        waitUntilReady({
          name: service,
          url: readinessUrl(service, config),
          logFile: paths.logFile(service),
          isAlive: () => children.get(service)?.exitCode === null && children.get(service)?.signalCode === null,
          timeoutMs: config.readyTimeoutMs,
        }),
      ),
    );
  } catch (error) {
    config.log('Startup failed; stopping the processes that were started.');
    await stopServices(config, paths);
    throw error;
  }

  const info = stackInfo(config, paths, children, launches);
  writeStackInfo(paths, info);
  config.log(`Stack is ready (interval ${config.interval}, state in ${config.stateDir}).`);
  return info;
}
