import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { prometheusDurationMs } from '../../cli/history/rule-levels.js';
import { renderLocalPrometheusConfig } from '../../cli/stack/prometheus-config.js';

const REPO = join(import.meta.dirname, '..', '..');
const TWELVE_WEEKS_MS = 12 * 7 * 86_400_000;

interface StorageConfig {
  storage?: { tsdb?: { out_of_order_time_window?: string; retention?: { time?: string } } };
}

describe('Prometheus configuration for history', () => {
  const template = readFileSync(join(REPO, 'prometheus', 'prometheus.yml'), 'utf8');

  it('accepts samples 12 weeks old and keeps them', () => {
    const tsdb = (parse(template) as StorageConfig).storage?.tsdb;
    expect(prometheusDurationMs(tsdb?.out_of_order_time_window ?? '0s')).toBeGreaterThan(TWELVE_WEEKS_MS);
    expect(prometheusDurationMs(tsdb?.retention?.time ?? '0s')).toBeGreaterThan(prometheusDurationMs(tsdb!.out_of_order_time_window!));
  });

  it('keeps the storage settings in the local stack', () => {
    const ports = { otlpHttp: 1, otlpGrpc: 2, health: 3, collectorTelemetry: 4, prometheus: 5 };
    const local = renderLocalPrometheusConfig({ template, repoRoot: '/repo', interval: '2s', ports });
    expect((parse(local.text) as StorageConfig).storage).toEqual((parse(template) as StorageConfig).storage);
  });
});
