// Static checks of the Grafana provisioning files. Grafana never runs in CI, so these
// tests check the files against each other, docker-compose.yml and the recording rules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { analyzePromql, readRecordingRuleNames } from '../../dashboards/src/promql.js';

interface Datasource {
  name?: string;
  type?: string;
  uid?: string;
  access?: string;
  url?: string;
  isDefault?: boolean;
  editable?: boolean;
  jsonData?: Record<string, unknown>;
}

interface TracesToMetrics {
  datasourceUid?: string;
  tags?: { key: string; value?: string }[];
  queries?: { name?: string; query?: string }[];
}

interface DashboardProvider {
  name?: string;
  type?: string;
  allowUiUpdates?: boolean;
  options?: { path?: string };
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const datasourcesText = readFileSync(join(root, 'grafana/provisioning/datasources/datasources.yaml'), 'utf8');
const providersText = readFileSync(join(root, 'grafana/provisioning/dashboards/dashboards.yaml'), 'utf8');
const datasourcesFile = parseYaml(datasourcesText) as { apiVersion?: number; datasources?: Datasource[] };
const providersFile = parseYaml(providersText) as { apiVersion?: number; providers?: DashboardProvider[] };
const datasources = datasourcesFile.datasources ?? [];
const compose = parseYaml(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { ports?: string[]; volumes?: string[] }>;
};
const tempoConfig = parseYaml(readFileSync(join(root, 'tempo/tempo.yaml'), 'utf8')) as {
  server?: { http_listen_port?: number };
};
const recordingRules = readRecordingRuleNames(join(root, 'prometheus/rules'));

function datasource(uid: string): Datasource {
  const found = datasources.find((entry) => entry.uid === uid);
  if (found === undefined) {
    throw new Error(`data source ${uid} is missing from datasources.yaml`);
  }
  return found;
}

/** Collects every value of a `datasourceUid` key, at any depth. */
function referencedUids(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return [];
  const uids: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (key === 'datasourceUid' && typeof child === 'string') uids.push(child);
    uids.push(...referencedUids(child));
  }
  return uids;
}

/** Collects every string value, at any depth. */
function stringValues(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(stringValues);
}

/** Undoes Grafana's `$$` escape and fills `$__tags` the way a span link would. */
function linkQuery(query: string, tags: { key: string; value?: string }[]): string {
  const labels = tags.map((tag) => `${tag.value ?? tag.key}="example"`).join(', ');
  return query.replaceAll('$$', '$').replaceAll('${__tags}', labels).replaceAll('$__tags', labels);
}

describe('grafana/provisioning/datasources/datasources.yaml', () => {
  it('opens with a comment', () => {
    expect(datasourcesText.startsWith('#')).toBe(true);
  });

  it('defines both data sources by UID', () => {
    expect(datasourcesFile.apiVersion).toBe(1);
    expect(datasources.map((entry) => entry.uid).sort()).toEqual(['factory-prometheus', 'factory-tempo']);
    expect(datasource('factory-prometheus').type).toBe('prometheus');
    expect(datasource('factory-tempo').type).toBe('tempo');
  });

  it('points at the compose services', () => {
    const prometheusUrl = new URL(datasource('factory-prometheus').url ?? '');
    const tempoUrl = new URL(datasource('factory-tempo').url ?? '');

    expect(prometheusUrl.hostname).toBe('prometheus');
    expect(compose.services.prometheus?.ports).toContain(`127.0.0.1:9090:${prometheusUrl.port}`);
    expect(tempoUrl.hostname).toBe('tempo');
    expect(tempoUrl.port).toBe(String(tempoConfig.server?.http_listen_port));

    for (const entry of datasources) {
      expect(entry.access, `${entry.uid}: access`).toBe('proxy');
      expect(entry.editable, `${entry.uid}: editable`).toBe(false);
    }
  });

  it('links trace_id exemplars to Tempo', () => {
    const destinations = datasource('factory-prometheus').jsonData?.exemplarTraceIdDestinations as
      | { name?: string; datasourceUid?: string }[]
      | undefined;

    expect(destinations).toEqual([expect.objectContaining({ name: 'trace_id', datasourceUid: 'factory-tempo' })]);
  });

  it('references only data sources it defines', () => {
    const defined = datasources.map((entry) => entry.uid);

    for (const entry of datasources) {
      for (const uid of referencedUids(entry.jsonData)) {
        expect(defined, `${entry.uid} references data source ${uid}`).toContain(uid);
      }
    }
  });

  it('links spans to recording rules', () => {
    const tracesToMetrics = datasource('factory-tempo').jsonData?.tracesToMetrics as TracesToMetrics | undefined;
    const tags = tracesToMetrics?.tags ?? [];
    const queries = tracesToMetrics?.queries ?? [];

    expect(tracesToMetrics?.datasourceUid).toBe('factory-prometheus');
    expect(tags.map((tag) => tag.value)).toEqual(['model', 'complexity']);
    expect(queries.length).toBeGreaterThan(0);

    for (const { name, query } of queries) {
      const expr = linkQuery(query ?? '', tags);
      const analysis = analyzePromql(expr);
      expect(analysis.errorOffsets, `${name}: syntax errors in ${expr}`).toEqual([]);
      expect(analysis.metricNames.length, `${name}: no metric in ${expr}`).toBeGreaterThan(0);
      for (const metric of analysis.metricNames) {
        expect(recordingRules.has(metric), `${name}: ${metric} is not a recording rule`).toBe(true);
        // Both tag labels exist only on the model_complexity: rules.
        expect(metric.startsWith('model_complexity:'), `${name}: ${metric} lacks the complexity label`).toBe(true);
      }
    }
  });

  it('escapes every literal $', () => {
    // Grafana replaces $NAME and ${NAME} in provisioning values, and `$$` is a literal `$`.
    for (const value of stringValues(datasourcesFile)) {
      const unescaped = value.replaceAll('$$', '');
      expect(unescaped, `unescaped $ in '${value}'`).not.toContain('$');
    }
  });
});

describe('grafana/provisioning/dashboards/dashboards.yaml', () => {
  it('opens with a comment', () => {
    expect(providersText.startsWith('#')).toBe(true);
  });

  it('loads the compose-mounted dashboards folder', () => {
    const providers = providersFile.providers ?? [];
    const mountTarget = compose.services.grafana?.volumes
      ?.map((volume) => volume.split(':'))
      .find(([source]) => source === './dashboards')?.[1];

    expect(providersFile.apiVersion).toBe(1);
    expect(providers).toHaveLength(1);
    expect(providers[0]?.type).toBe('file');
    expect(providers[0]?.options?.path).toBe('/var/lib/grafana/dashboards');
    expect(mountTarget).toBe(providers[0]?.options?.path);
  });

  it('rejects dashboard edits in the UI', () => {
    expect(providersFile.providers?.[0]?.allowUiUpdates).toBe(false);
  });
});
