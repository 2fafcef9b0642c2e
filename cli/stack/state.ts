import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { StackPorts } from './ports.js';

/** The two processes of the local stack and the executable name each one runs. */
export const SERVICES = {
  collector: { executable: 'otelcol-factory' },
  prometheus: { executable: 'prometheus' },
} as const;

export type ServiceName = keyof typeof SERVICES;

/** Files in the state directory. */
export interface StatePaths {
  stateDir: string;
  prometheusConfig: string;
  prometheusData: string;
  /** stack.json, written once both services are ready. */
  info: string;
  pidFile: (service: ServiceName) => string;
  logFile: (service: ServiceName) => string;
}

export function statePaths(stateDir: string): StatePaths {
  return {
    stateDir,
    prometheusConfig: join(stateDir, 'prometheus.yml'),
    prometheusData: join(stateDir, 'prometheus-data'),
    info: join(stateDir, 'stack.json'),
    pidFile: (service) => join(stateDir, `${service}.pid`),
    logFile: (service) => join(stateDir, `${service}.log`),
  };
}

/** A running local stack, as startStack returns it and stack.json stores it. */
export interface StackInfo {
  /** Value for OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://127.0.0.1:14318. */
  otlpHttpEndpoint: string;
  /** OTLP/gRPC endpoint of the collector, e.g. http://127.0.0.1:14317. */
  otlpGrpcEndpoint: string;
  /** Base URL of the Prometheus HTTP API, e.g. http://127.0.0.1:19090. */
  prometheusUrl: string;
  /** Collector health check URL, which returns 200 while the collector runs. */
  collectorHealthUrl: string;
  /** URL of the collector's own Prometheus metrics. */
  collectorTelemetryUrl: string;
  interval: string;
  ports: StackPorts;
  stateDir: string;
  pids: Record<ServiceName, number>;
  logs: Record<ServiceName, string>;
  binaries: Record<ServiceName, string>;
}

export function writeStackInfo(paths: StatePaths, info: StackInfo): void {
  writeFileSync(paths.info, `${JSON.stringify(info, null, 2)}\n`);
}

/** Returns the stored StackInfo, or undefined if stack.json is missing or unreadable. */
export function readStackInfo(paths: StatePaths): StackInfo | undefined {
  if (!existsSync(paths.info)) return undefined;
  try {
    return JSON.parse(readFileSync(paths.info, 'utf8')) as StackInfo;
  } catch {
    return undefined;
  }
}
