import { join } from 'node:path';

import type { StackPorts } from './ports.js';
import type { StatePaths } from './state.js';

export interface LaunchSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * Returns the collector command line. collector/config.yaml reads its endpoints from
 * these environment variables, and collector/local-stack.yaml removes the Tempo
 * exporter from the traces pipeline.
 */
export function collectorLaunch(
  binary: string,
  repoRoot: string,
  ports: StackPorts,
  interval: string,
  baseEnv: NodeJS.ProcessEnv,
): LaunchSpec {
  return {
    command: binary,
    args: [
      '--config',
      join(repoRoot, 'collector', 'config.yaml'),
      '--config',
      join(repoRoot, 'collector', 'local-stack.yaml'),
    ],
    env: {
      ...baseEnv,
      OTLP_HTTP_ENDPOINT: `127.0.0.1:${ports.otlpHttp}`,
      OTLP_GRPC_ENDPOINT: `127.0.0.1:${ports.otlpGrpc}`,
      HEALTH_CHECK_ENDPOINT: `127.0.0.1:${ports.health}`,
      COLLECTOR_TELEMETRY_HOST: '127.0.0.1',
      COLLECTOR_TELEMETRY_PORT: String(ports.collectorTelemetry),
      PROMETHEUS_OTLP_ENDPOINT: `http://127.0.0.1:${ports.prometheus}/api/v1/otlp`,
      SPAN_METRICS_FLUSH_INTERVAL: interval,
    },
  };
}

/**
 * Returns the Prometheus command line. The OTLP receiver takes the collector's span
 * metrics, and created-timestamp-zero-ingestion writes a 0 sample at each counter's
 * start time, which the recording rules need to count the first run of a label set.
 * The lifecycle API allows POST /-/reload after a rule change. Blocks that the
 * history path moves into the data directory are loaded at the next block reload,
 * every 5 seconds instead of the default minute, so that backfilling rule levels
 * one after the other does not wait a minute per level.
 */
export function prometheusLaunch(
  binary: string,
  paths: StatePaths,
  ports: StackPorts,
  baseEnv: NodeJS.ProcessEnv,
): LaunchSpec {
  return {
    command: binary,
    args: [
      `--config.file=${paths.prometheusConfig}`,
      `--storage.tsdb.path=${paths.prometheusData}`,
      `--web.listen-address=127.0.0.1:${ports.prometheus}`,
      '--web.enable-otlp-receiver',
      '--enable-feature=created-timestamp-zero-ingestion,exemplar-storage,otlp-native-delta-ingestion',
      '--web.enable-lifecycle',
      '--storage.tsdb.block-reload-interval=5s',
    ],
    env: { ...baseEnv },
  };
}
