import { describe, expect, it } from 'vitest';

import { collectorLaunch, prometheusLaunch } from '../../cli/stack/launch.js';
import type { StackPorts } from '../../cli/stack/ports.js';
import { statePaths } from '../../cli/stack/state.js';

const ports: StackPorts = {
  otlpHttp: 24318,
  otlpGrpc: 24317,
  health: 24133,
  collectorTelemetry: 24888,
  prometheus: 29090,
};

describe('collectorLaunch', () => {
  const launch = collectorLaunch('/cache/otelcol-factory', '/repo', ports, '2s', { PATH: '/usr/bin' });

  it('merges the local-stack overlay after the main config', () => {
    expect(launch.command).toBe('/cache/otelcol-factory');
    expect(launch.args).toEqual([
      '--config',
      '/repo/collector/config.yaml',
      '--config',
      '/repo/collector/local-stack.yaml',
    ]);
  });

  it('binds every endpoint to 127.0.0.1', () => {
    expect(launch.env.OTLP_HTTP_ENDPOINT).toBe('127.0.0.1:24318');
    expect(launch.env.OTLP_GRPC_ENDPOINT).toBe('127.0.0.1:24317');
    expect(launch.env.HEALTH_CHECK_ENDPOINT).toBe('127.0.0.1:24133');
    expect(launch.env.COLLECTOR_TELEMETRY_HOST).toBe('127.0.0.1');
    expect(launch.env.COLLECTOR_TELEMETRY_PORT).toBe('24888');
  });

  it('exports to the local Prometheus OTLP receiver', () => {
    expect(launch.env.PROMETHEUS_OTLP_ENDPOINT).toBe('http://127.0.0.1:29090/api/v1/otlp');
  });

  it('sets the flush interval and keeps the base environment', () => {
    expect(launch.env.SPAN_METRICS_FLUSH_INTERVAL).toBe('2s');
    expect(launch.env.PATH).toBe('/usr/bin');
  });
});

describe('prometheusLaunch', () => {
  const launch = prometheusLaunch('/cache/prometheus', statePaths('/state'), ports, {});

  it('uses the generated config and the state dir TSDB', () => {
    expect(launch.args).toContain('--config.file=/state/prometheus.yml');
    expect(launch.args).toContain('--storage.tsdb.path=/state/prometheus-data');
  });

  it('listens on 127.0.0.1 only', () => {
    expect(launch.args).toContain('--web.listen-address=127.0.0.1:29090');
  });

  it('enables OTLP, zero ingestion, exemplars and lifecycle', () => {
    expect(launch.args).toContain('--web.enable-otlp-receiver');
    expect(launch.args).toContain('--enable-feature=created-timestamp-zero-ingestion,exemplar-storage,otlp-native-delta-ingestion');
    expect(launch.args).toContain('--web.enable-lifecycle');
  });
});
