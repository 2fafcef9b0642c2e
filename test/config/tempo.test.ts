// Static checks of tempo/tempo.yaml. Tempo never runs in CI (no Docker, and its source is
// AGPL, so the project does not build it), so these tests compare the file with Tempo's
// documented configuration instead of starting Tempo with it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

/** Allowed keys: `true` accepts any value, an object lists the allowed keys below. */
type KeyTree = { [key: string]: true | KeyTree };

/**
 * The keys tempo.yaml may use, each checked by hand against the Tempo 3.0.3
 * configuration reference (docs/sources/tempo/configuration/_index.md and manifest.md
 * at tag v3.0.3 of grafana/tempo). Tempo parses its config strictly, so a key that is
 * not there (such as 2.x's `compactor` or `ingester`) stops it at startup. Extend this
 * list only after checking the new key in the reference of the pinned Tempo release.
 */
const DOCUMENTED_KEYS: KeyTree = {
  target: true,
  stream_over_http_enabled: true,
  multitenancy_enabled: true,
  server: {
    http_listen_address: true,
    http_listen_port: true,
    grpc_listen_address: true,
    grpc_listen_port: true,
    log_level: true,
    log_format: true,
  },
  distributor: {
    // Passed to the OpenTelemetry Collector's OTLP receiver.
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: true },
          http: { endpoint: true },
        },
      },
    },
  },
  storage: {
    trace: {
      backend: true,
      local: { path: true },
      wal: { path: true },
      block: { version: true },
    },
  },
  live_store: {
    wal: { path: true },
  },
  backend_worker: {
    compaction: { block_retention: true },
  },
  usage_report: {
    reporting_enabled: true,
  },
};

/** The release whose documentation DOCUMENTED_KEYS was checked against. */
const CHECKED_TEMPO_RELEASE = '3.0.3';

interface TempoConfig {
  server?: { http_listen_port?: number };
  distributor?: { receivers?: { otlp?: { protocols?: { grpc?: { endpoint?: string } } } } };
  storage?: { trace?: { backend?: string; local?: { path?: string } } };
  metrics_generator?: unknown;
  overrides?: unknown;
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const tempoText = readFileSync(join(root, 'tempo/tempo.yaml'), 'utf8');
const tempo = parseYaml(tempoText) as TempoConfig;
const compose = parseYaml(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { image?: string; volumes?: string[]; ports?: string[] }>;
};
const collectorConfigText = readFileSync(join(root, 'collector/config.yaml'), 'utf8');

/** Lists the dotted paths of `value` that `allowed` does not contain. */
function undocumentedKeys(value: unknown, allowed: KeyTree, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [];
  }
  const unknown: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const rule = allowed[key];
    if (rule === undefined) {
      unknown.push(path);
    } else if (rule !== true) {
      unknown.push(...undocumentedKeys(child, rule, path));
    }
  }
  return unknown;
}

function port(endpoint: string | undefined): string | undefined {
  return endpoint?.split(':').at(-1);
}

describe('tempo/tempo.yaml', () => {
  it('opens with a comment', () => {
    expect(tempoText.startsWith('#')).toBe(true);
  });

  it('uses only keys documented for Tempo 3.0.3', () => {
    expect(undocumentedKeys(tempo, DOCUMENTED_KEYS)).toEqual([]);
  });

  it('matches the checked Tempo release', () => {
    const image = compose.services.tempo?.image;
    // A new tag needs DOCUMENTED_KEYS checked against that release's reference first.
    expect(image).toBe(`grafana/tempo:${CHECKED_TEMPO_RELEASE}`);
  });

  it('serves HTTP on the published port', () => {
    const httpPort = tempo.server?.http_listen_port;

    expect(httpPort).toBe(3200);
    expect(compose.services.tempo?.ports).toContain(`127.0.0.1:${httpPort}:${httpPort}`);
  });

  it('receives OTLP where collector sends', () => {
    const endpoint = tempo.distributor?.receivers?.otlp?.protocols?.grpc?.endpoint;
    const collectorTarget = /\$\{env:TEMPO_OTLP_ENDPOINT:-([^}]+)\}/.exec(collectorConfigText)?.[1];

    // Tempo's receivers listen on localhost only unless an address is given.
    expect(endpoint).toBe('0.0.0.0:4317');
    expect(collectorTarget).toBe(`tempo:${port(endpoint)}`);
  });

  it('stores traces on the mounted volume', () => {
    const volumeTarget = compose.services.tempo?.volumes
      ?.map((volume) => volume.split(':'))
      .find(([source]) => source === 'tempo-data')?.[1];

    expect(tempo.storage?.trace?.backend).toBe('local');
    expect(volumeTarget).toBe('/var/tempo');
    expect(tempo.storage?.trace?.local?.path?.startsWith(`${volumeTarget}/`)).toBe(true);
  });

  it('leaves the metrics generator off', () => {
    // The collector's span_metrics connector produces the span metrics instead.
    expect(tempo.metrics_generator).toBeUndefined();
    expect(tempo.overrides).toBeUndefined();
  });
});
